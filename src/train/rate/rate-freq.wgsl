// Training-time rate estimate (docs/CONTEXT-MODEL.md §5), step 1: the per-level frequencies and the
// occupied-cell counts the row sampler (rate-context.wgsl) draws from. Two entry points share these
// bindings and Params:
//
// count_main — invocations 0 … thetaChunks−1 count the 1-bits (θ ≥ 0, −0 included, as the binarized
//   grid reads sgn θ) of θ: workgroup g covers the `chunk` parameters from g·chunk on, its lane lid the
//   parameters g·chunk + lid + k·WG, so that neighbouring lanes read neighbouring floats (measured on
//   lavapipe, CPU preset: 2-3× faster than one contiguous run per invocation). A chunk may straddle level
//   boundaries (levels are contiguous in θ); each lane finds its first level with a linear scan of the
//   level metadata and adds its partial counts to ones[level] with one u32 atomicAdd per level it
//   touches. Invocations thetaChunks … thetaChunks+blocks−1 each popcount BLOCK_WORDS words of the
//   occupancy bitfield into cells[block] (plain store: one writer per block).
// finalize_main — one invocation: v_+(l) = clamp(ones_l / (F·E_l), 2^-16, 1 − 2^-16) for every level
//   (the coder's q/65536 range of §2, unquantised: an f32 division, within 2.5 ulp), and the in-place
//   exclusive prefix sum of the block counts with the total at cells[blocks], so a row can pick the
//   k-th occupied cell with a binary search.
//
// stats (u32 words, nL = number of levels; RatePlan.statsWords in rate.ts):
//   [0, nL)                ones per level (atomic; cleared by the launcher before count_main)
//   [nL, 2nL)              v_+ per level, f32 bit patterns (finalize_main)
//   [2nL, 3nL)             estimated bits per level, f32 bit patterns (rate-loss.wgsl reduce_main)
//   [3nL, 3nL + blocks]    occupied cells per block, then their exclusive prefix sum and the total
// Bindings: levels (struct Level per level, grid-level.wgsl), theta (θ), occupancy (G³ bits), stats.
// Pipeline constants: WG, BLOCK_WORDS (OCC_BLOCK_WORDS in rate.ts).
//!include "../../field/encoding/grid-level.wgsl"

struct Params {
  count: u32,
  thetaChunks: u32, // invocations counting θ: WG · ceil(paramCount / chunk)
  chunk: u32,       // θ parameters per workgroup (a multiple of WG)
  paramCount: u32,
  nLevels: u32,
  blocks: u32,
  words: u32,
}
@group(0) @binding(0) var<storage, read> levels: array<Level>;
@group(0) @binding(1) var<storage, read> theta: array<f32>;
@group(0) @binding(2) var<storage, read> occupancy: array<u32>;
@group(0) @binding(3) var<storage, read_write> stats: array<atomic<u32>>;
@group(0) @binding(4) var<uniform> params: Params;

override WG: u32 = 64;
override BLOCK_WORDS: u32 = 64u;
const VPLUS_MIN: f32 = 1.0 / 65536.0;

// One past the last parameter of level li.
fn level_end(li: u32) -> u32 {
  if (li + 1u >= params.nLevels) { return params.paramCount; }
  return levels[li + 1u].param_off;
}

@compute @workgroup_size(WG)
fn count_main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  if (i < params.thetaChunks) {
    let wg = i / WG;
    let lid = i - wg * WG;
    let start = wg * params.chunk;
    let end = min(start + params.chunk, params.paramCount);
    var li = 0u;
    loop {
      if (li + 1u >= params.nLevels || levels[li + 1u].param_off > start) { break; }
      li++;
    }
    var next = level_end(li);
    var ones = 0u;
    for (var k = start + lid; k < end; k += WG) {
      loop {
        if (k < next) { break; }
        if (ones != 0u) { atomicAdd(&stats[li], ones); }
        ones = 0u;
        li++;
        next = level_end(li);
      }
      ones += select(0u, 1u, theta[k] >= 0.0);
    }
    if (ones != 0u) { atomicAdd(&stats[li], ones); }
  } else {
    let b = i - params.thetaChunks;
    let w0 = b * BLOCK_WORDS;
    let w1 = min(w0 + BLOCK_WORDS, params.words);
    var n = 0u;
    for (var w = w0; w < w1; w++) { n += countOneBits(occupancy[w]); }
    atomicStore(&stats[3u * params.nLevels + b], n);
  }
}

@compute @workgroup_size(WG)
fn finalize_main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i != 0u) { return; }
  let nl = params.nLevels;
  for (var li = 0u; li < nl; li++) {
    let n = f32(level_end(li) - levels[li].param_off);
    let v = clamp(f32(atomicLoad(&stats[li])) / n, VPLUS_MIN, 1.0 - VPLUS_MIN);
    atomicStore(&stats[nl + li], bitcast<u32>(v));
  }
  let base = 3u * nl;
  var acc = 0u;
  for (var b = 0u; b < params.blocks; b++) {
    let c = atomicLoad(&stats[base + b]);
    atomicStore(&stats[base + b], acc);
    acc += c;
  }
  atomicStore(&stats[base + params.blocks], acc);
}
