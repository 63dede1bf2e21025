/**
 * Speed of the grid-feature coder (src/codec/grid/grid-codec.ts, docs/CONTEXT-MODEL.md) on the CPU
 * preset (3-D L = 16, F = 2, T = 2^17, N 16…1024; planes L2 = 2, N 64…256, T = 2^15) with a solid
 * sphere occupancy of radius 0.3 at G = 128, random θ and random (untrained) context models. Prints
 * the time of each stage (frequencies, PV projection, encode, decode), and the active entries and
 * ideal bits per level. Random θ costs about 1 bit per feature whatever the model; the point is time.
 *
 * Usage: node --import tsx bench/grid-codec.ts [--g 128] [--r 0.3] [--k 4]
 */
import { countActiveVertices, occupancyIndex } from '../src/codec/grid/active.ts';
import { contextMlpConfig } from '../src/codec/grid/context-config.ts';
import { decodeGridFeatures, encodeGridFeatures, gridFrequencies } from '../src/codec/grid/grid-codec.ts';
import { projectedVoxelFeatures } from '../src/codec/grid/projection.ts';
import { GRID_PRESETS, gridLayout } from '../src/field/encoding/grid-config.ts';
import { initMlp } from '../src/field/network/mlp-config.ts';
import { mulberry32 } from '../src/util/mulberry32.ts';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const G = arg('g', 128);
const R = arg('r', 0.3);
const K = arg('k', 4);

const layout = gridLayout(GRID_PRESETS.cpu.hash, GRID_PRESETS.cpu.planes);
const F = layout.featuresPerLevel;
const occ = new Uint32Array(Math.ceil((G * G * G) / 32));
for (let z = 0, i = 0; z < G; z++) {
  for (let y = 0; y < G; y++) {
    for (let x = 0; x < G; x++, i++) {
      if (Math.hypot((x + 0.5) / G - 0.5, (y + 0.5) / G - 0.5, (z + 0.5) / G - 0.5) <= R) occ[i >> 5]! |= 1 << (i & 31);
    }
  }
}
const rnd = mulberry32(1);
const theta = new Float32Array(layout.paramCount).map(() => 2 * rnd() - 1);
const models = { level: initMlp(contextMlpConfig('level', F), 2), dim: initMlp(contextMlpConfig('dim', F), 3) };

/** Runs f; returns its result, wall seconds and this process's CPU seconds (steadier on a shared machine). */
const cpuTotal: number[] = [];
const time = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = f();
  const c = process.cpuUsage(c0);
  cpuTotal.push((c.user + c.system) / 1e6);
  return [r, (performance.now() - t0) / 1000];
};

console.log(`grid-codec bench: CPU preset (${layout.levels.length} levels, ${layout.paramCount} params), sphere r = ${R} at G = ${G}, K = ${K}`);
const index = occupancyIndex(occ, G);
const [vertices, tCount] = time(() => layout.levels.map((l) => countActiveVertices(l, index)));
const [freq, tFreq] = time(() => gridFrequencies(layout, theta, occ, G));
const [, tPv] = time(() => projectedVoxelFeatures(layout, theta, occ, G));
const [enc, tEnc] = time(() => encodeGridFeatures(layout, theta, occ, G, freq, models, { hashCombine: K }));
const [dec, tDec] = time(() => decodeGridFeatures(layout, enc.bytes, occ, G, freq, models, { hashCombine: K }));

let ok = true;
for (const l of layout.levels) {
  for (let e = 0; e < l.entries && ok; e++) {
    for (let d = 0; d < F; d++) {
      const p = l.paramOffset + e * F + d;
      if (dec[p] !== -1 && dec[p] !== (theta[p]! >= 0 ? 1 : -1)) ok = false;
    }
  }
}

console.log('level      N  dense  active vertices  active entries       bits  bits/feature');
enc.levels.forEach((s, i) => {
  const l = layout.levels[i]!;
  const name = `${s.kind}${s.level}`.padEnd(6);
  console.log(
    `${name} ${String(l.resolution).padStart(5)}  ${l.dense ? 'yes' : ' no'}  ${String(vertices[i]).padStart(15)}  ${String(s.activeEntries).padStart(14)}` +
      `  ${s.bits.toFixed(0).padStart(9)}  ${(s.activeEntries ? s.bits / (F * s.activeEntries) : 0).toFixed(4)}`,
  );
});
const totalBits = enc.levels.reduce((a, s) => a + s.bits, 0);
console.log(`total: ${enc.bytes.length} bytes (ideal ${(totalBits / 8).toFixed(0)}), round trip ${ok ? 'exact' : 'MISMATCH'}`);
console.log(
  `time: active-vertex count ${tCount.toFixed(2)} s, frequencies ${tFreq.toFixed(2)} s, PV projection ${tPv.toFixed(2)} s, ` +
    `encode ${tEnc.toFixed(2)} s, decode ${tDec.toFixed(2)} s, encode+decode ${(tEnc + tDec).toFixed(2)} s (wall)`,
);
const [cCount, cFreq, cPv, cEnc, cDec] = cpuTotal as [number, number, number, number, number];
console.log(
  `cpu:  active-vertex count ${cCount.toFixed(2)} s, frequencies ${cFreq.toFixed(2)} s, PV projection ${cPv.toFixed(2)} s, ` +
    `encode ${cEnc.toFixed(2)} s, decode ${cDec.toFixed(2)} s, encode+decode ${(cEnc + cDec).toFixed(2)} s`,
);
