/** Shared test helpers: one GPU context per test process, seeded randoms, tolerant comparisons. */
import { acquireGpu, type GpuContext } from '../../src/gpu/device.ts';
import { mulberry32 } from '../../src/util/mulberry32.ts';

let ctx: Promise<GpuContext> | undefined;
/** The test process's device (lavapipe on CI). Uncaptured errors surface through ctx.check(). */
export function testGpu(): Promise<GpuContext> {
  ctx ??= acquireGpu();
  return ctx;
}

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export const rng = mulberry32;

export function randomArray(n: number, r: () => number, lo = -1, hi = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

/** Sentinel used to fill output buffers so no test relies on zero-initialisation (as Brush does). */
export const SENTINEL = -12345;

/**
 * Compares `actual` with `expected` element-wise with |a − e| ≤ atol + rtol·max|e|.
 * NaN/Inf are checked first. `allowFraction` tolerates that fraction of outliers (tiny-cuda-nn's
 * practice for hash-grid gradients, which are piecewise constant and flip at cell boundaries).
 * Collects all failures and throws one error listing the worst few.
 */
export function assertClose(
  actual: ArrayLike<number>, expected: ArrayLike<number>, what: string,
  tol: { atol?: number; rtol?: number; allowFraction?: number } = {},
): void {
  const { atol = 1e-5, rtol = 1e-4, allowFraction = 0 } = tol;
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} ≠ ${expected.length}`);
  let maxAbs = 0;
  for (let i = 0; i < expected.length; i++) maxAbs = Math.max(maxAbs, Math.abs(expected[i]!));
  const limit = atol + rtol * maxAbs;
  const bad: { i: number; a: number; e: number; d: number }[] = [];
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!Number.isFinite(a)) {
      bad.push({ i, a, e, d: Infinity });
      continue;
    }
    const d = Math.abs(a - e);
    if (d > limit) bad.push({ i, a, e, d });
  }
  const nonFinite = bad.some((b) => b.d === Infinity);
  if (nonFinite || bad.length > allowFraction * expected.length) {
    bad.sort((x, y) => y.d - x.d);
    const rows = bad.slice(0, 6).map((b) => `  [${b.i}] got ${b.a}, want ${b.e} (|Δ| ${b.d.toExponential(2)})`).join('\n');
    throw new Error(`${what}: ${bad.length}/${expected.length} elements off by more than ${limit.toExponential(2)} (atol ${atol} + rtol ${rtol}·max ${maxAbs.toExponential(2)})\n${rows}`);
  }
}

/** Central finite differences of a scalar function at x (each coordinate in turn). */
export function finiteDiff(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6, indices?: number[]): Float64Array {
  const g = new Float64Array(x.length);
  for (const i of indices ?? [...x.keys()]) {
    const x0 = x[i]!;
    x[i] = x0 + h;
    const fp = f(x);
    x[i] = x0 - h;
    const fm = f(x);
    x[i] = x0;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}
