// Forward of the multi-resolution 3-D/2-D hybrid grid encoding (Instant-NGP hash grid plus
// xy/xz/yz feature planes; Zhang & Chen 2025 eq. 8-11 and 20-22).
//
// For a position p ∈ [0,1]^3 (clamped) and a level of resolution N, the cell is
// c = min(floor(p·N), N−1) per axis (so p = 1 falls in the last cell with weight 1 on its far
// vertex) and t = p·N − c. A 3-D level interpolates its cell's 8 vertices trilinearly,
// w = Π_d (t_d or 1 − t_d) (corner k has bit d of k set when it takes t_d); a plane takes the two
// components it spans and interpolates its 4 vertices bilinearly. Each vertex holds F consecutive
// floats at param_off + entry·F (entry from grid-level.wgsl). Every table read goes through
// read_feature (feature-read.wgsl); nothing else here touches the table.
//
// Mapping: one invocation per (level, run of RUN consecutive samples), LEVEL-major:
// i = level·G + j, G = ceil(N/RUN), samples j·RUN … min(j·RUN+RUN, N)−1. The SIMD lanes of a
// subgroup share the level (its metadata is one load, its dense/hash and 3-D/2-D branches are
// uniform) and walk one level's table at a time, which keeps the working set in cache. Within a run
// the invocation keeps its current cell's vertex features in registers and re-reads the table only
// when a sample falls in another cell: consecutive samples along a ray share cells at coarse levels.
// (Measured on lavapipe, 22 levels, 65,536 samples: level-major is 2-3× faster than one invocation
// per sample looping over the levels; RUN = 32 beats RUN = 1 by 10-25%; see bench/grid-encode.ts.)
//
// Bindings:
//   positions  N × vec4<f32>: xyz the position in the unit cube (clamped to [0,1]), w ignored.
//   levels     one struct Level per 3-D level and per plane, in output order (grid-level.wgsl).
//   table      θ, the flat f32 parameters of every level; read only through read_feature.
//   features   N × D f32 output, sample-major: sample n's D features at n·D, a level's F at n·D + out_off.
//   params     count = (number of levels)·G, samples = N, dim = D, groups = G.
// Pipeline constants: WG (workgroup size), F (features per level, ≤ MAX_F), RUN (samples per invocation).

//!include "./grid-level.wgsl"
//!include "./feature-read.wgsl"

struct Params {
  count: u32,
  samples: u32,
  dim: u32,
  groups: u32,
}
@group(0) @binding(0) var<storage, read> positions: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> levels: array<Level>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read_write> features: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

override WG: u32 = 64;
override F: u32 = 2;
override RUN: u32 = 32;
const MAX_F: u32 = 8u;
const MAX_VF: u32 = 8u * MAX_F; // the current cell's 2^dims vertices × F features
const NONE: u32 = 0xffffffffu;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  let li = i / params.groups;
  let j = i - li * params.groups;
  let lv = levels[li];
  let n0 = j * RUN;
  let n1 = min(n0 + RUN, params.samples);
  let fres = f32(lv.res);
  var vf: array<f32, MAX_VF>;
  if (lv.dims == 3u) {
    var cur = vec3u(NONE);
    for (var n = n0; n < n1; n++) {
      let s = clamp(positions[n].xyz, vec3f(0.0), vec3f(1.0)) * fres;
      let c = min(vec3u(s), vec3u(lv.res - 1u));
      let t = s - vec3f(c);
      if (any(c != cur)) {
        cur = c;
        for (var k = 0u; k < 8u; k++) {
          let e = lv.param_off + entry3(lv, c + vec3u(k & 1u, (k >> 1u) & 1u, k >> 2u)) * F;
          for (var f = 0u; f < F; f++) { vf[k * F + f] = read_feature(e + f); }
        }
      }
      // Explicit initializer: a bare `var` inside a loop is zeroed only once by Dawn/Tint on Vulkan.
      var acc = array<f32, MAX_F>();
      for (var k = 0u; k < 8u; k++) {
        let wv = select(1.0 - t, t, vec3u(k & 1u, (k >> 1u) & 1u, k >> 2u) == vec3u(1u));
        let w = wv.x * wv.y * wv.z;
        for (var f = 0u; f < F; f++) { acc[f] += w * vf[k * F + f]; }
      }
      let o = n * params.dim + lv.out_off;
      for (var f = 0u; f < F; f++) { features[o + f] = acc[f]; }
    }
  } else {
    var cur = vec2u(NONE);
    for (var n = n0; n < n1; n++) {
      let p = clamp(positions[n].xyz, vec3f(0.0), vec3f(1.0));
      let s = vec2f(p[lv.axis0], p[lv.axis1]) * fres;
      let c = min(vec2u(s), vec2u(lv.res - 1u));
      let t = s - vec2f(c);
      if (any(c != cur)) {
        cur = c;
        for (var k = 0u; k < 4u; k++) {
          let e = lv.param_off + entry2(lv, c + vec2u(k & 1u, k >> 1u)) * F;
          for (var f = 0u; f < F; f++) { vf[k * F + f] = read_feature(e + f); }
        }
      }
      // Explicit initializer: a bare `var` inside a loop is zeroed only once by Dawn/Tint on Vulkan.
      var acc = array<f32, MAX_F>();
      for (var k = 0u; k < 4u; k++) {
        let wv = select(1.0 - t, t, vec2u(k & 1u, k >> 1u) == vec2u(1u));
        let w = wv.x * wv.y;
        for (var f = 0u; f < F; f++) { acc[f] += w * vf[k * F + f]; }
      }
      let o = n * params.dim + lv.out_off;
      for (var f = 0u; f < F; f++) { features[o + f] = acc[f]; }
    }
  }
}
