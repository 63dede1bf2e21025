/**
 * Projected voxel feature PV (docs/CONTEXT-MODEL.md §3.3): projectedVoxelFeatures against a brute-force
 * count over the finest 3-D level's active vertices, with a dense and with a hashed finest level, from
 * a real-valued θ and from its ±1 binarization.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { projectedVoxelFeatures } from '../../src/codec/grid/projection.ts';
import { gridLayout, type GridLayout } from '../../src/field/encoding/grid-config.ts';
import { vertexEntry } from '../../src/field/encoding/grid-encode.ref.ts';
import { mulberry32 } from '../../src/util/mulberry32.ts';

const lo = (v: number, N: number, G: number): number => Math.max(0, Math.ceil(((v - 1) * G) / N) - 1);
const hi = (v: number, N: number, G: number): number => Math.min(G - 1, Math.floor(((v + 1) * G) / N));

function randomOcc(G: number, density: number, seed: number): Uint32Array {
  const r = mulberry32(seed);
  const occ = new Uint32Array(Math.ceil((G * G * G) / 32));
  for (let i = 0; i < G * G * G; i++) if (r() < density) occ[i >> 5]! |= 1 << (i & 31);
  return occ;
}

function brute(layout: GridLayout, theta: Float32Array, occ: Uint32Array, G: number): Float32Array[] {
  const F = layout.featuresPerLevel;
  const lvl = layout.levels[layout.hash.levels - 1]!;
  const N = lvl.resolution;
  const S = N + 1;
  const n = [new Int32Array(S * S), new Int32Array(S * S), new Int32Array(S * S)];
  const k = [new Int32Array(S * S * F), new Int32Array(S * S * F), new Int32Array(S * S * F)];
  const occupied = (x: number, y: number, z: number): boolean => {
    const i = x + G * (y + G * z);
    return ((occ[i >> 5]! >>> (i & 31)) & 1) === 1;
  };
  for (let z = 0; z <= N; z++) {
    for (let y = 0; y <= N; y++) {
      for (let x = 0; x <= N; x++) {
        let act = false;
        for (let cz = lo(z, N, G); cz <= hi(z, N, G) && !act; cz++) {
          for (let cy = lo(y, N, G); cy <= hi(y, N, G) && !act; cy++) {
            for (let cx = lo(x, N, G); cx <= hi(x, N, G) && !act; cx++) act = occupied(cx, cy, cz);
          }
        }
        if (!act) continue;
        const e = vertexEntry(lvl, [x, y, z]);
        const lines = [x + S * y, x + S * z, y + S * z];
        for (let p = 0; p < 3; p++) {
          n[p]![lines[p]!]!++;
          for (let d = 0; d < F; d++) if (theta[lvl.paramOffset + e * F + d]! >= 0) k[p]![lines[p]! * F + d]!++;
        }
      }
    }
  }
  return [0, 1, 2].map((p) => {
    const out = new Float32Array(S * S * F);
    for (let i = 0; i < S * S; i++) {
      for (let d = 0; d < F; d++) out[i * F + d] = n[p]![i] === 0 ? 0 : (2 * k[p]![i * F + d]! - n[p]![i]!) / n[p]![i]!;
    }
    return out;
  });
}

test('PV equals the brute-force projection (dense and hashed finest level)', () => {
  const G = 16;
  for (const [log2T, F] of [[16, 2], [8, 3]] as const) {
    const layout = gridLayout({ levels: 3, featuresPerLevel: F, log2TableSize: log2T, nMin: 4, nMax: 21 }, { levels: 1, featuresPerLevel: F, log2TableSize: 8, nMin: 8, nMax: 8 });
    const finest = layout.levels[2]!;
    assert.equal(finest.dense, log2T === 16);
    const r = mulberry32(log2T);
    const theta = new Float32Array(layout.paramCount).map(() => 2 * r() - 1);
    for (const density of [0.01, 0.2]) {
      const occ = randomOcc(G, density, 3 + log2T);
      const pv = projectedVoxelFeatures(layout, theta, occ, G);
      assert.equal(pv.size, 22);
      assert.equal(pv.features, F);
      const ref = brute(layout, theta, occ, G);
      assert.deepEqual(pv.xy, ref[0]);
      assert.deepEqual(pv.xz, ref[1]);
      assert.deepEqual(pv.yz, ref[2]);
      // The ±1 grid (sign decides) gives the same PV.
      const signs = theta.map((t) => (t >= 0 ? 1 : -1));
      assert.deepEqual(projectedVoxelFeatures(layout, signs, occ, G).xz, pv.xz);
    }
  }
});

test('PV values are in [−1, 1] and 0 on empty lines; sizes are checked', () => {
  const layout = gridLayout({ levels: 2, featuresPerLevel: 2, log2TableSize: 10, nMin: 4, nMax: 32 });
  const G = 8;
  const occ = new Uint32Array(16);
  occ[0] = 1; // cell (0, 0, 0)
  const theta = new Float32Array(layout.paramCount).fill(1);
  const pv = projectedVoxelFeatures(layout, theta, occ, G);
  const S = pv.size;
  for (const a of [pv.xy, pv.xz, pv.yz]) for (const v of a) assert.ok(v === 0 || v === 1);
  assert.equal(pv.xy[0], 1);
  assert.equal(pv.xy[(S - 1 + (S - 1) * S) * 2], 0);
  assert.throws(() => projectedVoxelFeatures(layout, new Float32Array(3), occ, G), /layout.paramCount = \d+ values, got 3/);
});
