/**
 * Grid-feature coder (docs/CONTEXT-MODEL.md §1-4): lossless round trips of the active sign bits
 * (sphere and random sparse occupancy, dense and hashed levels, planes), identical probability streams
 * in encoder and decoder, frequencies, rates below 1 bit/feature on correlated features with context
 * models, ideal vs actual size, BitstreamError on truncated / over-long / corrupted streams, and the
 * empty grid.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachActiveRun, occupancyIndex } from '../../src/codec/grid/active.ts';
import { contextMlpConfig } from '../../src/codec/grid/context-config.ts';
import { contextModelParamCount } from '../../src/codec/grid/context-model.ts';
import {
  binarizeParams,
  decodeGridFeatures,
  encodeGridFeatures,
  gridFrequencies,
  type ContextModels,
} from '../../src/codec/grid/grid-codec.ts';
import { BitstreamError } from '../../src/codec/errors.ts';
import { gridLayout, type GridLayout } from '../../src/field/encoding/grid-config.ts';
import { vertexEntry } from '../../src/field/encoding/grid-encode.ref.ts';
import { initMlp, mlpLayerOffsets } from '../../src/field/network/mlp-config.ts';
import { mulberry32 } from '../../src/util/mulberry32.ts';

/** Hash L = 6 (N 4…64, T = 2^10: levels 0-1 dense, 2-5 hashed), planes L2 = 2 (N 8 dense, 32 hashed). */
const LAYOUT = gridLayout(
  { levels: 6, featuresPerLevel: 2, log2TableSize: 10, nMin: 4, nMax: 64 },
  { levels: 2, featuresPerLevel: 2, log2TableSize: 8, nMin: 8, nMax: 32 },
);
const G = 16;

function occGrid(g: number, f: (x: number, y: number, z: number) => boolean): Uint32Array {
  const occ = new Uint32Array(Math.ceil((g * g * g) / 32));
  let i = 0;
  for (let z = 0; z < g; z++) for (let y = 0; y < g; y++) for (let x = 0; x < g; x++, i++) if (f(x, y, z)) occ[i >> 5]! |= 1 << (i & 31);
  return occ;
}

const sphere = (g: number, r: number): Uint32Array =>
  occGrid(g, (x, y, z) => Math.hypot((x + 0.5) / g - 0.5, (y + 0.5) / g - 0.5, (z + 0.5) / g - 0.5) <= r);

function sparse(g: number, density: number, seed: number): Uint32Array {
  const r = mulberry32(seed);
  return occGrid(g, () => r() < density);
}

const randomTheta = (layout: GridLayout, seed: number): Float32Array => {
  const r = mulberry32(seed);
  return new Float32Array(layout.paramCount).map(() => 2 * r() - 1);
};

/** Random (untrained) context models. */
function randomModels(layout: GridLayout, seed: number): ContextModels {
  const F = layout.featuresPerLevel;
  return { level: initMlp(contextMlpConfig('level', F), seed), dim: layout.planes.levels > 0 ? initMlp(contextMlpConfig('dim', F), seed + 1) : null };
}

/** Every active entry's sign bit restored; everything else −1 (= binarizeParams). */
function checkRoundTrip(layout: GridLayout, theta: Float32Array, occ: Uint32Array, g: number, models: ContextModels, hashCombine?: number): Uint8Array {
  const freq = gridFrequencies(layout, theta, occ, g);
  const encP: number[] = [];
  const { bytes, levels } = encodeGridFeatures(layout, theta, occ, g, freq, models, { hashCombine, onProbability: (p, b) => encP.push(p, b) });
  const decP: number[] = [];
  const out = decodeGridFeatures(layout, bytes, occ, g, freq, models, { hashCombine, onProbability: (p, b) => decP.push(p, b) });
  assert.deepEqual(decP, encP, 'decoder probabilities and bits equal the encoder’s');
  const expected = binarizeParams(theta, layout, occ, g);
  assert.deepEqual(out, expected);
  // Independent check of binarizeParams: active entries (by brute-force vertex enumeration) carry sgn θ.
  const index = occupancyIndex(occ, g);
  const F = layout.featuresPerLevel;
  let coded = 0;
  for (const [li, lvl] of layout.levels.entries()) {
    const active = new Uint8Array(lvl.entries);
    forEachActiveRun(lvl, index, (r1, r2, a0, a1) => {
      for (let a = a0; a <= a1; a++) active[vertexEntry(lvl, lvl.dims === 3 ? [a, r1, r2] : [a, r1])] = 1;
    });
    let n = 0;
    for (let e = 0; e < lvl.entries; e++) {
      n += active[e]!;
      for (let d = 0; d < F; d++) {
        const p = lvl.paramOffset + e * F + d;
        assert.equal(out[p], active[e] ? (theta[p]! >= 0 ? 1 : -1) : -1, `level ${li} entry ${e} feature ${d}`);
      }
    }
    assert.equal(levels[li]!.activeEntries, n, `active entries of level ${li}`);
    coded += n * F;
  }
  assert.equal(encP.length / 2, coded, 'one probability per coded bit');
  return bytes;
}

test('round trip with a sphere occupancy (dense, hashed and plane levels)', () => {
  const occ = sphere(G, 0.3);
  const theta = randomTheta(LAYOUT, 1);
  const bytes = checkRoundTrip(LAYOUT, theta, occ, G, randomModels(LAYOUT, 2));
  assert.ok(bytes.length > 0);
  assert.ok(LAYOUT.levels.some((l) => l.dense && l.kind === 'xyz') && LAYOUT.levels.some((l) => !l.dense && l.kind === 'xyz'));
  assert.ok(LAYOUT.levels.some((l) => l.dense && l.kind !== 'xyz') && LAYOUT.levels.some((l) => !l.dense && l.kind !== 'xyz'));
});

test('round trip with random sparse occupancy, K = 1, 4 and 7', () => {
  const occ = sparse(G, 0.01, 9);
  const theta = randomTheta(LAYOUT, 3);
  const models = randomModels(LAYOUT, 4);
  const streams = [1, 4, 7].map((k) => checkRoundTrip(LAYOUT, theta, occ, G, models, k));
  assert.notDeepEqual(streams[0], streams[1], 'K changes the hashed probabilities');
});

test('round trip without planes and with few 3-D levels (no η_c, no η_dim)', () => {
  const layout = gridLayout({ levels: 3, featuresPerLevel: 1, log2TableSize: 9, nMin: 4, nMax: 20 });
  const occ = sparse(8, 0.1, 5);
  checkRoundTrip(layout, randomTheta(layout, 6), occ, 8, { level: new Float32Array(0), dim: null });
  const layout2 = gridLayout({ levels: 5, featuresPerLevel: 3, log2TableSize: 12, nMin: 3, nMax: 40 });
  checkRoundTrip(layout2, randomTheta(layout2, 7), sphere(8, 0.35), 8, randomModels(layout2, 8));
});

test('frequencies: §2 over active entries; coarse levels are coded with p1 = q', () => {
  const occ = sphere(G, 0.3);
  const theta = randomTheta(LAYOUT, 11).map((v, i) => (i % 5 === 0 ? Math.abs(v) : -Math.abs(v)));
  const freq = gridFrequencies(LAYOUT, theta, occ, G);
  const bin = binarizeParams(theta, LAYOUT, occ, G);
  const index = occupancyIndex(occ, G);
  const F = 2;
  for (const [li, lvl] of LAYOUT.levels.entries()) {
    const active = new Set<number>();
    forEachActiveRun(lvl, index, (r1, r2, a0, a1) => {
      for (let a = a0; a <= a1; a++) active.add(vertexEntry(lvl, lvl.dims === 3 ? [a, r1, r2] : [a, r1]));
    });
    let ones = 0;
    for (const e of active) for (let d = 0; d < F; d++) if (bin[lvl.paramOffset + e * F + d] === 1) ones++;
    assert.equal(freq[li], Math.min(65535, Math.max(1, Math.round((65536 * ones) / (F * active.size)))), `level ${li}`);
  }
  const ps: number[] = [];
  const { levels } = encodeGridFeatures(LAYOUT, theta, occ, G, freq, randomModels(LAYOUT, 1), { onProbability: (p) => ps.push(p) });
  let at = 0;
  for (let l = 0; l < 3; l++) {
    const n = levels[l]!.activeEntries * F;
    assert.ok(n > 0);
    assert.ok(ps.slice(at, at + n).every((p) => p === freq[l]), `level ${l} coded with its frequency`);
    at += n;
  }
  assert.ok(ps.slice(at).some((p) => p !== freq[3]), 'level 3 uses η_c');
});

/**
 * Context models with "trained-looking" weights: each predicts feature d from the previous level's
 * interpolation (η_c: I_{l−1,d}; η_dim: J_{m−1,d} + PV_d) with gain `gain`: z_d = gain·(x_d⁺ − x_d⁻)
 * through two ReLU layers that pass (x, −x) on.
 */
function predictiveModels(layout: GridLayout, gain: number): ContextModels {
  const F = layout.featuresPerLevel;
  const make = (kind: 'level' | 'dim'): Float32Array => {
    const cfg = contextMlpConfig(kind, F);
    const p = new Float32Array(contextModelParamCount(kind, F));
    const [l1, l2, l3] = mlpLayerOffsets(cfg);
    for (let d = 0; d < F; d++) {
      const inputs = kind === 'level' ? [d] : [d, 3 * F + d]; // J_{m−1,d} and PV_d
      for (const i of inputs) {
        p[l1!.weightOffset + 2 * d * l1!.in + i] = gain;
        p[l1!.weightOffset + (2 * d + 1) * l1!.in + i] = -gain;
      }
      for (const u of [2 * d, 2 * d + 1]) p[l2!.weightOffset + u * l2!.in + u] = 1;
      p[l3!.weightOffset + d * l3!.in + 2 * d] = 1;
      p[l3!.weightOffset + d * l3!.in + 2 * d + 1] = -1;
    }
    return p;
  };
  return { level: make('level'), dim: layout.planes.levels > 0 ? make('dim') : null };
}

test('correlated features code below 1 bit/feature with context models; ideal ≈ actual size', () => {
  // Mostly dense levels so that every vertex owns its feature.
  const layout = gridLayout(
    { levels: 6, featuresPerLevel: 2, log2TableSize: 15, nMin: 6, nMax: 40 },
    { levels: 2, featuresPerLevel: 2, log2TableSize: 10, nMin: 12, nMax: 24 },
  );
  const occ = sphere(G, 0.35);
  const F = 2;
  const f = [
    (x: number, y: number, z: number) => Math.sin(7 * x + 1) + Math.cos(5 * y) + 0.5 * z - 0.3,
    (x: number, y: number, z: number) => Math.cos(6 * z - 2) * Math.sin(4 * x + 3 * y),
  ];
  // θ of an entry: the smooth function at its first active vertex (position v / N); the planes read it
  // at the middle of their normal.
  const r = mulberry32(21);
  const theta = new Float32Array(layout.paramCount).map(() => 2 * r() - 1);
  const index = occupancyIndex(occ, G);
  for (const lvl of layout.levels) {
    const seen = new Uint8Array(lvl.entries);
    const N = lvl.resolution;
    forEachActiveRun(lvl, index, (r1, r2, a0, a1) => {
      for (let a = a0; a <= a1; a++) {
        const v = lvl.dims === 3 ? [a, r1, r2] : [a, r1];
        const e = vertexEntry(lvl, v);
        if (seen[e]) continue;
        seen[e] = 1;
        const pos = [0.5, 0.5, 0.5];
        lvl.axes.forEach((ax, i) => (pos[ax] = v[i]! / N));
        for (let d = 0; d < F; d++) theta[lvl.paramOffset + e * F + d] = f[d]!(pos[0]!, pos[1]!, pos[2]!);
      }
    });
  }
  const freq = gridFrequencies(layout, theta, occ, G);
  const models = predictiveModels(layout, 5);
  const { bytes, levels } = encodeGridFeatures(layout, theta, occ, G, freq, models);
  assert.deepEqual(decodeGridFeatures(layout, bytes, occ, G, freq, models), binarizeParams(theta, layout, occ, G));
  const features = levels.reduce((s, l) => s + l.activeEntries * F, 0);
  const ideal = levels.reduce((s, l) => s + l.bits, 0);
  const ctxLevels = levels.filter((l) => l.kind !== 'xyz' || l.level >= 3);
  const ctxFeatures = ctxLevels.reduce((s, l) => s + l.activeEntries * F, 0);
  const ctxBits = ctxLevels.reduce((s, l) => s + l.bits, 0);
  // Frequencies alone: about 1 bit/feature (the functions are balanced).
  const freqOnly = levels.reduce((s, l, li) => {
    const p = freq[li]! / 65536;
    const h = p <= 0 || p >= 1 ? 0 : -(p * Math.log2(p) + (1 - p) * Math.log2(1 - p));
    return s + h * l.activeEntries * F;
  }, 0);
  assert.ok(features > 20_000, `${features} features`);
  assert.ok(ctxBits / ctxFeatures < 0.5, `context-coded levels: ${(ctxBits / ctxFeatures).toFixed(3)} bit/feature`);
  assert.ok(ideal / features < 1 && ideal < 0.6 * freqOnly, `total ${(ideal / features).toFixed(3)} bit/feature, frequencies alone ${(freqOnly / features).toFixed(3)}`);
  assert.ok(Math.abs(8 * bytes.length - ideal) <= 0.02 * ideal + 40, `actual ${8 * bytes.length} bits vs ideal ${ideal.toFixed(0)}`);
});

test('truncated, over-long and corrupted streams throw BitstreamError (GRID_FEATURES)', () => {
  const occ = sphere(G, 0.3);
  const theta = randomTheta(LAYOUT, 31);
  const freq = gridFrequencies(LAYOUT, theta, occ, G);
  const models = predictiveModels(LAYOUT, 3);
  const { bytes } = encodeGridFeatures(LAYOUT, theta, occ, G, freq, models);
  const isGridError = (e: unknown): boolean => e instanceof BitstreamError && e.section === 'GRID_FEATURES' && /GRID_FEATURES/.test(e.message);
  for (const cut of [0, 1, bytes.length >> 1, bytes.length - 1]) {
    assert.throws(() => decodeGridFeatures(LAYOUT, bytes.subarray(0, cut), occ, G, freq, models), isGridError, `cut at ${cut}`);
  }
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  assert.throws(() => decodeGridFeatures(LAYOUT, longer, occ, G, freq, models), isGridError);
  // Corruption: the decoder never hangs; it throws or (rarely, no checksum here) returns another grid.
  const expected = binarizeParams(theta, LAYOUT, occ, G);
  let thrown = 0;
  for (let i = 0; i < 8; i++) {
    const bad = bytes.slice();
    bad[Math.floor(((i + 0.5) * bytes.length) / 8)]! ^= 0x5a;
    try {
      assert.notDeepEqual(decodeGridFeatures(LAYOUT, bad, occ, G, freq, models), expected);
    } catch (e) {
      assert.ok(isGridError(e), String(e));
      thrown++;
    }
  }
  assert.ok(thrown >= 6, `${thrown} of 8 corruptions detected`);
});

test('an empty occupancy grid codes 0 entries in 0 bytes', () => {
  const occ = new Uint32Array((G * G * G) / 32);
  const theta = randomTheta(LAYOUT, 41);
  const freq = gridFrequencies(LAYOUT, theta, occ, G);
  assert.ok(freq.every((q) => q === 32768));
  const models = randomModels(LAYOUT, 1);
  const { bytes, levels } = encodeGridFeatures(LAYOUT, theta, occ, G, freq, models);
  assert.equal(bytes.length, 0);
  assert.ok(levels.every((l) => l.activeEntries === 0 && l.bits === 0));
  const out = decodeGridFeatures(LAYOUT, bytes, occ, G, freq, models);
  assert.ok(out.every((v) => v === -1));
  assert.throws(() => decodeGridFeatures(LAYOUT, new Uint8Array(3), occ, G, freq, models), BitstreamError);
});

test('argument errors are TypeErrors that say what is wrong', () => {
  const occ = sphere(G, 0.3);
  const theta = randomTheta(LAYOUT, 1);
  const freq = gridFrequencies(LAYOUT, theta, occ, G);
  const models = randomModels(LAYOUT, 1);
  assert.throws(() => encodeGridFeatures(LAYOUT, new Float32Array(5), occ, G, freq, models), /theta must be a Float32Array of layout.paramCount = \d+ values, got 5/);
  assert.throws(() => encodeGridFeatures(LAYOUT, theta, occ, 8, freq, models), /ceil\(G³\/32\) = 16 words, got 128/);
  assert.throws(() => encodeGridFeatures(LAYOUT, theta, occ, G, freq.subarray(1), models), /one value per layout level \(12\), got 11/);
  assert.throws(() => encodeGridFeatures(LAYOUT, theta, occ, G, freq, { level: models.level, dim: null }), /models.dim must be a Float32Array of \d+ parameters/);
  assert.throws(() => decodeGridFeatures(LAYOUT, new Uint8Array(4), occ, G, freq, models, { hashCombine: 0 }), /hashCombine must be an integer in \[1, 255\], got 0/);
});
