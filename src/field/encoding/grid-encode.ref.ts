/**
 * float64 twin of grid-encode.wgsl (forward) and grid-encode-bwd.wgsl (backward): multi-resolution
 * trilinear (3-D levels) and bilinear (xy/xz/yz planes) interpolation of the grid table, written for
 * reading, not speed. Cell choice follows the GPU exactly: positions are rounded to f32 (what the GPU
 * is given), clamped to [0,1], and x·N_l is rounded to f32 before taking the cell, so both sides pick
 * the same cell; the interpolation weights are then computed in float64.
 *
 * Binarized features (GridEncodingConfig.binarize; BiRF, eq. 16 and 20-21) are the `binarize` option
 * of both functions: the forward interpolates sgn θ ({@link binarizeFeature}), the backward applies the
 * straight-through estimator masked to |θ| ≤ 1 ({@link binaryFeatureGrad}), as BINARY_FEATURE_READ in
 * grid-encode.ts does on the GPU.
 */
import { HASH_PRIMES, type GridLayout, type GridLevel } from './grid-config.ts';

/** Entry index (within the level) of the vertex with integer coordinates `v` (one per axis of the level). */
export function vertexEntry(level: GridLevel, v: readonly number[]): number {
  if (level.dense) {
    let e = 0;
    let stride = 1;
    for (const c of v) {
      e += c * stride;
      stride *= level.verticesPerAxis;
    }
    return e;
  }
  let h = 0;
  v.forEach((c, d) => {
    h ^= Math.imul(c, HASH_PRIMES[d]!);
  });
  return (h >>> 0) % level.entries;
}

/**
 * Calls `visit(entry, weight)` for the 2^dims vertices around position (x, y, z) at `level`, where
 * `entry` is the level-local entry index. Vertices with weight 0 are visited too.
 */
export function levelCorners(level: GridLevel, pos: readonly [number, number, number], visit: (entry: number, weight: number) => void): void {
  const N = level.resolution;
  const cell: number[] = [];
  const frac: number[] = [];
  for (const a of level.axes) {
    const x = Math.min(1, Math.max(0, Math.fround(pos[a]!)));
    const s = Math.fround(x * N);
    const c = Math.min(Math.floor(s), N - 1);
    cell.push(c);
    frac.push(s - c);
  }
  const corners = 1 << level.dims;
  const v = new Array<number>(level.dims);
  for (let k = 0; k < corners; k++) {
    let w = 1;
    for (let d = 0; d < level.dims; d++) {
      const bit = (k >> d) & 1;
      v[d] = cell[d]! + bit;
      w *= bit ? frac[d]! : 1 - frac[d]!;
    }
    visit(vertexEntry(level, v), w);
  }
}

/** sgn θ of eq. 16: +1 when θ ≥ 0 (−0 included), −1 otherwise (NaN included, as the GPU's select). */
export function binarizeFeature(theta: number): number {
  return theta >= 0 ? 1 : -1;
}

/**
 * The straight-through estimator of sgn, masked to |θ| ≤ 1: dL/dθ = g where |θ| ≤ 1 (bounds included),
 * 0 elsewhere (NaN included). It is the derivative of the hard tanh clamp(θ, −1, 1) applied to g.
 */
export function binaryFeatureGrad(theta: number, g: number): number {
  return Math.abs(theta) <= 1 ? g : 0;
}

/** Options of the twin. */
export interface GridRefOptions {
  /** Binarized features (GridEncodingConfig.binarize): forward sgn θ, backward masked STE. Default false. */
  binarize?: boolean;
}

function position(positions: ArrayLike<number>, n: number): [number, number, number] {
  return [positions[4 * n]!, positions[4 * n + 1]!, positions[4 * n + 2]!];
}

/**
 * Forward: features[n·D + featureOffset + f] = Σ_vertices w · table[paramOffset + entry·F + f]
 * (with `opts.binarize`, Σ_vertices w · sgn table[…]).
 * @param positions N × 4 (xyz, w ignored), as the GPU's `array<vec4<f32>>`.
 * @returns N × D features, sample-major.
 */
export function gridEncodeRef(
  layout: GridLayout, table: ArrayLike<number>, positions: ArrayLike<number>, n: number, opts: GridRefOptions = {},
): Float64Array {
  const F = layout.featuresPerLevel;
  const D = layout.outputDim;
  const read = opts.binarize ? (i: number): number => binarizeFeature(table[i]!) : (i: number): number => table[i]!;
  const out = new Float64Array(n * D);
  for (let s = 0; s < n; s++) {
    const p = position(positions, s);
    for (const level of layout.levels) {
      const o = s * D + level.featureOffset;
      levelCorners(level, p, (e, w) => {
        const base = level.paramOffset + e * F;
        for (let f = 0; f < F; f++) out[o + f] += w * read(base + f);
      });
    }
  }
  return out;
}

/**
 * Backward: dL/dtable[paramOffset + entry·F + f] += Σ_samples w · dL/dfeatures[n·D + featureOffset + f].
 * With `opts.binarize` each term passes through {@link binaryFeatureGrad} of θ = `opts.table`[…], so
 * entries with |θ| > 1 get nothing. Accumulates into `grad` (allocated zeroed when omitted) and returns it.
 * @throws TypeError when `opts.binarize` is set without `opts.table`.
 */
export function gridEncodeBackwardRef(
  layout: GridLayout, positions: ArrayLike<number>, dOut: ArrayLike<number>, n: number, grad = new Float64Array(layout.paramCount),
  opts: GridRefOptions & { table?: ArrayLike<number> } = {},
): Float64Array {
  const F = layout.featuresPerLevel;
  const D = layout.outputDim;
  const table = opts.table;
  if (opts.binarize && (!table || table.length < layout.paramCount)) {
    throw new TypeError(`gridEncodeBackwardRef: opts.table must hold the ${layout.paramCount} parameters θ when opts.binarize is set (the STE mask reads them)`);
  }
  const dTheta = opts.binarize ? (i: number, g: number): number => binaryFeatureGrad(table![i]!, g) : (_i: number, g: number): number => g;
  for (let s = 0; s < n; s++) {
    const p = position(positions, s);
    for (const level of layout.levels) {
      const o = s * D + level.featureOffset;
      levelCorners(level, p, (e, w) => {
        const base = level.paramOffset + e * F;
        for (let f = 0; f < F; f++) grad[base + f] += dTheta(base + f, w * dOut[o + f]!);
      });
    }
  }
  return grad;
}
