/**
 * Coder of the binarized grid features (the `GRID_FEATURES` section), normative spec in
 * docs/CONTEXT-MODEL.md §1-4.
 *
 * What is coded: the sign bit b = [θ ≥ 0] of every feature of every *active* entry (§1: an entry some
 * active vertex maps to; active vertices are those whose level cells touch an occupied occupancy cell,
 * enumerated by active.ts). Inactive entries are not coded and decode to θ = −1.
 *
 * Order (§4): one binary range-coder stream; levels in layout order (3-D levels 0…L−1, then xy, xz, yz
 * of each plane level); within a level the active entries in ascending index; within an entry the
 * features d = 0…F−1.
 *
 * Probabilities (§3), all float64 with exactly specified operations, then quantised (§3.5):
 * - 3-D levels l < L_C (= CONTEXT_LEVELS): the level's frequency q_l (§2, side information) as p1;
 * - 3-D levels l ≥ L_C: the level-wise model η_c on [I_{l−1}, I_{l−2}, I_{l−3}, v_+] (§3.2), the I_j
 *   being trilinear interpolations of the already decoded coarser levels at the vertex;
 * - plane levels: the dimension-wise model η_dim on [J_{m−1}, J_{m−2}, J_{m−3}, PV, v_+] (§3.3), the
 *   J_j bilinear interpolations of the same plane's coarser levels and PV the projected voxel feature
 *   of the decoded finest 3-D level (projection.ts);
 * - hashed levels: the mean of p_d over the first K active vertices (raster order) of the entry (§3.4).
 *
 * Encoder and decoder share one code path, {@link codeGrid}: it computes a level's probabilities from
 * the reconstructed grid `phi` (levels below the current one only, plus PV once all 3-D levels are
 * done), hands each (p1, parameter index) to a `codeBit` function — the encoder's encodes the bit of θ,
 * the decoder's decodes one — and writes the resulting ±1 into `phi` before moving to the next level.
 * So the two cannot drift: the encoder models exactly what the decoder will have.
 *
 * Speed: a hashed level's active vertices are collected with an early exit once every entry holds K
 * vertices (they are then all active and their first K fixed), so the 1025³ finest level of the CPU
 * preset (1.2e8 active vertices for a sphere of radius 0.3) is done after 1.7e6 of them, and η_c runs at
 * most K times per entry. Measured with bench/grid-codec.ts (CPU preset, F = 2, K = 4, that sphere at
 * G = 128, random θ; 1.6 M active entries, 334 kB): encode 9 s, decode 9 s on one core of a shared
 * 2-core machine; about 60 % of it in the 5 M η_c forward passes, 15 % in the PV projection (one pass
 * over the 1.2e8 active vertices of the finest level).
 */
import { HASH_PRIMES, type GridLayout, type GridLevel, type GridLevelKind } from '../../field/encoding/grid-config.ts';
import { BinaryDecoder, BinaryEncoder, PROB_ONE, quantizeProbability } from '../entropy/range-coder.ts';
import { checkOccupancy, forEachActiveRun, occupancyIndex, type OccupancyIndex } from './active.ts';
import { CONTEXT_LEVELS, HASH_COMBINE_DEFAULT } from './context-config.ts';
import { contextModelParamCount, createContextModel, type ContextModel } from './context-model.ts';
import { projectedCounts, type ProjectedCounts } from './projection.ts';

/** The container section this stream is stored in (named by every BitstreamError). */
export const GRID_FEATURES_SECTION = 'GRID_FEATURES';
/** Largest K (`hashCombine`) accepted: vertex counts per entry are kept in bytes. */
export const MAX_HASH_COMBINE = 255;

/** Options of {@link encodeGridFeatures} / {@link decodeGridFeatures}; both sides must use the same. */
export interface GridCodingOptions {
  /**
   * K of §3.4: a hashed entry's probability is the mean over its first K active vertices (raster
   * order). Integer in [1, 255], default {@link HASH_COMBINE_DEFAULT}; stored in the CONFIG chunk.
   */
  hashCombine?: number;
  /**
   * Test hook: called for every coded bit, in coding order, with its quantised p1 ∈ [1, 65535]
   * (P(bit = 1) = p1 / 65536) and the bit.
   */
  onProbability?: (p1: number, bit: number) => void;
}

/** The context models' f32 parameters (Mlp layout, shapes of context-config.ts). */
export interface ContextModels {
  /** η_c (3F+1 → 32 → 32 → F); read only when the layout has more than CONTEXT_LEVELS 3-D levels. */
  level: Float32Array;
  /** η_dim (4F+1 → 32 → 32 → F); null when the layout has no planes. */
  dim: Float32Array | null;
}

/** What one level cost. */
export interface GridLevelStats {
  /** 'xyz' for a 3-D level, else the plane. */
  kind: GridLevelKind;
  /** Index within its grid (l or the plane level m). */
  level: number;
  /** Active entries of the level (F bits coded each). */
  activeEntries: number;
  /** Ideal code length −Σ log2 P(bit) under the quantised p1, in bits. */
  bits: number;
}

/** Geometry of one level, flattened for the hot loops. */
interface LevelGeo {
  level: GridLevel;
  N: number;
  V: number;
  dense: boolean;
  /** Entries (T for hashed levels). */
  T: number;
  /** T is a power of two (always for hashed levels): hash & mask. */
  pow2: boolean;
  mask: number;
  off: number;
}

const P1 = HASH_PRIMES[1];
const P2 = HASH_PRIMES[2];
const PLANE_INDEX: Record<GridLevelKind, number> = { xyz: -1, xy: 0, xz: 1, yz: 2 };

function geometry(level: GridLevel): LevelGeo {
  const T = level.entries;
  return {
    level, N: level.resolution, V: level.verticesPerAxis, dense: level.dense, T,
    pow2: (T & (T - 1)) === 0, mask: T - 1, off: level.paramOffset,
  };
}

/** Entry of vertex (a, r1, r2) (planes: r2 = 0) at a level: dense index or the hash of eq. 11. */
function entryOf(g: LevelGeo, a: number, r1: number, r2: number): number {
  if (g.dense) return a + r1 * g.V + r2 * g.V * g.V;
  const h = a ^ Math.imul(r1, P1) ^ Math.imul(r2, P2);
  return g.pow2 ? h & g.mask : (h >>> 0) % g.T;
}

/**
 * Active entries of a level, and for hashed levels the first `K` active vertices of each (raster order).
 * `cnt[e]` is the number of vertices recorded for entry e (≤ K; dense levels: 0 or 1); hashed levels
 * store vertex i of entry e at coords[(e·K + i)·3 …] as (a, r1, r2). Stops enumerating once every
 * entry is full. Returns the number of active entries.
 */
function collectLevel(g: LevelGeo, index: OccupancyIndex, K: number, cnt: Uint8Array, coords: Int32Array | null): number {
  const T = g.T;
  cnt.fill(0, 0, T);
  let active = 0;
  let full = 0;
  if (g.dense) {
    const V = g.V;
    forEachActiveRun(g.level, index, (r1, r2, a0, a1) => {
      const base = r1 * V + r2 * V * V;
      for (let e = base + a0, end = base + a1; e <= end; e++) cnt[e] = 1;
      active += a1 - a0 + 1;
    });
    return active;
  }
  const { pow2, mask } = g;
  const Kl = coords === null ? 1 : K;
  forEachActiveRun(g.level, index, (r1, r2, a0, a1) => {
    const h = Math.imul(r1, P1) ^ Math.imul(r2, P2);
    for (let a = a0; a <= a1; a++) {
      const e = pow2 ? (a ^ h) & mask : ((a ^ h) >>> 0) % T;
      const c = cnt[e]!;
      if (c >= Kl) continue;
      if (coords !== null) {
        const o = (e * K + c) * 3;
        coords[o] = a;
        coords[o + 1] = r1;
        coords[o + 2] = r2;
      }
      cnt[e] = c + 1;
      if (c === 0) active++;
      if (c + 1 === Kl && ++full === T) return true;
    }
    return false;
  });
  return active;
}

/** The indices of the nonzero counts, ascending. */
function activeList(cnt: Uint8Array, T: number, n: number): Int32Array {
  const out = new Int32Array(n);
  let j = 0;
  for (let e = 0; e < T; e++) if (cnt[e] !== 0) out[j++] = e;
  return out;
}

function checkLayout(layout: GridLayout, fn: string): void {
  if (layout === null || typeof layout !== 'object' || !Array.isArray(layout.levels) || !Number.isInteger(layout.paramCount)) {
    throw new TypeError(`${fn}: layout must be a GridLayout from gridLayout()`);
  }
}

function checkTheta(theta: Float32Array, layout: GridLayout, fn: string): void {
  if (!(theta instanceof Float32Array) || theta.length !== layout.paramCount) {
    throw new TypeError(
      `${fn}: theta must be a Float32Array of layout.paramCount = ${layout.paramCount} values, got ` +
        (theta instanceof Float32Array ? `${theta.length}` : typeof theta),
    );
  }
}

/** Arguments shared by the encoder and the decoder, validated. */
interface CodingSetup {
  layout: GridLayout;
  index: OccupancyIndex;
  frequencies: Uint16Array;
  level: ContextModel | null;
  dim: ContextModel | null;
  K: number;
  onProbability: ((p1: number, bit: number) => void) | undefined;
}

function setup(
  fn: string, layout: GridLayout, occ: Uint32Array, G: number, frequencies: Uint16Array, models: ContextModels, opts: GridCodingOptions,
): CodingSetup {
  checkLayout(layout, fn);
  checkOccupancy(occ, G, fn);
  const nLevels = layout.levels.length;
  if (!(frequencies instanceof Uint16Array) || frequencies.length !== nLevels) {
    throw new TypeError(`${fn}: frequencies must be a Uint16Array with one value per layout level (${nLevels}), got ${frequencies instanceof Uint16Array ? frequencies.length : typeof frequencies}`);
  }
  for (let i = 0; i < nLevels; i++) {
    if (frequencies[i] === 0) throw new TypeError(`${fn}: frequencies[${i}] is 0; a level frequency q is in [1, 65535]`);
  }
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${fn}: opts must be an object`);
  const K = opts.hashCombine ?? HASH_COMBINE_DEFAULT;
  if (!Number.isInteger(K) || K < 1 || K > MAX_HASH_COMBINE) {
    throw new TypeError(`${fn}: opts.hashCombine must be an integer in [1, ${MAX_HASH_COMBINE}], got ${String(K)}`);
  }
  if (opts.onProbability !== undefined && typeof opts.onProbability !== 'function') {
    throw new TypeError(`${fn}: opts.onProbability, when given, must be a function`);
  }
  if (models === null || typeof models !== 'object') throw new TypeError(`${fn}: models must be an object { level, dim }`);
  const F = layout.featuresPerLevel;
  const needLevel = layout.hash.levels > CONTEXT_LEVELS;
  const needDim = layout.planes.levels > 0;
  const check = (p: Float32Array | null | undefined, kind: 'level' | 'dim'): void => {
    const n = contextModelParamCount(kind, F);
    if (!(p instanceof Float32Array) || p.length !== n) {
      throw new TypeError(`${fn}: models.${kind} must be a Float32Array of ${n} parameters for F = ${F}, got ${p instanceof Float32Array ? p.length : String(p)}`);
    }
  };
  if (needLevel) check(models.level, 'level');
  if (needDim) check(models.dim, 'dim');
  return {
    layout,
    index: occupancyIndex(occ, G),
    frequencies,
    level: needLevel ? createContextModel('level', F, models.level) : null,
    dim: needDim ? createContextModel('dim', F, models.dim!) : null,
    K,
    onProbability: opts.onProbability,
  };
}

/**
 * Fills `row[ro … ro+F)` with the trilinear interpolation I_j of the reconstructed level `g` (3-D) at
 * the vertex (x, y, z) of a level of resolution Nl (§3.2).
 */
function interp3(phi: Float32Array, g: LevelGeo, F: number, x: number, y: number, z: number, Nl: number, row: Float64Array, ro: number): void {
  const Nj = g.N;
  const fx = (x * Nj) / Nl;
  const fy = (y * Nj) / Nl;
  const fz = (z * Nj) / Nl;
  const cx = Math.min(Math.floor(fx), Nj - 1);
  const cy = Math.min(Math.floor(fy), Nj - 1);
  const cz = Math.min(Math.floor(fz), Nj - 1);
  const tx = fx - cx;
  const ty = fy - cy;
  const tz = fz - cz;
  for (let d = 0; d < F; d++) row[ro + d] = 0;
  for (let k = 0; k < 8; k++) {
    const bx = k & 1;
    const by = (k >> 1) & 1;
    const bz = k >> 2;
    let w = bx ? tx : 1 - tx;
    w = w * (by ? ty : 1 - ty);
    w = w * (bz ? tz : 1 - tz);
    const p = g.off + entryOf(g, cx + bx, cy + by, cz + bz) * F;
    for (let d = 0; d < F; d++) row[ro + d] = row[ro + d]! + w * phi[p + d]!;
  }
}

/** The bilinear analogue of {@link interp3} for a plane level (§3.3): vertex (u, w) at resolution M. */
function interp2(phi: Float32Array, g: LevelGeo, F: number, u: number, v: number, M: number, row: Float64Array, ro: number): void {
  const Nj = g.N;
  const fu = (u * Nj) / M;
  const fv = (v * Nj) / M;
  const cu = Math.min(Math.floor(fu), Nj - 1);
  const cv = Math.min(Math.floor(fv), Nj - 1);
  const tu = fu - cu;
  const tv = fv - cv;
  for (let d = 0; d < F; d++) row[ro + d] = 0;
  for (let k = 0; k < 4; k++) {
    const bu = k & 1;
    const bv = k >> 1;
    let w = bu ? tu : 1 - tu;
    w = w * (bv ? tv : 1 - tv);
    const p = g.off + entryOf(g, cu + bu, cv + bv, 0) * F;
    for (let d = 0; d < F; d++) row[ro + d] = row[ro + d]! + w * phi[p + d]!;
  }
}

/**
 * The shared encoder/decoder loop (§4). For every level: collects its active entries, computes their
 * quantised probabilities from `phi` (coarser levels only), calls `codeBit(p1, paramIndex)` for each
 * feature bit in coding order and writes the returned bit into `phi` as ±1. `phi` must hold −1
 * everywhere on entry.
 */
function codeGrid(s: CodingSetup, phi: Float32Array, codeBit: (p1: number, paramIndex: number) => 0 | 1): GridLevelStats[] {
  const { layout, index, frequencies, K, onProbability } = s;
  const F = layout.featuresPerLevel;
  const geo = layout.levels.map(geometry);
  let maxEntries = 0;
  let maxHashed = 0;
  for (const g of geo) {
    maxEntries = Math.max(maxEntries, g.T);
    if (!g.dense) maxHashed = Math.max(maxHashed, g.T);
  }
  const cnt = new Uint8Array(maxEntries);
  const coords = maxHashed > 0 ? new Int32Array(maxHashed * K * 3) : null;
  const pv = new Float64Array(F);
  const acc = new Float64Array(F);
  const log2 = new Float64Array(PROB_ONE); // −log2(i / 65536), filled lazily
  let counts: ProjectedCounts | null = null;
  const stats: GridLevelStats[] = [];

  for (let li = 0; li < geo.length; li++) {
    const g = geo[li]!;
    const lvl = g.level;
    const isPlane = lvl.kind !== 'xyz';
    if (isPlane && counts === null) counts = projectedCounts(layout, phi, index);
    const hashedCoords = g.dense ? null : coords;
    const nActive = collectLevel(g, index, K, cnt, hashedCoords);
    const entries = activeList(cnt, g.T, nActive);
    const q = frequencies[li]!;
    const vPlus = q / PROB_ONE;
    const p1s = new Uint16Array(nActive * F);

    if (!isPlane && lvl.level < CONTEXT_LEVELS) {
      p1s.fill(q);
    } else if (nActive > 0) {
      const model = isPlane ? s.dim! : s.level!;
      const row = model.input;
      const Nl = g.N;
      const V = g.V;
      // Coarser levels of the same grid (3-D: l−1…l−3; plane P: m−1…m−3, null when below 0).
      const ctx: (LevelGeo | null)[] = [];
      for (let j = 1; j <= CONTEXT_LEVELS; j++) ctx.push(isPlane ? (lvl.level - j >= 0 ? geo[li - 3 * j]! : null) : geo[li - j]!);
      const nCtx = CONTEXT_LEVELS * F;
      let pvS = 0;
      let pvN: Int32Array | null = null;
      let pvK: Int32Array | null = null;
      if (isPlane) {
        const pi = PLANE_INDEX[lvl.kind];
        pvS = counts!.size;
        pvN = counts!.n[pi]!;
        pvK = counts!.k[pi]!;
        row[nCtx + F] = vPlus;
      } else {
        row[nCtx] = vPlus;
      }
      const Nstar = pvS - 1;
      for (let i = 0; i < nActive; i++) {
        const e = entries[i]!;
        const n = g.dense ? 1 : cnt[e]!;
        for (let t = 0; t < n; t++) {
          let a: number;
          let r1: number;
          let r2: number;
          if (g.dense) {
            a = e % V;
            const r = (e - a) / V;
            r1 = r % V;
            r2 = (r - r1) / V;
          } else {
            const o = (e * K + t) * 3;
            a = coords![o]!;
            r1 = coords![o + 1]!;
            r2 = coords![o + 2]!;
          }
          if (isPlane) {
            for (let j = 0; j < CONTEXT_LEVELS; j++) {
              const c = ctx[j];
              if (c === null) for (let d = 0; d < F; d++) row[j * F + d] = 0;
              else interp2(phi, c!, F, a, r1, Nl, row, j * F);
            }
            const A = Math.floor((2 * a * Nstar + Nl) / (2 * Nl));
            const B = Math.floor((2 * r1 * Nstar + Nl) / (2 * Nl));
            const li2 = A + B * pvS;
            const nn = pvN![li2]!;
            for (let d = 0; d < F; d++) row[nCtx + d] = nn === 0 ? 0 : (2 * pvK![li2 * F + d]! - nn) / nn;
          } else {
            for (let j = 0; j < CONTEXT_LEVELS; j++) interp3(phi, ctx[j]!, F, a, r1, r2, Nl, row, j * F);
          }
          model.evaluate(t === 0 ? acc : pv, 0);
          if (t > 0) for (let d = 0; d < F; d++) acc[d] = acc[d]! + pv[d]!;
        }
        for (let d = 0; d < F; d++) p1s[i * F + d] = quantizeProbability(n === 1 ? acc[d]! : acc[d]! / n);
      }
    }

    // Code the level's bits and reconstruct it.
    let bits = 0;
    const off = g.off;
    for (let i = 0; i < nActive; i++) {
      const p = off + entries[i]! * F;
      for (let d = 0; d < F; d++) {
        const p1 = p1s[i * F + d]!;
        const bit = codeBit(p1, p + d);
        phi[p + d] = bit === 1 ? 1 : -1;
        const pi = bit === 1 ? p1 : PROB_ONE - p1;
        let c = log2[pi]!;
        if (c === 0) c = log2[pi] = -Math.log2(pi / PROB_ONE);
        bits += c;
        if (onProbability !== undefined) onProbability(p1, bit);
      }
    }
    stats.push({ kind: lvl.kind, level: lvl.level, activeEntries: nActive, bits });
  }
  return stats;
}

/**
 * The level frequencies of §2: for each layout level, q = clamp(round(65536 · ones / (F · active)),
 * 1, 65535) over the F bits of its active entries (32768 when none is active).
 *
 * @param theta the real-valued features (layout.paramCount floats); bit = [θ ≥ 0].
 * @throws TypeError when a buffer has the wrong size.
 */
export function gridFrequencies(layout: GridLayout, theta: Float32Array, occ: Uint32Array, G: number): Uint16Array {
  checkLayout(layout, 'gridFrequencies');
  checkTheta(theta, layout, 'gridFrequencies');
  checkOccupancy(occ, G, 'gridFrequencies');
  const index = occupancyIndex(occ, G);
  const F = layout.featuresPerLevel;
  const out = new Uint16Array(layout.levels.length);
  const cnt = new Uint8Array(Math.max(0, ...layout.levels.map((l) => l.entries)));
  layout.levels.forEach((lvl, li) => {
    const g = geometry(lvl);
    const n = collectLevel(g, index, 1, cnt, null);
    if (n === 0) {
      out[li] = 32768;
      return;
    }
    let ones = 0;
    for (let e = 0; e < g.T; e++) {
      if (cnt[e] === 0) continue;
      for (let d = 0, p = g.off + e * F; d < F; d++, p++) if (theta[p]! >= 0) ones++;
    }
    out[li] = Math.min(65535, Math.max(1, Math.round((65536 * ones) / (F * n))));
  });
  return out;
}

/**
 * What the decoder reconstructs from θ: +1 / −1 by sign (θ ≥ 0 → +1) for every feature of an active
 * entry, −1 for inactive entries. The encoder's renderer uses this so that it sees what a decoder sees.
 * @throws TypeError when a buffer has the wrong size.
 */
export function binarizeParams(theta: Float32Array, layout: GridLayout, occ: Uint32Array, G: number): Float32Array {
  checkLayout(layout, 'binarizeParams');
  checkTheta(theta, layout, 'binarizeParams');
  checkOccupancy(occ, G, 'binarizeParams');
  const index = occupancyIndex(occ, G);
  const F = layout.featuresPerLevel;
  const out = new Float32Array(layout.paramCount).fill(-1);
  const cnt = new Uint8Array(Math.max(0, ...layout.levels.map((l) => l.entries)));
  for (const lvl of layout.levels) {
    const g = geometry(lvl);
    collectLevel(g, index, 1, cnt, null);
    for (let e = 0; e < g.T; e++) {
      if (cnt[e] === 0) continue;
      for (let d = 0, p = g.off + e * F; d < F; d++, p++) out[p] = theta[p]! >= 0 ? 1 : -1;
    }
  }
  return out;
}

/**
 * Encodes the sign bits of θ's active entries (§4).
 *
 * @param layout the grid layout.
 * @param theta the real-valued features, layout.paramCount floats (bit = [θ ≥ 0]).
 * @param occ the occupancy bitfield (G³ bits, bit i = x + G·(y + G·z) at word i >> 5, bit i & 31).
 * @param G the occupancy resolution.
 * @param frequencies one q per layout level ({@link gridFrequencies}, as stored in FREQUENCIES).
 * @param models the context models' f32 parameters (as the decoder will have them).
 * @returns the range-coded stream (empty when no entry is active) and per-level statistics.
 * @throws TypeError on malformed arguments.
 */
export function encodeGridFeatures(
  layout: GridLayout, theta: Float32Array, occ: Uint32Array, G: number, frequencies: Uint16Array, models: ContextModels,
  opts: GridCodingOptions = {},
): { bytes: Uint8Array; levels: GridLevelStats[] } {
  checkLayout(layout, 'encodeGridFeatures');
  checkTheta(theta, layout, 'encodeGridFeatures');
  const s = setup('encodeGridFeatures', layout, occ, G, frequencies, models, opts);
  const enc = new BinaryEncoder();
  const phi = new Float32Array(layout.paramCount).fill(-1);
  const levels = codeGrid(s, phi, (p1, i) => {
    const bit: 0 | 1 = theta[i]! >= 0 ? 1 : 0;
    enc.encode(bit, p1);
    return bit;
  });
  return { bytes: enc.finish(), levels };
}

/**
 * Decodes a stream of {@link encodeGridFeatures} given the same layout, occupancy, frequencies, models
 * and options.
 *
 * @returns the reconstructed parameter buffer: ±1 for every feature of an active entry, −1 elsewhere.
 * @throws BitstreamError (section GRID_FEATURES) when the stream is truncated, over-long or otherwise
 *   inconsistent with the symbols decoded; TypeError on malformed arguments (checked before anything
 *   large is allocated).
 */
export function decodeGridFeatures(
  layout: GridLayout, bytes: Uint8Array, occ: Uint32Array, G: number, frequencies: Uint16Array, models: ContextModels,
  opts: GridCodingOptions = {},
): Float32Array {
  checkLayout(layout, 'decodeGridFeatures');
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeGridFeatures: bytes must be a Uint8Array');
  const s = setup('decodeGridFeatures', layout, occ, G, frequencies, models, opts);
  const dec = new BinaryDecoder(bytes);
  const phi = new Float32Array(layout.paramCount).fill(-1);
  const limit = bytes.length + 8;
  codeGrid(s, phi, (p1) => {
    // Past the end the decoder feeds zeros; give up early on a badly truncated stream.
    if (dec.bytesConsumed > limit) dec.checkEnd(GRID_FEATURES_SECTION);
    return dec.decode(p1);
  });
  dec.checkEnd(GRID_FEATURES_SECTION);
  return phi;
}
