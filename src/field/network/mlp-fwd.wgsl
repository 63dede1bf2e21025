// MLP forward pass: y = W_L·relu(… relu(W_0·x + b_0) …) + b_L for a batch of samples, optionally
// storing every hidden layer's post-ReLU activations for the backward pass.
//
// Mapping (chosen for Mesa lavapipe, where an invocation is one lane of an 8-wide SIMD vector and
// any memory access whose address is not a compile-time constant is a loop over the 8 lanes):
//  * one invocation evaluates the whole network for S = 4 consecutive samples 4t … 4t+3 (a "quad"),
//    packed in the components of vec4 values, so every weight it fetches serves four multiply-adds;
//  * activations live in private arrays (x, acc…) that the hot loops index only with constants,
//    because the dot products are unrolled (a private array indexed at run time is a per-lane gather
//    or scatter);
//  * with SUBGROUPS, weights are fetched eight at a time, one per subgroup lane
//    (wv = weights[base + lane]), and lane r's value is handed to every lane with
//    subgroupBroadcast(wv, r), r constant: one memory access per 8 weights instead of one per weight
//    per lane (with the above: 0.45 instead of 4.8 µs/sample for the density MLP's plain
//    loop-over-weights[j·IN + i] form on lavapipe). Requires subgroups of at least 8 lanes. Without
//    SUBGROUPS each weight is read directly, which a hardware GPU serves from its scalar cache.
//
// The launcher (mlp.ts) specializes this file: it replaces the `const` sizes, keeps or drops the
// `//!if FLAG … //!else … //!endif` blocks and replaces `//!generate layers` with the layers, arranged
// so that no private array is ever written at a run-time index (on lavapipe such a write is a masked
// scatter over the lanes): a run-time loop over the units j of layer 0 computes each unit by a dot
// product over x and at once adds it into the next layer's accumulators, indexed by constants; e.g.
// for the density MLP (48 → 64 → 16):
//   var acc1: array<vec4f, 16>;  acc1[0] = vec4f(weights[4160u]); …          // b_1
//   for (var j = zero; j < 64u; j++) {
//     var a = vec4f(weights[3072u + j]);                                      // b_0[j]
//     { let wv = wfetch(0u + j * 48u + 0u, 1u, 8u);                          // W_0[j][0..8)
//       a = fma(vec4f(subgroupBroadcast(wv, 0u)), x[0], a);  …  }            // … up to x[47]
//     let h = max(a, vec4f(0.0));
//     storeAct(0u, j, h);                                                     // TRAIN only
//     { let wv = wfetch(3136u + j + 0u, 64u, 8u);                            // W_1[0..8)[j]
//       acc1[0] = fma(vec4f(subgroupBroadcast(wv, 0u)), h, acc1[0]);  …  }   // … up to acc1[15]
//   }
//   for (var m = zero; m < 16u; m++) { storeOutput(m, acc1[m]); }
// With more hidden layers, each further layer is a run-time loop over the units of the previous
// accumulator (read at a run-time index, once per unit), which applies the ReLU, stores the activation
// and adds the unit into the next accumulator the same way; the last accumulator holds the outputs.
// `zero` is 0 at run time but opaque to the compiler, so that Mesa does not unroll these loops.
//
// Bindings:
//   weights     f32 parameters; per layer W_k [out × in] row-major then b_k [out] (mlp-config.ts).
//   input       row x_n at input[inOffset + n·inStride + i], i < IN.
//   output      row y_n written at output[outOffset + n·outStride + j], j < OUT; nothing else is written.
//   acts        TRAIN: post-ReLU activations of hidden layer k for the samples 4t … 4t+3 (a "quad")
//               as one vec4 at acts[(k·quadStride + t)·WIDTH + j]. The quad layout makes each store
//               here, and each read in mlp-bwd and mlp-wgrad, one vec4 access: on lavapipe every access
//               at a per-lane address is a loop over the 8 lanes, and a vec4 moves 4 floats per trip.
//               Unused (any buffer) otherwise.
//   inputQuads  TRAIN: a copy of the input in the same quad layout, inputQuads[t·IN + i], for the
//               layer-0 weight gradient (so the caller's input may change before backward).
//   params      count = samples n; strides and offsets in floats; quadStride = quads per layer in acts.
//   Samples past count in the last quad hold copies of sample count − 1; consumers mask them.
//!if SUBGROUPS
enable subgroups;
//!endif

const IN: u32 = 1u;
const WIDTH: u32 = 1u;
const OUT: u32 = 1u;

struct Params {
  count: u32,
  inStride: u32,
  inOffset: u32,
  outStride: u32,
  outOffset: u32,
  quadStride: u32,
}
@group(0) @binding(0) var<storage, read> weights: array<f32>;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;
@group(0) @binding(3) var<storage, read_write> acts: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> inputQuads: array<vec4f>;
@group(0) @binding(5) var<uniform> params: Params;

override WG: u32 = 64;

// This invocation's quad t (clamped to the last one) and its four sample indices 4t … 4t+3, clamped
// to count − 1, so that every lane runs the same code (subgroup operations need all lanes). Stores are
// not masked: a clamped sample or quad recomputes one that exists exactly and writes the same bits to
// the same place, which is harmless, while masked (if-guarded) stores made lavapipe's compile three
// times slower.
var<private> quad: u32;
var<private> rows: vec4u;
var<private> lane: u32;

// weights[base + min(lane, m − 1)·stride]: lane l's share of a block of m ≤ 8 weights spaced
// `stride` apart (lanes ≥ m repeat the last one, which nobody broadcasts).
fn wfetch(base: u32, stride: u32, m: u32) -> f32 {
  return weights[base + min(lane, m - 1u) * stride];
}

fn loadInput(i: u32) -> vec4f {
  let o = params.inOffset + i;
  return vec4f(input[o + rows.x * params.inStride], input[o + rows.y * params.inStride],
               input[o + rows.z * params.inStride], input[o + rows.w * params.inStride]);
}

fn storeOutput(j: u32, y: vec4f) {
  let o = params.outOffset + j;
  output[o + rows.x * params.outStride] = y.x;
  output[o + rows.y * params.outStride] = y.y;
  output[o + rows.z * params.outStride] = y.z;
  output[o + rows.w * params.outStride] = y.w;
}

fn storeAct(layer: u32, j: u32, y: vec4f) {
  acts[(layer * params.quadStride + quad) * WIDTH + j] = y;
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
  var x: array<vec4f, IN>;
  // A run-time loop on purpose: it keeps x in memory, read below at constant indices, rather than as
  // IN·4 SSA values, which made LLVM's register allocator take tens of seconds.
  for (var i = zero; i < IN; i++) {
    x[i] = loadInput(i);
//!if TRAIN
    inputQuads[quad * IN + i] = x[i];
//!endif
  }
//!generate layers
}
