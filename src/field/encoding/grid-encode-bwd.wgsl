// Backward of the grid encoding (grid-encode.wgsl) with respect to the table θ:
//   dL/dθ[param_off + entry·F + f] += w · dL/dfeatures[n·D + out_off + f]
// for every sample n, level and cell vertex (weights w exactly as in the forward). No gradient with
// respect to the positions. The scatter-add is a float atomic (CAS loop, atomic_add_f32) on the f32
// bit patterns of `grad`; it ACCUMULATES: the caller zeroes `grad` (Adam does after each step).
// Each vertex gradient passes through feature_grad (feature-read.wgsl), the hook of the binarized
// encoding's straight-through estimator; this kernel does not otherwise read the table.
//
// Mapping and pre-reduction: one invocation per (level, run of RUN consecutive samples), level-major:
// i = level·G + j, G = ceil(N/RUN), samples j·RUN … j·RUN+RUN−1. The invocation keeps the gradients
// of its current cell's 2^dims vertices in registers and adds each sample's w·g to them; it flushes
// them (one atomic add per vertex and feature) only when the next sample lies in another cell, and
// at the end. Samples along a ray are consecutive, so at coarse levels a run mostly stays in one cell
// and most atomics (and the CAS retries of lanes hitting the same vertex) disappear; for incoherent
// samples every sample flushes, as a plain per-sample scatter would. Measured on lavapipe (CPU preset,
// 65,536 samples, bench/grid-encode.ts): with RUN = 32, samples along rays go 2-3.5× faster than with
// one invocation per sample; incoherent samples about the same (±10%).
// Subgroup pre-reductions (per vertex, the lanes with the same entry sum with subgroupAdd and one
// does the atomic) were tried on the one-sample-per-invocation mapping and dropped: an "all lanes
// agree" fast path gained ≤ 15% on rays and lost ~8% on incoherent samples; a general "peeling" loop
// (one round per distinct entry) was 1.3-5× slower than plain atomics on lavapipe's 8-wide subgroups.
//
// Bindings:
//   positions  N × vec4<f32>, xyz clamped to [0,1] (as in the forward).
//   levels     struct Level per 3-D level and per plane (grid-level.wgsl).
//   table      θ, read-only; only feature_grad may read it.
//   d_features N × D upstream gradient dL/dfeatures, sample-major.
//   grad       dL/dθ as f32 bit patterns, one per parameter, accumulated atomically.
//   params     count = (number of levels)·G, samples = N, dim = D, groups = G.
// Pipeline constants: WG (workgroup size), F (features per level, ≤ MAX_F), RUN (samples per invocation).

//!include "./grid-level.wgsl"
//!include "./feature-read.wgsl"
//!include "../../gpu/atomic-add.wgsl"

struct Params {
  count: u32,
  samples: u32,
  dim: u32,
  groups: u32,
}
@group(0) @binding(0) var<storage, read> positions: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> levels: array<Level>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read> d_features: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad: array<atomic<u32>>;
@group(0) @binding(5) var<uniform> params: Params;

override WG: u32 = 64;
override F: u32 = 2;
override RUN: u32 = 32;
const MAX_F: u32 = 8u;
const NONE: u32 = 0xffffffffu;
const MAX_ACC: u32 = 8u * MAX_F; // 2^dims vertices × F gradients of the current cell

// Adds the accumulated vertex gradients acc[k·F + f] of cell `base` (corner k = bits x,y,z) to grad.
fn flush3(lv: Level, base: vec3u, acc: ptr<function, array<f32, MAX_ACC>>) {
  for (var k = 0u; k < 8u; k++) {
    let e = lv.param_off + entry3(lv, base + vec3u(k & 1u, (k >> 1u) & 1u, k >> 2u)) * F;
    for (var f = 0u; f < F; f++) {
      atomic_add_f32(&grad[e + f], feature_grad(e + f, (*acc)[k * F + f]));
      (*acc)[k * F + f] = 0.0;
    }
  }
}

fn flush2(lv: Level, base: vec2u, acc: ptr<function, array<f32, MAX_ACC>>) {
  for (var k = 0u; k < 4u; k++) {
    let e = lv.param_off + entry2(lv, base + vec2u(k & 1u, k >> 1u)) * F;
    for (var f = 0u; f < F; f++) {
      atomic_add_f32(&grad[e + f], feature_grad(e + f, (*acc)[k * F + f]));
      (*acc)[k * F + f] = 0.0;
    }
  }
}

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
  var acc: array<f32, MAX_ACC>;
  var g: array<f32, MAX_F>;
  if (lv.dims == 3u) {
    var cur = vec3u(NONE);
    for (var n = n0; n < n1; n++) {
      let o = n * params.dim + lv.out_off;
      for (var f = 0u; f < F; f++) { g[f] = d_features[o + f]; }
      let s = clamp(positions[n].xyz, vec3f(0.0), vec3f(1.0)) * fres;
      let c = min(vec3u(s), vec3u(lv.res - 1u));
      let t = s - vec3f(c);
      if (any(c != cur)) {
        if (cur.x != NONE) { flush3(lv, cur, &acc); }
        cur = c;
      }
      for (var k = 0u; k < 8u; k++) {
        let wv = select(1.0 - t, t, vec3u(k & 1u, (k >> 1u) & 1u, k >> 2u) == vec3u(1u));
        let w = wv.x * wv.y * wv.z;
        for (var f = 0u; f < F; f++) { acc[k * F + f] += w * g[f]; }
      }
    }
    flush3(lv, cur, &acc);
  } else {
    var cur = vec2u(NONE);
    for (var n = n0; n < n1; n++) {
      let o = n * params.dim + lv.out_off;
      for (var f = 0u; f < F; f++) { g[f] = d_features[o + f]; }
      let p = clamp(positions[n].xyz, vec3f(0.0), vec3f(1.0));
      let s = vec2f(p[lv.axis0], p[lv.axis1]) * fres;
      let c = min(vec2u(s), vec2u(lv.res - 1u));
      let t = s - vec2f(c);
      if (any(c != cur)) {
        if (cur.x != NONE) { flush2(lv, cur, &acc); }
        cur = c;
      }
      for (var k = 0u; k < 4u; k++) {
        let wv = select(1.0 - t, t, vec2u(k & 1u, k >> 1u) == vec2u(1u));
        let w = wv.x * wv.y;
        for (var f = 0u; f < F; f++) { acc[k * F + f] += w * g[f]; }
      }
    }
    flush2(lv, cur, &acc);
  }
}
