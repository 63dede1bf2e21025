import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testGpu, rng, randomArray, assertClose, finiteDiff, SENTINEL } from '../helpers/gpu.ts';
import { checkKernelSource, Batch } from '../../src/gpu/kernel.ts';
import { BufferPool, readF32 } from '../../src/gpu/buffers.ts';
import {
  gridLayout, levelResolutions, validateGridConfig, GRID_PRESETS, type GridEncodingConfig, type GridLayout,
} from '../../src/field/encoding/grid-config.ts';
import { GridEncoding, gridEncodeSpecs, LEVEL_FIELDS, levelMetadata } from '../../src/field/encoding/grid-encode.ts';
import { gridEncodeRef, gridEncodeBackwardRef, levelCorners } from '../../src/field/encoding/grid-encode.ref.ts';

/** Dense and hashed 3-D levels (N 4, 6 dense; 12…64 hashed into T = 2^11) and planes (N 16 dense; 45, 128 hashed). */
const MIXED: GridEncodingConfig = {
  hash: { levels: 6, featuresPerLevel: 2, log2TableSize: 11, nMin: 4, nMax: 64 },
  planes: { levels: 3, featuresPerLevel: 2, log2TableSize: 11, nMin: 16, nMax: 128 },
};
/** An odd F, no planes (L2 = 0), a tiny table. */
const ODD_F: GridEncodingConfig = { hash: { levels: 3, featuresPerLevel: 3, log2TableSize: 9, nMin: 2, nMax: 40 } };

/**
 * N positions as vec4 (w = 7, which the kernels must ignore). The first half is uniform in the cube
 * with corner cases the kernels clamp or put in the last cell (0, 1, outside [0,1], exact vertices);
 * the second half are rays of 40 consecutive samples 1/200 apart, so that consecutive samples
 * often share a cell (the kernels' per-invocation cell cache and gradient merge) and sometimes not.
 */
function positions(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const p = new Float32Array(4 * n);
  const special = [0, 1, -0.25, 1.5, 0.5, 0.25, 1 / 3];
  const half = n >> 1;
  for (let i = 0; i < half; i++) {
    for (let d = 0; d < 3; d++) p[4 * i + d] = i % 5 === 0 ? special[Math.floor(r() * special.length)]! : r();
  }
  let o = [0, 0, 0];
  let dir = [0, 0, 0];
  for (let i = half; i < n; i++) {
    if ((i - half) % 40 === 0) {
      o = [r(), r(), r()];
      dir = [r() - 0.5, r() - 0.5, r() - 0.5];
      const len = Math.hypot(...dir);
      dir = dir.map((x) => x / len / 200);
    }
    for (let d = 0; d < 3; d++) p[4 * i + d] = o[d]! + ((i - half) % 40) * dir[d]!;
  }
  for (let i = 0; i < n; i++) p[4 * i + 3] = 7;
  return p;
}

test('grid layout: resolutions, dense/hash decision, offsets, presets', () => {
  const paper = gridLayout(GRID_PRESETS.paper.hash, GRID_PRESETS.paper.planes);
  const r3 = paper.levels.filter((l) => l.kind === 'xyz');
  // floor(16·32^(l/11)); the last product is 511.99999999999966 in float64 and must still give 512.
  assert.deepEqual(r3.map((l) => l.resolution), [16, 21, 30, 41, 56, 77, 105, 145, 198, 272, 373, 512]);
  // Dense while (N+1)^3 ≤ 2^19 = 524288, i.e. N ≤ 79.
  assert.deepEqual(r3.map((l) => l.dense), [true, true, true, true, true, true, false, false, false, false, false, false]);
  assert.deepEqual(r3.map((l) => l.entries).slice(0, 7), [17 ** 3, 22 ** 3, 31 ** 3, 42 ** 3, 57 ** 3, 78 ** 3, 2 ** 19]);
  const r2 = paper.levels.filter((l) => l.kind !== 'xyz');
  assert.deepEqual(r2.map((l) => l.kind), ['xy', 'xz', 'yz', 'xy', 'xz', 'yz', 'xy', 'xz', 'yz', 'xy', 'xz', 'yz']);
  assert.deepEqual(r2.map((l) => l.resolution), [128, 128, 128, 256, 256, 256, 512, 512, 512, 1024, 1024, 1024]);
  // Planes dense while (N+1)^2 ≤ 2^17 = 131072, i.e. N ≤ 361.
  assert.deepEqual(r2.map((l) => l.dense), [true, true, true, true, true, true, false, false, false, false, false, false]);
  assert.deepEqual(r2[2]!.axes, [1, 2]);
  assert.equal(paper.outputDim, 12 * 2 + 3 * 4 * 2);
  // Offsets: contiguous, level after level, F floats per entry, features F apart.
  let e = 0;
  paper.levels.forEach((l, i) => {
    assert.equal(l.entryOffset, e);
    assert.equal(l.paramOffset, 2 * e);
    assert.equal(l.featureOffset, 2 * i);
    e += l.entries;
  });
  assert.equal(paper.paramCount, 2 * e);
  const want3 = [17 ** 3, 22 ** 3, 31 ** 3, 42 ** 3, 57 ** 3, 78 ** 3].reduce((a, b) => a + b) + 6 * 2 ** 19;
  const want2 = 3 * (129 ** 2 + 257 ** 2 + 2 * 2 ** 17);
  assert.equal(paper.entryCount, want3 + want2);

  const cpu = gridLayout(GRID_PRESETS.cpu.hash, GRID_PRESETS.cpu.planes);
  // floor(16·4^(l/15)): 64 and 256 and 1024 come out of exp() as 63.99999999999998 etc.
  assert.deepEqual(cpu.levels.filter((l) => l.kind === 'xyz').map((l) => l.resolution),
    [16, 21, 27, 36, 48, 64, 84, 111, 147, 194, 256, 337, 445, 588, 776, 1024]);
  assert.deepEqual(cpu.levels.filter((l) => l.kind === 'xyz').map((l) => l.dense).lastIndexOf(true), 4); // 49^3 ≤ 2^17 < 65^3 (N = 48 dense, 64 hashed)
  assert.deepEqual(cpu.levels.filter((l) => l.kind === 'xy').map((l) => [l.resolution, l.dense]), [[64, true], [256, false]]);
  assert.equal(cpu.outputDim, 16 * 2 + 3 * 2 * 2);

  assert.deepEqual(levelResolutions(1, 16, 512), [16]);
  const pure = gridLayout(ODD_F.hash);
  assert.equal(pure.levels.length, 3);
  assert.equal(pure.outputDim, 9);
  assert.equal(pure.planes.levels, 0);

  // The mixed test config really mixes dense and hashed levels (the GPU tests rely on it).
  const mixed = gridLayout(MIXED.hash, MIXED.planes);
  assert.deepEqual(mixed.levels.map((l) => `${l.kind}${l.resolution}${l.dense ? 'd' : 'h'}`),
    ['xyz4d', 'xyz6d', 'xyz12h', 'xyz21h', 'xyz36h', 'xyz64h', 'xy16d', 'xz16d', 'yz16d', 'xy45h', 'xz45h', 'yz45h', 'xy128h', 'xz128h', 'yz128h']);
});

test('grid config validator names the field', () => {
  const h = GRID_PRESETS.cpu.hash;
  assert.throws(() => gridLayout({ ...h, nMin: 64, nMax: 32 }), (e: unknown) => e instanceof TypeError && /config\.hash\.nMax/.test(e.message));
  assert.throws(() => gridLayout({ ...h, levels: 0 }), (e: unknown) => e instanceof TypeError && /config\.hash\.levels/.test(e.message));
  assert.throws(() => gridLayout(h, { ...GRID_PRESETS.cpu.planes, featuresPerLevel: 4 }), (e: unknown) => e instanceof TypeError && /config\.planes\.featuresPerLevel/.test(e.message));
  assert.throws(() => gridLayout(h, { ...GRID_PRESETS.cpu.planes, log2TableSize: 1.5 }), (e: unknown) => e instanceof TypeError && /config\.planes\.log2TableSize/.test(e.message));
  assert.throws(() => validateGridConfig({ hash: { ...h, featuresPerLevel: 9 } }, 'opts.grid'), /opts\.grid\.hash\.featuresPerLevel/);
  assert.doesNotThrow(() => gridLayout(h, { ...GRID_PRESETS.cpu.planes, levels: 0 }));
});

test('grid kernels: WGSL matches the TS declarations; the table is read in one place', () => {
  for (const spec of gridEncodeSpecs) {
    assert.deepEqual(checkKernelSource(spec), [], spec.name);
    const src = spec.source.replace(/\/\/[^\n]*/g, '');
    assert.equal([...src.matchAll(/\btable\s*\[/g)].length, 1, `${spec.name}: table is indexed only in read_feature`);
    const struct = /struct\s+Level\s*\{([^}]*)\}/.exec(src);
    assert.ok(struct, `${spec.name}: struct Level`);
    assert.deepEqual([...struct[1]!.matchAll(/(\w+)\s*:\s*u32/g)].map((m) => m[1]), [...LEVEL_FIELDS], `${spec.name}: struct Level fields`);
  }
});

test('grid encode reference: backward matches float64 central differences of the forward', () => {
  // A small grid with every kind of level: 3-D N=2 dense, N=5 hashed into T=32 (many collisions);
  // planes N=2 dense, N=6 hashed into T=16.
  const layout = gridLayout(
    { levels: 2, featuresPerLevel: 2, log2TableSize: 5, nMin: 2, nMax: 5 },
    { levels: 2, featuresPerLevel: 2, log2TableSize: 4, nMin: 2, nMax: 6 },
  );
  assert.deepEqual(layout.levels.map((l) => l.dense), [true, false, true, true, true, false, false, false]);
  const r = rng(3);
  // The features are linear in θ, so central differences are exact up to rounding wherever the
  // samples are. The samples are still kept ≥ 0.05 cell from every cell boundary of every level:
  // there each interpolation weight is ≥ 0.05³, so every vertex a sample touches gets a clearly
  // non-zero derivative (a dropped or misplaced corner cannot hide behind a ~0 weight), and the
  // cell choice is not a near-tie between the f32 rounding of x·N_l and a neighbouring cell.
  const resolutions = [...new Set(layout.levels.map((l) => l.resolution))];
  const coord = (): number => {
    for (;;) {
      const x = r();
      if (resolutions.every((N) => { const f = x * N - Math.floor(x * N); return f > 0.05 && f < 0.95; })) return x;
    }
  };
  const n = 7;
  const pos = new Float64Array(4 * n);
  for (let i = 0; i < n; i++) for (let d = 0; d < 3; d++) pos[4 * i + d] = Math.fround(coord());
  const table = randomArray(layout.paramCount, r);
  const dOut = randomArray(n * layout.outputDim, r);
  const loss = (t: Float64Array): number => gridEncodeRef(layout, t, pos, n).reduce((s, v, i) => s + v * dOut[i]!, 0);
  const fd = finiteDiff(loss, table, 1e-3);
  const an = gridEncodeBackwardRef(layout, pos, dOut, n);
  assert.ok(an.filter((g) => Math.abs(g) > 1e-3).length > 50, 'many entries get a gradient');
  // float64 rounding of a sum of ~100 terms of size ≤ 1, divided by 2h = 2e-3: ~1e-12.
  assertClose(an, fd, 'dL/dθ', { atol: 1e-9, rtol: 0 });
});

/** Writes a random table, runs the forward on the GPU and compares with the float64 reference. */
async function checkForward(config: GridEncodingConfig, n: number, seed: number, samplesPerInvocation?: number): Promise<void> {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const grid = new GridEncoding(ctx, config, { label: 'test-grid', samplesPerInvocation });
  const r = rng(seed);
  const table = new Float32Array(randomArray(grid.paramCount, r));
  grid.writeParams(table);
  const pos = positions(n, seed + 1);
  const posBuf = pool.upload('positions', pos);
  const out = pool.upload('features', new Float32Array(n * grid.outputDim).fill(SENTINEL));
  const batch = new Batch(ctx, 'grid-fwd-test');
  grid.forward(batch, posBuf, out, n);
  await batch.submit();
  const got = await readF32(ctx, out, n * grid.outputDim);
  await ctx.check();
  const want = gridEncodeRef(grid.layout, table, pos, n);
  // Each feature is Σ of 4 or 8 terms w·θ with Σ w = 1 and |θ| ≤ 1, computed in f32: ~3 roundings in
  // w, one in the product and one per add bound the error by ~12·2^-24 ≈ 7e-7 (measured on lavapipe:
  // ≤ 2.4e-7).
  assertClose(got, want, `features (${n} samples, D = ${grid.outputDim})`, { atol: 1e-6, rtol: 0 });
  grid.destroy();
  grid.destroy();
  pool.destroy();
}

test('grid encode forward: GPU matches float64 reference (dense + hashed 3-D levels and planes)', async () => {
  await checkForward(MIXED, 4099, 10);
});

test('grid encode forward: GPU matches float64 reference (F = 3, no planes, 3 samples per invocation)', async () => {
  await checkForward(ODD_F, 1000, 20, 3);
});

/** Per-entry count of contributions (sample × vertex) to the gradient, for the summation-error bound. */
function contributions(layout: GridLayout, pos: ArrayLike<number>, n: number): Float64Array {
  const F = layout.featuresPerLevel;
  const k = new Float64Array(layout.paramCount);
  for (let s = 0; s < n; s++) {
    const p: [number, number, number] = [pos[4 * s]!, pos[4 * s + 1]!, pos[4 * s + 2]!];
    for (const level of layout.levels) levelCorners(level, p, (e) => { for (let f = 0; f < F; f++) k[level.paramOffset + e * F + f]! += 1; });
  }
  return k;
}

async function checkBackward(config: GridEncodingConfig, n: number, seed: number, samplesPerInvocation?: number): Promise<void> {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const grid = new GridEncoding(ctx, config, { label: 'test-grid', samplesPerInvocation });
  const r = rng(seed);
  grid.writeParams(new Float32Array(randomArray(grid.paramCount, r)));
  const pos = positions(n, seed + 1);
  const posBuf = pool.upload('positions', pos);
  const dOut = new Float32Array(randomArray(n * grid.outputDim, r));
  const dOutBuf = pool.upload('d-features', dOut);
  // The backward accumulates: start from a non-zero gradient and expect it added to.
  const g0 = new Float32Array(randomArray(grid.paramCount, r));
  ctx.device.queue.writeBuffer(grid.grad, 0, g0);
  const batch = new Batch(ctx, 'grid-bwd-test');
  grid.backward(batch, dOutBuf, n, posBuf);
  await batch.submit();
  const got = await grid.readGrad();
  await ctx.check();
  const want = gridEncodeBackwardRef(grid.layout, pos, dOut, n, Float64Array.from(g0));
  // Bound per entry i. The GPU sums k_i terms w·g (plus the initial value) in f32 with atomics in an
  // arbitrary order; recursive summation in any order errs by at most (k_i − 1)·u·S_i, u = 2^-24,
  // S_i = Σ|terms| (+ |g0_i|), and forming each term w·g in f32 adds ≤ ~5u relative (3 roundings in w,
  // one in the product, one for the add of g0). So |Δ_i| ≤ (k_i + 5)·u·S_i. Coarse dense levels have
  // k_i ≈ 260 here, hence the need for a per-entry bound rather than one atol.
  const k = contributions(grid.layout, pos, n);
  const S = gridEncodeBackwardRef(grid.layout, pos, dOut.map(Math.abs), n, Float64Array.from(g0, Math.abs));
  const u = 2 ** -24;
  const bad: string[] = [];
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!;
    if (!Number.isFinite(a)) { bad.push(`[${i}] got ${a}`); continue; }
    const bound = (k[i]! + 5) * u * S[i]! + 1e-30;
    worst = Math.max(worst, Math.abs(a - want[i]!) / bound);
    if (Math.abs(a - want[i]!) > bound) bad.push(`[${i}] got ${a}, want ${want[i]} (|Δ| ${Math.abs(a - want[i]!).toExponential(2)} > ${bound.toExponential(2)}, k ${k[i]})`);
  }
  assert.equal(bad.length, 0, `dL/dθ: ${bad.length}/${want.length} entries outside the summation bound:\n${bad.slice(0, 6).join('\n')}`);
  assert.ok(worst < 1, `worst error / bound = ${worst}`);
  grid.destroy();
  pool.destroy();
}

test('grid encode backward: GPU matches float64 reference within the f32 summation bound (mixed levels)', async () => {
  await checkBackward(MIXED, 4099, 30);
});

test('grid encode backward: GPU matches float64 reference (F = 3, no planes, 3 samples per invocation)', async () => {
  await checkBackward(ODD_F, 1000, 40, 3);
});

test('grid encode forward + backward: one invocation per sample (RUN = 1)', async () => {
  await checkForward(MIXED, 1000, 50, 1);
  await checkBackward(MIXED, 1000, 60, 1);
});

test('grid encoding: init, params round-trip, level metadata, input validation', async () => {
  const ctx = await testGpu();
  const grid = new GridEncoding(ctx, MIXED);
  grid.init(5);
  const p = await grid.readParams();
  assert.equal(p.length, grid.paramCount);
  assert.ok(p.every((x) => Math.abs(x) <= 1e-4) && p.some((x) => x !== 0), 'init is uniform in [−1e-4, 1e-4]');
  const q = new Float32Array(grid.paramCount).map((_, i) => i % 7);
  grid.writeParams(q);
  assert.deepEqual(await grid.readParams(), q);
  assert.throws(() => grid.writeParams(new Float32Array(3)), RangeError);
  const meta = levelMetadata(grid.layout);
  assert.equal(meta.length, grid.layout.levels.length * LEVEL_FIELDS.length);
  const batch = new Batch(ctx, 'grid-validate');
  const small = ctx.device.createBuffer({ size: 64, usage: GPUBufferUsage.STORAGE });
  assert.throws(() => grid.forward(batch, small, small, 10), RangeError);
  assert.throws(() => grid.backward(batch, small, 1), /no positions/);
  await batch.submit();
  small.destroy();
  await ctx.check();
  grid.destroy();
  grid.destroy();
  assert.throws(() => grid.init(1), /after destroy/);
});
