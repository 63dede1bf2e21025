import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testGpu, rng, randomArray, assertClose } from '../helpers/gpu.ts';
import { BufferPool, readF32 } from '../../src/gpu/buffers.ts';
import { Batch } from '../../src/gpu/kernel.ts';
import { AdamGroup } from '../../src/train/adam/adam.ts';
import { adamRef } from '../../src/train/adam/adam.ref.ts';

for (const sparse of [false, true]) test(`adam (sparse ${sparse}): GPU matches float64 reference over 3 steps at an awkward size`, async () => {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const n = 1031;
  const r = rng(1);
  const theta = randomArray(n, r);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const thetaBuf = pool.upload('theta', new Float32Array(theta));
  const gradBuf = pool.storage('grad', n * 4);
  const opts = { beta1: 0.9, beta2: 0.99, eps: 1e-15, l2: 1e-3, sparse };
  const group = new AdamGroup(pool, 'test', thetaBuf, gradBuf, n, opts);
  for (let step = 1; step <= 3; step++) {
    const g = randomArray(n, r);
    // A third of the entries get no gradient this step (as hash entries no sample touched).
    for (let i = 0; i < n; i++) if (r() < 0.33) g[i] = 0;
    ctx.device.queue.writeBuffer(gradBuf, 0, new Float32Array(g));
    const batch = new Batch(ctx, 'adam-test');
    group.update(batch, 0.01, 0.5);
    await batch.submit();
    adamRef(theta, g, m, v, { lr: 0.01, ...opts, step, gradScale: 0.5 });
  }
  await ctx.check();
  // f32 rounding of θ (|θ| ≤ 1.03) over three updates: well below 1e-6 on lavapipe.
  assertClose(await readF32(ctx, thetaBuf, n), theta, 'theta', { atol: 2e-6, rtol: 0 });
  const grad = await readF32(ctx, gradBuf, n);
  assert.ok(grad.every((x) => x === 0), 'gradient is zeroed after the update');
  pool.destroy();
});
