/**
 * Active vertices of a grid level (docs/CONTEXT-MODEL.md §1), enumerated as runs in raster order.
 *
 * A vertex v of a level with resolution N touches, along each axis, the occupancy cells
 *
 *     lo(v) = max(0, ceil((v − 1)·G / N) − 1)        hi(v) = min(G − 1, floor((v + 1)·G / N))
 *
 * and is active when the box of cells [lo, hi] over its axes holds an occupied cell (for a plane, the
 * occupancy projected along the plane's normal). The CPU preset has 3-D levels up to N = 1024 (1025³
 * vertices, ~1.2e8 of them active for a sphere of radius 0.3), so the vertices are never tested one by
 * one. Instead, per row of vertices along the level's first axis:
 *
 * 1. the occupancy is kept as bit rows over the first axis (one row per cell of the other axes; for a
 *    plane, the projection along the normal);
 * 2. for the row's vertex coordinates on the outer axes, the bit rows of the cells in their [lo, hi]
 *    boxes are OR-ed into one mask of occupied first-axis cells (the 3-D case first ORs the z range
 *    into a G × G slab once per distinct z range, then the y range per row);
 * 3. each maximal run [c0, c1] of occupied cells in the mask activates exactly the vertices
 *    x ∈ [firstV(c0), lastV(c1)] (lo and hi are nondecreasing, so "some cell of the run lies in
 *    [lo(x), hi(x)]" is an interval of x); overlapping or adjacent vertex intervals are merged, and the
 *    row's runs are emitted in increasing x.
 *
 * Callers get one callback per run, `(r1, r2, a0, a1)`: the vertices (a, r1, r2) for a ∈ [a0, a1]
 * (inclusive) are active. For a 3-D level (a, r1, r2) = (x, y, z); for a plane on axes (a, b), a is the
 * coordinate on the first axis, r1 the one on the second and r2 = 0 — so the level's dense entry
 * a + V·r1 + V²·r2 and its hash a ⊕ r1·π2 ⊕ r2·π3 (grid-config.ts) read the same for both kinds.
 * Runs arrive in raster order (the last axis outermost, the first axis fastest).
 */
import type { GridLevel, GridLevelKind } from '../../field/encoding/grid-config.ts';

/**
 * Bit-row views of an occupancy grid, computed once per grid and shared by every level's enumeration.
 * Every row is `words` u32 words; bit c of a row is the cell with coordinate c on the row's axis; bits
 * at and above G are 0.
 */
export interface OccupancyIndex {
  /** G, cells per axis. */
  readonly G: number;
  /** ceil(G / 32): words per bit row. */
  readonly words: number;
  /** G² rows (row cy + G·cz) of occupied x cells. */
  readonly rows: Uint32Array;
  /** Occupancy projected along z: G rows (row cy) of x cells. */
  readonly xy: Uint32Array;
  /** Projected along y: G rows (row cz) of x cells. */
  readonly xz: Uint32Array;
  /** Projected along x: G rows (row cz) of y cells. */
  readonly yz: Uint32Array;
  /** No cell is occupied. */
  readonly empty: boolean;
}

/** Largest G accepted (G³ bits must fit a typed array comfortably). */
export const MAX_OCCUPANCY_RESOLUTION = 1024;

/**
 * Checks an occupancy bitfield's shape: G an integer in [1, 1024], `occ` a Uint32Array of ceil(G³/32)
 * words.
 * @param fn the caller's name for the error message.
 * @throws TypeError saying what is wrong.
 */
export function checkOccupancy(occ: Uint32Array, G: number, fn: string): void {
  if (!Number.isInteger(G) || G < 1 || G > MAX_OCCUPANCY_RESOLUTION) {
    throw new TypeError(`${fn}: the occupancy resolution G must be an integer in [1, ${MAX_OCCUPANCY_RESOLUTION}], got ${String(G)}`);
  }
  if (!(occ instanceof Uint32Array)) throw new TypeError(`${fn}: the occupancy bitfield must be a Uint32Array`);
  const words = Math.ceil((G * G * G) / 32);
  if (occ.length !== words) {
    throw new TypeError(`${fn}: the occupancy bitfield of a ${G}³ grid must have ceil(G³/32) = ${words} words, got ${occ.length}`);
  }
}

/**
 * Builds the bit-row views of an occupancy bitfield (bit i = x + G·(y + G·z) at bit i & 31 of word
 * i >> 5).
 * @throws TypeError from {@link checkOccupancy}.
 */
export function occupancyIndex(occ: Uint32Array, G: number): OccupancyIndex {
  checkOccupancy(occ, G, 'occupancyIndex');
  const W = (G + 31) >>> 5;
  const rows = new Uint32Array(G * G * W);
  const xy = new Uint32Array(G * W);
  const xz = new Uint32Array(G * W);
  const yz = new Uint32Array(G * W);
  let any = false;
  for (let z = 0; z < G; z++) {
    for (let y = 0; y < G; y++) {
      const r = (y + G * z) * W;
      const base = (y + G * z) * G;
      let rowAny = 0;
      if ((base & 31) === 0 && (G & 31) === 0) {
        // Aligned rows: copy words.
        const w0 = base >>> 5;
        for (let w = 0; w < W; w++) {
          const m = occ[w0 + w]!;
          rows[r + w] = m;
          rowAny |= m;
        }
      } else {
        for (let x = 0; x < G; x++) {
          const i = base + x;
          if ((occ[i >>> 5]! >>> (i & 31)) & 1) {
            rows[r + (x >>> 5)]! |= 1 << (x & 31);
            rowAny = 1;
          }
        }
      }
      if (rowAny !== 0) {
        any = true;
        for (let w = 0; w < W; w++) {
          const m = rows[r + w]!;
          xy[y * W + w]! |= m;
          xz[z * W + w]! |= m;
        }
        yz[z * W + (y >>> 5)]! |= 1 << (y & 31);
      }
    }
  }
  return { G, words: W, rows, xy, xz, yz, empty: !any };
}

/**
 * Per-axis tables of a level resolution N against the occupancy resolution G:
 * lo[v], hi[v] for v ∈ [0, N] (the cells vertex v touches), firstV[c] = min{v : hi(v) ≥ c} and
 * lastV[c] = max{v : lo(v) ≤ c} for c ∈ [0, G − 1].
 */
export interface AxisTables {
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly firstV: Int32Array;
  readonly lastV: Int32Array;
}

/** lo(v) of §1, exact (integer operands below 2^31 and Math.ceil of their IEEE quotient). */
export function cellLo(v: number, N: number, G: number): number {
  return Math.max(0, Math.ceil(((v - 1) * G) / N) - 1);
}

/** hi(v) of §1. */
export function cellHi(v: number, N: number, G: number): number {
  return Math.min(G - 1, Math.floor(((v + 1) * G) / N));
}

/** The {@link AxisTables} of resolution N (integer ≥ 1) against G. */
export function axisTables(N: number, G: number): AxisTables {
  const lo = new Int32Array(N + 1);
  const hi = new Int32Array(N + 1);
  for (let v = 0; v <= N; v++) {
    lo[v] = cellLo(v, N, G);
    hi[v] = cellHi(v, N, G);
  }
  const firstV = new Int32Array(G);
  const lastV = new Int32Array(G);
  // hi is nondecreasing and hi(N) = G − 1; lo is nondecreasing and lo(0) = 0.
  let v = 0;
  for (let c = 0; c < G; c++) {
    while (hi[v]! < c) v++;
    firstV[c] = v;
  }
  v = N;
  for (let c = G - 1; c >= 0; c--) {
    while (lo[v]! > c) v--;
    lastV[c] = v;
  }
  return { lo, hi, firstV, lastV };
}

/** Callback of one run: vertices (a, r1, r2), a ∈ [a0, a1], are active. Return `true` to stop early. */
export type ActiveRunCallback = (r1: number, r2: number, a0: number, a1: number) => boolean | void;

/** Index of the lowest set bit of a nonzero int32. */
function ctz(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/**
 * The 2-D core: `mask` holds G rows (indexed by the outer axis's cell) of W words over the inner
 * axis's cells. For every outer vertex w ∈ [0, N] in order, ORs the rows of cells [lo(w), hi(w)] and
 * emits the runs of active inner vertices (inner resolution N, same G) as cb(w, r2, a0, a1).
 * Returns true when a callback asked to stop.
 */
function scanPlane(
  mask: Uint32Array, W: number, t: AxisTables, N: number, r2: number,
  union: Uint32Array, cb: ActiveRunCallback,
): boolean {
  const { lo, hi, firstV, lastV } = t;
  let prevLo = -1;
  let prevHi = -1;
  let unionAny = 0;
  for (let w = 0; w <= N; w++) {
    const l = lo[w]!;
    const h = hi[w]!;
    if (l !== prevLo || h !== prevHi) {
      prevLo = l;
      prevHi = h;
      unionAny = 0;
      for (let k = 0; k < W; k++) union[k] = 0;
      for (let c = l; c <= h; c++) {
        const r = c * W;
        for (let k = 0; k < W; k++) {
          const m = mask[r + k]!;
          if (m !== 0) {
            union[k]! |= m;
            unionAny = 1;
          }
        }
      }
    }
    if (unionAny === 0) continue;
    // Runs of occupied cells → merged vertex intervals.
    let runStart = -1; // cell where the current cell run began
    let curA0 = -1; // pending vertex interval
    let curA1 = -2;
    for (let k = 0; k < W; k++) {
      const m = union[k]!;
      const base = k << 5;
      let pos = 0;
      while (pos < 32) {
        if (runStart < 0) {
          const x = m & (-1 << pos);
          if (x === 0) break;
          pos = ctz(x);
          runStart = base + pos;
        }
        const y = ~m & (-1 << pos);
        if (y === 0) break; // the run continues into the next word
        pos = ctz(y);
        // Cell run [runStart, base + pos − 1].
        const a0 = firstV[runStart]!;
        const a1 = lastV[base + pos - 1]!;
        runStart = -1;
        if (a0 <= curA1 + 1) {
          if (a1 > curA1) curA1 = a1;
        } else {
          if (curA0 >= 0 && cb(w, r2, curA0, curA1) === true) return true;
          curA0 = a0;
          curA1 = a1;
        }
      }
    }
    if (runStart >= 0) {
      const G = firstV.length;
      const a0 = firstV[runStart]!;
      const a1 = lastV[G - 1]!;
      if (a0 <= curA1 + 1) {
        if (a1 > curA1) curA1 = a1;
      } else {
        if (curA0 >= 0 && cb(w, r2, curA0, curA1) === true) return true;
        curA0 = a0;
        curA1 = a1;
      }
    }
    if (curA0 >= 0 && cb(w, r2, curA0, curA1) === true) return true;
  }
  return false;
}

/**
 * Enumerates the active vertices of a 3-D level of resolution N as runs, in raster order (z, then y,
 * then x): `cb(y, z, x0, x1)` for each maximal run of active vertices x0…x1 (inclusive) of row (y, z).
 * Stops early when `cb` returns true.
 */
export function forEachActiveRun3(index: OccupancyIndex, N: number, cb: ActiveRunCallback): void {
  if (index.empty) return;
  const { G, words: W, rows } = index;
  const t = axisTables(N, G);
  const slab = new Uint32Array(G * W);
  const union = new Uint32Array(W);
  let prevLo = -1;
  let prevHi = -1;
  let slabAny = 0;
  for (let z = 0; z <= N; z++) {
    const l = t.lo[z]!;
    const h = t.hi[z]!;
    if (l !== prevLo || h !== prevHi) {
      prevLo = l;
      prevHi = h;
      slab.fill(0);
      slabAny = 0;
      for (let cz = l; cz <= h; cz++) {
        const r0 = cz * G * W;
        for (let i = 0; i < G * W; i++) {
          const m = rows[r0 + i]!;
          if (m !== 0) {
            slab[i]! |= m;
            slabAny = 1;
          }
        }
      }
    }
    if (slabAny === 0) continue;
    if (scanPlane(slab, W, t, N, z, union, cb)) return;
  }
}

/**
 * Enumerates the active vertices of a plane level of resolution N on plane `kind` as runs, in raster
 * order (second axis outer, first axis inner): `cb(w, 0, u0, u1)` for each maximal run u0…u1 of row w.
 * Stops early when `cb` returns true.
 */
export function forEachActivePlaneRun(index: OccupancyIndex, kind: Exclude<GridLevelKind, 'xyz'>, N: number, cb: ActiveRunCallback): void {
  if (index.empty) return;
  const mask = kind === 'xy' ? index.xy : kind === 'xz' ? index.xz : index.yz;
  scanPlane(mask, index.words, axisTables(N, index.G), N, 0, new Uint32Array(index.words), cb);
}

/**
 * Enumerates the active vertices of any grid level (3-D or plane) as runs `cb(r1, r2, a0, a1)` in raster
 * order (see the module comment for the meaning of r1, r2 and a).
 */
export function forEachActiveRun(level: GridLevel, index: OccupancyIndex, cb: ActiveRunCallback): void {
  if (level.kind === 'xyz') forEachActiveRun3(index, level.resolution, cb);
  else forEachActivePlaneRun(index, level.kind, level.resolution, cb);
}

/** Number of active vertices of a level (sums the runs). */
export function countActiveVertices(level: GridLevel, index: OccupancyIndex): number {
  let n = 0;
  forEachActiveRun(level, index, (_r1, _r2, a0, a1) => {
    n += a1 - a0 + 1;
  });
  return n;
}
