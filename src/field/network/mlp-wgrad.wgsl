// MLP backward pass, part 2: weight and bias gradients of one layer, ACCUMULATED into `grad`:
//   grad[W_k[j][i]] += Σ_n δ[n][j]·x[n][i],   grad[b_k[j]] += Σ_n δ[n][j]
// where x is the layer's input (the copy of the network input for layer 0, else the previous layer's
// activations) and δ its pre-activation gradient (mlp-bwd's `deltas`, or its copy of dL/dy for the
// output layer), both in the quad layout of mlp-fwd.wgsl: one vec4 holds one unit of 4 consecutive
// samples, so every read here moves 4 floats (on lavapipe a read at a per-lane address is a loop over
// the 8 lanes; the quad layout made this kernel 1.4x faster than row-major rows).
//

// Work split: the samples are cut into chunks of `chunk` (a multiple of 8); a group of 8 consecutive
// invocations ("lanes") owns one (chunk, tile) pair, where a tile is 16 rows j0 … j0+15 by 16 columns;
// lane l owns the columns col = 16·g + l and col + 8, and keeps the 16×2 partial sums in registers
// (acc[t]) while it walks the chunk two quads (8 samples) at a time. At the end it adds each partial
// sum to `grad` with one float atomic (a CAS loop): one atomic per weight per chunk, never per sample.
// The launcher picks `chunk` so that there are enough groups to fill the device. (Measured on
// lavapipe for a 48→64 layer: 16×16 tiles beat 8×32 by 2x and 16×32 / 32×16 by 1.3-1.5x; taller tiles
// read each x fewer times but run out of registers.)
//
// With SUBGROUPS (the 8 lanes of a group must be 8 consecutive lanes of one subgroup, as on lavapipe
// whose subgroups are exactly 8 consecutive invocations) lane l reads δ of rows j0 + 2l and j0 + 2l + 1
// for both quads, and subgroupBroadcast(·, l) hands them to every lane; each lane also sums the δ of
// its two rows for the bias gradient. Without SUBGROUPS every lane reads all 16 rows itself (the same
// addresses across the group, cheap on a hardware GPU) and lane 0 of column group 0 adds the biases.
//
// Bindings:
//   xsrc    layer input in the quad layout: quad t, column i at xsrc[xOffset + t·inDim + i].
//   dsrc    δ in the quad layout: quad t, row j at dsrc[dOffset + t·outDim + j].
//   grad    f32 bit patterns of the gradient, same layout as the parameters; W_k at paramOffset,
//           b_k at paramOffset + outDim·inDim.
//   params  count = 8·groups (lanes); n samples (those past n in the last quad are masked); layer
//           shape; colGroups = ⌈inDim/16⌉, rowTiles = ⌈outDim/16⌉, chunk (samples, multiple of 8).
//!if SUBGROUPS
enable subgroups;
//!endif
//!include "../../gpu/atomic-add.wgsl"

struct Params {
  count: u32,
  n: u32,
  inDim: u32,
  outDim: u32,
  xOffset: u32,
  dOffset: u32,
  paramOffset: u32,
  colGroups: u32,
  rowTiles: u32,
  chunk: u32,
}
@group(0) @binding(0) var<storage, read> xsrc: array<vec4f>;
@group(0) @binding(1) var<storage, read> dsrc: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> grad: array<atomic<u32>>;
@group(0) @binding(3) var<uniform> params: Params;

override WG: u32 = 64;

var<private> j0: u32;
var<private> col: u32;

// δ of row j for quad q, zero for the samples ≥ n (the quad is clamped to the last one, whose samples
// past n are copies of sample n − 1).
fn loadD(q: u32, j: u32) -> vec4f {
  let d = dsrc[params.dOffset + min(q, (params.n - 1u) / 4u) * params.outDim + j];
  return select(vec4f(0.0), d, vec4u(4u * q) + vec4u(0u, 1u, 2u, 3u) < vec4u(params.n));
}

// x of column i for quad q (clamped; its δ is then zero, and x stays finite).
fn loadX(q: u32, i: u32) -> vec4f {
  return xsrc[params.xOffset + min(q, (params.n - 1u) / 4u) * params.inDim + i];
}

// acc[t] += Σ_s d[s]·(xa[s], xb[s]) over the 4 samples s of one quad (xa: column col, xb: col + 8).
fn accumulate(acc: ptr<function, array<vec2f, 16>>, t: u32, d: vec4f, xa: vec4f, xb: vec4f) {
  var a = (*acc)[t];
  a = fma(vec2f(d.x), vec2f(xa.x, xb.x), a);
  a = fma(vec2f(d.y), vec2f(xa.y, xb.y), a);
  a = fma(vec2f(d.z), vec2f(xa.z, xb.z), a);
  a = fma(vec2f(d.w), vec2f(xa.w, xb.w), a);
  (*acc)[t] = a;
}

// Adds row j0 + t of the tile (columns col, col + 8) to the weight gradient.
fn flushRow(t: u32, v: vec2f) {
  let j = j0 + t;
  if (j >= params.outDim) { return; }
  let w = params.paramOffset + j * params.inDim;
  if (col < params.inDim) { atomic_add_f32(&grad[w + col], v.x); }
  if (col + 8u < params.inDim) { atomic_add_f32(&grad[w + col + 8u], v.y); }
}

// Adds Σ (the 4 components of s) to the bias gradient of row j, if it exists.
fn flushBias(j: u32, s: vec4f) {
  if (j < params.outDim) { atomic_add_f32(&grad[params.paramOffset + params.outDim * params.inDim + j], s.x + s.y + s.z + s.w); }
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
  j0 = ((group / params.colGroups) % params.rowTiles) * 16u;
  col = g * 16u + l;
  // Lanes past `count` (the last workgroup's padding) get a chunk past n: all their δ are zero.
  let start = (group / tiles) * params.chunk;
  // Columns and rows clamped into range: the extra ones only feed sums that are never flushed.
  let ca = min(col, params.inDim - 1u);
  let cb = min(col + 8u, params.inDim - 1u);
  let zero = nwg.z - 1u;   // 0 at run time, opaque to the compiler (so it does not unroll loops)
  var acc: array<vec2f, 16>;
//!if SUBGROUPS
  let je = j0 + 2u * sgLane;
  let ja = min(je, params.outDim - 1u);
  let jb = min(je + 1u, params.outDim - 1u);
  var sumA = vec4f(0.0);
  var sumB = vec4f(0.0);
//!else
  var sums: array<vec4f, 16>;
//!endif
  // The trip count is uniform (params.chunk), so every lane takes part in the subgroup operations.
  for (var b = 0u; b < params.chunk; b += 8u) {
    let q = (start + b) / 4u;
    let xa0 = loadX(q, ca);
    let xb0 = loadX(q, cb);
    let xa1 = loadX(q + 1u, ca);
    let xb1 = loadX(q + 1u, cb);
//!if SUBGROUPS
    let a0 = loadD(q, ja);
    let b0 = loadD(q, jb);
    let a1 = loadD(q + 1u, ja);
    let b1 = loadD(q + 1u, jb);
    sumA += a0 + a1;
    sumB += b0 + b1;
    accumulate(&acc, 0u, subgroupBroadcast(a0, 0u), xa0, xb0);
    accumulate(&acc, 0u, subgroupBroadcast(a1, 0u), xa1, xb1);
    accumulate(&acc, 1u, subgroupBroadcast(b0, 0u), xa0, xb0);
    accumulate(&acc, 1u, subgroupBroadcast(b1, 0u), xa1, xb1);
    accumulate(&acc, 2u, subgroupBroadcast(a0, 1u), xa0, xb0);
    accumulate(&acc, 2u, subgroupBroadcast(a1, 1u), xa1, xb1);
    accumulate(&acc, 3u, subgroupBroadcast(b0, 1u), xa0, xb0);
    accumulate(&acc, 3u, subgroupBroadcast(b1, 1u), xa1, xb1);
    accumulate(&acc, 4u, subgroupBroadcast(a0, 2u), xa0, xb0);
    accumulate(&acc, 4u, subgroupBroadcast(a1, 2u), xa1, xb1);
    accumulate(&acc, 5u, subgroupBroadcast(b0, 2u), xa0, xb0);
    accumulate(&acc, 5u, subgroupBroadcast(b1, 2u), xa1, xb1);
    accumulate(&acc, 6u, subgroupBroadcast(a0, 3u), xa0, xb0);
    accumulate(&acc, 6u, subgroupBroadcast(a1, 3u), xa1, xb1);
    accumulate(&acc, 7u, subgroupBroadcast(b0, 3u), xa0, xb0);
    accumulate(&acc, 7u, subgroupBroadcast(b1, 3u), xa1, xb1);
    accumulate(&acc, 8u, subgroupBroadcast(a0, 4u), xa0, xb0);
    accumulate(&acc, 8u, subgroupBroadcast(a1, 4u), xa1, xb1);
    accumulate(&acc, 9u, subgroupBroadcast(b0, 4u), xa0, xb0);
    accumulate(&acc, 9u, subgroupBroadcast(b1, 4u), xa1, xb1);
    accumulate(&acc, 10u, subgroupBroadcast(a0, 5u), xa0, xb0);
    accumulate(&acc, 10u, subgroupBroadcast(a1, 5u), xa1, xb1);
    accumulate(&acc, 11u, subgroupBroadcast(b0, 5u), xa0, xb0);
    accumulate(&acc, 11u, subgroupBroadcast(b1, 5u), xa1, xb1);
    accumulate(&acc, 12u, subgroupBroadcast(a0, 6u), xa0, xb0);
    accumulate(&acc, 12u, subgroupBroadcast(a1, 6u), xa1, xb1);
    accumulate(&acc, 13u, subgroupBroadcast(b0, 6u), xa0, xb0);
    accumulate(&acc, 13u, subgroupBroadcast(b1, 6u), xa1, xb1);
    accumulate(&acc, 14u, subgroupBroadcast(a0, 7u), xa0, xb0);
    accumulate(&acc, 14u, subgroupBroadcast(a1, 7u), xa1, xb1);
    accumulate(&acc, 15u, subgroupBroadcast(b0, 7u), xa0, xb0);
    accumulate(&acc, 15u, subgroupBroadcast(b1, 7u), xa1, xb1);
//!else
    for (var t = 0u; t < 16u; t++) {
      let j = min(j0 + t, params.outDim - 1u);
      let d0 = loadD(q, j);
      let d1 = loadD(q + 1u, j);
      sums[t] += d0 + d1;
      accumulate(&acc, t, d0, xa0, xb0);
      accumulate(&acc, t, d1, xa1, xb1);
    }
//!endif
  }
  if (item >= params.count) { return; }
  // Flushed through run-time loops over a copy: one CAS loop in the code instead of 32 (each inlined
  // atomic_add_f32 cost lavapipe ~0.1 s of compile time), and acc itself stays in registers.
  let tile = acc;
  for (var t = zero; t < 16u; t++) { flushRow(t, tile[t]); }
  if (g == 0u) {
//!if SUBGROUPS
    flushBias(je, sumA);
    flushBias(je + 1u, sumB);
//!else
    if (l == 0u) {
      for (var t = zero; t < 16u; t++) { flushBias(j0 + t, sums[t]); }
    }
//!endif
  }
}
