// MLP backward pass, part 1: the pre-activation gradients δ of every hidden layer and, with DIN, the
// gradient with respect to the input. (mlp-wgrad.wgsl then forms dW, db from δ and the activations.)
//   δ_L = dL/dy (the upstream gradient, as the output layer is linear; copied to dOutQuads),
//   δ_k = relu'(z_k) ⊙ W_{k+1}ᵀ δ_{k+1} for hidden layers k = L−1 … 0, with relu'(z_k) = [a_k > 0]
//         read from the activations a_k = relu(z_k) that mlp-fwd stored,
//   dL/dx = W_0ᵀ δ_0.
//
// Mapping: as mlp-fwd.wgsl (read its header): one invocation handles the four samples of quad t as
// vec4 components, weights are fetched one per subgroup lane and broadcast, and the launcher generates
// `//!generate layers` as a chain of stages that never writes a private array at a run-time index.
// Stage L forms W_Lᵀ δ_L: a run-time loop over the units i of layer L's input computes
// v = Σ_j W_L[j][i] δ_L[j] (unrolled over j), stores δ_(L−1)[i] = v·[a > 0] and at once adds
// W_(L−1)[i][·]·δ_(L−1)[i] into the accumulators of stage L − 1 (indexed by constants). Each further
// stage is a run-time loop over the units of the previous accumulator (mask and store δ, add into the
// next accumulator), and the last one stores dL/dx. E.g. for the density MLP with DIN:
//   var acc0: array<vec4f, 48>;
//   for (var i = zero; i < 64u; i++) {
//     var v = vec4f(0.0);
//     { let wv = wfetch(3136u + i + 0u, 64u, 8u);                           // W_1[0..8)[i]
//       v = fma(vec4f(subgroupBroadcast(wv, 0u)), g0[0], v);  …  }          // … up to g0[15]
//     v = select(vec4f(0.0), v, loadAct(0u, i) > vec4f(0.0));
//     storeDelta(0u, i, v);
//     { let wv = wfetch(0u + i * 48u + 0u, 1u, 8u);                         // W_0[i][0..8)
//       acc0[0] = fma(vec4f(subgroupBroadcast(wv, 0u)), v, acc0[0]);  …  }  // … up to acc0[47]
//   }
//   for (var p = zero; p < 48u; p++) { var v = acc0[p]; storeDIn(p, v); }
//
// Bindings:
//   weights     f32 parameters in the layout of mlp-config.ts.
//   acts        post-ReLU activations written by mlp-fwd (TRAIN): quad t of hidden layer k, unit i at
//               acts[(k·quadStride + t)·WIDTH + i] (vec4 over the samples 4t … 4t+3).
//   dOut        upstream gradient: row n at dOut[dOutOffset + n·dOutStride + j], j < OUT.
//   deltas      δ of hidden layer k written in the same quad layout, deltas[(k·quadStride + t)·WIDTH + i].
//   dOutQuads   a copy of dOut in the quad layout, dOutQuads[t·OUT + j]: the output layer's δ for
//               mlp-wgrad.
//   dIn         DIN: dL/dx row n written at dIn[dInOffset + n·dInStride + i], i < IN; nothing else is
//               written. Unused (any buffer) otherwise.
//   params      count = samples n; strides and offsets in floats; quadStride = quads per layer.
//   Samples past count in the last quad hold copies of sample count − 1; mlp-wgrad masks them.
//!if SUBGROUPS
enable subgroups;
//!endif

const IN: u32 = 1u;
const WIDTH: u32 = 1u;
const OUT: u32 = 1u;

struct Params {
  count: u32,
  dOutStride: u32,
  dOutOffset: u32,
  dInStride: u32,
  dInOffset: u32,
  quadStride: u32,
}
@group(0) @binding(0) var<storage, read> weights: array<f32>;
@group(0) @binding(1) var<storage, read> acts: array<vec4f>;
@group(0) @binding(2) var<storage, read> dOut: array<f32>;
@group(0) @binding(3) var<storage, read_write> deltas: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> dOutQuads: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> dIn: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

override WG: u32 = 64;

// The quad t and its samples 4t … 4t+3, clamped (see mlp-fwd.wgsl).
var<private> quad: u32;
var<private> rows: vec4u;
var<private> lane: u32;

// weights[base + min(lane, m − 1)·stride]: lane l's share of a block of m ≤ 8 weights.
fn wfetch(base: u32, stride: u32, m: u32) -> f32 {
  return weights[base + min(lane, m - 1u) * stride];
}

fn loadDOut(j: u32) -> vec4f {
  let o = params.dOutOffset + j;
  return vec4f(dOut[o + rows.x * params.dOutStride], dOut[o + rows.y * params.dOutStride],
               dOut[o + rows.z * params.dOutStride], dOut[o + rows.w * params.dOutStride]);
}

fn loadAct(layer: u32, i: u32) -> vec4f {
  return acts[(layer * params.quadStride + quad) * WIDTH + i];
}

// Stores are not masked; see mlp-fwd.wgsl (clamped samples write the same bits as sample count − 1).
fn storeDelta(layer: u32, i: u32, d: vec4f) {
  deltas[(layer * params.quadStride + quad) * WIDTH + i] = d;
}

fn storeDIn(i: u32, d: vec4f) {
  let o = params.dInOffset + i;
  dIn[o + rows.x * params.dInStride] = d.x;
  dIn[o + rows.y * params.dInStride] = d.y;
  dIn[o + rows.z * params.dInStride] = d.z;
  dIn[o + rows.w * params.dInStride] = d.w;
}

@compute @workgroup_size(WG)
//!if SUBGROUPS
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(subgroup_invocation_id) sgLane: u32) {
  lane = sgLane;
//!else
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
//!endif
  let t = gid.x + gid.y * nwg.x * WG;
  // Zero at run time (launches are never 3-D) but unknown to the compiler: the per-layer loops start
  // at it so that Mesa's NIR does not unroll the ones of ≤ 32 iterations into straight-line code,
  // which LLVM then took seconds to compile (and the run-time loops cost nothing measurable).
  let zero = nwg.z - 1u;
  // Padding invocations (past the last quad) redo the last quad exactly, so what they store is what
  // its own invocation stores.
  quad = min(t, (params.count - 1u) / 4u);
  rows = min(vec4u(4u * quad) + vec4u(0u, 1u, 2u, 3u), vec4u(params.count - 1u));
  var g0: array<vec4f, OUT>;
  // Run-time loop on purpose (keeps g0 in memory; see mlp-fwd.wgsl).
  for (var j = zero; j < OUT; j++) {
    g0[j] = loadDOut(j);
    dOutQuads[quad * OUT + j] = g0[j];
  }
//!generate layers
}
