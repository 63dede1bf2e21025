/**
 * The projected voxel feature PV of the dimension-wise context model η_dim (docs/CONTEXT-MODEL.md
 * §3.3, eq. 28-30): for every line of the finest 3-D level l* = L − 1 (resolution N*) along a plane's
 * normal, the share of its active vertices whose feature bit is 1, mapped to [−1, 1]:
 *
 *     PV_d(A, B) = (2·k_d − n) / n     (0 when n = 0)
 *
 * with n the active vertices of the line and k_d those whose bit d is 1 (bit = 1 when the value is
 * ≥ 0, so the function accepts both the decoded ±1 grid and the trainer's real-valued θ). Planes:
 * xy (lines along z, A = x, B = y), xz (along y, A = x, B = z), yz (along x, A = y, B = z).
 *
 * The coder computes PV once, from the decoded 3-D grid, before the planes; the trainer calls the same
 * function periodically on θ to feed the rate estimate (§5). It visits each active vertex of l* once
 * (run-based enumeration, active.ts) and adds it to the three projections, so N* = 1024 costs about
 * one pass over its ~1e8 active vertices (about a second), not three scans of the full 1025³ grid.
 */
import { HASH_PRIMES, type GridLayout } from '../../field/encoding/grid-config.ts';
import { checkOccupancy, forEachActiveRun3, occupancyIndex, type OccupancyIndex } from './active.ts';

/** PV of the three planes, each (N* + 1)² × F values at index (A + B·(N* + 1))·F + d. */
export interface ProjectedVoxelFeatures {
  /** N* + 1: vertices per axis of the finest 3-D level. */
  size: number;
  /** F. */
  features: number;
  xy: Float32Array;
  xz: Float32Array;
  yz: Float32Array;
}

/**
 * PV of §3.3 for the three planes.
 *
 * @param layout the grid layout (its finest 3-D level l* = L − 1 is read).
 * @param bits the parameter buffer (layout.paramCount floats): decoded ±1 features or real-valued θ;
 *   a feature's bit is 1 when its value is ≥ 0.
 * @param occ the occupancy bitfield (G³ bits, bit i = x + G·(y + G·z) at word i >> 5, bit i & 31).
 * @param G the occupancy resolution.
 * @throws TypeError when a buffer has the wrong size.
 */
export function projectedVoxelFeatures(layout: GridLayout, bits: Float32Array, occ: Uint32Array, G: number): ProjectedVoxelFeatures {
  checkOccupancy(occ, G, 'projectedVoxelFeatures');
  return projectedVoxelFeaturesIndexed(layout, bits, occupancyIndex(occ, G));
}

/**
 * The counts behind PV, per plane in the order xy, xz, yz: n[P][A + B·S] active vertices of the line and
 * k[P][(A + B·S)·F + d] of them with bit d = 1 (S = N* + 1). The coder forms PV_d = (2k − n)/n from
 * these in float64 (§3.3), {@link projectedVoxelFeatures} rounds it to f32 for the trainer.
 */
export interface ProjectedCounts {
  /** S = N* + 1. */
  size: number;
  /** F. */
  features: number;
  n: [Int32Array, Int32Array, Int32Array];
  k: [Int32Array, Int32Array, Int32Array];
}

/** {@link projectedVoxelFeatures} with a prebuilt {@link OccupancyIndex}. */
export function projectedVoxelFeaturesIndexed(layout: GridLayout, bits: Float32Array, index: OccupancyIndex): ProjectedVoxelFeatures {
  const { size: S, features: F, n, k } = projectedCounts(layout, bits, index);
  const finish = (n: Int32Array, k: Int32Array): Float32Array => {
    const out = new Float32Array(S * S * F);
    for (let i = 0; i < S * S; i++) {
      const c = n[i]!;
      if (c === 0) continue;
      for (let d = 0; d < F; d++) out[i * F + d] = (2 * k[i * F + d]! - c) / c;
    }
    return out;
  };
  return { size: S, features: F, xy: finish(n[0], k[0]), xz: finish(n[1], k[1]), yz: finish(n[2], k[2]) };
}

/** The {@link ProjectedCounts} of the finest 3-D level of `bits` (see {@link projectedVoxelFeatures}). */
export function projectedCounts(layout: GridLayout, bits: Float32Array, index: OccupancyIndex): ProjectedCounts {
  if (!(bits instanceof Float32Array) || bits.length !== layout.paramCount) {
    throw new TypeError(
      `projectedVoxelFeatures: bits must be a Float32Array of layout.paramCount = ${layout.paramCount} values, got ` +
        (bits instanceof Float32Array ? `${bits.length}` : typeof bits),
    );
  }
  const F = layout.featuresPerLevel;
  const level = layout.levels[layout.hash.levels - 1]!;
  const N = level.resolution;
  const S = N + 1;
  // One F-bit code per entry of l*: bit d set when feature d is ≥ 0.
  const codes = new Uint8Array(level.entries);
  for (let e = 0, p = level.paramOffset; e < level.entries; e++) {
    let c = 0;
    for (let d = 0; d < F; d++, p++) if (bits[p]! >= 0) c |= 1 << d;
    codes[e] = c;
  }
  const nXY = new Int32Array(S * S);
  const nXZ = new Int32Array(S * S);
  const nYZ = new Int32Array(S * S);
  const kXY = new Int32Array(S * S * F);
  const kXZ = new Int32Array(S * S * F);
  const kYZ = new Int32Array(S * S * F);
  const sums = new Int32Array(F);
  const dense = level.dense;
  const T = level.entries;
  const pow2 = (T & (T - 1)) === 0;
  const mask = T - 1;
  const P1 = HASH_PRIMES[1];
  const P2 = HASH_PRIMES[2];
  forEachActiveRun3(index, N, (y, z, x0, x1) => {
    const iyz = y + z * S;
    nYZ[iyz]! += x1 - x0 + 1;
    sums.fill(0);
    const rowXY = y * S;
    const rowXZ = z * S;
    const ebase = y * S + z * S * S;
    const h = Math.imul(y, P1) ^ Math.imul(z, P2);
    for (let x = x0; x <= x1; x++) {
      const e = dense ? ebase + x : pow2 ? (x ^ h) & mask : ((x ^ h) >>> 0) % T;
      const code = codes[e]!;
      const ia = x + rowXY;
      const ib = x + rowXZ;
      nXY[ia]!++;
      nXZ[ib]!++;
      if (code === 0) continue;
      for (let d = 0; d < F; d++) {
        const b = (code >>> d) & 1;
        kXY[ia * F + d]! += b;
        kXZ[ib * F + d]! += b;
        sums[d]! += b;
      }
    }
    for (let d = 0; d < F; d++) kYZ[iyz * F + d]! += sums[d]!;
  });
  return { size: S, features: F, n: [nXY, nXZ, nYZ], k: [kXY, kXZ, kYZ] };
}
