import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testGpu, rng, assertClose, SENTINEL } from '../helpers/gpu.ts';
import { BufferPool, readF32 } from '../../src/gpu/buffers.ts';
import { Batch, checkKernelSource } from '../../src/gpu/kernel.ts';
import { ShEncoding, shEncodeKernel } from '../../src/field/encoding/sh-encode.ts';
import { shEncodeRef } from '../../src/field/encoding/sh-encode.ref.ts';

function randomDir(r: () => number): [number, number, number] {
  const z = 2 * r() - 1;
  const a = 2 * Math.PI * r();
  const s = Math.sqrt(1 - z * z);
  return [s * Math.cos(a), s * Math.sin(a), z];
}

test('sh-encode reference is orthonormal on the sphere (Monte Carlo)', () => {
  const r = rng(5);
  const n = 200000;
  const gram = new Float64Array(256);
  for (let i = 0; i < n; i++) {
    const y = shEncodeRef(...randomDir(r));
    for (let a = 0; a < 16; a++) for (let b = 0; b < 16; b++) gram[16 * a + b]! += (y[a]! * y[b]! * 4 * Math.PI) / n;
  }
  // Monte-Carlo error with 2e5 samples: ~ sqrt(Var)/sqrt(n) ≈ 1e-2 for the highest band.
  for (let a = 0; a < 16; a++) for (let b = 0; b < 16; b++) assert.ok(Math.abs(gram[16 * a + b]! - (a === b ? 1 : 0)) < 0.03, `⟨Y${a}, Y${b}⟩ = ${gram[16 * a + b]}`);
  assert.ok(Math.abs(shEncodeRef(0, 0, 1)[0]! - 0.28209479) < 1e-8);
});

test('sh-encode: GPU matches the reference into a strided view', async () => {
  assert.deepEqual(checkKernelSource(shEncodeKernel.spec), []);
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const n = 1001;
  const r = rng(9);
  const dirs = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) dirs.set(randomDir(r), 4 * i);
  const stride = 21;
  const offset = 3;
  const out = pool.upload('out', new Float32Array(n * stride).fill(SENTINEL));
  const batch = new Batch(ctx, 'sh-test');
  new ShEncoding(ctx).forward(batch, pool.upload('dirs', dirs), { buffer: out, stride, offset }, n);
  await batch.submit();
  const got = await readF32(ctx, out);
  const want = new Float64Array(n * stride).fill(SENTINEL);
  for (let i = 0; i < n; i++) want.set(shEncodeRef(dirs[4 * i]!, dirs[4 * i + 1]!, dirs[4 * i + 2]!), i * stride + offset);
  // Cubic polynomials of f32 inputs with |coefficients| ≤ 3: error ≲ 1e-6.
  assertClose(got, want, 'sh', { atol: 2e-6, rtol: 0 });
  await ctx.check();
  pool.destroy();
});
