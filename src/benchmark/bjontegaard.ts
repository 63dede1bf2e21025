/**
 * Bjøntegaard deltas between two rate-distortion curves: BD-rate (average rate difference at equal
 * quality, percent) and BD-quality (average quality difference at equal rate, dB; BD-PSNR when the
 * quality is PSNR, and equally valid for PSNR-CENTER or any other metric in dB).
 *
 * Both are the mean vertical distance between two interpolated curves over the interval where both
 * curves have data. With `A` the anchor (reference) and `T` the test curve:
 *
 *   BD-rate:    x = quality (dB), y = log10(rate)
 *               ΔR = (10^((∫_lo^hi y_T dx − ∫_lo^hi y_A dx) / (hi − lo)) − 1) · 100 %
 *   BD-quality: x = log10(rate), y = quality (dB)
 *               ΔQ = (∫_lo^hi y_T dx − ∫_lo^hi y_A dx) / (hi − lo) dB
 *
 *   [lo, hi] = [max(min x_A, min x_T), min(max x_A, max x_T)]  (the overlap; never extrapolated)
 *
 * A negative BD-rate means the test needs fewer bits for the same quality; a positive BD-quality means
 * the test is better at the same rate. The logarithm's base does not matter: both interpolants are
 * equivariant under scaling of x and y, so 10^(mean Δlog10 R) = e^(mean Δln R).
 *
 * Interpolation (`method`):
 * - `'pchip'` (default): monotone piecewise cubic Hermite interpolation through the points sorted by
 *   x (Fritsch & Carlson 1980). Interior slopes are the weighted harmonic mean of the neighbouring
 *   secant slopes, `(w1 + w2) / (w1/δ_{k−1} + w2/δ_k)` with `w1 = 2h_k + h_{k−1}`, `w2 = h_k + 2h_{k−1}`,
 *   and 0 where the secants change sign or one is 0; end slopes use the one-sided three-point formula
 *   `((2h_0 + h_1)δ_0 − h_0δ_1) / (h_0 + h_1)`, set to 0 when its sign differs from δ_0 and clamped to
 *   3δ_0 when δ_0 and δ_1 differ in sign (SciPy's `PchipInterpolator`; on monotone data this is the
 *   JCT-VC/JVET common-test-condition Excel sheet, which has no 3δ clamp). Two points give the line.
 *   The integral is exact: on a segment with s = x − x_k, y = y_k + d_k s + c_k s² + b_k s³ with
 *   c_k = (3δ_k − 2d_k − d_{k+1}) / h_k and b_k = (d_k − 2δ_k + d_{k+1}) / h_k², integrated term by
 *   term between the clamped ends. Needs 2 or more distinct x per curve.
 * - `'cubic'`: the original VCEG-M33 model, one least-squares cubic polynomial per curve (an exact
 *   interpolant for 4 points), integrated exactly over the same overlap. Needs 4 or more distinct x.
 *   The fit runs on x centred and scaled to [−1, 1] by Householder QR, so it is well conditioned.
 *
 * Input handling: points may come in any order (they are sorted by x). Points sharing an x value
 * exactly (equal quality for BD-rate, equal rate for BD-quality) are merged into one whose y is the
 * mean of theirs (mean log10-rate, or mean quality), and a note says so. A curve whose rate does not
 * increase with quality at every step is still computed (PCHIP after sorting), with a note. Values
 * that make the delta undefined give `value: null` and a `reason`: too few distinct points, a rate
 * that is not positive and finite, a quality that is not finite (e.g. `Infinity` for a lossless
 * point), or no overlap of positive width. Malformed input (not an array, a point without numeric
 * `rate`/`quality`, NaN, an unknown method) throws a `TypeError` naming the field. All arithmetic
 * is float64.
 *
 * References:
 * - G. Bjøntegaard, "Calculation of average PSNR differences between RD-curves", ITU-T SG16/Q6
 *   VCEG-M33, Austin, April 2001 (cubic fit of log-rate vs PSNR and PSNR vs log-rate).
 * - G. Bjøntegaard, VCEG-AL22, 2009: piecewise cubic interpolation in place of the single cubic.
 * - F. Bossen, "Common HM test conditions and software reference configurations", JCTVC-L1100, 2013,
 *   and "VTM common test conditions …", JVET-T2010, 2020: the CTC Excel sheets computing BD-rate by
 *   piecewise cubic Hermite interpolation.
 * - FAU-LMS `bjontegaard` Python package (github.com/FAU-LMS/bjontegaard, BSD-3-Clause):
 *   `method='pchip'` (SciPy `PchipInterpolator(...).integrate` over the overlap) and `method='cubic'`
 *   (`numpy.polyfit(..., 3)`), both matched here; C. Herglotz et al., "Beyond Bjøntegaard: limits of
 *   video compression performance comparisons", ICIP 2022.
 * - F. N. Fritsch, R. E. Carlson, "Monotone piecewise cubic interpolation", SIAM J. Numer. Anal.
 *   17(2), 1980.
 */

/** One measured point of a rate-distortion curve. */
export interface RdSample {
  /** Rate in any positive unit shared by both curves (bpp, kbit/s, bytes). */
  readonly rate: number;
  /** Quality in dB (PSNR, PSNR-CENTER, …); higher is better. */
  readonly quality: number;
}

/** A rate-distortion curve: its points in any order. */
export type RdCurve = readonly RdSample[];

/** Interpolation model; see the module doc. */
export type BdMethod = 'pchip' | 'cubic';

/** Options of {@link bdRate} and {@link bdQuality}. */
export interface BdOptions {
  /** Interpolation model; default `'pchip'`. */
  method?: BdMethod;
}

/** A Bjøntegaard delta and what it was computed on. */
export interface BdResult {
  /** BD-rate in percent (for {@link bdRate}) or BD-quality in dB (for {@link bdQuality}); null when undefined, see `reason`. */
  value: number | null;
  method: BdMethod;
  /**
   * The integration axis: `'quality'` for BD-rate (interval in dB), `'rate'` for BD-quality (interval
   * in the input's rate unit; integrated over log10 of it).
   */
  axis: 'quality' | 'rate';
  /** The overlap [lo, hi] integrated over, in the axis's unit; null when a curve is unusable or there is no overlap. */
  interval: readonly [number, number] | null;
  /**
   * Fraction 0..1 of each curve's own range on the axis (log10 for rate) that `interval` covers;
   * null when a curve is unusable. 0 when the ranges do not overlap.
   */
  coverage: { anchor: number; test: number } | null;
  /** Distinct points each curve contributed (after merging equal x); null for a curve that is unusable. */
  points: { anchor: number | null; test: number | null };
  /** Why `value` is null; absent otherwise. */
  reason?: string;
  /** Caveats that did not prevent the computation (duplicates merged, non-monotone curve). */
  notes: string[];
}

/** An interpolant on a closed domain; evaluating or integrating outside it throws (never extrapolates). */
export interface Interpolant {
  /** [min x, max x] of the data. */
  readonly domain: readonly [number, number];
  /** The interpolated value at x. @throws RangeError outside `domain`. */
  at(x: number): number;
  /** The exact integral from a to b (negative when b < a). @throws RangeError outside `domain`. */
  integral(a: number, b: number): number;
}

const MIN_POINTS: Record<BdMethod, number> = { pchip: 2, cubic: 4 };

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'an array' : typeof v;
}

function validateCurve(curve: unknown, name: string): RdCurve {
  if (!Array.isArray(curve)) throw new TypeError(`${name} must be an array of { rate, quality } points (got ${describe(curve)})`);
  for (let i = 0; i < curve.length; i++) {
    const p: unknown = curve[i];
    if (typeof p !== 'object' || p === null) {
      throw new TypeError(`${name}[${i}] must be an object { rate, quality } (got ${describe(p)})`);
    }
    for (const key of ['rate', 'quality'] as const) {
      const v = (p as Record<string, unknown>)[key];
      if (typeof v !== 'number' || Number.isNaN(v)) {
        throw new TypeError(`${name}[${i}].${key} must be a number, not NaN (got ${describe(v)})`);
      }
    }
  }
  return curve as RdCurve;
}

function validateOptions(opts: unknown): BdMethod {
  if (opts === undefined) return 'pchip';
  if (typeof opts !== 'object' || opts === null) {
    throw new TypeError(`opts, when provided, must be an object (got ${describe(opts)})`);
  }
  const method = (opts as BdOptions).method;
  if (method === undefined) return 'pchip';
  if (method !== 'pchip' && method !== 'cubic') {
    throw new TypeError(`opts.method, when provided, must be 'pchip' or 'cubic' (got ${describe(method)})`);
  }
  return method;
}

function checkFinite(x: readonly number[], y: readonly number[], name: string): void {
  if (x.length !== y.length) throw new TypeError(`${name}: x and y must have the same length (${x.length} vs ${y.length})`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) {
      throw new TypeError(`${name}: x[${i}] and y[${i}] must be finite numbers`);
    }
    if (i > 0 && !(x[i] > x[i - 1])) {
      throw new TypeError(`${name}: x must be strictly increasing (x[${i}] = ${x[i]} after ${x[i - 1]})`);
    }
  }
}

function checkDomain(x: number, lo: number, hi: number): void {
  if (!(x >= lo && x <= hi)) throw new RangeError(`x = ${x} is outside the domain [${lo}, ${hi}]: no extrapolation`);
}

/** SciPy's one-sided three-point end slope (`PchipInterpolator`'s `_edge_case`). */
function pchipEndSlope(h0: number, h1: number, m0: number, m1: number): number {
  const d = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1);
  if (Math.sign(d) !== Math.sign(m0)) return 0;
  if (Math.sign(m0) !== Math.sign(m1) && Math.abs(d) > 3 * Math.abs(m0)) return 3 * m0;
  return d;
}

/**
 * Monotone piecewise cubic Hermite interpolant (PCHIP, SciPy `PchipInterpolator` end conditions)
 * through (x[i], y[i]); x strictly increasing, 2 or more points. The slopes are exposed for tests.
 * @throws TypeError on malformed data.
 */
export function pchipInterpolant(x: readonly number[], y: readonly number[]): Interpolant & { readonly slopes: Float64Array } {
  checkFinite(x, y, 'pchipInterpolant');
  const n = x.length;
  if (n < 2) throw new TypeError(`pchipInterpolant needs at least 2 points (got ${n})`);
  const xs = Float64Array.from(x);
  const ys = Float64Array.from(y);
  const h = new Float64Array(n - 1);
  const delta = new Float64Array(n - 1);
  for (let k = 0; k < n - 1; k++) {
    h[k] = xs[k + 1] - xs[k];
    delta[k] = (ys[k + 1] - ys[k]) / h[k];
  }
  const d = new Float64Array(n);
  if (n === 2) {
    d[0] = delta[0];
    d[1] = delta[0];
  } else {
    for (let k = 1; k < n - 1; k++) {
      const m0 = delta[k - 1];
      const m1 = delta[k];
      if (Math.sign(m0) !== Math.sign(m1) || m0 === 0 || m1 === 0) {
        d[k] = 0;
      } else {
        const w1 = 2 * h[k] + h[k - 1];
        const w2 = h[k] + 2 * h[k - 1];
        d[k] = (w1 + w2) / (w1 / m0 + w2 / m1);
      }
    }
    d[0] = pchipEndSlope(h[0], h[1], delta[0], delta[1]);
    d[n - 1] = pchipEndSlope(h[n - 2], h[n - 3], delta[n - 2], delta[n - 3]);
  }
  const lo = xs[0];
  const hi = xs[n - 1];
  // Segment k holding x: the last k with xs[k] <= x, capped at n - 2.
  const segment = (v: number): number => {
    let a = 0;
    let b = n - 2;
    while (a < b) {
      const m = (a + b + 1) >> 1;
      if (xs[m] <= v) a = m;
      else b = m - 1;
    }
    return a;
  };
  const c = (k: number): number => (3 * delta[k] - 2 * d[k] - d[k + 1]) / h[k];
  const b3 = (k: number): number => (d[k] - 2 * delta[k] + d[k + 1]) / (h[k] * h[k]);
  // ∫_{s0}^{s1} of segment k's cubic in s = x − x_k.
  const segmentIntegral = (k: number, s0: number, s1: number): number =>
    (s1 - s0) * ys[k] +
    ((s1 * s1 - s0 * s0) * d[k]) / 2 +
    ((s1 * s1 * s1 - s0 * s0 * s0) * c(k)) / 3 +
    ((s1 * s1 * s1 * s1 - s0 * s0 * s0 * s0) * b3(k)) / 4;
  const at = (v: number): number => {
    checkDomain(v, lo, hi);
    const k = segment(v);
    const s = v - xs[k];
    return ys[k] + s * (d[k] + s * (c(k) + s * b3(k)));
  };
  const integral = (a: number, b: number): number => {
    checkDomain(a, lo, hi);
    checkDomain(b, lo, hi);
    if (b < a) return -integral(b, a);
    let sum = 0;
    for (let k = segment(a); k < n - 1 && xs[k] < b; k++) {
      const s0 = Math.max(a, xs[k]) - xs[k];
      const s1 = Math.min(b, xs[k + 1]) - xs[k];
      if (s1 > s0) sum += segmentIntegral(k, s0, s1);
    }
    return sum;
  };
  return { domain: [lo, hi], slopes: d, at, integral };
}

/**
 * Least-squares cubic polynomial through (x[i], y[i]) (VCEG-M33), on [min x, max x]; x strictly
 * increasing, 4 or more points. Fitted in u = (x − centre) / halfWidth by Householder QR; the
 * coefficients of 1, u, u², u³ are exposed for tests.
 * @throws TypeError on malformed data.
 */
export function cubicFit(x: readonly number[], y: readonly number[]): Interpolant & { readonly coefficients: Float64Array } {
  checkFinite(x, y, 'cubicFit');
  const n = x.length;
  if (n < 4) throw new TypeError(`cubicFit needs at least 4 points (got ${n})`);
  const lo = x[0];
  const hi = x[n - 1];
  const centre = (lo + hi) / 2;
  const half = (hi - lo) / 2;
  // Column-major n×4 Vandermonde matrix in u, reduced in place by Householder reflections.
  const a = new Float64Array(n * 4);
  const rhs = Float64Array.from(y);
  for (let i = 0; i < n; i++) {
    const u = (x[i] - centre) / half;
    a[i] = 1;
    a[n + i] = u;
    a[2 * n + i] = u * u;
    a[3 * n + i] = u * u * u;
  }
  for (let j = 0; j < 4; j++) {
    let norm = 0;
    for (let i = j; i < n; i++) norm += a[j * n + i] * a[j * n + i];
    norm = Math.sqrt(norm);
    if (norm === 0) throw new TypeError('cubicFit: the abscissae are degenerate (rank < 4)');
    const alpha = a[j * n + j] > 0 ? -norm : norm;
    // v = column − alpha·e_j, stored over the column; H = I − 2vvᵀ/(vᵀv).
    a[j * n + j] -= alpha;
    let vv = 0;
    for (let i = j; i < n; i++) vv += a[j * n + i] * a[j * n + i];
    for (let col = j + 1; col < 4; col++) {
      let dot = 0;
      for (let i = j; i < n; i++) dot += a[j * n + i] * a[col * n + i];
      const f = (2 * dot) / vv;
      for (let i = j; i < n; i++) a[col * n + i] -= f * a[j * n + i];
    }
    let dot = 0;
    for (let i = j; i < n; i++) dot += a[j * n + i] * rhs[i];
    const f = (2 * dot) / vv;
    for (let i = j; i < n; i++) rhs[i] -= f * a[j * n + i];
    a[j * n + j] = alpha; // R's diagonal; the rest of the column is no longer needed
  }
  const coef = new Float64Array(4);
  for (let j = 3; j >= 0; j--) {
    let s = rhs[j];
    for (let col = j + 1; col < 4; col++) s -= a[col * n + j] * coef[col];
    coef[j] = s / a[j * n + j];
  }
  const value = (u: number): number => coef[0] + u * (coef[1] + u * (coef[2] + u * coef[3]));
  const primitive = (u: number): number => u * (coef[0] + u * (coef[1] / 2 + u * (coef[2] / 3 + (u * coef[3]) / 4)));
  return {
    domain: [lo, hi],
    coefficients: coef,
    at(v: number): number {
      checkDomain(v, lo, hi);
      return value((v - centre) / half);
    },
    integral(p: number, q: number): number {
      checkDomain(p, lo, hi);
      checkDomain(q, lo, hi);
      return half * (primitive((q - centre) / half) - primitive((p - centre) / half));
    },
  };
}

/** A curve prepared for integration: sorted distinct x, merged y; or why it cannot be used. */
interface Prepared {
  x: number[];
  y: number[];
  notes: string[];
  reason?: string;
}

/**
 * Maps a curve to (x, y) on the requested axis, sorts by x, merges equal x (mean y) and checks
 * monotonicity. `axis` is the integration axis: 'quality' → x = quality, y = log10(rate); 'rate' →
 * x = log10(rate), y = quality.
 */
function prepare(curve: RdCurve, name: string, axis: 'quality' | 'rate', minPoints: number, method: BdMethod): Prepared {
  const notes: string[] = [];
  for (let i = 0; i < curve.length; i++) {
    const { rate, quality } = curve[i];
    if (!(rate > 0) || !Number.isFinite(rate)) {
      return { x: [], y: [], notes, reason: `${name}[${i}].rate is ${rate}; rates must be positive and finite` };
    }
    if (!Number.isFinite(quality)) {
      const reason = `${name}[${i}].quality is ${quality}; qualities must be finite (cap or drop a lossless point)`;
      return { x: [], y: [], notes, reason };
    }
  }
  const pairs = curve.map((p) => {
    const lr = Math.log10(p.rate);
    return axis === 'quality' ? { x: p.quality, y: lr } : { x: lr, y: p.quality };
  });
  pairs.sort((p, q) => p.x - q.x || p.y - q.y);
  const x: number[] = [];
  const y: number[] = [];
  let merged = 0;
  for (let i = 0; i < pairs.length; ) {
    let j = i;
    let sum = 0;
    while (j < pairs.length && pairs[j].x === pairs[i].x) sum += pairs[j++].y;
    x.push(pairs[i].x);
    y.push(sum / (j - i));
    if (j - i > 1) merged += j - i;
    i = j;
  }
  if (merged > 0) {
    const what =
      axis === 'quality' ? 'a quality value; their log10-rates were averaged' : 'a rate value; their qualities were averaged';
    notes.push(`${name}: ${merged} points shared ${what}`);
  }
  for (let i = 1; i < y.length; i++) {
    if (!(y[i] > y[i - 1])) {
      notes.push(`${name}: not monotone (rate and quality do not both increase between sorted points ${i - 1} and ${i})`);
      break;
    }
  }
  if (x.length < minPoints) {
    const unit = axis === 'quality' ? 'quality values' : 'rate values';
    return { x, y, notes, reason: `${name} has ${x.length} distinct ${unit}; method '${method}' needs at least ${minPoints}` };
  }
  return { x, y, notes };
}

function bd(anchorIn: unknown, testIn: unknown, optsIn: unknown, axis: 'quality' | 'rate'): BdResult {
  const anchor = validateCurve(anchorIn, 'anchor');
  const test = validateCurve(testIn, 'test');
  const method = validateOptions(optsIn);
  const min = MIN_POINTS[method];
  const a = prepare(anchor, 'anchor', axis, min, method);
  const t = prepare(test, 'test', axis, min, method);
  const notes = [...a.notes, ...t.notes];
  const result: BdResult = {
    value: null,
    method,
    axis,
    interval: null,
    coverage: null,
    points: { anchor: a.reason === undefined ? a.x.length : null, test: t.reason === undefined ? t.x.length : null },
    notes,
  };
  if (a.reason !== undefined || t.reason !== undefined) {
    result.reason = [a.reason, t.reason].filter((r) => r !== undefined).join('; ');
    return result;
  }
  const aLo = a.x[0];
  const aHi = a.x[a.x.length - 1];
  const tLo = t.x[0];
  const tHi = t.x[t.x.length - 1];
  const lo = Math.max(aLo, tLo);
  const hi = Math.min(aHi, tHi);
  const width = Math.max(0, hi - lo);
  result.coverage = { anchor: width / (aHi - aLo), test: width / (tHi - tLo) };
  const show = (v: number): string => (axis === 'quality' ? `${v.toFixed(4)} dB` : `${Number((10 ** v).toPrecision(6))}`);
  if (!(hi > lo)) {
    result.reason =
      `no overlap on the ${axis} axis: anchor spans [${show(aLo)}, ${show(aHi)}], test [${show(tLo)}, ${show(tHi)}]`;
    return result;
  }
  result.interval = axis === 'quality' ? [lo, hi] : [endRate(anchor, test, 'lo'), endRate(anchor, test, 'hi')];
  const fit = method === 'pchip' ? pchipInterpolant : cubicFit;
  const ia = fit(a.x, a.y).integral(lo, hi);
  const it = fit(t.x, t.y).integral(lo, hi);
  const mean = (it - ia) / (hi - lo);
  result.value = axis === 'quality' ? (10 ** mean - 1) * 100 : mean;
  return result;
}

/** The overlap's end in the input's own rate unit (exact, not 10^log10). */
function endRate(anchor: RdCurve, test: RdCurve, end: 'lo' | 'hi'): number {
  const rates = (c: RdCurve): number[] => c.map((p) => p.rate);
  return end === 'lo'
    ? Math.max(Math.min(...rates(anchor)), Math.min(...rates(test)))
    : Math.min(Math.max(...rates(anchor)), Math.max(...rates(test)));
}

/**
 * BD-rate of `test` against `anchor`, percent: the mean rate difference at equal quality over the
 * overlap of their quality ranges (negative: the test needs fewer bits). See the module doc.
 * @throws TypeError on malformed curves or options; undefined deltas give `value: null` and a reason.
 */
export function bdRate(anchor: RdCurve, test: RdCurve, opts?: BdOptions): BdResult {
  return bd(anchor, test, opts, 'quality');
}

/**
 * BD-quality of `test` against `anchor`, dB: the mean quality difference at equal rate over the overlap
 * of their log-rate ranges (positive: the test is better). BD-PSNR when quality is PSNR; the same
 * for PSNR-CENTER or any metric in dB. See the module doc.
 * @throws TypeError on malformed curves or options; undefined deltas give `value: null` and a reason.
 */
export function bdQuality(anchor: RdCurve, test: RdCurve, opts?: BdOptions): BdResult {
  return bd(anchor, test, opts, 'rate');
}

/** Alias of {@link bdQuality} under the usual name when the quality is PSNR. */
export const bdPsnr = bdQuality;

/** The ranges of two curves on one axis and their overlap; see {@link overlap}. */
export interface CurveOverlap {
  /** `'quality'` (dB) or `'rate'` (the input's unit; coverage measured in log10). */
  axis: 'quality' | 'rate';
  /** [min, max] of the anchor on the axis. */
  anchor: readonly [number, number];
  /** [min, max] of the test on the axis. */
  test: readonly [number, number];
  /** [max of mins, min of maxes] when it has positive width, else null. */
  interval: readonly [number, number] | null;
  /** Fraction 0..1 of each curve's range (log10 for rate) that the overlap covers; 0 without overlap (and for a one-point range). */
  coverage: { anchor: number; test: number };
}

function rangeOf(curve: RdCurve, name: string, axis: 'quality' | 'rate'): [number, number] {
  if (curve.length === 0) throw new RangeError(`${name} has no points`);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < curve.length; i++) {
    const v = axis === 'quality' ? curve[i].quality : curve[i].rate;
    if (!Number.isFinite(v) || (axis === 'rate' && !(v > 0))) {
      throw new RangeError(`${name}[${i}].${axis} is ${v}; it must be finite${axis === 'rate' ? ' and positive' : ''}`);
    }
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return [lo, hi];
}

/**
 * The overlap of two curves' ranges on the quality axis (where BD-rate integrates) or the rate axis
 * (where BD-quality integrates), and how much of each range it covers. A runner uses it to decide
 * whether an anchor's range must be extended before the BD figures mean anything.
 * @throws TypeError on malformed curves; RangeError on an empty curve, a non-finite value on the
 * axis, or a non-positive rate on the rate axis.
 */
export function overlap(anchor: RdCurve, test: RdCurve, axis: 'quality' | 'rate'): CurveOverlap {
  validateCurve(anchor, 'anchor');
  validateCurve(test, 'test');
  if (axis !== 'quality' && axis !== 'rate') throw new TypeError(`axis must be 'quality' or 'rate' (got ${describe(axis)})`);
  const a = rangeOf(anchor, 'anchor', axis);
  const t = rangeOf(test, 'test', axis);
  const lo = Math.max(a[0], t[0]);
  const hi = Math.min(a[1], t[1]);
  const f = axis === 'quality' ? (v: number): number => v : Math.log10;
  const width = hi > lo ? f(hi) - f(lo) : 0;
  const cover = (r: [number, number]): number => (r[1] > r[0] ? Math.min(1, width / (f(r[1]) - f(r[0]))) : 0);
  return { axis, anchor: a, test: t, interval: hi > lo ? [lo, hi] : null, coverage: { anchor: cover(a), test: cover(t) } };
}

/** Options of {@link needsExtension}. */
export interface ExtensionOptions {
  /** Shortfall in dB tolerated at each end before an extension is asked for; default 0. */
  tolerance?: number;
}

/**
 * On which side the anchor's quality range fails to cover the test's, so a runner can add anchor
 * points there: `'higher'` when the anchor's best quality is below the test's (add lower-CRF points),
 * `'lower'` when its worst quality is above the test's (add higher-CRF points), `'both'` when both,
 * null when the anchor covers the test's range (within `tolerance` dB). Covering the whole range
 * makes BD-rate integrate over all of the test's curve rather than a part of it.
 * @throws TypeError on malformed curves or options; RangeError on an empty curve or a non-finite quality.
 */
export function needsExtension(anchor: RdCurve, test: RdCurve, opts: ExtensionOptions = {}): 'lower' | 'higher' | 'both' | null {
  validateCurve(anchor, 'anchor');
  validateCurve(test, 'test');
  const tol = opts.tolerance ?? 0;
  if (typeof tol !== 'number' || !(tol >= 0) || !Number.isFinite(tol)) {
    throw new TypeError(`opts.tolerance, when provided, must be a finite number >= 0 (got ${describe(opts.tolerance)})`);
  }
  const a = rangeOf(anchor, 'anchor', 'quality');
  const t = rangeOf(test, 'test', 'quality');
  const lower = a[0] > t[0] + tol;
  const higher = a[1] < t[1] - tol;
  return lower && higher ? 'both' : lower ? 'lower' : higher ? 'higher' : null;
}
