// Backward of the grid encoding with a subgroup pre-reduction (variant of grid-encode-bwd.wgsl for
// adapters with the `subgroups` feature; same bindings, same result up to f32 summation order).
//
// The level-major mapping puts consecutive samples of one level in one subgroup; samples along a ray
// then often share cell vertices at coarse levels, and every lane's CAS loop on the same address
// would retry. So for each cell vertex the lanes first combine: the lowest active lane's entry is the
// leader, the lanes with the same entry sum their gradients with subgroupAdd and one of them
// (subgroupElect) does the atomic add; the others repeat with the next leader until every lane is
// done ("peeling": as many rounds as distinct entries in the subgroup). Correct for any set of
// active lanes: the three subgroup operations of one round run in the same branch.
//
// Bindings (as grid-encode-bwd.wgsl):
//   positions  N × vec4<f32>, xyz clamped to [0,1].
//   levels     struct Level per 3-D level and per plane (grid-level.wgsl).
//   table      θ, read-only; only feature_grad may read it.
//   d_features N × D upstream gradient dL/dfeatures, sample-major.
//   grad       dL/dθ as f32 bit patterns, accumulated atomically (the caller zeroes it).
//   params     count = N·(number of levels), samples = N, dim = D.
// Pipeline constants: WG (workgroup size), F (features per level, ≤ MAX_F).
enable subgroups;
diagnostic(off, subgroup_uniformity);

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

// Adds w·g[f] to entry e (parameter index e + f), pre-reduced over the lanes that share e.
fn scatter(e: u32, w: f32, g: array<f32, MAX_F>) {
  let first = subgroupBroadcastFirst(e);
  if (subgroupAll(e == first)) {
    for (var f = 0u; f < F; f++) {
      let s = subgroupAdd(w * g[f]);
      if (subgroupElect()) { atomic_add_f32(&grad[e + f], feature_grad(e + f, s)); }
    }
  } else {
    for (var f = 0u; f < F; f++) { atomic_add_f32(&grad[e + f], feature_grad(e + f, w * g[f])); }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  let li = i / params.samples;
  let n = i - li * params.samples;
  let lv = levels[li];
  let o = n * params.dim + lv.out_off;
  var g: array<f32, MAX_F>;
  for (var f = 0u; f < F; f++) { g[f] = d_features[o + f]; }
  let p = clamp(positions[n].xyz, vec3f(0.0), vec3f(1.0));
  let fres = f32(lv.res);
  if (lv.dims == 3u) {
    let s = p * fres;
    let c = min(vec3u(s), vec3u(lv.res - 1u));
    let t = s - vec3f(c);
    for (var k = 0u; k < 8u; k++) {
      let b = vec3u(k & 1u, (k >> 1u) & 1u, k >> 2u);
      let wv = select(1.0 - t, t, b == vec3u(1u));
      scatter(lv.param_off + entry3(lv, c + b) * F, wv.x * wv.y * wv.z, g);
    }
  } else {
    let s = vec2f(p[lv.axis0], p[lv.axis1]) * fres;
    let c = min(vec2u(s), vec2u(lv.res - 1u));
    let t = s - vec2f(c);
    for (var k = 0u; k < 4u; k++) {
      let b = vec2u(k & 1u, k >> 1u);
      let wv = select(1.0 - t, t, b == vec2u(1u));
      scatter(lv.param_off + entry2(lv, c + b) * F, wv.x * wv.y, g);
    }
  }
}
