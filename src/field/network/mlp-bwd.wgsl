// MLP backward pass, part 1: the pre-activation gradients δ of every hidden layer and, with DIN, the
// gradient with respect to the input. (mlp-wgrad.wgsl then forms dW, db from δ and the activations.)
//   δ_L = dL/dy (the upstream gradient; the output layer is linear, so it is not copied anywhere),
//   δ_k = relu'(z_k) ⊙ W_{k+1}ᵀ δ_{k+1} for hidden layers k = L−1 … 0, with relu'(z_k) = [a_k > 0]
//         read from the activations a_k = relu(z_k) that mlp-fwd stored,
//   dL/dx = W_0ᵀ δ_0.
//
// Mapping: as mlp-fwd.wgsl (read its header): one invocation handles the four samples 4t … 4t+3 as
// vec4 components, δ vectors stay in private arrays read at constant indices, and the transposed
// matrix-vector products loop over the units i of the lower layer with the sum over the upper layer's
// units j unrolled; with SUBGROUPS, lane l fetches W_{k+1}[j0 + l][i] and subgroupBroadcast hands it
// to all lanes. The launcher replaces `//!generate layers` with, for each hidden layer k from the top:
//   for (var i = zero; i < 64u; i++) {
//     var s = vec4f(0.0);
//     { let wv = wfetch(3136u + 0u + i, 64u, 8u);                 // W_{k+1}[0..8)[i]
//       s = fma(vec4f(subgroupBroadcast(wv, 0u)), g0[0], s);  …  }
//     let d = select(vec4f(0.0), s, loadAct(k, i) > vec4f(0.0));
//     g1[i] = d; storeDelta(k, i, d);
//   }
// and, when DIN, one more such loop over the inputs that ends with storeDIn(i, s).
//
// Bindings:
//   weights  f32 parameters in the layout of mlp-config.ts.
//   acts     post-ReLU activations [layer][n][WIDTH] written by mlp-fwd (TRAIN).
//   dOut     upstream gradient: row n at dOut[dOutOffset + n·dOutStride + j], j < OUT.
//   deltas   δ of hidden layer k written at deltas[(k·batchStride + n)·WIDTH + i] ([layer][n][W]).
//   dIn      DIN: dL/dx row n written at dIn[dInOffset + n·dInStride + i], i < IN; nothing else is
//            written. Unused (any buffer) otherwise.
//   params   count = samples n; strides and offsets in floats; batchStride = rows per layer.
//!if SUBGROUPS
enable subgroups;
//!endif

const IN: u32 = 1u;
const WIDTH: u32 = 1u;
const OUT: u32 = 1u;
// max(OUT, WIDTH): size of the two ping-pong δ arrays.
const GMAX: u32 = 1u;

struct Params {
  count: u32,
  dOutStride: u32,
  dOutOffset: u32,
  dInStride: u32,
  dInOffset: u32,
  batchStride: u32,
}
@group(0) @binding(0) var<storage, read> weights: array<f32>;
@group(0) @binding(1) var<storage, read> acts: array<f32>;
@group(0) @binding(2) var<storage, read> dOut: array<f32>;
@group(0) @binding(3) var<storage, read_write> deltas: array<f32>;
@group(0) @binding(4) var<storage, read_write> dIn: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

override WG: u32 = 64;

// The four samples 4t … 4t+3, clamped to count − 1 (see mlp-fwd.wgsl).
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
  let base = layer * params.batchStride;
  return vec4f(acts[(base + rows.x) * WIDTH + i], acts[(base + rows.y) * WIDTH + i],
               acts[(base + rows.z) * WIDTH + i], acts[(base + rows.w) * WIDTH + i]);
}

// Stores are not masked; see mlp-fwd.wgsl (clamped samples write the same bits as sample count − 1).
fn storeDelta(layer: u32, i: u32, d: vec4f) {
  let b = layer * params.batchStride;
  deltas[(b + rows.x) * WIDTH + i] = d.x;
  deltas[(b + rows.y) * WIDTH + i] = d.y;
  deltas[(b + rows.z) * WIDTH + i] = d.z;
  deltas[(b + rows.w) * WIDTH + i] = d.w;
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
  rows = min(vec4u(4u * t) + vec4u(0u, 1u, 2u, 3u), vec4u(params.count - 1u));
  var g0: array<vec4f, GMAX>;
  var g1: array<vec4f, GMAX>;
  // Run-time loop on purpose (keeps g0 in memory; see mlp-fwd.wgsl).
  for (var j = zero; j < OUT; j++) { g0[j] = loadDOut(j); }
//!generate layers
}
