import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testGpu, rng, randomArray, assertClose, finiteDiff, SENTINEL } from '../helpers/gpu.ts';
import { BufferPool, readF32 } from '../../src/gpu/buffers.ts';
import { Batch, checkKernelSource } from '../../src/gpu/kernel.ts';
import { GpuError } from '../../src/gpu/errors.ts';
import type { GpuContext } from '../../src/gpu/device.ts';
import { initMlp, mlpLayerOffsets, mlpParamCount, validateMlpConfig, type MlpConfig } from '../../src/field/network/mlp-config.ts';
import { mlpBackwardRef, mlpForwardRef } from '../../src/field/network/mlp.ref.ts';
import { Mlp, mlpKernelSpecs, prefersSubgroupMlp, type MlpOptions } from '../../src/field/network/mlp.ts';

/** Awkward sizes: no dimension is a multiple of 8 (the kernels' block size) or of 4 (samples per invocation). */
const AWKWARD: MlpConfig = { inputDim: 13, width: 24, hiddenLayers: 2, outputDim: 5 };

/** Parameters with random (non-zero) biases, so the bias paths are exercised too. */
function randomParams(config: MlpConfig, seed: number): Float32Array {
  const p = initMlp(config, seed);
  const r = rng(seed + 1000);
  for (const l of mlpLayerOffsets(config)) for (let j = 0; j < l.out; j++) p[l.biasOffset + j] = 0.2 * (2 * r() - 1);
  return p;
}

/**
 * ReLU has a kink at z = 0 where the derivative jumps. A finite difference whose step crosses a kink,
 * or an f32 pre-activation that lands on the other side of 0 than the float64 one, gives a different
 * but equally "right" answer. So samples with any hidden pre-activation |z| < margin get a zero upstream
 * gradient: they then contribute nothing to any gradient, whichever side of the kink they fall on.
 * Returns how many samples were masked.
 */
function maskKinks(config: MlpConfig, params: ArrayLike<number>, input: ArrayLike<number>, n: number, dOut: Float64Array, margin: number): number {
  const { pre } = mlpForwardRef(config, params, input, n);
  let masked = 0;
  for (let s = 0; s < n; s++) {
    const near = pre.some((z) => {
      for (let j = 0; j < config.width; j++) if (Math.abs(z[s * config.width + j]!) < margin) return true;
      return false;
    });
    if (near) {
      dOut.fill(0, s * config.outputDim, (s + 1) * config.outputDim);
      masked++;
    }
  }
  return masked;
}

/** Asserts |actual − expected| ≤ bound element-wise (NaN/Inf first), listing the worst offenders. */
function assertWithin(actual: ArrayLike<number>, expected: ArrayLike<number>, bound: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!Number.isFinite(actual[i]!) || !(d <= bound[i]!)) bad.push(`[${i}] got ${actual[i]}, want ${expected[i]} (|Δ| ${d.toExponential(2)} > ${bound[i]!.toExponential(2)})`);
  }
  if (bad.length) throw new Error(`${what}: ${bad.length}/${expected.length} elements out of bounds\n  ${bad.slice(0, 6).join('\n  ')}`);
}

/**
 * Per-parameter scale Σ_n |δ_n,j · x_n,i| (and Σ_n |δ_n,j| for biases): the natural unit for the
 * rounding error of a long, cancelling f32 sum.
 */
function gradAbsSums(config: MlpConfig, params: ArrayLike<number>, input: ArrayLike<number>, n: number, dOut: ArrayLike<number>): Float64Array {
  const absParams = Float64Array.from(params as ArrayLike<number>, Math.abs);
  const absIn = Float64Array.from(input as ArrayLike<number>, Math.abs);
  const absOut = Float64Array.from(dOut as ArrayLike<number>, Math.abs);
  // With |W|, |x|, |dOut| every product in the backward pass is non-negative, so the reference's dParams
  // is Σ|δ x| up to the ReLU masks, which we keep by recomputing them from the signed forward.
  const { acts } = mlpForwardRef(config, params, input, n);
  const layers = mlpLayerOffsets(config);
  const sums = new Float64Array(mlpParamCount(config));
  let delta = absOut;
  for (let k = layers.length - 1; k >= 0; k--) {
    const l = layers[k]!;
    const x = k === 0 ? absIn : acts[k - 1]!;
    const g = new Float64Array(n * l.in);
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < l.out; j++) {
        const d = delta[s * l.out + j]!;
        sums[l.biasOffset + j]! += d;
        for (let i = 0; i < l.in; i++) {
          sums[l.weightOffset + j * l.in + i]! += d * x[s * l.in + i]!;
          g[s * l.in + i]! += absParams[l.weightOffset + j * l.in + i]! * d;
        }
      }
    }
    if (k > 0) for (let i = 0; i < g.length; i++) if (!(acts[k - 1]![i]! > 0)) g[i] = 0;
    delta = g;
  }
  return sums;
}

test('mlp-config: layout, validation, deterministic init', () => {
  const c: MlpConfig = { inputDim: 48, width: 64, hiddenLayers: 1, outputDim: 16 };
  assert.equal(mlpParamCount(c), 48 * 64 + 64 + 64 * 16 + 16);
  assert.deepEqual(mlpLayerOffsets(c).map((l) => [l.weightOffset, l.biasOffset, l.relu]), [[0, 3072, true], [3136, 3136 + 1024, false]]);
  assert.deepEqual(mlpLayerOffsets({ inputDim: 4, width: 9, hiddenLayers: 0, outputDim: 2 }).map((l) => [l.in, l.out]), [[4, 2]]);
  assert.throws(() => validateMlpConfig({ ...c, width: 0 }, 'density'), (e: Error) => e instanceof TypeError && e.message.startsWith('density.width'));
  assert.throws(() => validateMlpConfig({ ...c, hiddenLayers: 1.5 }), /config\.hiddenLayers/);
  const p = initMlp(c, 7);
  assert.deepEqual(p, initMlp(c, 7));
  assert.notDeepEqual(p, initMlp(c, 8));
  const [l0, l1] = mlpLayerOffsets(c);
  assert.ok(p.subarray(l0!.biasOffset, l0!.biasOffset + 64).every((v) => v === 0), 'zero biases');
  // He-uniform bound √(6/48) for the ReLU layer, Glorot √(6/80) for the linear head.
  const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(maxAbs(p.subarray(0, 3072)) <= Math.sqrt(6 / 48) && maxAbs(p.subarray(0, 3072)) > 0.9 * Math.sqrt(6 / 48));
  assert.ok(maxAbs(p.subarray(l1!.weightOffset, l1!.biasOffset)) <= Math.sqrt(6 / 80));
});

test('mlp.ref: backward (dInput, dW, db) matches float64 central differences of the forward', () => {
  for (const [config, seed] of [[AWKWARD, 1], [{ inputDim: 4, width: 6, hiddenLayers: 1, outputDim: 3 }, 2], [{ inputDim: 3, width: 1, hiddenLayers: 0, outputDim: 2 }, 3]] as const) {
    const n = 5;
    const r = rng(seed);
    const params = Float64Array.from(randomParams(config, seed));
    const input = randomArray(n * config.inputDim, r);
    const dOut = randomArray(n * config.outputDim, r);
    // Margin 1e-3 ≫ the step's effect on any pre-activation (h·|∂z/∂θ| ≲ 1e-6 · 10), so no difference
    // quotient straddles a kink; samples closer to one get zero upstream gradient (see maskKinks).
    const masked = maskKinks(config, params, input, n, dOut, 1e-3);
    assert.ok(masked < n, 'some samples keep their gradient');
    const loss = (p: Float64Array, x: Float64Array) => mlpForwardRef(config, p, x, n).output.reduce((s, y, i) => s + y * dOut[i]!, 0);
    const { dInput, dParams } = mlpBackwardRef(config, params, input, n, dOut);
    // Central differences of a piecewise-linear function are exact away from kinks; what remains is
    // float64 rounding, ~1e-16·|L|/h ≈ 1e-9.
    assertClose(dParams, finiteDiff((p) => loss(p, input), params, 1e-6), `dParams ${JSON.stringify(config)}`, { atol: 1e-7, rtol: 1e-7 });
    assertClose(dInput, finiteDiff((x) => loss(params, x), input, 1e-6), `dInput ${JSON.stringify(config)}`, { atol: 1e-7, rtol: 1e-7 });
  }
});

test('mlp: every kernel variant declares the bindings and Params its launcher uses', () => {
  for (const config of [AWKWARD, { inputDim: 48, width: 64, hiddenLayers: 1, outputDim: 16 }, { inputDim: 32, width: 64, hiddenLayers: 2, outputDim: 3 }, { inputDim: 2, width: 3, hiddenLayers: 0, outputDim: 1 }]) {
    for (const subgroups of [true, false]) {
      for (const spec of mlpKernelSpecs(config, { subgroups, workgroupSize: 64 })) {
        assert.deepEqual(checkKernelSource(spec), [], spec.name);
        assert.ok(!/^\s*\/\/!(if|else|endif|generate)/m.test(spec.source), `${spec.name}: template directives left`);
        assert.equal(subgroups, /enable subgroups;/.test(spec.source), `${spec.name}: subgroups`);
      }
    }
  }
});

interface Case {
  config: MlpConfig;
  n: number;
  options: MlpOptions;
  seed: number;
}

/** Uploads inputs into strided, offset views (SENTINEL elsewhere), runs forward(train) + backward. */
async function runTrainStep(ctx: GpuContext, pool: BufferPool, c: Case, withDIn = true, repeats = 1) {
  const { config, n, seed } = c;
  const r = rng(seed);
  const params = randomParams(config, seed);
  const mlp = new Mlp(ctx, config, n, { ...c.options, params });
  const inStride = config.inputDim + 4;
  const outStride = config.outputDim + 3;
  const input = new Float32Array(n * config.inputDim);
  for (let i = 0; i < input.length; i++) input[i] = 2 * r() - 1;
  const inHost = new Float32Array(n * inStride + 3).fill(SENTINEL);
  for (let s = 0; s < n; s++) inHost.set(input.subarray(s * config.inputDim, (s + 1) * config.inputDim), 3 + s * inStride);
  const dOut = Float64Array.from(new Float32Array(randomArray(n * config.outputDim, r)));
  const masked = maskKinks(config, params, input, n, dOut, 1e-4);
  const dOutHost = new Float32Array(n * outStride + 1).fill(SENTINEL);
  for (let s = 0; s < n; s++) for (let j = 0; j < config.outputDim; j++) dOutHost[1 + s * outStride + j] = dOut[s * config.outputDim + j]!;
  const inView = { buffer: pool.upload('in', inHost), stride: inStride, offset: 3 };
  const outView = { buffer: pool.upload('out', new Float32Array(n * outStride + 2).fill(SENTINEL)), stride: outStride, offset: 2 };
  const dOutView = { buffer: pool.upload('dout', dOutHost), stride: outStride, offset: 1 };
  const dInView = { buffer: pool.upload('din', new Float32Array(n * inStride + 5).fill(SENTINEL)), stride: inStride, offset: 5 };
  const batch = new Batch(ctx, 'mlp-test');
  mlp.forward(batch, inView, outView, n, { train: true });
  for (let k = 0; k < repeats; k++) mlp.backward(batch, dOutView, n, withDIn ? dInView : null);
  await batch.submit();
  return { mlp, params, input, dOut, masked, inView, outView, dInView, outStride, inStride };
}

/** Expected contents of a whole strided buffer: `rows` at (offset, stride), SENTINEL elsewhere. */
function stridedExpect(size: number, rows: ArrayLike<number>, width: number, stride: number, offset: number): Float64Array {
  const e = new Float64Array(size).fill(SENTINEL);
  for (let s = 0; s * width < rows.length; s++) for (let j = 0; j < width; j++) e[offset + s * stride + j] = rows[s * width + j]!;
  return e;
}

async function checkTrainStep(ctx: GpuContext, c: Case, what: string, opts: { withDIn?: boolean; repeats?: number } = {}): Promise<void> {
  const pool = new BufferPool(ctx);
  const { withDIn = true, repeats = 1 } = opts;
  const { mlp, params, input, dOut, masked, outView, dInView, outStride, inStride } = await runTrainStep(ctx, pool, c, withDIn, repeats);
  const { config, n } = c;
  assert.ok(masked < n / 20, `${what}: only a few samples sit near a ReLU kink (${masked})`);
  const ref = mlpForwardRef(config, params, input, n);
  // Outputs are O(1); each is a chain of f32 dot products of length ≤ 25 with O(1) terms, so the
  // error is ≲ 25·2^-24·Σ|terms| per layer ≈ 1e-5 at worst (measured ~1e-6 on lavapipe).
  const out = await readF32(ctx, outView.buffer);
  assertClose(out, stridedExpect(out.length, ref.output, config.outputDim, outStride, outView.offset), `${what}: output`, { atol: 1e-5, rtol: 1e-5 });
  const bref = mlpBackwardRef(config, params, input, n, dOut);
  if (withDIn) {
    const dIn = await readF32(ctx, dInView.buffer);
    assertClose(dIn, stridedExpect(dIn.length, bref.dInput, config.inputDim, inStride, dInView.offset), `${what}: dInput`, { atol: 1e-5, rtol: 1e-5 });
  }
  // dW, db are sums over n samples: the kernel sums a chunk sequentially in f32 and adds the chunk
  // sums with atomics, so the rounding error is at most γ_(L+C)·Σ|δ·x| ≈ (L + C)·2^-24·Σ|δ·x|
  // (Higham), L = chunk length, C = number of chunks, plus the relative error of the f32 δ and x
  // themselves (~1e-6). The automatic chunking gives L + C ≤ ~550 at n = 70001 (worst case
  // 3.3e-5·Σ|δ·x|); the split test's chunks of 8 give C = 66,250, where rounding errors add up like a
  // random walk, ~√C·2^-24 ≈ 1.5e-5. Bound: 5e-5·Σ|δ·x| + 1e-6 per backward (measured: ~1e-6·Σ|δ·x|).
  const grad = await mlp.readGrad();
  const want = bref.dParams.map((v) => v * repeats);
  const scale = gradAbsSums(config, params, input, n, dOut);
  assertWithin(grad, want, scale.map((s) => repeats * (5e-5 * s + 1e-6)), `${what}: dParams`);
  await ctx.check();
  mlp.destroy();
  mlp.destroy();
  pool.destroy();
}

test('mlp: GPU forward, dInput, dW, db match the reference at N = 1000 (subgroup kernels)', async () => {
  const ctx = await testGpu();
  if (!ctx.features.has('subgroups')) return;
  await checkTrainStep(ctx, { config: AWKWARD, n: 1000, seed: 11, options: { subgroups: true } }, 'subgroups');
});

test('mlp: GPU matches the reference at N = 1000 (plain kernels, as on hardware GPUs)', async () => {
  const ctx = await testGpu();
  // A smaller awkward network: the plain variant unrolls one weight load per multiply-add, and its
  // compile time on lavapipe grows with that.
  await checkTrainStep(ctx, { config: { inputDim: 7, width: 10, hiddenLayers: 2, outputDim: 3 }, n: 1000, seed: 12, options: { subgroups: false } }, 'plain');
});

test('mlp: N = 70001, backward twice accumulates, no dInput', async () => {
  const ctx = await testGpu();
  await checkTrainStep(ctx, { config: AWKWARD, n: 70001, seed: 13, options: {} }, 'n=70001', { withDIn: false, repeats: 2 });
});

test('mlp: inference forward writes only the output rows', async () => {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const n = 333;
  const params = randomParams(AWKWARD, 4);
  const mlp = new Mlp(ctx, AWKWARD, 1000, { params });
  const input = randomArray(n * AWKWARD.inputDim, rng(4));
  const out = pool.upload('out', new Float32Array(n * 7 + 1).fill(SENTINEL));
  const batch = new Batch(ctx, 'mlp-infer');
  mlp.forward(batch, { buffer: pool.upload('in', new Float32Array(input)), stride: AWKWARD.inputDim, offset: 0 }, { buffer: out, stride: 7, offset: 1 }, n);
  await batch.submit();
  const ref = mlpForwardRef(AWKWARD, params, new Float32Array(input), n);
  const got = await readF32(ctx, out);
  assertClose(got, stridedExpect(got.length, ref.output, AWKWARD.outputDim, 7, 1), 'inference output', { atol: 1e-5, rtol: 1e-5 });
  // backward needs a training forward of the same n.
  assert.throws(() => mlp.backward(new Batch(ctx, 'x'), { buffer: out, stride: 7, offset: 1 }, n, null), GpuError);
  assert.deepEqual(await mlp.readParams(), params);
  mlp.init(5);
  assert.deepEqual(await mlp.readParams(), initMlp(AWKWARD, 5));
  await ctx.check();
  mlp.destroy();
  pool.destroy();
});

test('mlp: launches over 65,535 workgroups split over y (workgroup size 8)', async () => {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  // forward/backward: ⌈n/4⌉ invocations in workgroups of 8 → 65,625 workgroups, so invocations
  // from 65,535·8 on (samples ≥ 2,097,120) have gid.y = 1. Samples are independent, so the float64
  // reference is evaluated only on row ranges at the start, across the boundary, and at the end.
  const config: MlpConfig = { inputDim: 3, width: 8, hiddenLayers: 1, outputDim: 2 };
  const n = 2_100_000;
  const r = rng(21);
  const params = randomParams(config, 21);
  const input = new Float32Array(n * 3).map(() => 2 * r() - 1);
  const dOut = new Float32Array(n * 2).map(() => 2 * r() - 1);
  const mlp = new Mlp(ctx, config, n, { params, workgroupSize: 8 });
  const out = pool.storage('out', n * 2 * 4);
  const dIn = pool.storage('din', n * 3 * 4);
  const batch = new Batch(ctx, 'split');
  mlp.forward(batch, { buffer: pool.upload('in', input), stride: 3, offset: 0 }, { buffer: out, stride: 2, offset: 0 }, n, true);
  mlp.backward(batch, { buffer: pool.upload('dout', dOut), stride: 2, offset: 0 }, n, { buffer: dIn, stride: 3, offset: 0 });
  await batch.submit();
  const gotOut = await readF32(ctx, out);
  const gotDIn = await readF32(ctx, dIn);
  for (const first of [0, 2_097_120 - 500, n - 1000]) {
    const m = 1000;
    const x = input.subarray(3 * first, 3 * (first + m));
    const d = Float64Array.from(dOut.subarray(2 * first, 2 * (first + m)));
    maskKinks(config, params, x, m, d, 1e-4);
    const want = mlpBackwardRef(config, params, x, m, d);
    // Only rows whose upstream gradient survived the kink mask are compared for dInput.
    const keep = (i: number) => d[2 * Math.floor(i / 3)] !== 0 || d[2 * Math.floor(i / 3) + 1] !== 0;
    const dInGot = gotDIn.subarray(3 * first, 3 * (first + m)).map((v, i) => (keep(i) ? v : 0));
    assertClose(gotOut.subarray(2 * first, 2 * (first + m)), mlpForwardRef(config, params, x, m).output, `output rows ${first}…`, { atol: 1e-5, rtol: 1e-5 });
    assertClose(dInGot, want.dInput, `dInput rows ${first}…`, { atol: 1e-5, rtol: 1e-5 });
  }
  mlp.destroy();
  pool.destroy();
  // wgrad: chunks of 8 samples → one 8-lane group (= one workgroup) per chunk → 66,250 workgroups.
  await checkTrainStep(ctx, { config: { inputDim: 1, width: 1, hiddenLayers: 0, outputDim: 1 }, n: 530_000, seed: 22, options: { workgroupSize: 8, wgradChunk: 8 } }, 'split wgrad');
});

test('mlp: inputs are validated before any kernel runs', async () => {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  assert.throws(() => new Mlp(ctx, { ...AWKWARD, outputDim: 0 }, 10), /config\.outputDim/);
  assert.throws(() => new Mlp(ctx, AWKWARD, 0), /maxBatch/);
  assert.throws(() => new Mlp(ctx, AWKWARD, 10, { workgroupSize: 12 }), /options\.workgroupSize/);
  // The activation scratch would exceed the device's largest storage binding: a clear GpuError.
  const tooMany = Math.ceil(ctx.limits.maxStorageBufferBindingSize / (4 * 2 * 24)) + 1;
  assert.throws(() => new Mlp(ctx, AWKWARD, tooMany), (e: Error) => e instanceof GpuError && /at most \d+ samples/.test(e.message));
  const mlp = new Mlp(ctx, AWKWARD, 100);
  const buf = pool.storage('b', 100 * 13 * 4);
  const other = pool.storage('o', 100 * 5 * 4);
  const batch = new Batch(ctx, 'v');
  assert.throws(() => mlp.forward(batch, { buffer: buf, stride: 12, offset: 0 }, { buffer: other, stride: 5, offset: 0 }, 10), /stride/);
  assert.throws(() => mlp.forward(batch, { buffer: buf, stride: 13, offset: 0 }, { buffer: other, stride: 5, offset: 1 }, 100), RangeError);
  assert.throws(() => mlp.forward(batch, { buffer: buf, stride: 13, offset: 0 }, { buffer: other, stride: 5, offset: 0 }, 101), /maxBatch/);
  assert.throws(() => mlp.forward(batch, { buffer: buf, stride: 13, offset: 0 }, { buffer: buf, stride: 5, offset: 0 }, 10), /different buffers/);
  await batch.submit();
  mlp.destroy();
  assert.throws(() => mlp.writeParams(new Float32Array(mlp.paramCount)), /destroy/);
  await ctx.check();
  pool.destroy();
});

test('mlp: subgroup kernels are the default exactly where subgroups have 8 lanes', async () => {
  const ctx = await testGpu();
  const mlp = new Mlp(ctx, AWKWARD, 8);
  assert.equal(mlp.subgroups, prefersSubgroupMlp(ctx));
  if (ctx.adapter.isSoftware && ctx.adapter.subgroupMaxSize === 8) assert.equal(mlp.subgroups, true);
  mlp.destroy();
});
