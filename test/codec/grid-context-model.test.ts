/**
 * ContextModel (docs/CONTEXT-MODEL.md §3.2): the float64 evaluation order (bias first, then Σ in
 * order), ReLU hidden layers, sigmoidDet and the probability clamp, against a plain reference.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contextMlpConfig, PROB_EPS } from '../../src/codec/grid/context-config.ts';
import { contextModelParamCount, createContextModel } from '../../src/codec/grid/context-model.ts';
import { sigmoidDet } from '../../src/codec/grid/exp-det.ts';
import { mlpLayerOffsets, mlpParamCount } from '../../src/field/network/mlp-config.ts';
import { mulberry32 } from '../../src/util/mulberry32.ts';

/** Straightforward reference: arrays of numbers, the order of §3.2. */
function reference(kind: 'level' | 'dim', F: number, params: Float32Array, x: number[]): { z: number[]; p: number[] } {
  let a = x;
  for (const l of mlpLayerOffsets(contextMlpConfig(kind, F))) {
    const y: number[] = [];
    for (let o = 0; o < l.out; o++) {
      let s = params[l.biasOffset + o]!;
      for (let i = 0; i < l.in; i++) s = s + params[l.weightOffset + o * l.in + i]! * a[i]!;
      y.push(l.relu ? Math.max(0, s) : s);
    }
    a = y;
  }
  return { z: a, p: a.map((z) => Math.min(Math.max(sigmoidDet(z), PROB_EPS), 1 - PROB_EPS)) };
}

function randomParams(kind: 'level' | 'dim', F: number, seed: number, scale = 1): Float32Array {
  const r = mulberry32(seed);
  const p = new Float32Array(contextModelParamCount(kind, F));
  for (let i = 0; i < p.length; i++) p[i] = (2 * r() - 1) * scale * 0.5;
  return p;
}

test('parameter counts follow the MLP layout', () => {
  assert.equal(contextModelParamCount('level', 2), mlpParamCount({ inputDim: 7, width: 32, hiddenLayers: 2, outputDim: 2 }));
  assert.equal(contextModelParamCount('dim', 2), 9 * 32 + 32 + 32 * 32 + 32 + 32 * 2 + 2);
});

test('evaluate equals the plain reference bit for bit', () => {
  for (const kind of ['level', 'dim'] as const) {
    for (const F of [1, 2, 4]) {
      const params = randomParams(kind, F, 11 * F + (kind === 'dim' ? 1 : 0));
      const m = createContextModel(kind, F, params);
      const r = mulberry32(5);
      const out = new Float64Array(F + 1);
      for (let n = 0; n < 200; n++) {
        const x: number[] = [];
        for (let i = 0; i < m.inputDim; i++) x.push(2 * r() - 1);
        m.input.set(x);
        m.evaluate(out, 1);
        const ref = reference(kind, F, params, x);
        for (let d = 0; d < F; d++) {
          assert.equal(out[1 + d], ref.p[d], `${kind} F=${F} row ${n} d=${d}`);
          assert.ok(Math.abs(out[1 + d]! - 1 / (1 + Math.exp(-ref.z[d]!))) < 1e-12 || ref.p[d] === PROB_EPS || ref.p[d] === 1 - PROB_EPS);
        }
      }
    }
  }
});

test('outputs are clamped to [PROB_EPS, 1 − PROB_EPS]', () => {
  const F = 2;
  const params = new Float32Array(contextModelParamCount('level', F));
  const last = mlpLayerOffsets(contextMlpConfig('level', F)).at(-1)!;
  params[last.biasOffset] = 100;
  params[last.biasOffset + 1] = -100;
  const m = createContextModel('level', F, params);
  const out = new Float64Array(F);
  m.evaluate(out, 0);
  assert.equal(out[0], 1 - PROB_EPS);
  assert.equal(out[1], PROB_EPS);
});

test('rejects parameters of the wrong size or non-finite values', () => {
  assert.throws(() => createContextModel('level', 2, new Float32Array(10)), /createContextModel: the level-wise context model η_c \(7 → 32 → 32 → 2\) has 1378 parameters, got 10/);
  const p = new Float32Array(contextModelParamCount('dim', 2));
  p[3] = Number.NaN;
  assert.throws(() => createContextModel('dim', 2, p), /parameter 3 of the dimension-wise context model η_dim is NaN/);
});
