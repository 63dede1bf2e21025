/**
 * Active-vertex enumeration (docs/CONTEXT-MODEL.md §1): the run-based enumeration of active.ts against
 * a brute-force vertex-by-vertex reference, for 3-D levels and the three planes, on random occupancy
 * grids (G = 8, 16, 40) at resolutions below, equal to, not a multiple of and above G.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  axisTables,
  cellHi,
  cellLo,
  countActiveVertices,
  forEachActivePlaneRun,
  forEachActiveRun3,
  occupancyIndex,
} from '../../src/codec/grid/active.ts';
import { gridLayout } from '../../src/field/encoding/grid-config.ts';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomOcc(G: number, density: number, seed: number): Uint32Array {
  const r = rng(seed);
  const occ = new Uint32Array(Math.ceil((G * G * G) / 32));
  for (let i = 0; i < G * G * G; i++) if (r() < density) occ[i >> 5]! |= 1 << (i & 31);
  return occ;
}

const occupied = (occ: Uint32Array, G: number, x: number, y: number, z: number): boolean => {
  const i = x + G * (y + G * z);
  return ((occ[i >> 5]! >>> (i & 31)) & 1) === 1;
};

/** §1 literally, with the formula evaluated independently of active.ts. */
const lo = (v: number, N: number, G: number): number => Math.max(0, Math.ceil(((v - 1) * G) / N) - 1);
const hi = (v: number, N: number, G: number): number => Math.min(G - 1, Math.floor(((v + 1) * G) / N));

function brute3(occ: Uint32Array, G: number, N: number): number[] {
  const out: number[] = [];
  for (let z = 0; z <= N; z++) {
    for (let y = 0; y <= N; y++) {
      for (let x = 0; x <= N; x++) {
        let act = false;
        for (let cz = lo(z, N, G); cz <= hi(z, N, G) && !act; cz++) {
          for (let cy = lo(y, N, G); cy <= hi(y, N, G) && !act; cy++) {
            for (let cx = lo(x, N, G); cx <= hi(x, N, G) && !act; cx++) act = occupied(occ, G, cx, cy, cz);
          }
        }
        if (act) out.push(x + (N + 1) * (y + (N + 1) * z));
      }
    }
  }
  return out;
}

function brutePlane(occ: Uint32Array, G: number, N: number, axes: [number, number]): number[] {
  const out: number[] = [];
  for (let w = 0; w <= N; w++) {
    for (let u = 0; u <= N; u++) {
      let act = false;
      for (let ca = lo(u, N, G); ca <= hi(u, N, G) && !act; ca++) {
        for (let cb = lo(w, N, G); cb <= hi(w, N, G) && !act; cb++) {
          for (let c3 = 0; c3 < G && !act; c3++) {
            const c = [0, 0, 0];
            c[axes[0]] = ca;
            c[axes[1]] = cb;
            c[3 - axes[0] - axes[1]] = c3;
            act = occupied(occ, G, c[0]!, c[1]!, c[2]!);
          }
        }
      }
      if (act) out.push(u + (N + 1) * w);
    }
  }
  return out;
}

/** Collects runs, checking raster order, maximality and bounds. */
function runs3(occ: Uint32Array, G: number, N: number): number[] {
  const out: number[] = [];
  let lastRow = -1;
  let lastX1 = -1;
  forEachActiveRun3(occupancyIndex(occ, G), N, (y, z, x0, x1) => {
    assert.ok(x0 >= 0 && x1 <= N && x0 <= x1, `run [${x0}, ${x1}] within [0, ${N}]`);
    const row = y + (N + 1) * z;
    assert.ok(row > lastRow || (row === lastRow && x0 > lastX1 + 1), 'runs in raster order, disjoint and not adjacent (maximal)');
    lastRow = row;
    lastX1 = x1;
    for (let x = x0; x <= x1; x++) out.push(x + (N + 1) * row);
  });
  return out;
}

test('lo/hi tables follow §1 and firstV/lastV invert them', () => {
  for (const G of [8, 16, 40]) {
    for (const N of [1, 2, 5, 8, 16, 17, 40, 100]) {
      const t = axisTables(N, G);
      for (let v = 0; v <= N; v++) {
        assert.equal(t.lo[v], lo(v, N, G));
        assert.equal(t.hi[v], hi(v, N, G));
        assert.equal(cellLo(v, N, G), lo(v, N, G));
        assert.equal(cellHi(v, N, G), hi(v, N, G));
      }
      for (let c = 0; c < G; c++) {
        let f = 0;
        while (hi(f, N, G) < c) f++;
        let l = N;
        while (lo(l, N, G) > c) l--;
        assert.equal(t.firstV[c], f, `firstV[${c}] G=${G} N=${N}`);
        assert.equal(t.lastV[c], l, `lastV[${c}] G=${G} N=${N}`);
      }
    }
  }
});

test('3-D enumeration equals the brute-force reference', () => {
  let seed = 1;
  for (const G of [8, 16]) {
    for (const density of [0.003, 0.02, 0.3]) {
      for (const N of [1, 3, 5, G, G + 3, 2 * G, 37]) {
        const occ = randomOcc(G, density, seed++);
        assert.deepEqual(runs3(occ, G, N), brute3(occ, G, N), `G=${G} density=${density} N=${N}`);
      }
    }
  }
});

test('plane enumeration equals the brute-force reference for xy, xz and yz', () => {
  let seed = 100;
  const planes: [('xy' | 'xz' | 'yz'), [number, number]][] = [['xy', [0, 1]], ['xz', [0, 2]], ['yz', [1, 2]]];
  for (const G of [8, 16]) {
    for (const density of [0.002, 0.02]) {
      for (const N of [1, 4, 7, G, G + 5, 3 * G + 1]) {
        const occ = randomOcc(G, density, seed++);
        const index = occupancyIndex(occ, G);
        for (const [kind, axes] of planes) {
          const got: number[] = [];
          forEachActivePlaneRun(index, kind, N, (w, r2, u0, u1) => {
            assert.equal(r2, 0);
            for (let u = u0; u <= u1; u++) got.push(u + (N + 1) * w);
          });
          assert.deepEqual(got, brutePlane(occ, G, N, axes), `${kind} G=${G} density=${density} N=${N}`);
        }
      }
    }
  }
});

test('G not a multiple of 32, empty and full grids', () => {
  const G = 40;
  const occ = randomOcc(G, 0.001, 7);
  for (const N of [7, 40, 57]) assert.deepEqual(runs3(occ, G, N), brute3(occ, G, N), `G=40 N=${N}`);
  const empty = new Uint32Array(Math.ceil((16 * 16 * 16) / 32));
  const layout = gridLayout({ levels: 2, featuresPerLevel: 1, log2TableSize: 10, nMin: 4, nMax: 20 }, { levels: 1, featuresPerLevel: 1, log2TableSize: 8, nMin: 8, nMax: 8 });
  const ie = occupancyIndex(empty, 16);
  assert.equal(ie.empty, true);
  for (const l of layout.levels) assert.equal(countActiveVertices(l, ie), 0);
  const full = new Uint32Array(Math.ceil((16 * 16 * 16) / 32)).fill(0xffffffff);
  const iF = occupancyIndex(full, 16);
  for (const l of layout.levels) assert.equal(countActiveVertices(l, iF), l.verticesPerAxis ** l.dims, `${l.kind} ${l.level}`);
});

test('early stop: a callback returning true ends the enumeration', () => {
  const occ = randomOcc(16, 0.2, 3);
  let calls = 0;
  forEachActiveRun3(occupancyIndex(occ, 16), 32, () => {
    calls++;
    return calls === 5;
  });
  assert.equal(calls, 5);
});

test('rejects a bitfield of the wrong size', () => {
  assert.throws(() => occupancyIndex(new Uint32Array(10), 16), /ceil\(G³\/32\) = 128 words, got 10/);
  assert.throws(() => occupancyIndex(new Uint32Array(10), 0), /integer in \[1, 1024\]/);
});
