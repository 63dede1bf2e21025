import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testGpu, rng, assertClose, SENTINEL } from '../helpers/gpu.ts';
import { BufferPool, readF32 } from '../../src/gpu/buffers.ts';
import { Batch, Kernel, checkKernelSource } from '../../src/gpu/kernel.ts';
import { ShEncoding, shEncodeKernel, SH_COEFFICIENTS } from '../../src/field/encoding/sh-encode.ts';
import { shEncodeRef, shEncodeRefRows } from '../../src/field/encoding/sh-encode.ref.ts';

function randomDir(r: () => number): [number, number, number] {
  const z = 2 * r() - 1;
  const a = 2 * Math.PI * r();
  const s = Math.sqrt(1 - z * z);
  return [s * Math.cos(a), s * Math.sin(a), z];
}

/** The same 16 functions written from their closed forms (√ and π spelled out), independent of the literals. */
function closedForm(x: number, y: number, z: number): number[] {
  const sp = Math.sqrt(Math.PI);
  return [
    1 / (2 * sp),
    (-Math.sqrt(3) * y) / (2 * sp),
    (Math.sqrt(3) * z) / (2 * sp),
    (-Math.sqrt(3) * x) / (2 * sp),
    (Math.sqrt(15) * x * y) / (2 * sp),
    (-Math.sqrt(15) * y * z) / (2 * sp),
    (Math.sqrt(5) * (3 * z * z - 1)) / (4 * sp),
    (-Math.sqrt(15) * x * z) / (2 * sp),
    (Math.sqrt(15) * (x * x - y * y)) / (4 * sp),
    (Math.sqrt(70) * y * (-3 * x * x + y * y)) / (8 * sp),
    (Math.sqrt(105) * x * y * z) / (2 * sp),
    (Math.sqrt(42) * y * (1 - 5 * z * z)) / (8 * sp),
    (Math.sqrt(7) * z * (5 * z * z - 3)) / (4 * sp),
    (Math.sqrt(42) * x * (1 - 5 * z * z)) / (8 * sp),
    (Math.sqrt(105) * z * (x * x - y * y)) / (4 * sp),
    (Math.sqrt(70) * x * (-x * x + 3 * y * y)) / (8 * sp),
  ];
}

test('sh-encode reference: tiny-cuda-nn constants equal their closed forms', () => {
  assert.equal(SH_COEFFICIENTS, 16);
  assert.ok(Math.abs(shEncodeRef(0, 0, 1)[0]! - 0.28209479) < 1e-8, 'Y0 = 1/(2√π)');
  // Along +z only the m = 0 functions survive: Y2 = √3/(2√π), Y6 = √5/(2√π), Y12 = √7/(2√π).
  const up = shEncodeRef(0, 0, 1);
  for (let k = 0; k < 16; k++) {
    const want = k === 0 ? 0.28209479177387814 : k === 2 ? 0.4886025119029199 : k === 6 ? 0.6307831305050401 : k === 12 ? 0.7463526651802308 : 0;
    assert.ok(Math.abs(up[k]! - want) < 1e-12, `Y${k}(0,0,1) = ${up[k]}, want ${want}`);
  }
  const r = rng(3);
  for (let i = 0; i < 100; i++) {
    const d = randomDir(r);
    assertClose(shEncodeRef(...d), closedForm(...d), `closed form at ${d}`, { atol: 1e-14, rtol: 0 });
  }
});

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
});

test('sh-encode: GPU matches the reference into a strided view', async () => {
  assert.deepEqual(checkKernelSource(shEncodeKernel.spec), []);
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const n = 1001;
  const r = rng(9);
  const dirs = new Float32Array(4 * n).fill(SENTINEL);
  for (let i = 0; i < n; i++) dirs.set(randomDir(r), 4 * i);
  const stride = 21;
  const offset = 3;
  const out = pool.upload('out', new Float32Array(n * stride + 5).fill(SENTINEL));
  const batch = new Batch(ctx, 'sh-test');
  new ShEncoding(ctx).forward(batch, pool.upload('dirs', dirs), { buffer: out, stride, offset }, n);
  await batch.submit();
  const got = await readF32(ctx, out);
  const want = new Float64Array(n * stride + 5).fill(SENTINEL);
  const ref = shEncodeRefRows(dirs, n);
  for (let i = 0; i < n; i++) want.set(ref.subarray(16 * i, 16 * i + 16), i * stride + offset);
  // Cubic polynomials of f32 inputs with |coefficients| ≤ 3: error ≲ 1e-6.
  assertClose(got, want, 'sh', { atol: 2e-6, rtol: 0 });
  await ctx.check();
  pool.destroy();
});

test('sh-encode: a launch over 65,535 workgroups is split over y', async () => {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  // One invocation per workgroup, so n = 70,001 needs 70,001 workgroups.
  const wg1 = new Kernel({ ...shEncodeKernel.spec, name: 'sh-encode-wg1', constants: { WG: 1 } });
  assert.deepEqual(checkKernelSource(wg1.spec), []);
  const n = 70001;
  const r = rng(10);
  const dirs = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) dirs.set(randomDir(r), 4 * i);
  const out = pool.upload('out', new Float32Array(n * 16).fill(SENTINEL));
  const batch = new Batch(ctx, 'sh-split');
  wg1.dispatch(batch, { dirs: pool.upload('dirs', dirs), output: out }, { count: n, outStride: 16, outOffset: 0 });
  await batch.submit();
  assertClose(await readF32(ctx, out), shEncodeRefRows(dirs, n), 'sh (split launch)', { atol: 2e-6, rtol: 0 });
  await ctx.check();
  pool.destroy();
});

test('sh-encode: views are validated before the kernel runs', async () => {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const sh = new ShEncoding(ctx);
  const dirs = pool.storage('dirs', 10 * 16);
  const out = pool.storage('out', 10 * 16 * 4);
  const batch = new Batch(ctx, 'sh-validate');
  assert.throws(() => sh.forward(batch, dirs, { buffer: out, stride: 15, offset: 0 }, 10), /stride/);
  assert.throws(() => sh.forward(batch, dirs, { buffer: out, stride: 16, offset: 1 }, 10), RangeError);
  assert.throws(() => sh.forward(batch, dirs, { buffer: out, stride: 16, offset: 0 }, 11), RangeError);
  assert.throws(() => sh.forward(batch, dirs, { buffer: dirs, stride: 16, offset: 0 }, 1), /different buffers/);
  await batch.submit();
  sh.destroy();
  await ctx.check();
  pool.destroy();
});
