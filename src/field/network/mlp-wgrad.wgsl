// MLP backward pass, part 2: weight and bias gradients of one layer, ACCUMULATED into `grad`:
//   grad[W_k[j][i]] += Σ_n δ[n][j]·x[n][i],   grad[b_k[j]] += Σ_n δ[n][j]
// where x is the layer's input (the network input for layer 0, else the previous layer's stored
// activations) and δ its pre-activation gradient (mlp-bwd's `deltas`, or dL/dy for the output layer).
//
// Work split: the samples are cut into chunks of `chunk` (a multiple of 8); a group of 8 consecutive
// invocations ("lanes") owns one (chunk, tile) pair, where a tile is 8 rows j0 … j0+7 by 32 columns;
// lane l owns the columns col + 8u, u < 4, col = 32·g + l, and keeps the 8×4 partial sums in
// registers (acc[t][u]) while it walks the chunk 8 samples at a time. At the end it adds each partial
// sum to `grad` with one float atomic (a CAS loop): one atomic per weight per chunk, never per sample.
// The launcher picks `chunk` so that there are enough groups to fill the device.
//
// With SUBGROUPS (the 8 lanes of a group must be 8 consecutive lanes of one subgroup, as on lavapipe
// whose subgroups are exactly 8 consecutive invocations) lane l loads δ of sample base + l for the 8
// rows once, and subgroupBroadcast(·, r) hands sample base + r's δ to all lanes: per 8 samples each
// lane makes 8 + 32 scalar loads for 256 multiply-adds. Without SUBGROUPS every lane reads the 8
// δ values of each sample itself (the same address across the group, cheap on a hardware GPU).
// The bias sums come from the same δ values: each lane sums the δ it loaded and, with SUBGROUPS,
// subgroupAdd combines the 8 lanes' sums.
//
// Bindings:
//   xsrc    layer input: row n at xsrc[xOffset + n·xStride + i], i < inDim.
//   dsrc    δ: row n at dsrc[dOffset + n·dStride + j], j < outDim.
//   grad    f32 bit patterns of the gradient, same layout as the parameters; W_k at paramOffset,
//           b_k at paramOffset + outDim·inDim.
//   params  count = 8·groups (lanes); n samples; layer shape; views; colGroups = ⌈inDim/32⌉,
//           rowTiles = ⌈outDim/8⌉, chunk (samples per chunk, multiple of 8).
//!if SUBGROUPS
enable subgroups;
//!endif
//!include "../../gpu/atomic-add.wgsl"

struct Params {
  count: u32,
  n: u32,
  inDim: u32,
  outDim: u32,
  xStride: u32,
  xOffset: u32,
  dStride: u32,
  dOffset: u32,
  paramOffset: u32,
  colGroups: u32,
  rowTiles: u32,
  chunk: u32,
}
@group(0) @binding(0) var<storage, read> xsrc: array<f32>;
@group(0) @binding(1) var<storage, read> dsrc: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<atomic<u32>>;
@group(0) @binding(3) var<uniform> params: Params;

override WG: u32 = 64;

var<private> j0: u32;
var<private> col: u32;

// δ[s][j0 + jj … j0 + jj + 3], zero for samples ≥ n and rows ≥ outDim.
fn loadDelta4(s: u32, jj: u32) -> vec4f {
  var d = vec4f(0.0);
  if (s < params.n) {
    let o = params.dOffset + s * params.dStride + j0 + jj;
    let m = params.outDim - min(j0 + jj, params.outDim);
    for (var t = 0u; t < 4u; t++) {
      if (t < m) { d[t] = dsrc[o + t]; }
    }
  }
  return d;
}

// x[s][col + 8u], u < 4, with s and the columns clamped into range (their products are either
// multiplied by δ = 0 or discarded).
fn loadX4(s: u32) -> vec4f {
  let o = params.xOffset + min(s, params.n - 1u) * params.xStride;
  let last = params.inDim - 1u;
  return vec4f(xsrc[o + min(col, last)], xsrc[o + min(col + 8u, last)],
               xsrc[o + min(col + 16u, last)], xsrc[o + min(col + 24u, last)]);
}

// acc[t] += δ_t · x for the 8 rows t (dA holds rows 0-3, dB rows 4-7).
fn accumulate(acc: ptr<function, array<vec4f, 8>>, x: vec4f, dA: vec4f, dB: vec4f) {
  (*acc)[0] = fma(vec4f(dA.x), x, (*acc)[0]);
  (*acc)[1] = fma(vec4f(dA.y), x, (*acc)[1]);
  (*acc)[2] = fma(vec4f(dA.z), x, (*acc)[2]);
  (*acc)[3] = fma(vec4f(dA.w), x, (*acc)[3]);
  (*acc)[4] = fma(vec4f(dB.x), x, (*acc)[4]);
  (*acc)[5] = fma(vec4f(dB.y), x, (*acc)[5]);
  (*acc)[6] = fma(vec4f(dB.z), x, (*acc)[6]);
  (*acc)[7] = fma(vec4f(dB.w), x, (*acc)[7]);
}

// Adds row j0 + t of the tile (4 columns) to the weight gradient.
fn flushRow(t: u32, v: vec4f) {
  let j = j0 + t;
  if (j >= params.outDim) { return; }
  for (var u = 0u; u < 4u; u++) {
    let i = col + 8u * u;
    if (i < params.inDim) { atomic_add_f32(&grad[params.paramOffset + j * params.inDim + i], v[u]); }
  }
}

fn flushBias(dA: vec4f, dB: vec4f) {
  let b = params.paramOffset + params.outDim * params.inDim + j0;
  for (var t = 0u; t < 4u; t++) {
    if (j0 + t < params.outDim) { atomic_add_f32(&grad[b + t], dA[t]); }
    if (j0 + 4u + t < params.outDim) { atomic_add_f32(&grad[b + 4u + t], dB[t]); }
  }
}

@compute @workgroup_size(WG)
//!if SUBGROUPS
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(subgroup_invocation_id) sgLane: u32) {
//!else
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
//!endif
  let item = gid.x + gid.y * nwg.x * WG;
  let l = item & 7u;
  let group = item >> 3u;
  let g = group % params.colGroups;
  let tiles = params.colGroups * params.rowTiles;
  j0 = ((group / params.colGroups) % params.rowTiles) * 8u;
  col = g * 32u + l;
  // Lanes past `count` (the last workgroup's padding) get a chunk past n: all their δ are zero.
  let start = (group / tiles) * params.chunk;
  var acc: array<vec4f, 8>;
  var sumA = vec4f(0.0);
  var sumB = vec4f(0.0);
  // The trip count is uniform (params.chunk), so every lane takes part in the subgroup operations.
  for (var b = 0u; b < params.chunk; b += 8u) {
    let base = start + b;
//!if SUBGROUPS
    let dA = loadDelta4(base + sgLane, 0u);
    let dB = loadDelta4(base + sgLane, 4u);
    sumA += dA;
    sumB += dB;
    accumulate(&acc, loadX4(base + 0u), subgroupBroadcast(dA, 0u), subgroupBroadcast(dB, 0u));
    accumulate(&acc, loadX4(base + 1u), subgroupBroadcast(dA, 1u), subgroupBroadcast(dB, 1u));
    accumulate(&acc, loadX4(base + 2u), subgroupBroadcast(dA, 2u), subgroupBroadcast(dB, 2u));
    accumulate(&acc, loadX4(base + 3u), subgroupBroadcast(dA, 3u), subgroupBroadcast(dB, 3u));
    accumulate(&acc, loadX4(base + 4u), subgroupBroadcast(dA, 4u), subgroupBroadcast(dB, 4u));
    accumulate(&acc, loadX4(base + 5u), subgroupBroadcast(dA, 5u), subgroupBroadcast(dB, 5u));
    accumulate(&acc, loadX4(base + 6u), subgroupBroadcast(dA, 6u), subgroupBroadcast(dB, 6u));
    accumulate(&acc, loadX4(base + 7u), subgroupBroadcast(dA, 7u), subgroupBroadcast(dB, 7u));
//!else
    for (var r = 0u; r < 8u; r++) {
      let dA = loadDelta4(base + r, 0u);
      let dB = loadDelta4(base + r, 4u);
      sumA += dA;
      sumB += dB;
      accumulate(&acc, loadX4(base + r), dA, dB);
    }
//!endif
  }
//!if SUBGROUPS
  sumA = subgroupAdd(sumA);
  sumB = subgroupAdd(sumB);
//!endif
  if (item >= params.count) { return; }
  flushRow(0u, acc[0]);
  flushRow(1u, acc[1]);
  flushRow(2u, acc[2]);
  flushRow(3u, acc[3]);
  flushRow(4u, acc[4]);
  flushRow(5u, acc[5]);
  flushRow(6u, acc[6]);
  flushRow(7u, acc[7]);
  if (g == 0u && l == 0u) { flushBias(sumA, sumB); }
}
