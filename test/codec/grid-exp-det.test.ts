/**
 * expDet / sigmoidDet (docs/CONTEXT-MODEL.md §3.6): accuracy against Math.exp, symmetry, clamping,
 * and a few golden values (bit-exact: the functions must give the same bits everywhere).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expDet, sigmoidDet } from '../../src/codec/grid/exp-det.ts';

test('expDet is within 1e-14 (relative) of Math.exp on [−40, 0]', () => {
  let worst = 0;
  for (let i = 0; i <= 400_000; i++) {
    const x = -40 * (i / 400_000) - (i % 7) * 1e-7 * (i > 0 ? 1 : 0);
    const xe = Math.max(x, -40);
    const rel = Math.abs(expDet(xe) - Math.exp(xe)) / Math.exp(xe);
    if (rel > worst) worst = rel;
  }
  assert.ok(worst < 1e-14, `worst relative error ${worst}`);
  assert.equal(expDet(0), 1);
  assert.equal(expDet(-0), 1);
});

test('expDet clamps below −40 and rejects positive or NaN inputs', () => {
  assert.equal(expDet(-41), expDet(-40));
  assert.equal(expDet(-1e300), expDet(-40));
  assert.equal(expDet(-Infinity), expDet(-40));
  assert.throws(() => expDet(1e-9), RangeError);
  assert.throws(() => expDet(Number.NaN), RangeError);
});

test('sigmoidDet is symmetric, monotone and close to the logistic function', () => {
  let prev = 0;
  for (let i = -4000; i <= 4000; i++) {
    const z = i / 100;
    const s = sigmoidDet(z);
    assert.ok(Math.abs(s + sigmoidDet(-z) - 1) <= 2.3e-16, `symmetry at ${z}`);
    assert.ok(Math.abs(s - 1 / (1 + Math.exp(-z))) <= 1e-15, `value at ${z}`);
    assert.ok(s >= prev, `monotone at ${z}`);
    prev = s;
  }
  assert.equal(sigmoidDet(0), 0.5);
  assert.ok(sigmoidDet(1000) === 1 && sigmoidDet(-1000) > 0);
  assert.throws(() => sigmoidDet(Number.NaN), RangeError);
});

test('golden values (bit-exact)', () => {
  // Computed once with this implementation; a change of the formula or its evaluation order changes
  // probabilities and so breaks streams already written.
  assert.equal(expDet(-1), 0.36787944117144233);
  assert.equal(expDet(-0.5), 0.6065306597126334);
  assert.equal(expDet(-12.345), 0.000004351456244655325);
  assert.equal(expDet(-40), 4.248354255291589e-18);
  assert.equal(sigmoidDet(2), 0.8807970779778823);
  assert.equal(sigmoidDet(-3.25), 0.037326887344129464);
});
