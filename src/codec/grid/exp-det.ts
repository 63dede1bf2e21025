/**
 * Deterministic exp and sigmoid for the grid-feature context models (docs/CONTEXT-MODEL.md §3.6).
 *
 * The coder's probabilities must be bit-identical in the encoder and the decoder on every machine,
 * but ECMAScript leaves the accuracy of `Math.exp` to the implementation. These functions use only
 * `+ − × /`, `Math.round` and `Math.min`/`Math.max` (all exactly specified for IEEE-754 float64), in a
 * fixed order, so every conforming engine returns the same bits:
 *
 *     expDet(x), x ≤ 0:  x < −40 → −40;
 *                        n = round(x · log2 e);
 *                        r = (x − n · ln2_hi) − n · ln2_lo          (Cody-Waite reduction, |r| ≤ ln2/2)
 *                        s = Σ_{k=0}^{13} r^k / k!                   (Horner form)
 *                        result = s · 2^n                            (2^n from a table of exact halvings)
 *     sigmoid(z) = z ≥ 0 ? 1 / (1 + expDet(−z)) : e / (1 + e), e = expDet(z)
 *
 * Accuracy: the degree-13 Taylor remainder on |r| ≤ 0.347 is below 1e-17 relative; the result is
 * within a few ulp of e^x (test/codec/grid-exp-det.test.ts checks < 1e-14 relative on [−40, 0]).
 */

/** log2(e) as a float64. */
const LOG2E = 1.4426950408889634;
/** High part of ln 2 (few significant bits, so n · LN2_HI is exact for |n| ≤ 58). */
const LN2_HI = 0.6931471803691238;
/** Low part of ln 2: ln 2 − LN2_HI. */
const LN2_LO = 1.9082149292705877e-10;
/** Inputs below this are treated as it (e^−40 ≈ 4e−18 is far below any probability the coder can use). */
const X_MIN = -40;
/** Degree of the Taylor polynomial. */
const DEGREE = 13;

/**
 * 1/k! for k = 0…13, each the correctly rounded float64 quotient of 1 by the exact integer k!
 * (k! < 2^53 is exact in float64, and IEEE division is correctly rounded: the same values as the
 * literals `1 / 6227020800` etc.).
 */
const INV_FACT: Float64Array = (() => {
  const c = new Float64Array(DEGREE + 1);
  let f = 1;
  for (let k = 0; k <= DEGREE; k++) {
    if (k > 0) f *= k;
    c[k] = 1 / f;
  }
  return c;
})();

/** 2^−k for k = 0…64, by repeated exact halving of 1. */
const POW2_NEG: Float64Array = (() => {
  const t = new Float64Array(65);
  let v = 1;
  for (let k = 0; k <= 64; k++) {
    t[k] = v;
    v = v / 2;
  }
  return t;
})();

/**
 * e^x for x ≤ 0, deterministic across engines (§3.6). Inputs below −40 return e^−40.
 * @throws RangeError when x > 0 or x is NaN (the coder never asks for these).
 */
export function expDet(x: number): number {
  if (!(x <= 0)) throw new RangeError(`expDet: x must be a number ≤ 0, got ${String(x)}`);
  if (x < X_MIN) x = X_MIN;
  const n = Math.round(x * LOG2E);
  const r = x - n * LN2_HI - n * LN2_LO;
  const c = INV_FACT;
  let s = c[DEGREE]!;
  for (let k = DEGREE - 1; k >= 0; k--) s = c[k]! + r * s;
  // n ∈ [−58, 0]; −n indexes 2^n.
  return s * POW2_NEG[-n]!;
}

/**
 * The logistic function 1 / (1 + e^−z), deterministic across engines (§3.6); symmetric:
 * sigmoidDet(−z) = 1 − sigmoidDet(z) up to float64 rounding.
 * @throws RangeError when z is NaN.
 */
export function sigmoidDet(z: number): number {
  if (z >= 0) return 1 / (1 + expDet(-z));
  const e = expDet(z);
  return e / (1 + e);
}
