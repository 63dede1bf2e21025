/**
 * The training-time rate estimate (src/train/rate): each kernel against its float64 twin (rate.ref.ts),
 * the twin's analytic gradients against central differences, and an end-to-end check that training
 * η_c lowers the estimated bits of a level whose features are all +1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testGpu, rng, assertClose, finiteDiff, SENTINEL } from '../helpers/gpu.ts';
import { Batch, checkKernelSource } from '../../src/gpu/kernel.ts';
import { BufferPool, readF32, readU32, write } from '../../src/gpu/buffers.ts';
import { gridLayout, type GridEncodingConfig } from '../../src/field/encoding/grid-config.ts';
import { mlpBackwardRef, mlpForwardRef } from '../../src/field/network/mlp.ref.ts';
import { contextMlpConfig, CONTEXT_LEVELS, PROB_EPS } from '../../src/codec/grid/context-config.ts';
import {
  RateEstimator, rateKernel, rateLossParams, rateLossSpec, rateReduceSpec, rateSpecs, ratePlan, RATE_ZMAX, type RateProjection,
} from '../../src/train/rate/rate.ts';
import {
  featureBitsRef, levelFrequencyRef, occupiedCells, rateLossRef, rateRowsRef, rateStepSeed, type RateRowRef,
} from '../../src/train/rate/rate.ref.ts';

/** Hash L = 6, N 4…64 (4, 6 dense, 12…64 hashed into T = 2^10); planes L2 = 2, N 8 (dense) and 32 (hashed, T = 2^8). */
const SMALL: GridEncodingConfig = {
  hash: { levels: 6, featuresPerLevel: 2, log2TableSize: 10, nMin: 4, nMax: 64 },
  planes: { levels: 2, featuresPerLevel: 2, log2TableSize: 8, nMin: 8, nMax: 32 },
};
const G = 16;
const layout = gridLayout(SMALL.hash, SMALL.planes);
const F = layout.featuresPerLevel;

/** θ uniform in [−1.5, 1.5]: both signs, and a third beyond the straight-through mask |θ| ≤ 1. */
function randomTheta(seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: layout.paramCount }, () => 3 * r() - 1.5);
}

function randomOccupancy(seed: number, fraction: number): Uint32Array {
  const r = rng(seed);
  const bits = new Uint32Array(G ** 3 / 32);
  for (let c = 0; c < G ** 3; c++) if (r() < fraction) bits[c >>> 5]! |= 1 << (c & 31);
  return bits;
}

function randomProjection(est: RateEstimator, seed: number): RateProjection {
  const r = rng(seed);
  const n = est.plan.projectionFloats;
  const one = () => Float32Array.from({ length: n }, () => 2 * r() - 1);
  return { xy: one(), xz: one(), yz: one() };
}

/** Rows of a model's f32 buffer as one dense array (rows × width from `offset`). */
const slice = (a: Float32Array, offset: number, rows: number, width: number) => a.subarray(offset, offset + rows * width);

test('rate kernels: WGSL declares what the launchers bind', () => {
  for (const spec of rateSpecs) assert.deepEqual(checkKernelSource(spec), [], spec.name);
});

test('rate plan: rows per level, model rows, offsets, argument checks', () => {
  const p = ratePlan(layout, G, 1000);
  assert.equal(p.nLevels, 12);
  assert.equal(p.rowsPerLevel, 83);
  assert.equal(p.rows, 996);
  assert.equal(p.ctxFirst, CONTEXT_LEVELS);
  assert.equal(p.levelRows, 3 * 83);
  assert.equal(p.dimRows, 6 * 83);
  assert.equal(p.nStar, 64);
  assert.equal(p.projectionFloats, 65 * 65 * F);
  assert.equal(p.blocks, 2);
  assert.throws(() => ratePlan(layout, G, 11), /opts\.samples must be an integer ≥ the number of grid levels \(12\)/);
  assert.throws(() => ratePlan(layout, 18, 100), /occupancyResolution must be a multiple of 4/);
});

test('rate: freq and context kernels match the twin (counts, v_+, rows drawn, context rows); loss through the MLPs', async () => {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const S = 12 * 256;
  const est = new RateEstimator(ctx, layout, G, { samples: S }, 5);
  const p = est.plan;
  const theta = randomTheta(1);
  const thetaBuf = pool.upload('theta', theta);
  const gradBuf = pool.storage('grad', layout.paramCount * 4);
  const proj = randomProjection(est, 2);
  est.setProjection(proj);
  const lambda = 500; // large enough that dL/dθ ≫ the f32 ulp of the 0.25 the gradient is pre-filled with
  // A 30 %-occupied grid, then an empty one (the sampler's fallback: any cell).
  for (const [occSeed, fraction, step] of [[3, 0.3, 7], [4, 0, 8]] as const) {
    const occ = randomOccupancy(occSeed, fraction);
    const occBuf = pool.upload(`occ-${occSeed}`, occ);
    write(ctx, gradBuf, new Float32Array(layout.paramCount).fill(0.25));
    write(ctx, est.buffers.inputs, new Float32Array(est.buffers.inputs.size / 4).fill(SENTINEL));
    write(ctx, est.buffers.dlogits, new Float32Array(est.buffers.dlogits.size / 4).fill(SENTINEL));
    const batch = new Batch(ctx, 'rate-test');
    est.record(batch, { theta: thetaBuf, grad: gradBuf, occupancy: occBuf, lambda, step });
    await batch.submit();
    await ctx.check();

    // Frequencies: exact counts; v_+ an f32 division of them.
    const stats = await readU32(ctx, est.buffers.stats);
    const freq = levelFrequencyRef(layout, theta);
    assert.deepEqual([...stats.subarray(0, p.nLevels)], [...freq.ones], 'ones per level');
    const gpuVplus = new Float32Array(stats.buffer, p.nLevels * 4, p.nLevels);
    assertClose(gpuVplus, freq.vplus, 'v_+', { atol: 2e-7, rtol: 0 });
    const cells = occupiedCells(occ, G).length;
    assert.equal(stats[3 * p.nLevels + p.blocks], cells, 'occupied cells (prefix total)');

    // Rows: the same cell, vertex and entry on both sides (same RNG, exact integer arithmetic).
    const want = rateRowsRef({ layout, rowsPerLevel: p.rowsPerLevel, grid: G, occupancy: occ, theta, vplus: freq.vplus, projection: proj, seed: rateStepSeed(5, step) });
    const rows = await readU32(ctx, est.buffers.rows, p.rows);
    const badRows = want.filter((w, r) => rows[r] !== w.paramIndex);
    assert.equal(badRows.length, 0, `rows with another entry: ${badRows.slice(0, 3).map((b) => JSON.stringify(b)).join(', ')}`);
    if (fraction > 0) {
      const isSet = (c: number) => (occ[c >>> 5]! >>> (c & 31)) & 1;
      assert.ok(want.every((w) => isSet(w.cell)), 'rows lie in occupied cells');
      assert.ok(new Set(want.map((w) => w.cell)).size > cells / 2, 'rows spread over the occupied cells');
    }

    // Context rows: the cell choice is exact, t is one f32 division, the weights 3 f32 products and
    // the sums 8 f32 adds of terms ≤ 1: |Δ| ≲ 1e-6; v_+ ≤ 2.5 ulp; PV a copy.
    const inputs = await readF32(ctx, est.buffers.inputs);
    const modelRows = (m: 'level' | 'dim') => want.filter((w) => w.model === m);
    const wantIn = (m: 'level' | 'dim') => modelRows(m).flatMap((w) => [...w.input!]);
    assert.equal(modelRows('level').length, p.levelRows);
    assert.equal(modelRows('dim').length, p.dimRows);
    const inLevel = slice(inputs, 0, p.levelRows, 3 * F + 1);
    const inDim = slice(inputs, p.dimInputOffset, p.dimRows, 4 * F + 1);
    assertClose(inLevel, wantIn('level'), 'η_c inputs', { atol: 4e-6, rtol: 0 });
    assertClose(inDim, wantIn('dim'), 'η_dim inputs', { atol: 4e-6, rtol: 0 });

    // The MLPs ran on those rows (the Mlp tests check the kernels; here the views and row counts).
    const logits = await readF32(ctx, est.buffers.logits);
    const lp = await est.level.readParams();
    const dp = await est.dim!.readParams();
    const zLevel = slice(logits, 0, p.levelRows, F);
    const zDim = slice(logits, p.dimLogitOffset, p.dimRows, F);
    assertClose(zLevel, mlpForwardRef(contextMlpConfig('level', F), lp, inLevel, p.levelRows).output, 'η_c logits', { atol: 1e-4, rtol: 1e-4 });
    assertClose(zDim, mlpForwardRef(contextMlpConfig('dim', F), dp, inDim, p.dimRows).output, 'η_dim logits', { atol: 1e-4, rtol: 1e-4 });

    // Loss on the GPU's logits: bits (f32 softplus/log: ~1e-6 per feature), dL/dz, dL/dθ (atomic
    // order), per-level estimate (f32 sums of S_l rows).
    const logitsOf = (r: number) => {
      const w = want[r]!;
      const o = w.model === 'level' ? w.modelRow * F : p.dimLogitOffset + w.modelRow * F;
      return logits.subarray(o, o + F);
    };
    const loss = rateLossRef(layout, p.rowsPerLevel, want, logitsOf, theta, gpuVplus, lambda);
    assertClose(await readF32(ctx, est.buffers.rowBits, p.rows), loss.rowBits, 'bits per row', { atol: 1e-5, rtol: 1e-6 });
    const dlogits = await readF32(ctx, est.buffers.dlogits);
    const wantDz = (m: 'level' | 'dim') => want.flatMap((w, r) => (w.model === m ? [...loss.dz.subarray(r * F, r * F + F)] : []));
    const dzLevel = slice(dlogits, 0, p.levelRows, F);
    const dzDim = slice(dlogits, p.dimLogitOffset, p.dimRows, F);
    assertClose(dzLevel, wantDz('level'), 'η_c dL/dz', { atol: 1e-9, rtol: 1e-5 });
    assertClose(dzDim, wantDz('dim'), 'η_dim dL/dz', { atol: 1e-9, rtol: 1e-5 });
    const grad = (await readF32(ctx, gradBuf)).map((g) => g - 0.25);
    assertClose(grad, loss.grad, 'dL/dθ (accumulated onto 0.25)', { atol: 1e-6, rtol: 1e-5 });
    assert.ok(loss.grad.some((g, i) => g !== 0 && Math.abs(theta[i]!) <= 1), 'some entries get a gradient');
    assert.ok(want.some((w) => Math.abs(theta[w.paramIndex]!) > 1), 'some drawn entries are masked');
    const st = await est.readStats();
    assertClose(st.perLevel, loss.perLevel, 'bits per level', { atol: 1e-3, rtol: 2e-5 });
    assert.ok(Math.abs(st.bitsPerParam - loss.bitsPerParam) <= 2e-5 * loss.bitsPerParam, `bits per parameter ${st.bitsPerParam} vs ${loss.bitsPerParam}`);

    // The MLPs' gradients (cleared by record) are the backward of exactly these dL/dz.
    assertClose(await est.level.readGrad(), mlpBackwardRef(contextMlpConfig('level', F), lp, inLevel, p.levelRows, dzLevel).dParams, 'η_c grad', { atol: 1e-6, rtol: 1e-4 });
    assertClose(await est.dim!.readGrad(), mlpBackwardRef(contextMlpConfig('dim', F), dp, inDim, p.dimRows, dzDim).dParams, 'η_dim grad', { atol: 1e-6, rtol: 1e-4 });
  }
  await ctx.check();
  est.destroy();
  pool.destroy();
});

test('rate-loss kernel: bits, dL/dz (clamped logits) and the masked dL/dθ scatter on random logits', async () => {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const est = new RateEstimator(ctx, layout, G, { samples: 12 * 200 }, 9);
  const p = est.plan;
  const theta = randomTheta(11);
  const thetaBuf = pool.upload('theta', theta);
  const occ = randomOccupancy(12, 0.5);
  // One record fills rows, v_+ and the weights; then the loss runs alone on logits we choose.
  let batch = new Batch(ctx, 'rate-loss-setup');
  est.record(batch, { theta: thetaBuf, grad: pool.storage('scratch-grad', layout.paramCount * 4), occupancy: pool.upload('occ', occ), lambda: 1, step: 1 });
  await batch.submit();
  const stats = await readU32(ctx, est.buffers.stats);
  const vplus = new Float32Array(stats.buffer, p.nLevels * 4, p.nLevels);
  const rowIdx = await readU32(ctx, est.buffers.rows, p.rows);
  const r = rng(13);
  // |z| up to 20: a good part beyond the clamp ln((1−ε)/ε) ≈ 13.8, where dL/dz must be 0.
  const logits = Float32Array.from({ length: (p.levelRows + p.dimRows) * F }, () => 40 * r() - 20);
  const logitBuf = pool.upload('logits', logits);
  const dlogits = pool.upload('dlogits', new Float32Array(logits.length).fill(SENTINEL));
  const grad = pool.storage('grad', layout.paramCount * 4);
  const rowBits = pool.upload('row-bits', new Float32Array(p.rows).fill(SENTINEL));
  const lambda = 300;
  batch = new Batch(ctx, 'rate-loss');
  const bind = { theta: thetaBuf, rows: est.buffers.rows, weights: est.buffers.weights, logits: logitBuf, stats: est.buffers.stats, dlogits, grad, rowBits };
  rateKernel(rateLossSpec, F).dispatch(batch, bind, rateLossParams(p, lambda));
  rateKernel(rateReduceSpec, F).dispatch(batch, bind, rateLossParams(p, lambda), p.nLevels);
  await batch.submit();
  await ctx.check();

  const rows: Pick<RateRowRef, 'level' | 'paramIndex' | 'model'>[] = [...rowIdx].map((paramIndex, i) => {
    const level = Math.floor(i / p.rowsPerLevel);
    return { level, paramIndex, model: level < p.ctxFirst ? 'freq' : level < p.levels3 ? 'level' : 'dim' };
  });
  const logitsOf = (i: number) => {
    const o = i < p.levels3 * p.rowsPerLevel ? (i - p.ctxFirst * p.rowsPerLevel) * F : p.dimLogitOffset + (i - p.levels3 * p.rowsPerLevel) * F;
    return logits.subarray(o, o + F);
  };
  const want = rateLossRef(layout, p.rowsPerLevel, rows, logitsOf, theta, vplus, lambda);
  const clamped = [...logits].filter((z) => Math.abs(z) > RATE_ZMAX).length;
  assert.ok(clamped > logits.length / 5, `${clamped} clamped logits`);
  // Bits up to −log2 ε ≈ 20 per feature: f32 softplus ~1e-6 relative.
  assertClose(await readF32(ctx, rowBits), want.rowBits, 'bits per row', { atol: 1e-5, rtol: 2e-6 });
  // dL/dz ordered as the logits buffer (η_c rows, then η_dim rows).
  const wantDz = new Float64Array(logits.length);
  rows.forEach((row, i) => {
    if (row.model === 'freq') return;
    const o = logitsOf(i).byteOffset / 4;
    for (let d = 0; d < F; d++) wantDz[o + d] = want.dz[i * F + d]!;
  });
  const gotDz = await readF32(ctx, dlogits);
  assertClose(gotDz, wantDz, 'dL/dz', { atol: 1e-9, rtol: 1e-5 });
  assert.ok(wantDz.some((v, i) => v === 0 && Math.abs(logits[i]!) > 14) && gotDz.every((v, i) => Math.abs(logits[i]!) <= RATE_ZMAX || v === 0), 'no dL/dz beyond the clamp');
  assertClose(await readF32(ctx, grad), want.grad, 'dL/dθ', { atol: 1e-6, rtol: 1e-5 });
  const masked = rows.filter((row) => Math.abs(theta[row.paramIndex]!) > 1).length;
  assert.ok(masked > 0 && [...(await readF32(ctx, grad))].every((g, i) => Math.abs(theta[i]!) <= 1 || g === 0), `${masked} rows hit masked entries, which get no gradient`);
  const perLevel = new Float32Array((await readU32(ctx, est.buffers.stats)).buffer, 2 * p.nLevels * 4, p.nLevels);
  assertClose(perLevel, want.perLevel, 'bits per level', { atol: 1e-3, rtol: 2e-5 });
  est.destroy();
  pool.destroy();
});

test('rate twin: dL/dz and dL/dφ match central differences of the relaxed bits', () => {
  const r = rng(17);
  for (let k = 0; k < 200; k++) {
    const z = 24 * r() - 12; // inside the clamp (|z| < 13.8) where the bits are smooth in z
    const phi = 2 * r() - 1; // φ relaxed to [−1, 1], b = (φ + 1)/2
    const bits = (x: Float64Array) => featureBitsRef(x[0]!, 0, (x[1]! + 1) / 2).bits;
    const fd = finiteDiff(bits, Float64Array.of(z, phi), 1e-5);
    const f = featureBitsRef(z, 0, (phi + 1) / 2);
    // Central differences: O(h²·f''') ≈ 1e-10 plus float64 rounding ~1e-16·20/1e-5.
    assertClose([f.dz, f.dphi], fd, `z=${z}, φ=${phi}`, { atol: 1e-8, rtol: 1e-8 });
    // A coarse level (p = v_+): the φ derivative only.
    const v = 0.02 + 0.96 * r();
    const fdv = finiteDiff((x) => featureBitsRef(null, v, (x[0]! + 1) / 2).bits, Float64Array.of(phi), 1e-5);
    assertClose([featureBitsRef(null, v, (phi + 1) / 2).dphi], fdv, `v=${v}`, { atol: 1e-8, rtol: 1e-8 });
  }
  // Beyond the clamp the bits are flat in z: zero dz, but the θ gradient still follows p = 1 − ε.
  const c = featureBitsRef(30, 0, 1);
  assert.equal(c.dz, 0);
  assert.ok(Math.abs(c.p - (1 - PROB_EPS)) < 1e-15 && Math.abs(c.bits + Math.log2(1 - PROB_EPS)) < 1e-12);
});

test('rate end to end: SGD on η_c lowers the estimated bits of levels whose features are all +1', async () => {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const est = new RateEstimator(ctx, layout, G, { samples: 12 * 128 }, 21);
  const p = est.plan;
  // Every η_c level (3-D levels ≥ L_C) all +1, so every η_c row asks for p → 1 (with one such level
  // among random ones, the shared network trades them off and the estimate does not fall monotonically).
  const targets = [3, 4, 5];
  const theta = randomTheta(22);
  for (const li of targets) {
    const l = layout.levels[li]!;
    theta.fill(0.5, l.paramOffset, l.paramOffset + l.entries * F);
  }
  const thetaBuf = pool.upload('theta', theta);
  const grad = pool.storage('grad', layout.paramCount * 4);
  const occ = pool.upload('occ', randomOccupancy(23, 0.4));
  // The targets have E = T each; λ = F·ΣE/(3T) gives each of their rows the weight 1/(3·S_l).
  const lambda = (F * layout.entryCount) / (3 * 2 ** SMALL.hash.log2TableSize);
  const history: number[] = [];
  for (let step = 0; step < 5; step++) {
    const batch = new Batch(ctx, 'rate-sgd');
    est.record(batch, { theta: thetaBuf, grad, occupancy: occ, lambda, step });
    await batch.submit();
    const st = await est.readStats();
    history.push(targets.reduce((s, li) => s + st.perLevel[li]!, 0) / (targets.length * 2 ** SMALL.hash.log2TableSize * F));
    assert.ok(Math.abs(st.bitsPerParam - st.perLevel.reduce((a, b) => a + b, 0) / layout.paramCount) < 1e-9);
    const params = await est.level.readParams();
    const g = await est.level.readGrad();
    for (let i = 0; i < params.length; i++) params[i] = params[i]! - 0.3 * g[i]!;
    est.level.writeParams(params);
  }
  // Starts near 1 bit per feature (p ≈ ½ at initialisation) and falls at every step.
  const shown = history.map((h) => h.toFixed(3)).join(' → ');
  assert.ok(history[0]! > 0.5 && history.at(-1)! < 0.1 * history[0]!, `bits per feature of the η_c levels: ${shown}`);
  for (let i = 1; i < history.length; i++) assert.ok(history[i]! < history[i - 1]!, `bits decrease at every step: ${shown}`);
  assert.equal(p.levelRows, 3 * 128);
  await ctx.check();
  est.destroy();
  pool.destroy();
});

test('rate without planes and with fewer 3-D levels than L_C: frequency rows only, no η_dim', async () => {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const small = gridLayout({ levels: 2, featuresPerLevel: 3, log2TableSize: 8, nMin: 3, nMax: 9 });
  const est = new RateEstimator(ctx, small, 8, { samples: 2 * 300 + 1 }, 3);
  assert.equal(est.dim, null);
  assert.equal(est.plan.levelRows, 0);
  assert.throws(() => est.setProjection({ xy: new Float32Array(1), xz: new Float32Array(1), yz: new Float32Array(1) }), /no planes/);
  const r = rng(31);
  const theta = Float32Array.from({ length: small.paramCount }, () => 3 * r() - 1.5);
  const bits = new Uint32Array(8 ** 3 / 32).map(() => (r() * 2 ** 32) >>> 0);
  const grad = pool.storage('grad', small.paramCount * 4);
  const batch = new Batch(ctx, 'rate-no-planes');
  est.record(batch, { theta: pool.upload('theta', theta), grad, occupancy: pool.upload('occ', bits), lambda: 2, step: 0 });
  await batch.submit();
  await ctx.check();
  const { vplus } = levelFrequencyRef(small, theta);
  const rows = rateRowsRef({ layout: small, rowsPerLevel: est.plan.rowsPerLevel, grid: 8, occupancy: bits, theta, vplus, seed: rateStepSeed(3, 0) });
  assert.deepEqual([...(await readU32(ctx, est.buffers.rows, est.plan.rows))], rows.map((w) => w.paramIndex));
  const want = rateLossRef(small, est.plan.rowsPerLevel, rows, () => [], theta, vplus, 2);
  const st = await est.readStats();
  assertClose(st.perLevel, want.perLevel, 'bits per level', { atol: 1e-4, rtol: 1e-5 });
  assertClose(await readF32(ctx, grad), want.grad, 'dL/dθ', { atol: 1e-7, rtol: 1e-5 });
  est.destroy();
  pool.destroy();
});
