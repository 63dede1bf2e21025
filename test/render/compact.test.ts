import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testGpu, rng, randomArray, SENTINEL } from '../helpers/gpu.ts';
import { BufferPool, readF32, readU32 } from '../../src/gpu/buffers.ts';
import { Batch, checkKernelSource } from '../../src/gpu/kernel.ts';
import { compactKernel } from '../../src/render/composite/composite.ts';
import { keptSamplesRef } from '../../src/render/composite/composite.ref.ts';

test('compact: keeps each ray\'s samples before T < 1e-4, contiguous, and drops rays that do not fit', async () => {
  assert.deepEqual(checkKernelSource(compactKernel.spec), []);
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const r = rng(31);
  const numRays = 203;
  const counts = Array.from({ length: numRays }, (_, i) => [0, 1, 9, 60, 300][i % 5]!);
  const total = counts.reduce((a, b) => a + b, 0);
  const stride = 16;
  const density = new Float32Array(total * stride).fill(SENTINEL);
  const samples = new Float32Array(total * 4);
  const range = new Uint32Array(numRays * 2);
  const dt = 0.01;
  const want: number[] = [];
  let off = 0;
  for (let i = 0; i < numRays; i++) {
    const n = counts[i]!;
    // Half the rays meet an opaque layer (s ≈ 6, σ·dt ≈ 4 per sample) part-way, so they stop early.
    const d = randomArray(n, r, -2, 1);
    if (i % 2 === 0) for (let k = Math.floor(n / 3); k < n; k++) d[k] = 6 + r();
    d.forEach((v, k) => {
      density[(off + k) * stride] = v;
      samples.set([off + k, i, k, dt], 4 * (off + k));
    });
    range[2 * i] = off;
    range[2 * i + 1] = n;
    // Decisions sit far from the threshold here (T drops by e^-4 per opaque sample), so f32 and f64 agree.
    want.push(keptSamplesRef(Float64Array.from(d, Math.fround), dt));
    off += n;
  }
  const keptTotal = want.reduce((a, b) => a + b, 0);
  for (const capacity of [keptTotal, Math.floor(keptTotal / 2)]) {
    const bufs = {
      rayRange: pool.upload('range', range), density: pool.upload('density', density), samples: pool.upload('samples', samples),
      sampleDirs: pool.upload('dirs', samples), outSamples: pool.upload('out-samples', new Float32Array(4 * total).fill(SENTINEL)),
      outDirs: pool.upload('out-dirs', new Float32Array(4 * total).fill(SENTINEL)), outRange: pool.storage('out-range', numRays * 8),
      counter: pool.upload('counter', new Uint32Array(4)),
    };
    const batch = new Batch(ctx, 'compact-test');
    compactKernel.dispatch(batch, bufs, { count: numRays, densStride: stride, capacity, dt, minTransmittance: 1e-4 });
    await batch.submit();
    const outRange = await readU32(ctx, bufs.outRange);
    const out = await readF32(ctx, bufs.outSamples);
    const counter = await readU32(ctx, bufs.counter, 2);
    assert.equal(counter[1], keptTotal, 'requested = all kept samples');
    let kept = 0;
    for (let i = 0; i < numRays; i++) {
      const [first, n] = [outRange[2 * i]!, outRange[2 * i + 1]!];
      if (capacity === keptTotal) assert.equal(n, want[i], `ray ${i} keeps ${want[i]}`);
      else assert.ok(n === want[i] || n === 0, `ray ${i}: all or nothing`);
      for (let k = 0; k < n; k++) assert.deepEqual([out[4 * (first + k) + 1], out[4 * (first + k) + 2]], [i, k], `sample ${k} of ray ${i} in order`);
      kept += n;
    }
    assert.ok(kept <= capacity);
  }
  await ctx.check();
  pool.destroy();
});
