// Backward of the grid encoding (grid-encode.wgsl) with respect to the table θ:
//   dL/dθ[param_off + entry·F + f] += w · dL/dfeatures[n·D + out_off + f]
// for every sample n, level and cell vertex (weights w exactly as in the forward). No gradient with
// respect to the positions. The scatter-add is a float atomic (CAS loop, atomic_add_f32) on the f32
// bit patterns of `grad`; it ACCUMULATES: the caller zeroes `grad` (Adam does after each step).
// Each vertex gradient passes through feature_grad (feature-read.wgsl), the hook of the binarized
// encoding's straight-through estimator; this kernel does not otherwise read the table.
//
// Mapping as the forward: one invocation per (level, sample), level-major, i = level·N + n.
//
// Bindings:
//   positions  N × vec4<f32>, xyz clamped to [0,1] (as in the forward).
//   levels     struct Level per 3-D level and per plane (grid-level.wgsl).
//   table      θ, read-only; only feature_grad may read it.
//   d_features N × D upstream gradient dL/dfeatures, sample-major.
//   grad       dL/dθ as f32 bit patterns, one per parameter, accumulated atomically.
//   params     count = N·(number of levels), samples = N, dim = D.
// Pipeline constants: WG (workgroup size), F (features per level, ≤ MAX_F).

//!include "./grid-level.wgsl"
//!include "./feature-read.wgsl"
//!include "../../gpu/atomic-add.wgsl"

struct Params {
  count: u32,
  samples: u32,
  dim: u32,
}
@group(0) @binding(0) var<storage, read> positions: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> levels: array<Level>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read> d_features: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad: array<atomic<u32>>;
@group(0) @binding(5) var<uniform> params: Params;

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
  let o = n * params.dim + lv.out_off;
  var g: array<f32, MAX_F>;
  var nonzero = false;
  for (var f = 0u; f < F; f++) {
    g[f] = d_features[o + f];
    nonzero = nonzero || g[f] != 0.0;
  }
  if (!nonzero) { return; }
  let p = clamp(positions[n].xyz, vec3f(0.0), vec3f(1.0));
  let fres = f32(lv.res);
  if (lv.dims == 3u) {
    let s = p * fres;
    let c = min(vec3u(s), vec3u(lv.res - 1u));
    let t = s - vec3f(c);
    for (var k = 0u; k < 8u; k++) {
      let b = vec3u(k & 1u, (k >> 1u) & 1u, k >> 2u);
      let wv = select(1.0 - t, t, b == vec3u(1u));
      let w = wv.x * wv.y * wv.z;
      let e = lv.param_off + entry3(lv, c + b) * F;
      for (var f = 0u; f < F; f++) { atomic_add_f32(&grad[e + f], feature_grad(e + f, w * g[f])); }
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
      for (var f = 0u; f < F; f++) { atomic_add_f32(&grad[e + f], feature_grad(e + f, w * g[f])); }
    }
  }
}
