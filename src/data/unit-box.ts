/**
 * Placement of a scene in the grid's unit box [0,1]³: a uniform scale plus a translation,
 * `u = p · scale + offset`, which keeps rotations (and so the OpenGL camera convention) intact.
 *
 * Two conventions decide the mapping (see `resolveWorldToUnit` in `transforms-json.ts`):
 * - instant-ngp (`aabb_scale` present): ngp coordinates are `p · s_ngp + o_ngp` (json `scale`,
 *   default 0.33, and `offset`, default [0.5, 0.5, 0.5]); the modelled box is the cube of side
 *   `aabb_scale` centred at (0.5, 0.5, 0.5) in ngp coordinates, mapped here onto [0,1]³ —
 *   {@link ngpWorldToUnit}. instant-ngp's axis cycle (xyz ← yzx) is ignored: it applies after the
 *   offset and the box is symmetric, so it changes nothing but axis names.
 * - nerfstudio (no `aabb_scale`): the cube is centred on the point closest (least squares) to
 *   every camera's optical axis ({@link opticalAxesCentre}) with half-size 0.6 × the median camera
 *   distance to it ({@link cubeWorldToUnit}) — see {@link HEURISTIC_HALF_SIZE_RATIO}.
 */

import { DatasetError } from './dataset-error.ts';

/** World → unit-box mapping `u = p · scale + offset` (uniform scale, then translation). */
export interface WorldToUnit {
  /** Uniform scale (unit-box units per world unit). */
  scale: number;
  /** Translation, unit-box units. */
  offset: [number, number, number];
}

/** instant-ngp's default `scale` (world → ngp coordinates). */
export const NGP_DEFAULT_SCALE = 0.33;
/** instant-ngp's default `offset` (world → ngp coordinates). */
export const NGP_DEFAULT_OFFSET: readonly [number, number, number] = Object.freeze([0.5, 0.5, 0.5]) as readonly [
  number,
  number,
  number,
];

/**
 * Ratio of the unit box's half-size to the median camera-to-centre distance for object-centric
 * captures without `aabb_scale`. With 0.6 the cube's faces lie at 60% of the typical orbit
 * radius: wide enough for an object filling most of the frame plus some surroundings, while the
 * cameras (at distance ≈ 1 median) stay outside the box on almost every side, which keeps grid
 * resolution for the object instead of empty space around the cameras.
 */
export const HEURISTIC_HALF_SIZE_RATIO = 0.6;

/**
 * The mapping for an instant-ngp file: ngp = p·scale + offset, box = cube of side `aabbScale`
 * centred at 0.5 in ngp space; unit = (ngp − (0.5 − a/2)) / a, i.e.
 * `scale_u = scale / a`, `offset_u = (offset − 0.5) / a + 0.5`.
 */
export function ngpWorldToUnit(
  aabbScale: number,
  scale: number = NGP_DEFAULT_SCALE,
  offset: readonly [number, number, number] = NGP_DEFAULT_OFFSET,
): WorldToUnit {
  return {
    scale: scale / aabbScale,
    offset: [0, 1, 2].map((i) => (offset[i] - 0.5) / aabbScale + 0.5) as [number, number, number],
  };
}

/** The mapping that sends the world cube `centre ± halfSize` onto [0,1]³: u = (p − centre)/(2h) + 0.5. */
export function cubeWorldToUnit(centre: readonly [number, number, number], halfSize: number): WorldToUnit {
  const s = 1 / (2 * halfSize);
  return { scale: s, offset: [0.5 - centre[0] * s, 0.5 - centre[1] * s, 0.5 - centre[2] * s] };
}

/** The world point that a mapping sends to the unit-box centre (0.5, 0.5, 0.5). */
export function unitCentreInWorld(wtu: WorldToUnit): [number, number, number] {
  return pointToWorld([0.5, 0.5, 0.5], wtu);
}

/** Maps a world point into unit-box coordinates. */
export function pointToUnit(p: readonly [number, number, number], wtu: WorldToUnit): [number, number, number] {
  return [p[0] * wtu.scale + wtu.offset[0], p[1] * wtu.scale + wtu.offset[1], p[2] * wtu.scale + wtu.offset[2]];
}

/** Maps a unit-box point back to world coordinates (inverse of {@link pointToUnit}). */
export function pointToWorld(u: readonly [number, number, number], wtu: WorldToUnit): [number, number, number] {
  return [(u[0] - wtu.offset[0]) / wtu.scale, (u[1] - wtu.offset[1]) / wtu.scale, (u[2] - wtu.offset[2]) / wtu.scale];
}

/** A 3x4 row-major camera-to-world pose mapped into unit-box coordinates (rotation kept, centre mapped). */
export function poseToUnit(c2w: Float64Array, wtu: WorldToUnit): Float64Array {
  const out = Float64Array.from(c2w.subarray(0, 12));
  for (let r = 0; r < 3; r++) out[r * 4 + 3] = c2w[r * 4 + 3] * wtu.scale + wtu.offset[r];
  return out;
}

/** A 3x4 row-major unit-box pose mapped back to world coordinates (inverse of {@link poseToUnit}). */
export function poseToWorld(c2w: Float64Array, wtu: WorldToUnit): Float64Array {
  const out = Float64Array.from(c2w.subarray(0, 12));
  for (let r = 0; r < 3; r++) out[r * 4 + 3] = (c2w[r * 4 + 3] - wtu.offset[r]) / wtu.scale;
  return out;
}

/**
 * The point minimizing the summed squared distance to every camera's optical axis (the line
 * through the camera centre along its −z axis): solves Σ(I − d dᵀ) c = Σ(I − d dᵀ) o.
 * @throws DatasetError when the axes are (nearly) parallel, e.g. a single camera or a
 *   forward-facing capture, where no such point exists.
 */
export function opticalAxesCentre(poses: readonly Float64Array[]): [number, number, number] {
  const a = new Float64Array(9);
  const b = new Float64Array(3);
  for (const m of poses) {
    const d = [-m[2], -m[6], -m[10]];
    const inv = 1 / Math.hypot(d[0], d[1], d[2]);
    const o = [m[3], m[7], m[11]];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const pij = (i === j ? 1 : 0) - d[i] * d[j] * inv * inv;
        a[i * 3 + j] += pij;
        b[i] += pij * o[j];
      }
    }
  }
  const det =
    a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) + a[2] * (a[3] * a[7] - a[4] * a[6]);
  const tr = (a[0] + a[4] + a[8]) / 3;
  // det is the product of eigenvalues (each in [0, n]); compare it with the scale tr³.
  if (!(Math.abs(det) > 1e-6 * tr * tr * tr)) {
    throw new DatasetError(
      'cannot place the unit box: the camera optical axes are (nearly) parallel, so no point is close to all of ' +
        'them (a single camera or a forward-facing capture?); add "aabb_scale" (and optionally "scale" and ' +
        '"offset") to transforms.json to place the box explicitly',
    );
  }
  // Cramer's rule on the symmetric 3x3 system.
  const solve = (col: number): number => {
    const m = Float64Array.from(a);
    for (let r = 0; r < 3; r++) m[r * 3 + col] = b[r];
    return (
      m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6])
    );
  };
  return [solve(0) / det, solve(1) / det, solve(2) / det];
}

/** Median distance from the camera centres to `centre`. */
export function medianCameraDistance(poses: readonly Float64Array[], centre: readonly [number, number, number]): number {
  const ds = poses.map((m) => Math.hypot(m[3] - centre[0], m[7] - centre[1], m[11] - centre[2])).sort((x, y) => x - y);
  const n = ds.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? ds[(n - 1) / 2] : 0.5 * (ds[n / 2 - 1] + ds[n / 2]);
}
