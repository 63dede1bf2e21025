import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testGpu, rng, randomArray, assertClose, finiteDiff, SENTINEL } from '../helpers/gpu.ts';
import { checkKernelSource, Batch } from '../../src/gpu/kernel.ts';
import { BufferPool, readF32 } from '../../src/gpu/buffers.ts';
import {
  gridLayout, levelResolutions, validateGridConfig, GRID_PRESETS, type GridEncodingConfig, type GridLayout,
} from '../../src/field/encoding/grid-config.ts';
import {
  GridEncoding, gridEncodeSpecs, gridEncodeBinarySpecs, binaryFeatureBits, BINARY_FEATURE_READ, LEVEL_FIELDS, levelMetadata,
} from '../../src/field/encoding/grid-encode.ts';
import {
  gridEncodeRef, gridEncodeBackwardRef, levelCorners, binarizeFeature, binaryFeatureGrad,
} from '../../src/field/encoding/grid-encode.ref.ts';

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

/**
 * A table for the binarized kernels: uniform in [−2, 2] (so about half the entries lie outside the
 * straight-through mask |θ| ≤ 1), every 7th entry replaced by a sign or mask edge case: ±0 (sgn = +1),
 * ±1e-20 (tiny but normal in f32, so no flush-to-zero question), ±1 (mask open) and ±(1 + 2^-23), the
 * next f32 beyond (mask closed).
 */
function binaryTestTable(count: number, r: () => number): Float32Array {
  const t = new Float32Array(randomArray(count, r, -2, 2));
  const edge = [0, -0, 1e-20, -1e-20, 1, -1, 1 + 2 ** -23, -(1 + 2 ** -23)];
  for (let i = 0; i < count; i += 7) t[i] = edge[(i / 7) % edge.length]!;
  return t;
}

/** Writes a random table, runs the forward on the GPU and compares with the float64 reference. */
async function checkForward(config: GridEncodingConfig, n: number, seed: number, samplesPerInvocation?: number, binarize = false): Promise<void> {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const grid = new GridEncoding(ctx, binarize ? { ...config, binarize } : config, { label: 'test-grid', samplesPerInvocation });
  assert.equal(grid.binarize, binarize);
  const r = rng(seed);
  const table = binarize ? binaryTestTable(grid.paramCount, r) : new Float32Array(randomArray(grid.paramCount, r));
  grid.writeParams(table);
  const pos = positions(n, seed + 1);
  const posBuf = pool.upload('positions', pos);
  const out = pool.upload('features', new Float32Array(n * grid.outputDim).fill(SENTINEL));
  const batch = new Batch(ctx, 'grid-fwd-test');
  grid.forward(batch, posBuf, out, n);
  await batch.submit();
  const got = await readF32(ctx, out, n * grid.outputDim);
  await ctx.check();
  const want = gridEncodeRef(grid.layout, table, pos, n, { binarize });
  // Each feature is Σ of 4 or 8 terms w·θ with Σ w = 1 and |θ| ≤ 1, computed in f32: ~3 roundings in
  // w, one in the product and one per add bound the error by ~12·2^-24 ≈ 7e-7 (measured on lavapipe:
  // ≤ 2.4e-7). Binarized, θ is replaced by sgn θ = ±1 exactly, so the same bound holds, and a sign
  // read differently from the twin's would be off by 2w (the test positions include exact vertices,
  // where w = 1).
  assertClose(got, want, `features (${n} samples, D = ${grid.outputDim}${binarize ? ', binarized' : ''})`, { atol: 1e-6, rtol: 0 });
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

async function checkBackward(config: GridEncodingConfig, n: number, seed: number, samplesPerInvocation?: number, binarize = false): Promise<void> {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const grid = new GridEncoding(ctx, binarize ? { ...config, binarize } : config, { label: 'test-grid', samplesPerInvocation });
  const r = rng(seed);
  const table = binarize ? binaryTestTable(grid.paramCount, r) : new Float32Array(randomArray(grid.paramCount, r));
  grid.writeParams(table);
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
  const want = gridEncodeBackwardRef(grid.layout, pos, dOut, n, Float64Array.from(g0), { binarize, table });
  // Bound per entry i. The GPU sums k_i terms w·g (plus the initial value) in f32 with atomics in an
  // arbitrary order; recursive summation in any order errs by at most (k_i − 1)·u·S_i, u = 2^-24,
  // S_i = Σ|terms| (+ |g0_i|), and forming each term w·g in f32 adds ≤ ~5u relative (3 roundings in w,
  // one in the product, one for the add of g0). So |Δ_i| ≤ (k_i + 5)·u·S_i. Coarse dense levels have
  // k_i ≈ 260 here, hence the need for a per-entry bound rather than one atol.
  const k = contributions(grid.layout, pos, n);
  const S = gridEncodeBackwardRef(grid.layout, pos, dOut.map(Math.abs), n, Float64Array.from(g0, Math.abs), { binarize, table });
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
  if (binarize) {
    // Outside the mask the kernel adds feature_grad = 0 to each touched entry: the gradient must stay
    // g0 bit for bit. Make sure the mask is exercised (many touched entries on both sides of |θ| = 1).
    let closed = 0;
    let open = 0;
    for (let i = 0; i < want.length; i++) {
      if (k[i] === 0) continue;
      if (Math.abs(table[i]!) > 1) {
        closed++;
        if (!Object.is(got[i], g0[i])) bad.push(`[${i}] θ = ${table[i]} (masked) got ${got[i]}, want g0 = ${g0[i]} exactly`);
      } else open++;
    }
    assert.ok(closed > 100 && open > 100, `mask exercised: ${closed} touched entries with |θ| > 1, ${open} with |θ| ≤ 1`);
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

// ---- Binarized features (config.binarize; BiRF eq. 16, Zhang & Chen 2025 eq. 20-21) ----

/** Removes the definitions of read_feature and feature_grad (the only functions the variants swap). */
function withoutFeatureRead(source: string): string {
  return source.replace(/\bfn\s+(read_feature|feature_grad)\s*\([^)]*\)[^{]*\{[^}]*\}/g, '');
}

test('binarized grid kernels: WGSL matches the TS declarations; only read_feature/feature_grad differ', () => {
  assert.equal(gridEncodeBinarySpecs.length, gridEncodeSpecs.length);
  gridEncodeBinarySpecs.forEach((spec, i) => {
    const base = gridEncodeSpecs[i]!;
    assert.deepEqual(checkKernelSource(spec), [], spec.name);
    // A distinct name: it is the pipeline cache key (with the constants) and the profiler's key.
    assert.equal(spec.name, `${base.name}-binary`);
    assert.deepEqual(spec.bindings, base.bindings);
    assert.deepEqual(spec.params, base.params);
    // Everything but the two feature-read functions is the default kernel, byte for byte ...
    assert.equal(withoutFeatureRead(spec.source), withoutFeatureRead(base.source), `${spec.name}: rest of the source`);
    // ... which therefore still reads θ nowhere else, and the two functions are the binarized ones.
    assert.doesNotMatch(withoutFeatureRead(spec.source).replace(/\/\/[^\n]*/g, ''), /\btable\s*\[/, `${spec.name}: table read outside feature-read`);
    assert.ok(spec.source.includes(BINARY_FEATURE_READ.read_feature) && spec.source.includes(BINARY_FEATURE_READ.feature_grad), `${spec.name}: binarized functions`);
    const defs = (src: string): string[] => [...src.matchAll(/\bfn\s+(?:read_feature|feature_grad)\s*\([^)]*\)[^{]*\{([^}]*)\}/g)].map((m) => m[1]!.trim());
    assert.deepEqual(defs(base.source), ['return table[index];', 'return g;'], `${base.name}: the default kernel stays real-valued`);
    assert.deepEqual(defs(spec.source), ['return select(-1.0, 1.0, table[index] >= 0.0);', 'return select(0.0, g, abs(table[index]) <= 1.0);'], `${spec.name}: sgn and the masked STE`);
  });
});

test('binarized twin: sgn and the masked straight-through estimator, checked directly', () => {
  // The scalar rules (eq. 16: θ ≥ 0 → +1, so −0 → +1; NaN → −1 as the GPU's select(−1, 1, θ >= 0)).
  assert.deepEqual([0, -0, 5e-324, -5e-324, 0.3, -0.3, 2, -2, NaN].map(binarizeFeature), [1, 1, 1, -1, 1, -1, 1, -1, -1]);
  // Mask |θ| ≤ 1, bounds included; NaN masked.
  assert.deepEqual([0, -0.5, 1, -1, 1 + 2 ** -52, -(1 + 2 ** -52), 7, NaN].map((t) => binaryFeatureGrad(t, 0.25)), [0.25, 0.25, 0.25, 0.25, 0, 0, 0, 0]);
  assert.deepEqual(binaryFeatureBits([0, -0, 1e-30, -1e-30, -3, 3, NaN]), Uint8Array.from([1, 1, 1, 0, 0, 1, 0]));

  // The small every-kind-of-level grid of the reference test above.
  const layout = gridLayout(
    { levels: 2, featuresPerLevel: 2, log2TableSize: 5, nMin: 2, nMax: 5 },
    { levels: 2, featuresPerLevel: 2, log2TableSize: 4, nMin: 2, nMax: 6 },
  );
  const r = rng(70);
  const n = 9;
  const pos = new Float64Array(4 * n);
  for (let i = 0; i < 4 * n; i++) pos[i] = Math.fround(r());
  // θ in [−2, 2], kept ≥ 0.01 from ±1 so that the finite differences below (h = 1e-3) never straddle
  // the mask's edge, plus some exact zeros.
  const table = randomArray(layout.paramCount, r, -2, 2).map((t, i) => (i % 11 === 0 ? 0 : Math.abs(Math.abs(t) - 1) < 0.01 ? t * 1.05 : t));
  const dOut = randomArray(n * layout.outputDim, r);

  // Forward: exactly the real-valued interpolation of sgn θ.
  assert.deepEqual(gridEncodeRef(layout, table, pos, n, { binarize: true }), gridEncodeRef(layout, table.map(binarizeFeature), pos, n));

  // Backward: the masked STE is the gradient of the hard tanh clamp(θ, −1, 1) in place of sgn, so it
  // must match float64 central differences of the real-valued forward of the clamped table (which is
  // piecewise linear in θ: the differences are exact up to rounding, ~1e-12 as in the test above).
  const an = gridEncodeBackwardRef(layout, pos, dOut, n, undefined, { binarize: true, table });
  const hardTanh = (t: Float64Array): Float64Array => t.map((x) => Math.min(1, Math.max(-1, x)));
  const loss = (t: Float64Array): number => gridEncodeRef(layout, hardTanh(t), pos, n).reduce((s, v, i) => s + v * dOut[i]!, 0);
  assertClose(an, finiteDiff(loss, table, 1e-3), 'masked STE dL/dθ vs central differences of the hard tanh', { atol: 1e-9, rtol: 0 });

  // Equivalently: the real-valued backward with entries |θ| > 1 zeroed; and the mask really bites.
  const plain = gridEncodeBackwardRef(layout, pos, dOut, n);
  assert.deepEqual(an, plain.map((g, i) => (Math.abs(table[i]!) <= 1 ? g : 0)));
  const masked = plain.filter((g, i) => g !== 0 && Math.abs(table[i]!) > 1).length;
  const kept = plain.filter((g, i) => g !== 0 && Math.abs(table[i]!) <= 1).length;
  assert.ok(masked > 10 && kept > 10, `entries masked ${masked}, kept ${kept}`);
  // Accumulates like the real-valued backward (up to float64 summation order).
  const g0 = randomArray(layout.paramCount, r);
  assertClose(gridEncodeBackwardRef(layout, pos, dOut, n, Float64Array.from(g0), { binarize: true, table }), g0.map((g, i) => g + an[i]!), 'accumulated', { atol: 1e-12, rtol: 0 });
  assert.throws(() => gridEncodeBackwardRef(layout, pos, dOut, n, undefined, { binarize: true }), /opts\.table/);
});

test('binarized grid encode forward: GPU matches float64 twin (dense + hashed 3-D levels and planes)', async () => {
  await checkForward(MIXED, 4099, 80, undefined, true);
});

test('binarized grid encode forward: GPU matches float64 twin (F = 3, no planes, 3 samples per invocation)', async () => {
  await checkForward(ODD_F, 1000, 90, 3, true);
});

test('binarized grid encode backward: GPU matches float64 twin with the |θ| ≤ 1 mask (mixed levels)', async () => {
  await checkBackward(MIXED, 4099, 100, undefined, true);
});

test('binarized grid encode backward: GPU matches float64 twin (F = 3, no planes, 3 samples per invocation)', async () => {
  await checkBackward(ODD_F, 1000, 110, 3, true);
});

test('binarized and real-valued grids side by side in one batch use their own pipelines', async () => {
  const ctx = await testGpu();
  const pool = new BufferPool(ctx);
  const real = new GridEncoding(ctx, MIXED, { label: 'test-grid-real' });
  const bin = new GridEncoding(ctx, { ...MIXED, binarize: true }, { label: 'test-grid-bin' });
  const table = binaryTestTable(real.paramCount, rng(120));
  real.writeParams(table);
  bin.writeParams(table);
  const n = 512;
  const pos = positions(n, 121);
  const posBuf = pool.upload('positions', pos);
  const D = real.outputDim;
  const outs = [0, 1, 2].map((i) => pool.upload(`features-${i}`, new Float32Array(n * D).fill(SENTINEL)));
  const batch = new Batch(ctx, 'grid-variants-test');
  real.forward(batch, posBuf, outs[0]!, n);
  bin.forward(batch, posBuf, outs[1]!, n);
  real.forward(batch, posBuf, outs[2]!, n);
  await batch.submit();
  const got = await Promise.all(outs.map((o) => readF32(ctx, o, n * D)));
  await ctx.check();
  const wantReal = gridEncodeRef(real.layout, table, pos, n);
  const wantBin = gridEncodeRef(bin.layout, table, pos, n, { binarize: true });
  // Tolerance as in checkForward (|θ| ≤ 2 here for the real-valued grid: twice the bound).
  assertClose(got[0]!, wantReal, 'real-valued features', { atol: 2e-6, rtol: 0 });
  assertClose(got[1]!, wantBin, 'binarized features', { atol: 1e-6, rtol: 0 });
  assertClose(got[2]!, wantReal, 'real-valued features after the binarized launch', { atol: 2e-6, rtol: 0 });
  real.destroy();
  bin.destroy();
  pool.destroy();
});

test('binarized grid encoding: config validation, init, readBinaryFeatures', async () => {
  const ctx = await testGpu();
  assert.equal(validateGridConfig(MIXED).binarize, false);
  assert.equal(validateGridConfig({ ...MIXED, binarize: true }).binarize, true);
  assert.throws(() => validateGridConfig({ ...MIXED, binarize: 1 as unknown as boolean }, 'field.grid'),
    (e: unknown) => e instanceof TypeError && /field\.grid\.binarize/.test(e.message));
  assert.throws(() => new GridEncoding(ctx, { ...MIXED, binarize: 'yes' as unknown as boolean }), /config\.binarize/);

  const grid = new GridEncoding(ctx, { ...MIXED, binarize: true });
  assert.equal(grid.binarize, true);
  // Initialisation is unchanged: latents near zero (uniform ±1e-4), inside the mask, random signs.
  grid.init(5);
  const p = await grid.readParams();
  assert.ok(p.every((x) => Math.abs(x) <= 1e-4), 'init is uniform in [−1e-4, 1e-4]');
  const bits0 = await grid.readBinaryFeatures();
  const ones = bits0.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(ones / bits0.length - 0.5) < 0.01, `init signs balanced (${ones}/${bits0.length} are +1)`);

  const table = binaryTestTable(grid.paramCount, rng(130));
  grid.writeParams(table);
  const bits = await grid.readBinaryFeatures();
  assert.equal(bits.length, grid.paramCount);
  const bad = [...bits].flatMap((b, i) => (b !== (binarizeFeature(table[i]!) > 0 ? 1 : 0) ? [`[${i}] θ = ${table[i]} bit ${b}`] : []));
  assert.deepEqual(bad, []);
  assert.deepEqual([...bits.subarray(0, 4 * 7).filter((_, i) => i % 7 === 0)], [1, 1, 1, 0]); // θ = 0, −0, 1e-20, −1e-20
  grid.destroy();
  await assert.rejects(grid.readBinaryFeatures(), /after destroy/);

  const real = new GridEncoding(ctx, MIXED);
  await assert.rejects(real.readBinaryFeatures(), /not binarized/);
  real.destroy();
  await ctx.check();
});
