import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testGpu, rng, randomArray, assertClose, finiteDiff, SENTINEL } from '../helpers/gpu.ts';
import { BufferPool, readF32 } from '../../src/gpu/buffers.ts';
import { Batch, checkKernelSource } from '../../src/gpu/kernel.ts';
import { compositeKernel, COMPOSITE_TRAIN, COMPOSITE_RENDER } from '../../src/render/composite/composite.ts';
import { compositeRayRef } from '../../src/render/composite/composite.ref.ts';

test('composite: WGSL declares what the launcher binds', () => {
  assert.deepEqual(checkKernelSource(compositeKernel.spec), []);
});

test('composite reference: gradients match central finite differences', () => {
  const r = rng(7);
  for (const n of [1, 3, 17]) {
    // Densities in [−2, 2] keep transmittance far above 1e-4 here, so early termination cannot flip
    // between the ± perturbations (it is a discontinuity of the loss).
    const dens = randomArray(n, r, -2, 2);
    const rgb = randomArray(3 * n, r, -3, 3);
    const bg = [r(), r(), r()];
    const target = [r(), r(), r(), r()];
    const dt = 0.05;
    // With and without the mask loss; its opacity stays inside the clamp [1e-3, 1 − 1e-3] here
    // (T ≥ 0.69^17 > 1e-3, and one sample of s ≥ −2 gives o > 6e-3).
    // Sample distances along the ray: increasing, with uneven gaps (the march skips empty cells).
    let tk = 0.1;
    const t = Array.from({ length: n }, () => (tk += dt * (1 + 3 * r())));
    for (const [maskWeight, distWeight] of [[0, 0], [0.3, 0], [0, 0.7], [0.3, 0.7]] as const) {
      const dist = { weight: distWeight, t };
      const ref = compositeRayRef(dens, rgb, dt, bg, target, 1, 1e-4, maskWeight, dist);
      assert.equal(ref.used, n);
      const gD = finiteDiff((x) => compositeRayRef(x, rgb, dt, bg, target, 1, 1e-4, maskWeight, dist).objective, dens);
      const gC = finiteDiff((x) => compositeRayRef(dens, x, dt, bg, target, 1, 1e-4, maskWeight, dist).objective, rgb);
      // Central differences with h = 1e-6 on an O(1) smooth function: error ~ h² f''' + ε/h ≈ 1e-10.
      assertClose(ref.dDensity, gD, `dDensity n=${n} λ_m=${maskWeight} λ_d=${distWeight}`, { atol: 1e-8, rtol: 1e-6 });
      assertClose(ref.dRgb, gC, `dRgb n=${n} λ_m=${maskWeight} λ_d=${distWeight}`, { atol: 1e-8, rtol: 1e-6 });
      if (distWeight > 0 && n > 1) assert.ok(ref.distortion > 0);
    }
  }
});

test('composite: GPU forward, loss and gradients match the reference', async () => {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const r = rng(11);
  const counts = [0, 1, 2, 5, 40, 200, 7, 1000, 3];
  const numRays = 131; // awkward: not a multiple of the workgroup size
  const rayCounts = Array.from({ length: numRays }, (_, i) => counts[i % counts.length]!);
  const total = rayCounts.reduce((a, b) => a + b, 0);
  const densStride = 5; // density is column 0 of a wider row, as in the field's colour-input buffer
  const density = new Float32Array(total * densStride).fill(SENTINEL);
  // Some rays get large densities so that early termination (T < 1e-4) happens inside them.
  const rgb = new Float32Array(randomArray(3 * total, r, -4, 4));
  const rays = new Float32Array(numRays * 16);
  const range = new Uint32Array(numRays * 2);
  let off = 0;
  const dt = 0.02;
  const maskWeight = 0.05;
  const distWeight = 0.5;
  // Sample positions: along +z from each ray's origin, uneven steps (t = distance to the origin).
  const positions = new Float32Array(total * 4).fill(SENTINEL);
  const refs = [];
  for (let i = 0; i < numRays; i++) {
    const n = rayCounts[i]!;
    const hot = i % 4 === 0;
    const d = randomArray(n, r, hot ? 2 : -3, hot ? 6 : 2);
    d.forEach((v, k) => (density[(off + k) * densStride] = v));
    const origin = [r(), r(), r()];
    const ts: number[] = [];
    let tk = r();
    for (let k = 0; k < n; k++) {
      tk += dt * (1 + 2 * r());
      positions.set([origin[0]!, origin[1]!, origin[2]! + tk, dt], 4 * (off + k));
      ts.push(Math.fround(Math.fround(origin[2]! + tk) - Math.fround(origin[2]!)));
    }
    const bg = [r(), r(), r()];
    const target = [r(), r(), r(), i % 3 === 0 ? 1 : r()];
    rays.set([...origin, 0, 0, 0, 1, 0, ...target, ...bg, 0], i * 16);
    range[2 * i] = off;
    range[2 * i + 1] = n;
    refs.push(compositeRayRef(Float64Array.from(d, (v) => Math.fround(v)), rgb.subarray(3 * off, 3 * (off + n)), dt, bg.map(Math.fround), target.map(Math.fround), numRays, 1e-4, maskWeight, { weight: distWeight, t: ts }));
    off += n;
  }
  const bufs = {
    rays: pool.upload('rays', rays), rayRange: pool.upload('range', range), density: pool.upload('density', density),
    rgb: pool.upload('rgb', rgb), dRgb: pool.upload('dRgb', new Float32Array(3 * total).fill(SENTINEL)),
    dDensity: pool.upload('dDensity', new Float32Array(total).fill(SENTINEL)), rayOut: pool.upload('out', new Float32Array(numRays * 4).fill(SENTINEL)),
    samples: pool.upload('samples', positions),
  };
  for (const mode of [COMPOSITE_TRAIN, COMPOSITE_RENDER]) {
    const batch = new Batch(ctx, 'composite-test');
    compositeKernel.dispatch(batch, bufs, { count: numRays, mode, densStride, numRays, minTransmittance: 1e-4, dt, maskWeight, distWeight });
    await batch.submit();
    const out = await readF32(ctx, bufs.rayOut);
    if (mode === COMPOSITE_TRAIN) {
      // Loss is O(1); f32 exp/products over ≤ 1000 samples: relative error ~1e-6·√n.
      assertClose(Array.from({ length: numRays }, (_, i) => out[4 * i]!), refs.map((x) => x.loss), 'loss', { atol: 2e-5, rtol: 1e-4 });
      assert.deepEqual(Array.from({ length: numRays }, (_, i) => out[4 * i + 1]!), refs.map((x) => x.used), 'samples used per ray');
      // BCE up to −log(1e-3) ≈ 6.9 from f32 logs of f32 products: relative error ~1e-5.
      assertClose(Array.from({ length: numRays }, (_, i) => out[4 * i + 2]!), refs.map((x) => x.bce), 'mask BCE', { atol: 1e-4, rtol: 1e-4 });
      // The distortion: O(n) prefix sums in f32 against the O(n²) definition in float64.
      assertClose(Array.from({ length: numRays }, (_, i) => out[4 * i + 3]!), refs.map((x) => x.distortion), 'distortion', { atol: 1e-5, rtol: 1e-4 });
      const wantD = new Float64Array(total);
      const wantC = new Float64Array(3 * total);
      let o = 0;
      refs.forEach((x, i) => {
        wantD.set(x.dDensity, o);
        wantC.set(x.dRgb, 3 * o);
        o += rayCounts[i]!;
      });
      // Gradients carry 1/numRays and products of up to ~1000 f32 factors: atol scaled to their size.
      assertClose(await readF32(ctx, bufs.dDensity), wantD, 'dDensity', { atol: 1e-6, rtol: 1e-3 });
      assertClose(await readF32(ctx, bufs.dRgb), wantC, 'dRgb', { atol: 1e-7, rtol: 1e-3 });
    } else {
      const want = refs.flatMap((x) => [...x.color, x.alpha]);
      assertClose(out, want, 'rgba', { atol: 2e-5, rtol: 1e-4 });
    }
  }
  await ctx.check();
  pool.destroy();
});
