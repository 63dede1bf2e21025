import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testGpu, rng, assertClose, SENTINEL } from '../helpers/gpu.ts';
import { BufferPool, readF32, readU32 } from '../../src/gpu/buffers.ts';
import { Batch, checkKernelSource } from '../../src/gpu/kernel.ts';
import { raysKernel, marchKernel, RayBatch, packCameras, uploadFrames, cameraParams, MARCH_DEFAULTS } from '../../src/render/march/march.ts';
import { marchRayRef, boxHitRef } from '../../src/render/march/march.ref.ts';
import { pixelRay, type Intrinsics } from '../../src/data/camera.ts';

const intr: Intrinsics = { width: 37, height: 23, fx: 30, fy: 31, cx: 18.2, cy: 11.7, k1: -0.12, k2: 0.03, p1: 0.002, p2: -0.001 };

function lookAt(eye: number[], target = [0.5, 0.5, 0.5]): Float64Array {
  const f = target.map((t, i) => t - eye[i]!);
  const n = Math.hypot(...f);
  const back = f.map((v) => -v / n); // camera +z points away from the target
  const up0 = [0, 0, 1];
  let right = [up0[1]! * back[2]! - up0[2]! * back[1]!, up0[2]! * back[0]! - up0[0]! * back[2]!, up0[0]! * back[1]! - up0[1]! * back[0]!];
  const rn = Math.hypot(...right);
  right = right.map((v) => v / rn);
  const up = [back[1]! * right[2]! - back[2]! * right[1]!, back[2]! * right[0]! - back[0]! * right[2]!, back[0]! * right[1]! - back[1]! * right[0]!];
  return Float64Array.from([right[0]!, up[0]!, back[0]!, eye[0]!, right[1]!, up[1]!, back[1]!, eye[1]!, right[2]!, up[2]!, back[2]!, eye[2]!]);
}

test('rays and march: WGSL declares what the launchers bind', () => {
  assert.deepEqual(checkKernelSource(raysKernel.spec), []);
  assert.deepEqual(checkKernelSource(marchKernel.spec), []);
});

test('rays (render mode) match pixelRay with distortion; march matches its reference', async () => {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const cams = [lookAt([1.9, 0.3, 0.8]), lookAt([-0.6, 1.4, 0.2])];
  const c2w = pool.upload('c2w', packCameras(cams));
  const tex = uploadFrames(pool, 1, 1, [new Uint8Array(4)]);
  const n = intr.width * intr.height;
  const rb = new RayBatch(pool, n, n * 64);
  ctx.device.queue.writeBuffer(rb.rays, 0, new Float32Array(n * 16).fill(SENTINEL));
  // A random occupancy grid (30% set) at an awkward resolution exercises empty-space skipping.
  const grid = 12;
  const r = rng(3);
  const bits = new Uint32Array(Math.ceil(grid ** 3 / 32));
  for (let i = 0; i < grid ** 3; i++) if (r() < 0.3) bits[i >> 5]! |= 1 << (i & 31);
  const occ = pool.upload('occ', bits);
  for (const frame of [0, 1]) {
    const batch = new Batch(ctx, 'rays-test');
    raysKernel.dispatch(batch, { c2w, images: tex.createView({ dimension: '2d-array' }), rays: rb.rays },
      { count: n, mode: 1, seed: 0, numFrames: 2, frame, firstPixel: 0, ...cameraParams(intr), bgR: 0.1, bgG: 0.2, bgB: 0.3 });
    const dt = 0.01;
    rb.march(batch, n, occ, grid, { ...MARCH_DEFAULTS, dt, maxSamplesPerRay: 64 }, null);
    await batch.submit();
    const rays = await readF32(ctx, rb.rays);
    const dirs: number[] = [];
    const want: number[] = [];
    for (let p = 0; p < n; p++) {
      const ray = pixelRay(intr, cams[frame]!, (p % intr.width) + 0.5, Math.floor(p / intr.width) + 0.5);
      dirs.push(rays[16 * p + 4]!, rays[16 * p + 5]!, rays[16 * p + 6]!, rays[16 * p]!, rays[16 * p + 1]!, rays[16 * p + 2]!);
      want.push(...ray.dir, ...ray.origin);
    }
    // Unit directions in f32 after 10 Newton steps in f32: ~1e-6.
    assertClose(dirs, want, `ray directions, frame ${frame}`, { atol: 5e-6, rtol: 0 });
    const range = await readU32(ctx, rb.rayRange, 2 * n);
    const samples = await readF32(ctx, rb.samples);
    let mismatched = 0;
    let compared = 0;
    for (let p = 0; p < n; p++) {
      const o = rays.subarray(16 * p, 16 * p + 3);
      const d = rays.subarray(16 * p + 4, 16 * p + 7);
      const [t0, t1] = boxHitRef(o, d);
      const ref = t0 < t1 ? marchRayRef(o, d, t0, t1, bits, grid, dt, 64) : [];
      const cnt = range[2 * p + 1]!;
      // f32 vs f64 positions can land on opposite sides of a cell face; such rays diverge after that point.
      if (cnt !== ref.length) { mismatched++; continue; }
      compared++;
      for (let k = 0; k < cnt; k++) {
        const s = range[2 * p]! + k;
        for (let a = 0; a < 3; a++) assert.ok(Math.abs(samples[4 * s + a]! - ref[k]![a]!) < 1e-4, `sample ${k} of ray ${p}`);
        assert.ok(Math.abs(samples[4 * s + 3]! - dt) < 1e-7);
      }
    }
    assert.ok(mismatched <= 0.02 * n, `${mismatched}/${n} rays differ in sample count from the reference`);
    assert.ok(compared > 0.9 * n);
  }
  await ctx.check();
  pool.destroy();
});

test('march: rays that do not fit the capacity get no samples, never a partial set', async () => {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const n = 300;
  const rb = new RayBatch(pool, n, 1000);
  const rays = new Float32Array(n * 16);
  for (let i = 0; i < n; i++) rays.set([0.5, 0.5, -0.5, 0.5, 0, 0, 1, 1.5], 16 * i); // straight through the box: t ∈ [0.5, 1.5]
  ctx.device.queue.writeBuffer(rb.rays, 0, rays);
  const occ = pool.upload('occ', new Uint32Array(2).fill(0xffffffff)); // 4³ grid, all occupied
  const batch = new Batch(ctx, 'capacity-test');
  rb.march(batch, n, occ, 4, { ...MARCH_DEFAULTS, dt: 0.1, maxSamplesPerRay: 64 }, null);
  await batch.submit();
  const range = await readU32(ctx, rb.rayRange, 2 * n);
  const counter = await readU32(ctx, rb.counter, 2);
  const counts = Array.from({ length: n }, (_, i) => range[2 * i + 1]!);
  assert.ok(counts.every((c) => c === 0 || c === 10), 'each ray has all 10 samples or none');
  assert.equal(counts.filter((c) => c === 10).length, 100);
  assert.equal(counter[1], 3000, 'requested samples are counted for the ray-count adaptation');
  await ctx.check();
  pool.destroy();
});
