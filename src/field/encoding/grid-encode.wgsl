// Forward of the multi-resolution 3-D/2-D hybrid grid encoding (Instant-NGP hash grid plus
// xy/xz/yz feature planes; Zhang & Chen 2025 eq. 8-11 and 20-22).
//
// For a position p ∈ [0,1]^3 (clamped) and a level of resolution N, the cell is
// c = min(floor(p·N), N−1) per axis (so p = 1 falls in the last cell with weight 1 on its far
// vertex) and t = p·N − c. A 3-D level interpolates its 8 cell vertices trilinearly,
// w = Π_d (t_d or 1 − t_d); a plane takes the two components it spans and interpolates its 4 vertices
// bilinearly. Each vertex holds F consecutive floats at param_off + entry·F (entry from
// grid-level.wgsl). Every table read goes through read_feature (feature-read.wgsl).
//
// Mapping: one invocation per (level, sample), LEVEL-major: i = level·N + n. The SIMD lanes of a
// subgroup then share the level (its metadata is one broadcast load, its dense/hash and 3-D/2-D
// branches are uniform) and walk one level's table at a time, which keeps the working set in cache.
//
// Bindings:
//   positions  N × vec4<f32>: xyz the position in the unit cube (clamped to [0,1]), w ignored.
//   levels     one struct Level per 3-D level and per plane, in output order (grid-level.wgsl).
//   table      θ, the flat f32 parameters of every level; read only through read_feature.
//   features   N × D f32 output, sample-major: sample n's D features at n·D, level l's F at n·D + out_off.
//   params     count = N·(number of levels), samples = N, dim = D.
// Pipeline constants: WG (workgroup size), F (features per level, ≤ MAX_F).

//!include "./grid-level.wgsl"
//!include "./feature-read.wgsl"

struct Params {
  count: u32,
  samples: u32,
  dim: u32,
}
@group(0) @binding(0) var<storage, read> positions: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> levels: array<Level>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read_write> features: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

override WG: u32 = 64;
override F: u32 = 2;
const MAX_F: u32 = 8u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  let li = i / params.samples;
  let n = i - li * params.samples;
  let lv = levels[li];
  let p = clamp(positions[n].xyz, vec3f(0.0), vec3f(1.0));
  let fres = f32(lv.res);
  var acc: array<f32, MAX_F>;
  if (lv.dims == 3u) {
    let s = p * fres;
    let c = min(vec3u(s), vec3u(lv.res - 1u));
    let t = s - vec3f(c);
    for (var k = 0u; k < 8u; k++) {
      let b = vec3u(k & 1u, (k >> 1u) & 1u, k >> 2u);
      let wv = select(1.0 - t, t, b == vec3u(1u));
      let w = wv.x * wv.y * wv.z;
      let e = lv.param_off + entry3(lv, c + b) * F;
      for (var f = 0u; f < F; f++) { acc[f] += w * read_feature(e + f); }
    }
  } else {
    let s = vec2f(p[lv.axis0], p[lv.axis1]) * fres;
    let c = min(vec2u(s), vec2u(lv.res - 1u));
    let t = s - vec2f(c);
    for (var k = 0u; k < 4u; k++) {
      let b = vec2u(k & 1u, k >> 1u);
      let wv = select(1.0 - t, t, b == vec2u(1u));
      let w = wv.x * wv.y;
      let e = lv.param_off + entry2(lv, c + b) * F;
      for (var f = 0u; f < F; f++) { acc[f] += w * read_feature(e + f); }
    }
  }
  let o = n * params.dim + lv.out_off;
  for (var f = 0u; f < F; f++) { features[o + f] = acc[f]; }
}
