import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeMlpWeights,
  dequantizeTensor,
  encodeMlpWeights,
  mlpWeightsByteLength,
  quantizeTensor,
} from '../../src/codec/mlp/mlp-quant.ts';
import { BitstreamError } from '../../src/codec/errors.ts';
import { type MlpConfig, mlpLayerOffsets, mlpParamCount } from '../../src/field/network/mlp-config.ts';
import { mulberry32 } from '../../src/util/mulberry32.ts';

/** The CPU-preset networks: density 44→64→16 and colour 32→64→64→3. */
const DENSITY: MlpConfig = { inputDim: 44, width: 64, hiddenLayers: 1, outputDim: 16 };
const COLOUR: MlpConfig = { inputDim: 32, width: 64, hiddenLayers: 2, outputDim: 3 };
/** 2→2, one linear layer: W [2×2] and b [2]. */
const TINY: MlpConfig = { inputDim: 2, width: 1, hiddenLayers: 0, outputDim: 2 };

/** Random weights and (nonzero) biases at trained-network scales, deterministic in `seed`. */
function randomParams(config: MlpConfig, seed: number): Float32Array {
  const r = mulberry32(seed);
  const p = new Float32Array(mlpParamCount(config));
  for (const l of mlpLayerOffsets(config)) {
    const bound = Math.sqrt(6 / l.in);
    for (let i = 0; i < l.out * l.in; i++) p[l.weightOffset + i] = (2 * r() - 1) * bound;
    for (let i = 0; i < l.out; i++) p[l.biasOffset + i] = (r() - 0.3) * 0.2;
  }
  return p;
}

/** [offset, length] of each tensor in stream order (W_0, b_0, W_1, b_1, …). */
function tensors(config: MlpConfig): [number, number][] {
  return mlpLayerOffsets(config).flatMap((l): [number, number][] => [
    [l.weightOffset, l.out * l.in],
    [l.biasOffset, l.out],
  ]);
}

function expectBitstreamError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof BitstreamError && pattern.test(e.message));
}

for (const [name, config] of [['density 44→64→16', DENSITY], ['colour 32→64→64→3', COLOUR]] as const) {
  test(`round trip of ${name}: per-tensor error within half a step, exact size`, () => {
    const params = randomParams(config, 7);
    const bytes = encodeMlpWeights(config, params);
    const ts = tensors(config);
    // Exact size: 3-byte header + (in, out) u16 per layer + per tensor 8 bytes of min/max + packed codes.
    const expected = 3 + 4 * (ts.length / 2) + ts.reduce((s, [, n]) => s + 8 + Math.ceil((10 * n) / 8), 0);
    assert.equal(bytes.length, expected);
    assert.equal(mlpWeightsByteLength(config), expected);
    const decoded = decodeMlpWeights(config, bytes);
    assert.equal(decoded.length, params.length);
    const failures: string[] = [];
    for (const [off, n] of ts) {
      const t = params.subarray(off, off + n);
      let min = Infinity;
      let max = -Infinity;
      for (const v of t) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      // Half a quantization step, plus slack for the three float32 roundings of the dequantizer
      // (each ≤ 2^-24 relative; 2^-21 · (|min| + |max|) bounds their sum with margin).
      const tol = (max - min) / (2 * 1023) + 2 ** -21 * (Math.abs(min) + Math.abs(max));
      for (let i = 0; i < n; i++) {
        const err = Math.abs(decoded[off + i] - t[i]);
        if (!(err <= tol)) failures.push(`offset ${off + i}: |${decoded[off + i]} − ${t[i]}| = ${err} > ${tol}`);
      }
    }
    assert.deepEqual(failures.slice(0, 5), []);
  });

  test(`${name}: one round is a fixed point of the codes`, () => {
    const params = randomParams(config, 11);
    const once = decodeMlpWeights(config, encodeMlpWeights(config, params));
    const twice = decodeMlpWeights(config, encodeMlpWeights(config, once));
    for (const [off, n] of tensors(config)) {
      const q1 = quantizeTensor(once.subarray(off, off + n));
      const q0 = quantizeTensor(params.subarray(off, off + n));
      assert.deepEqual(q1.codes, q0.codes, `tensor at ${off}`);
      assert.equal(q1.min, q0.min);
    }
    // The stored max may move by a float32 rounding, so decoded values agree to within a few ulps.
    for (let i = 0; i < once.length; i++) assert.ok(Math.abs(twice[i] - once[i]) <= 2 ** -20, `param ${i}`);
  });
}

test('quantizeTensor / dequantizeTensor on a small tensor', () => {
  const q = quantizeTensor(new Float32Array([0, 1, 0.5, -1]));
  assert.equal(q.min, -1);
  assert.equal(q.max, 1);
  assert.deepEqual([...q.codes], [512, 1023, 767, 0]); // 511.5 rounds half up
  const v = dequantizeTensor(q, 10);
  // Float32 bit patterns from numpy float32 arithmetic in the documented order.
  const bitsOf = new Uint32Array(v.buffer);
  assert.deepEqual([...bitsOf], [0x3a802000, 0x3f800000, 0x3effbff0, 0xbf800000]);
});

test('constant tensor: min = max, zero codes, exact reconstruction', () => {
  const q = quantizeTensor(new Float32Array(5).fill(-0.375));
  assert.equal(q.min, -0.375);
  assert.equal(q.max, -0.375);
  assert.deepEqual([...q.codes], [0, 0, 0, 0, 0]);
  assert.deepEqual([...dequantizeTensor(q)], [-0.375, -0.375, -0.375, -0.375, -0.375]);
  // Zero biases (as initMlp leaves them) survive the file exactly.
  const params = randomParams(DENSITY, 3);
  const l0 = mlpLayerOffsets(DENSITY)[0];
  params.fill(0, l0.biasOffset, l0.biasOffset + l0.out);
  const decoded = decodeMlpWeights(DENSITY, encodeMlpWeights(DENSITY, params));
  assert.ok(decoded.subarray(l0.biasOffset, l0.biasOffset + l0.out).every((v) => v === 0));
});

test('NaN / Infinity and bad arguments are TypeErrors', () => {
  assert.throws(() => quantizeTensor(new Float32Array([1, NaN])), TypeError);
  assert.throws(() => quantizeTensor(new Float32Array([Infinity])), TypeError);
  assert.throws(() => quantizeTensor(new Float32Array([1]), 17), TypeError);
  assert.throws(() => quantizeTensor(new Float32Array([-3e38, 3e38])), /overflows float32/);
  const params = randomParams(TINY, 1);
  params[3] = NaN;
  assert.throws(() => encodeMlpWeights(TINY, params), /layer 0 W.*finite/);
  assert.throws(() => encodeMlpWeights(TINY, new Float32Array(5)), TypeError);
  assert.throws(() => dequantizeTensor({ min: 0, max: 1, codes: new Uint16Array([1024]) }, 10), TypeError);
});

test('golden bytes for a 2→2 linear layer', () => {
  const params = new Float32Array([0, 1, 0.5, -1, 0.25, 0.25]);
  const bytes = encodeMlpWeights(TINY, params);
  // prettier-ignore
  const golden = [
    0x01, 0x0a, 0x01,             // version 1, 10 bits, 1 layer
    0x02, 0x00, 0x02, 0x00,       // in = 2, out = 2
    0x00, 0x00, 0x80, 0xbf,       // W min = -1
    0x00, 0x00, 0x80, 0x3f,       // W max = 1
    0x00, 0xfe, 0xff, 0x2f, 0x00, // codes 512, 1023, 767, 0 LSB-first: 0x2FFFFE00 over 40 bits
    0x00, 0x00, 0x80, 0x3e,       // b min = 0.25
    0x00, 0x00, 0x80, 0x3e,       // b max = 0.25
    0x00, 0x00, 0x00,             // codes 0, 0 over 20 bits + 4 zero padding bits
  ];
  assert.deepEqual([...bytes], golden);
  const decoded = decodeMlpWeights(TINY, Uint8Array.from(golden));
  assert.deepEqual([...new Uint32Array(decoded.buffer)], [0x3a802000, 0x3f800000, 0x3effbff0, 0xbf800000, 0x3e800000, 0x3e800000]);
});

test('other bit depths round trip', () => {
  const params = randomParams(COLOUR, 5);
  for (const bits of [1, 7, 16]) {
    const bytes = encodeMlpWeights(COLOUR, params, bits);
    assert.equal(bytes.length, mlpWeightsByteLength(COLOUR, bits));
    const again = encodeMlpWeights(COLOUR, decodeMlpWeights(COLOUR, bytes), bits);
    assert.equal(again.length, bytes.length);
  }
});

test('truncated, padded, corrupted or mismatched input is a BitstreamError', () => {
  const bytes = encodeMlpWeights(DENSITY, randomParams(DENSITY, 9));
  expectBitstreamError(() => decodeMlpWeights(DENSITY, bytes.subarray(0, 5)), /truncated/);
  expectBitstreamError(() => decodeMlpWeights(DENSITY, bytes.subarray(0, bytes.length - 1)), /truncated/);
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  expectBitstreamError(() => decodeMlpWeights(DENSITY, longer), /trailing/);
  // Mismatched configs: other layer count, other widths.
  expectBitstreamError(() => decodeMlpWeights(COLOUR, bytes), /layer count/);
  expectBitstreamError(() => decodeMlpWeights({ ...DENSITY, inputDim: 43 }, bytes), /layer 0 is 64×44/);
  expectBitstreamError(() => decodeMlpWeights({ ...DENSITY, outputDim: 3 }, bytes), /layer 1/);
  const mutate = (at: number, value: number): Uint8Array => {
    const b = bytes.slice();
    b[at] = value;
    return b;
  };
  expectBitstreamError(() => decodeMlpWeights(DENSITY, mutate(0, 2)), /version/);
  expectBitstreamError(() => decodeMlpWeights(DENSITY, mutate(1, 0)), /bits/);
  expectBitstreamError(() => decodeMlpWeights(DENSITY, mutate(1, 200)), /bits/);
  // A NaN min (f32 0x7fc00000, LE) on the first tensor, which starts after the 11-byte header.
  const nan = bytes.slice();
  nan.set([0x00, 0x00, 0xc0, 0x7f], 11);
  expectBitstreamError(() => decodeMlpWeights(DENSITY, nan), /finite/);
  // min > max: swap them.
  const swapped = bytes.slice();
  swapped.set(bytes.subarray(15, 19), 11);
  swapped.set(bytes.subarray(11, 15), 15);
  expectBitstreamError(() => decodeMlpWeights(DENSITY, swapped), /must not exceed/);
  // Nonzero padding: the last tensor (b_1, 16 codes = 160 bits) fills its bytes, so use TINY's b.
  const tiny = encodeMlpWeights(TINY, new Float32Array([0, 1, 0.5, -1, 0.25, 0.5]));
  const pad = tiny.slice();
  pad[pad.length - 1] |= 0x80;
  expectBitstreamError(() => decodeMlpWeights(TINY, pad), /padding/);
});
