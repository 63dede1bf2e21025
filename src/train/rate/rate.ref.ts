/**
 * float64 twins of the rate-estimate kernels (rate-freq.wgsl, rate-context.wgsl, rate-loss.wgsl),
 * written for reading, not speed. The random draws follow the GPU exactly (the same counter-based RNG,
 * rng.ts, and the same exact integer and f32 conversions), so a row picks the same cell, vertex and
 * entry on both sides; the context values, probabilities and bits are then computed in float64 with
 * the formulas of docs/CONTEXT-MODEL.md §3.2, §3.3 and §5, and the GPU differs by f32 rounding only.
 */
import { pcgHash, rand01 } from '../../render/rng.ts';
import { vertexEntry } from '../../field/encoding/grid-encode.ref.ts';
import type { GridLayout } from '../../field/encoding/grid-config.ts';
import { CONTEXT_LEVELS, PROB_EPS } from '../../codec/grid/context-config.ts';

/** v_+ is kept in [VPLUS_MIN, 1 − VPLUS_MIN], the range of the coder's q/65536 (§2). */
export const VPLUS_MIN = 1 / 65536;

/** The RNG seed of the rows drawn at `step` (the `seed` Param of rate-context.wgsl). */
export function rateStepSeed(seed: number, step: number): number {
  return pcgHash((seed ^ pcgHash(step >>> 0)) >>> 0);
}

/** rate-freq.wgsl: the 1-bits (θ ≥ 0) of every level over all its entries, and v_+ = clamp(ones/(F·E), 2^-16, 1 − 2^-16). */
export function levelFrequencyRef(layout: GridLayout, theta: ArrayLike<number>): { ones: Float64Array; vplus: Float64Array } {
  const F = layout.featuresPerLevel;
  const ones = new Float64Array(layout.levels.length);
  const vplus = new Float64Array(layout.levels.length);
  layout.levels.forEach((l, i) => {
    let n = 0;
    for (let k = l.paramOffset; k < l.paramOffset + l.entries * F; k++) if (theta[k]! >= 0) n++;
    ones[i] = n;
    vplus[i] = Math.min(Math.max(n / (F * l.entries), VPLUS_MIN), 1 - VPLUS_MIN);
  });
  return { ones, vplus };
}

/** The occupied cells of a G³ bitfield, in cell order. */
export function occupiedCells(bits: Uint32Array, grid: number): Uint32Array {
  const out: number[] = [];
  for (let c = 0; c < grid ** 3; c++) if ((bits[c >>> 5]! >>> (c & 31)) & 1) out.push(c);
  return Uint32Array.from(out);
}

/** What the twin of a row needs. */
export interface RateRowInputs {
  layout: GridLayout;
  /** S_l. */
  rowsPerLevel: number;
  /** Occupancy resolution G and its bitfield. */
  grid: number;
  occupancy: Uint32Array;
  /** θ. */
  theta: ArrayLike<number>;
  /** v_+ per level (e.g. {@link levelFrequencyRef}). */
  vplus: ArrayLike<number>;
  /** PV of the planes xy, xz, yz, (N*+1)²·F floats each; zeros when omitted. */
  projection?: { xy: ArrayLike<number>; xz: ArrayLike<number>; yz: ArrayLike<number> };
  /** The step seed ({@link rateStepSeed}). */
  seed: number;
}

/** One drawn row. */
export interface RateRowRef {
  /** Level index in layout order. */
  level: number;
  /** The occupancy cell drawn. */
  cell: number;
  /** The vertex (one coordinate per axis of the level). */
  vertex: number[];
  /** Its entry within the level. */
  entry: number;
  /** θ index of the entry's feature 0. */
  paramIndex: number;
  /** Which model codes it: the level's frequency (coarse 3-D levels), η_c or η_dim. */
  model: 'freq' | 'level' | 'dim';
  /** Row within that model's inputs (−1 for 'freq'). */
  modelRow: number;
  /** The context input row (3F+1 or 4F+1 values), null for 'freq'. */
  input: Float64Array | null;
}

const phiOf = (theta: ArrayLike<number>, i: number): number => (theta[i]! >= 0 ? 1 : -1);

/**
 * The interpolated φ (§3.2 / §3.3) of `lj` at vertex `v` of a level of resolution `nl`: per axis
 * x = v_a·N_j/N_l, c = min(floor x, N_j − 1), t = x − c; corners in order, weights multiplied in axis order.
 */
function interpolatePhi(layout: GridLayout, theta: ArrayLike<number>, lj: number, v: readonly number[], nl: number, out: Float64Array, o: number): void {
  const level = layout.levels[lj]!;
  const F = layout.featuresPerLevel;
  const nj = level.resolution;
  const c: number[] = [];
  const t: number[] = [];
  for (const va of v) {
    const x = (va * nj) / nl;
    const ca = Math.min(Math.floor(x), nj - 1);
    c.push(ca);
    t.push(x - ca);
  }
  const corner = new Array<number>(v.length);
  for (let k = 0; k < 1 << v.length; k++) {
    let w = 1;
    for (let a = 0; a < v.length; a++) {
      const bit = (k >> a) & 1;
      corner[a] = c[a]! + bit;
      w *= bit ? t[a]! : 1 - t[a]!;
    }
    const e = level.paramOffset + vertexEntry(level, corner) * F;
    for (let d = 0; d < F; d++) out[o + d]! += w * phiOf(theta, e + d);
  }
}

/** The level cell, at resolution n, of the point (c + h/65536)/G along one axis (exact). */
function levelCell(c: number, h: number, n: number, g: number): number {
  return Math.min(Math.floor(((c * 65536 + h) * n) / (g * 65536)), n - 1);
}

/** rate-context.wgsl: every row (rows = levels·S_l, contiguous blocks per level in layout order). */
export function rateRowsRef(inp: RateRowInputs): RateRowRef[] {
  const { layout, rowsPerLevel: S, grid: g, theta, seed } = inp;
  const F = layout.featuresPerLevel;
  const L = layout.hash.levels;
  const ctxFirst = Math.min(CONTEXT_LEVELS, L);
  const nStar = layout.levels[L - 1]!.resolution;
  const occ = occupiedCells(inp.occupancy, g);
  const n3 = g ** 3;
  const rows: RateRowRef[] = [];
  for (let r = 0; r < layout.levels.length * S; r++) {
    const li = Math.floor(r / S);
    const lv = layout.levels[li]!;
    const cell = occ.length === 0
      ? Math.min(Math.floor(Math.fround(rand01(seed, r, 0) * Math.fround(n3))), n3 - 1)
      : occ[Math.min(Math.floor(Math.fround(rand01(seed, r, 0) * Math.fround(occ.length))), occ.length - 1)]!;
    const c3 = [cell % g, Math.floor(cell / g) % g, Math.floor(cell / (g * g))];
    const h = [1, 2, 3].map((k) => Math.floor(rand01(seed, r, k) * 65536));
    const corners = 1 << lv.dims;
    const corner = Math.floor(rand01(seed, r, 4) * corners);
    const vertex = lv.axes.map((a, i) => levelCell(c3[a]!, h[a]!, lv.resolution, g) + ((corner >> i) & 1));
    const entry = vertexEntry(lv, vertex);
    const row: RateRowRef = { level: li, cell, vertex, entry, paramIndex: lv.paramOffset + entry * F, model: 'freq', modelRow: -1, input: null };
    if (lv.dims === 3 && li >= ctxFirst) {
      row.model = 'level';
      row.modelRow = r - ctxFirst * S;
      const x = new Float64Array(3 * F + 1);
      for (let j = 1; j <= 3; j++) interpolatePhi(layout, theta, li - j, vertex, lv.resolution, x, (j - 1) * F);
      x[3 * F] = inp.vplus[li]!;
      row.input = x;
    } else if (lv.dims === 2) {
      row.model = 'dim';
      row.modelRow = r - L * S;
      const x = new Float64Array(4 * F + 1);
      const m = Math.floor((li - L) / 3);
      for (let j = 1; j <= 3; j++) if (m - j >= 0) interpolatePhi(layout, theta, li - 3 * j, vertex, lv.resolution, x, (j - 1) * F);
      const M = lv.resolution;
      const A = Math.floor((2 * vertex[0]! * nStar + M) / (2 * M));
      const B = Math.floor((2 * vertex[1]! * nStar + M) / (2 * M));
      const pv = inp.projection?.[(['xy', 'xz', 'yz'] as const)[(li - L) % 3]!];
      for (let d = 0; d < F; d++) x[3 * F + d] = pv ? pv[(A + B * (nStar + 1)) * F + d]! : 0;
      x[4 * F] = inp.vplus[li]!;
      row.input = x;
    }
    rows.push(row);
  }
  return rows;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/**
 * One feature's bits (eq. 25) and their derivatives, with b ∈ [0, 1] (b = (φ+1)/2, continuous here so
 * the derivatives can be checked by finite differences):
 * - model row (`z` a number): p = clamp(sigmoid z, ε, 1 − ε), dz = d bits/dz = (p − b)/ln 2, 0 where clamped;
 * - coarse level (`z` null): p = `vplus`, dz = 0;
 * bits = −b·log2 p − (1 − b)·log2(1 − p); dphi = d bits/dφ = −log2(p/(1 − p))/2 (the θ gradient before
 * the straight-through mask).
 */
export function featureBitsRef(z: number | null, vplus: number, b: number): { bits: number; dz: number; dphi: number; p: number } {
  // p and q = 1 − p, each from its own sigmoid, so that log2(1 − p) keeps its precision when p → 1.
  let p = vplus;
  let q = 1 - vplus;
  let clamped = true;
  if (z !== null) {
    const s = sigmoid(z);
    clamped = s < PROB_EPS || s > 1 - PROB_EPS;
    p = Math.min(Math.max(s, PROB_EPS), 1 - PROB_EPS);
    q = Math.min(Math.max(sigmoid(-z), PROB_EPS), 1 - PROB_EPS);
  }
  const bits = -b * Math.log2(p) - (1 - b) * Math.log2(q);
  // p − b = p·(1 − b) − q·b
  return { bits, dz: clamped ? 0 : (p * (1 - b) - q * b) / Math.LN2, dphi: -Math.log2(p / q) / 2, p };
}

/** What {@link rateLossRef} returns. */
export interface RateLossRef {
  /** Σ_d bits per row. */
  rowBits: Float64Array;
  /** dL/dz per row and feature (rows·F; 0 for coarse-level rows, which have no logits). */
  dz: Float64Array;
  /** dL/dθ of the rate term alone (paramCount). */
  grad: Float64Array;
  /** B_l = E_l/S_l·Σ_rows bits. */
  perLevel: Float64Array;
  /** Σ_l B_l / (F·ΣE). */
  bitsPerParam: number;
}

/**
 * rate-loss.wgsl: bits, dL/dz = w·d bits/dz and the scattered dL/dθ = w·dphi·[|θ| ≤ 1] with
 * w = λ·E_l/(S_l·F·ΣE), for the rows `rows` (θ index in paramIndex) and the logits `logitsOf(r)` (F
 * values, used for rows whose model is not 'freq').
 */
export function rateLossRef(
  layout: GridLayout, rowsPerLevel: number, rows: readonly Pick<RateRowRef, 'level' | 'paramIndex' | 'model'>[],
  logitsOf: (r: number) => ArrayLike<number>, theta: ArrayLike<number>, vplus: ArrayLike<number>, lambda: number,
): RateLossRef {
  const F = layout.featuresPerLevel;
  const rowBits = new Float64Array(rows.length);
  const dz = new Float64Array(rows.length * F);
  const grad = new Float64Array(layout.paramCount);
  const perLevel = new Float64Array(layout.levels.length);
  rows.forEach((row, r) => {
    const El = layout.levels[row.level]!.entries;
    const w = (lambda * El) / (rowsPerLevel * F * layout.entryCount);
    const z = row.model === 'freq' ? null : logitsOf(r);
    for (let d = 0; d < F; d++) {
      const th = theta[row.paramIndex + d]!;
      const f = featureBitsRef(z ? z[d]! : null, vplus[row.level]!, th >= 0 ? 1 : 0);
      rowBits[r]! += f.bits;
      dz[r * F + d] = w * f.dz;
      if (Math.abs(th) <= 1) grad[row.paramIndex + d]! += w * f.dphi;
    }
    perLevel[row.level]! += (El / rowsPerLevel) * rowBits[r]!;
  });
  return { rowBits, dz, grad, perLevel, bitsPerParam: perLevel.reduce((a, b) => a + b, 0) / layout.paramCount };
}
