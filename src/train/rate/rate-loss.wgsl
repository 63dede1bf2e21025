// Training-time rate estimate (docs/CONTEXT-MODEL.md §5, eq. 24-26), step 4: the bits of each drawn row,
// their gradients, and the per-level estimate. Two entry points share these bindings and Params.
//
// main — one invocation per row r (level li = r / S_l, entry θ index e = rows[r]), for each feature d,
// with b = [θ_{e+d} ≥ 0] (the binarized feature) and the level's weight w = λ·E_l / (S_l·F·ΣE):
//   coarse 3-D level (li < ctxFirst): p = v_+(li) (already in [2^-16, 1 − 2^-16]);
//   η_c / η_dim row: z = logits[zo + d], p = sigmoid(clamp(z, −ZMAX, ZMAX)), ZMAX = ln((1−ε)/ε),
//     ε = PROB_EPS, i.e. p = clamp(sigmoid z, ε, 1 − ε);
//   bits_d     = −b·log2 p − (1−b)·log2(1−p)                    (eq. 25; softplus form, no 1 − p cancellation)
//   dlogits    = w·(p − b)/ln 2, or 0 where |z| > ZMAX (the clamp is flat there)   → the MLP's dOutput
//   grad[e+d] += w·(−log2(p/(1−p))/2)·[|θ| ≤ 1]                   (atomic f32 add, atomic-add.wgsl)
// The θ gradient is d bits/d b · d b/d φ with b = (φ+1)/2 relaxed to a continuous value, passed through
// the straight-through estimator of sgn masked to |θ| ≤ 1 (the grid's own backward rule); the context
// inputs are constants (no gradient into coarser levels or v_+). rowBits[r] = Σ_d bits_d.
// reduce_main — one invocation per level: stats[2nL + li] = (E_l/S_l)·Σ_{rows of li} rowBits (f32, in
// row order), the level's estimated bits.
// Bindings: theta, rows (θ index of each row's feature 0), weights (per level: w/λ, E_l/S_l), logits
// (η_c outputs at 0, η_dim outputs at dimOffset; F per row), stats (rate-freq.wgsl layout), dlogits
// (same layout as logits), grad (dL/dθ as f32 bits, accumulated), rowBits.
// Pipeline constants: WG, F.
//!include "../../gpu/atomic-add.wgsl"

struct Params {
  count: u32,
  rowsPerLevel: u32,
  nLevels: u32,
  levels3: u32,
  ctxFirst: u32,
  dimOffset: u32,
  lambda: f32,
  zmax: f32,
}
@group(0) @binding(0) var<storage, read> theta: array<f32>;
@group(0) @binding(1) var<storage, read> rows: array<u32>;
@group(0) @binding(2) var<storage, read> weights: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> logits: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<u32>;
@group(0) @binding(5) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(6) var<storage, read_write> grad: array<atomic<u32>>;
@group(0) @binding(7) var<storage, read_write> rowBits: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;

override WG: u32 = 64;
override F: u32 = 2;
const LN2: f32 = 0.6931471805599453;

fn sigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
// ln(1 + e^x) without overflow.
fn softplus(x: f32) -> f32 { return max(x, 0.0) + log(1.0 + exp(-abs(x))); }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= params.count) { return; }
  let S = params.rowsPerLevel;
  let li = r / S;
  let e = rows[r];
  let w = params.lambda * weights[li].x;
  var total = 0.0;
  if (li < params.ctxFirst) {
    let v = bitcast<f32>(stats[params.nLevels + li]);
    let gtheta = -w * (log(v) - log(1.0 - v)) / (2.0 * LN2);
    for (var d = 0u; d < F; d++) {
      let th = theta[e + d];
      total += -log2(select(1.0 - v, v, th >= 0.0));
      if (abs(th) <= 1.0) { atomic_add_f32(&grad[e + d], gtheta); }
    }
  } else {
    var zo = 0u;
    if (li < params.levels3) { zo = (r - params.ctxFirst * S) * F; } else { zo = params.dimOffset + (r - params.levels3 * S) * F; }
    for (var d = 0u; d < F; d++) {
      let th = theta[e + d];
      let one = th >= 0.0;
      let z = logits[zo + d];
      let zc = clamp(z, -params.zmax, params.zmax);
      // b = 1: −log2 σ(zc) = softplus(−zc)/ln 2, p − b = −σ(−zc); b = 0: softplus(zc)/ln 2, p − b = σ(zc).
      total += softplus(select(zc, -zc, one)) / LN2;
      let pb = select(sigmoid(zc), -sigmoid(-zc), one);
      dlogits[zo + d] = select(w * pb / LN2, 0.0, abs(z) > params.zmax);
      if (abs(th) <= 1.0) { atomic_add_f32(&grad[e + d], -w * zc / (2.0 * LN2)); }
    }
  }
  rowBits[r] = total;
}

@compute @workgroup_size(WG)
fn reduce_main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let li = gid.x + gid.y * nwg.x * WG;
  if (li >= params.nLevels) { return; }
  let S = params.rowsPerLevel;
  var sum = 0.0;
  for (var k = li * S; k < (li + 1u) * S; k++) { sum += rowBits[k]; }
  stats[2u * params.nLevels + li] = bitcast<u32>(sum * weights[li].y);
}
