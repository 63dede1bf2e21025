// MLP forward pass: y = W_L·relu(… relu(W_0·x + b_0) …) + b_L for a batch of samples, optionally
// storing every hidden layer's post-ReLU activations for the backward pass.
//
// Mapping (chosen for Mesa lavapipe, where an invocation is one lane of an 8-wide SIMD vector and
// any memory read whose address is not a compile-time constant costs one scalar load per lane):
//  * one invocation evaluates the whole network for S = 4 consecutive samples 4t … 4t+3, packed in
//    the components of vec4 values, so every weight it fetches serves four multiply-adds;
//  * activations live in private arrays (x, h0, h1) that are read only at constant indices, because
//    the dot products are unrolled (a private array read at a run-time index is a per-lane gather);
//  * with SUBGROUPS, weights are fetched eight at a time, one per subgroup lane
//    (wv = weights[base + lane]), and lane r's value is handed to every lane with
//    subgroupBroadcast(wv, r), r constant: one memory read per 8 weights instead of one per weight
//    per lane (measured 6-10x faster than a loop reading weights[j·IN + i] on lavapipe). Requires
//    subgroups of at least 8 lanes. Without SUBGROUPS each weight is read directly, which a hardware
//    GPU serves from its scalar/uniform cache.
//
// The launcher (mlp.ts) specializes this file: it replaces the `const` sizes, keeps or drops the
// `//!if FLAG … //!else … //!endif` blocks and replaces `//!generate layers` with one loop per layer
// over its outputs j whose dot product over the inputs is unrolled, e.g. for hidden layer k reading x:
//   for (var j = zero; j < 64u; j++) {
//     var a = vec4f(weights[3072u + j]);                        // bias b_k[j]
//     { let wv = wfetch(0u + j * 48u + 0u, 1u, 8u);               // W_k[j][0..8)
//       a = fma(vec4f(subgroupBroadcast(wv, 0u)), x[0], a);  …  a = fma(…(wv, 7u)), x[7], a); }
//     …                                                          // blocks 8..48
//     let y = max(a, vec4f(0.0)); h0[j] = y; storeAct(0u, j, y);   // storeAct only when TRAIN
//   }
// and the output layer ends its loop with storeOutput(j, a) instead.
//
// Bindings:
//   weights  f32 parameters; per layer W_k [out × in] row-major then b_k [out] (mlp-config.ts).
//   input    row x_n at input[inOffset + n·inStride + i], i < IN.
//   output   row y_n written at output[outOffset + n·outStride + j], j < OUT; nothing else is written.
//   acts     TRAIN: post-ReLU activation of hidden layer k, sample n, unit j written at
//            acts[(k·batchStride + n)·WIDTH + j] (layout [layer][n][W]); read by mlp-bwd, mlp-wgrad.
//            Unused (any buffer) otherwise.
//   params   count = samples n; strides and offsets in floats; batchStride = rows per layer in acts.
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
  batchStride: u32,
}
@group(0) @binding(0) var<storage, read> weights: array<f32>;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;
@group(0) @binding(3) var<storage, read_write> acts: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

override WG: u32 = 64;

// This invocation's four sample indices 4t … 4t+3, clamped to count − 1 so that every lane runs the
// same code (subgroup operations need all lanes). Stores are not masked: a clamped sample recomputes
// sample count − 1 exactly and writes the same bits to the same place, which is harmless, while
// masked (if-guarded) stores made lavapipe's compile three times slower.
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
  let b = layer * params.batchStride;
  acts[(b + rows.x) * WIDTH + j] = y.x;
  acts[(b + rows.y) * WIDTH + j] = y.y;
  acts[(b + rows.z) * WIDTH + j] = y.z;
  acts[(b + rows.w) * WIDTH + j] = y.w;
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
  var x: array<vec4f, IN>;
  var h0: array<vec4f, WIDTH>;
  var h1: array<vec4f, WIDTH>;
  // A run-time loop on purpose: it keeps x in memory, read below at constant indices, rather than as
  // IN·4 SSA values, which made LLVM's register allocator take tens of seconds.
  for (var i = zero; i < IN; i++) { x[i] = loadInput(i); }
//!generate layers
}
