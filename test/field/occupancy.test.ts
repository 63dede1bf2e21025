import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testGpu, rng, assertClose, SENTINEL } from '../helpers/gpu.ts';
import { BufferPool, readF32, readU32, upload } from '../../src/gpu/buffers.ts';
import { Batch, checkKernelSource } from '../../src/gpu/kernel.ts';
import { OccupancyGrid, occPointsKernel, occSplatKernel, occDecayKernel, occBitsKernel, occVisibilityKernel, seenCells, pruneByVisibility, occupancyBitsFromValues } from '../../src/field/occupancy/occupancy-grid.ts';
import { occPointRef, occUpdateRef, visibilityRef } from '../../src/field/occupancy/occupancy.ref.ts';
import { addColumnKernel } from '../../src/gpu/ops/add-column.ts';

test('occupancy and add-column kernels: WGSL declares what the launchers bind', () => {
  for (const k of [occPointsKernel, occSplatKernel, occDecayKernel, occBitsKernel, occVisibilityKernel, addColumnKernel]) assert.deepEqual(checkKernelSource(k.spec), [], k.spec.name);
});

test('occupancy update: GPU matches the float64 twin (points, EMA max, mean threshold, bits)', async () => {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const G = 16; // 4096 cells: 4 warm-up rounds of 1024 points, then one sampled update
  const grid = new OccupancyGrid(pool, { resolution: G, decay: 0.95, threshold: 0.01, interval: 16, warmupSteps: 1 }, 1024);
  const r = rng(21);
  const seen = new Uint8Array(G ** 3).map(() => (r() < 0.9 ? 1 : 0));
  grid.reset(seen);
  let values: Float64Array = Float64Array.from(seen, (s) => (s ? 0 : -1));
  // A density field: s = 4 − 12·|p − c| (dense blob in the middle, empty outside), evaluated on the host.
  const densityAt = (p: number[]) => 4 - 12 * Math.hypot(p[0]! - 0.5, p[1]! - 0.45, p[2]! - 0.55);
  const dt = 0.01;
  for (const [step, seed] of [[0, 77], [5, 78]] as const) {
    const bitsBefore = await readU32(ctx, grid.bits);
    const batch = new Batch(ctx, 'occ-test');
    const evaluated: { cells: number[]; dens: number[] } = { cells: [], dens: [] };
    // The density callback cannot read the GPU's points mid-batch, so it evaluates the density at the
    // twin's points (the previous test checks that those equal the GPU's) and uploads the result.
    let round = 0;
    grid.update(batch, step, dt, seed, (_b, _pts, n) => {
      const warm = step < 1;
      const dens = new Float32Array(n * 3);
      for (let i = 0; i < n; i++) {
        const ref = occPointRef(i, G, warm, round * n, (seed + round * 7919) >>> 0, bitsBefore);
        const s = densityAt(ref.point);
        dens[3 * i] = s;
        evaluated.cells.push(ref.cell);
        evaluated.dens.push(Math.fround(s));
      }
      round++;
      return { buffer: pool.upload(`dens-${round}`, dens), stride: 3 };
    });
    await batch.submit();
    const want = occUpdateRef(values, evaluated.cells, evaluated.dens, dt, 0.95, 0.01);
    // Values are max/products of f32 exp(): relative error ~1e-6.
    assertClose(await readF32(ctx, grid.values), want.values, `values after step ${step}`, { atol: 1e-7, rtol: 1e-5 });
    const bits = await readU32(ctx, grid.bits);
    let differ = 0;
    for (let c = 0; c < G ** 3; c++) if (((bits[c >>> 5]! >>> (c & 31)) & 1) !== ((want.bits[c >>> 5]! >>> (c & 31)) & 1)) differ++;
    // Only cells within f32 rounding of the threshold may differ.
    assert.ok(differ <= 2, `${differ} bits differ`);
    values = want.values;
    const occupied = want.bits.reduce((a, w) => a + popcount(w), 0);
    assert.ok(occupied > 0 && occupied < G ** 3 / 2, `${occupied} cells occupied`);
  }
  await ctx.check();
  pool.destroy();
});

test('occupancy points: GPU cells and points match the twin', async () => {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const G = 12;
  const r = rng(4);
  const bits = new Uint32Array(Math.ceil(G ** 3 / 32)).map(() => (r() * 2 ** 32) >>> 0 & 0x11111111);
  const occ = upload(ctx, 'bits', bits);
  const n = 777;
  const points = pool.storage('pts', n * 16);
  const cells = pool.storage('cells', n * 4);
  for (const warm of [true, false]) {
    const batch = new Batch(ctx, 'occ-points');
    occPointsKernel.dispatch(batch, { occupancy: occ, points, cells }, { count: n, grid: G, warmup: warm ? 1 : 0, first: 100, seed: 1234 });
    await batch.submit();
    const gotCells = await readU32(ctx, cells, n);
    const gotPts = await readF32(ctx, points, 4 * n);
    const wantPts: number[] = [];
    const gotXyz: number[] = [];
    for (let i = 0; i < n; i++) {
      const ref = occPointRef(i, G, warm, 100, 1234, bits);
      assert.equal(gotCells[i], ref.cell, `cell of point ${i}`);
      wantPts.push(...ref.point);
      gotXyz.push(gotPts[4 * i]!, gotPts[4 * i + 1]!, gotPts[4 * i + 2]!);
    }
    assertClose(gotXyz, wantPts, 'points', { atol: 1e-6, rtol: 0 });
  }
  await ctx.check();
  occ.destroy();
  pool.destroy();
});

test('add-column: dst[i·stride + offset] += src[i]', async () => {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const n = 1003, stride = 7, offset = 2;
  const r = rng(8);
  const src = Float32Array.from({ length: n }, () => r() - 0.5);
  const dst = Float32Array.from({ length: n * stride }, () => r() - 0.5);
  const want = Float64Array.from(dst);
  for (let i = 0; i < n; i++) want[i * stride + offset] = Math.fround(want[i * stride + offset]! + src[i]!);
  const d = pool.upload('dst', dst);
  const batch = new Batch(ctx, 'add-column');
  addColumnKernel.dispatch(batch, { src: pool.upload('src', src), dst: d }, { count: n, stride, offset });
  await batch.submit();
  assertClose(await readF32(ctx, d), want, 'add-column', { atol: 0, rtol: 0 });
  await ctx.check();
  pool.destroy();
});

test('seenCells marks only cells in front of and inside some camera', () => {
  const intr = { width: 20, height: 10, fx: 20, fy: 20, cx: 10, cy: 5, k1: 0, k2: 0, p1: 0, p2: 0 };
  // A camera at (0.5, 0.5, 2) looking down −z at the box.
  const c2w = Float64Array.from([1, 0, 0, 0.5, 0, 1, 0, 0.5, 0, 0, 1, 2]);
  const seen = seenCells(8, intr, [c2w]);
  const idx = (x: number, y: number, z: number) => x + 8 * (y + 8 * z);
  assert.equal(seen[idx(4, 4, 4)], 1, 'the centre is seen');
  assert.equal(seen[idx(0, 0, 7)], 0, 'a corner near the camera is outside its frustum');
  assert.ok(seen.reduce((a, b) => a + b, 0) < 8 ** 3);
});

test('visibility: GPU max weight T·α per cell matches the float64 twin, accumulated over two calls', async () => {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const G = 8;
  const r = rng(55);
  const grid = new OccupancyGrid(pool, { resolution: G, decay: 0.95, threshold: 0.01, interval: 16, warmupSteps: 1 }, 64);
  const dt = 0.02;
  const stride = 3;
  // Rays of 0 … 90 samples with random positions (also just outside the box, to test the clamp) and
  // densities; every third ray meets an opaque stretch, so it stops before its end.
  const makeRays = (n: number) => Array.from({ length: n }, (_, i) => {
    const len = [0, 1, 7, 40, 90][i % 5]!;
    const density = Array.from({ length: len }, (_, k) => (i % 3 === 0 && k > len / 2 ? 5 + r() : -3 + 6 * r()));
    const points = Array.from({ length: len }, () => [r() * 1.1 - 0.05, r(), r()] as const);
    return { density, points };
  });
  const all: ReturnType<typeof makeRays> = [];
  const batch = new Batch(ctx, 'vis-test');
  grid.clearVisibility(batch);
  for (const n of [57, 33]) {
    const rays = makeRays(n);
    all.push(...rays);
    const total = rays.reduce((a, x) => a + x.density.length, 0);
    const range = new Uint32Array(2 * n);
    const dens = new Float32Array(Math.max(1, total) * stride).fill(SENTINEL);
    const pts = new Float32Array(Math.max(1, total) * 4);
    let off = 0;
    rays.forEach((ray, i) => {
      range.set([off, ray.density.length], 2 * i);
      ray.density.forEach((d, k) => {
        dens[(off + k) * stride] = d;
        pts.set([...ray.points[k]!, dt], 4 * (off + k));
      });
      off += ray.density.length;
    });
    grid.recordVisibility(batch, { rayRange: pool.upload('range', range), density: pool.upload('dens', dens), samples: pool.upload('pts', pts) }, n, stride, dt, 1e-4);
  }
  await batch.submit();
  const want = visibilityRef(all.map((x) => ({ density: x.density.map(Math.fround), points: x.points.map((p) => p.map(Math.fround) as unknown as readonly [number, number, number]) })), G, dt);
  // Weights are products of f32 exp()s along up to 90 samples: relative error ≲ 1e-5.
  assertClose(await grid.readVisibility(), want, 'visibility', { atol: 1e-7, rtol: 1e-5 });
  assert.ok(want.filter((w) => w > 0).length > 50, 'many cells were hit');
  await ctx.check();
  pool.destroy();
});

test('prune: keeps occupied cells with weight ≥ ε, freezes the grid, and the saved values give the same bits', async () => {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const G = 8;
  const r = rng(9);
  const grid = new OccupancyGrid(pool, { resolution: G, decay: 0.95, threshold: 0.01, interval: 16, warmupSteps: 1 }, 64);
  const seen = new Uint8Array(G ** 3).map(() => (r() < 0.7 ? 1 : 0));
  grid.reset(seen);
  const bitsBefore = await readU32(ctx, grid.bits);
  // Weights spread over decades; some unoccupied (unseen) cells get a weight too and must stay empty.
  const vis = Float32Array.from({ length: G ** 3 }, () => (r() < 0.2 ? 0 : 10 ** (-6 * r())));
  const eps = 1e-3;
  const { before, after } = await grid.prune(eps, vis);
  const bits = await readU32(ctx, grid.bits);
  let wantAfter = 0;
  for (let c = 0; c < G ** 3; c++) {
    const was = (bitsBefore[c >> 5]! >>> (c & 31)) & 1;
    const keep = was === 1 && vis[c]! >= eps ? 1 : 0;
    wantAfter += keep;
    assert.equal((bits[c >> 5]! >>> (c & 31)) & 1, keep, `cell ${c}`);
  }
  assert.equal(before, seen.reduce((a, b) => a + b, 0));
  assert.equal(after, wantAfter);
  assert.ok(after > 0 && after < before);
  assert.deepEqual(occupancyBitsFromValues(await readF32(ctx, grid.values), 0.01), bits, 'a checkpoint of the pruned grid codes the same bits');
  assert.equal(grid.frozen, true);
  assert.throws(() => grid.update(new Batch(ctx, 'x'), 10, 0.01, 1, () => { throw new Error('unreachable'); }), /frozen/);
  assert.throws(() => pruneByVisibility(bits, vis, 0), /minWeight/);
  await ctx.check();
  pool.destroy();
});

function popcount(w: number): number {
  let c = 0;
  while (w) {
    w &= w - 1;
    c++;
  }
  return c;
}
