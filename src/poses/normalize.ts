/**
 * Places a COLMAP reconstruction in the grid's unit box [0,1]³ (see `src/data/unit-box.ts`) and
 * fills the poses of frames COLMAP did not register.
 *
 * COLMAP's world frame is arbitrary: its origin, scale and orientation come from the initial
 * image pair. {@link normalizeScene} therefore
 * 1. rotates the world so that the orbit's axis becomes +y (`up: 'y'`; see {@link orbitUp}): an
 *    orbit filmed around an object standing on something then has that support horizontal and
 *    the object upright in viewers — a rigid change of world coordinates, so the poses stay exact;
 * 2. finds the object: the sparse points seen inside the object masks (`objectPoints`);
 * 3. drops the points far from the points' coordinate-wise median (the stray points every SfM
 *    model has), takes the robust bounding box of the rest — per axis, from the `1 − percentile`
 *    to the `percentile` quantile — and centres the cube on that box, with half-size `margin` ×
 *    the box's largest half-extent. A bounding box rather than a radius around a centre point,
 *    because SfM only reconstructs the surface the cameras saw: from a partial orbit above the
 *    object those points form a cap, whose median lies on the surface, so a radius measured from
 *    it would come out up to twice the object's and the box off-centre.
 * Without masks (or with fewer than `minPoints` object points) the box is placed as the dataset
 * loader places a nerfstudio file without `aabb_scale` (`src/data/unit-box.ts`): centred on the
 * least-squares meeting point of the optical axes, half-size 0.6 × the median camera distance.
 * (The sparse points near that point are no better guide: without masks they are mostly the
 * support and background around the object, and boxing them gave a larger box, not a better one.)
 * The result is a `WorldToUnit` (uniform scale + translation) on the rotated world.
 *
 * {@link fillMissingPoses} gives unregistered frames a pose between their registered neighbours
 * (centres interpolated linearly, rotations by slerp): every frame needs a pose to be decoded.
 */
import {
  HEURISTIC_HALF_SIZE_RATIO,
  cubeWorldToUnit,
  medianCameraDistance,
  opticalAxesCentre,
  pointToUnit,
  poseToUnit,
  type WorldToUnit,
} from '../data/unit-box.ts';
import { matrixToQuaternion, quaternionToMatrix } from './colmap-model.ts';
import { ReconstructionError } from './errors.ts';

/** Options of {@link normalizeScene}. */
export interface NormalizeOptions {
  /**
   * Quantile p in [0.5, 1] of the object points' coordinates: along each axis the box holds the
   * points between the 1 − p and the p quantile (robust to the last stray points); default 0.97.
   */
  percentile?: number;
  /** Cube half-size = `margin` × the largest half-extent of that box (≥ 1); default 1.5, room for the parts SfM did not reconstruct (the underside, untextured sides). */
  margin?: number;
  /** `'y'` (default): rotate the world so the orbit's axis ({@link orbitUp}) is +y; `'keep'`: keep COLMAP's axes. */
  up?: 'y' | 'keep';
  /** Fewest points trusted to locate the object (integer ≥ 1); with fewer, the next method is used. Default 20. */
  minPoints?: number;
}

/** Defaults of {@link NormalizeOptions}. */
export const NORMALIZE_DEFAULTS: Readonly<Required<NormalizeOptions>> = Object.freeze({
  percentile: 0.97,
  margin: 1.5,
  up: 'y',
  minPoints: 20,
});

/** What {@link normalizeScene} works on. */
export interface NormalizeInput {
  /** Camera-to-world poses (3x4 row-major, OpenGL axes) in COLMAP's world. */
  c2w: readonly Float64Array[];
  /** Sparse points, `3·n` values (x, y, z) in COLMAP's world. */
  points: Float64Array;
  /**
   * Per point, non-zero when it lies on the object (its observations fall inside the object
   * masks); omit when no masks are known.
   */
  objectPoints?: Uint8Array;
}

/** How the object was located. */
export type NormalizeMethod = 'object-points' | 'camera-axes';

/** The result of {@link normalizeScene}. */
export interface Normalization {
  /** Rotation (3x3 row-major) from COLMAP's world to the world the poses are written in. */
  rotation: Float64Array;
  /** Rotated world → unit box. */
  worldToUnit: WorldToUnit;
  /** Camera-to-world poses in the rotated world (OpenGL axes), one per input pose. */
  c2wWorld: Float64Array[];
  /** The same poses in unit-box coordinates. */
  c2wUnit: Float64Array[];
  /** Box centre, rotated-world coordinates. */
  centre: [number, number, number];
  /** Box half-size, world units. */
  halfSize: number;
  /** How the object was located. */
  method: NormalizeMethod;
  /** Number of points the centre and size were taken from (0 for `'camera-axes'`). */
  pointsUsed: number;
  /** Cameras whose centre lies inside the unit box (normally 0; more means the box is too large or the capture too close). */
  camerasInsideBox: number;
}

/** Validates {@link NormalizeOptions}, throwing a `TypeError` naming the field. */
export function resolveNormalizeOptions(opts: NormalizeOptions = {}, name = 'normalize'): Required<NormalizeOptions> {
  if (typeof opts !== 'object' || opts === null) throw new TypeError(`${name} must be an object`);
  const o = { ...NORMALIZE_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as Required<NormalizeOptions>;
  if (typeof o.percentile !== 'number' || !(o.percentile >= 0.5 && o.percentile <= 1)) {
    throw new TypeError(`${name}.percentile, when provided, must be a number in [0.5, 1] (got ${String(opts.percentile)})`);
  }
  if (typeof o.margin !== 'number' || !(o.margin >= 1) || !Number.isFinite(o.margin)) {
    throw new TypeError(`${name}.margin, when provided, must be a finite number ≥ 1 (got ${String(opts.margin)})`);
  }
  if (o.up !== 'y' && o.up !== 'keep') throw new TypeError(`${name}.up, when provided, must be 'y' or 'keep' (got ${String(opts.up)})`);
  if (!Number.isInteger(o.minPoints) || o.minPoints < 1) {
    throw new TypeError(`${name}.minPoints, when provided, must be an integer ≥ 1 (got ${String(opts.minPoints)})`);
  }
  return o;
}

/**
 * Object points farther from their coordinate-wise median than this many times the median
 * distance are outliers (stray matches, background seen through a mask's edge) and are dropped
 * before the box is measured. 2.5 keeps every point of a compact object even when the median sits
 * on its visible surface (distances up to 2× the median), and drops what lies well beyond.
 */
const OUTLIER_DISTANCE_FACTOR = 2.5;

/** The `q` quantile (0…1) of ascending `sorted`, linear interpolation. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const x = q * (n - 1);
  const lo = Math.floor(x);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (x - lo);
}

/** The rotation (3x3 row-major) turning unit vector `u` onto +y (Rodrigues; 180° about x when u ≈ −y). */
export function rotationToYUp(u: readonly [number, number, number]): Float64Array {
  const n = Math.hypot(u[0], u[1], u[2]);
  const [x, y, z] = [u[0] / n, u[1] / n, u[2] / n];
  // v = u × ŷ = (−z, 0, x); c = u·ŷ = y.
  const vx = -z;
  const vz = x;
  const c = y;
  if (c < -1 + 1e-12) return Float64Array.of(1, 0, 0, 0, -1, 0, 0, 0, -1);
  const k = 1 / (1 + c);
  // R = I + [v]× + [v]×²/(1 + c), with v = (vx, 0, vz).
  return Float64Array.of(
    1 - k * vz * vz, -vz, k * vx * vz,
    vz, 1 - k * (vx * vx + vz * vz), -vx,
    k * vx * vz, vx, 1 - k * vx * vx,
  );
}

/**
 * Below this mean rotation (radians) between frames half a clip apart, the cameras barely turn and
 * {@link orbitUp} falls back to their mean up vector.
 */
const MIN_ORBIT_ANGLE = (10 * Math.PI) / 180;

/**
 * The world's up direction for an orbit (unit vector), or undefined when the poses give none.
 *
 * The cameras' mean up vector is the vertical only for a full orbit: cameras looking down at an
 * object tilt their up vectors towards it, and on a partial orbit those tilts do not cancel (a
 * 40° arc looking down 35° would come out 35° off). An orbit instead rotates every camera about
 * the same vertical axis: `c2w_j = Rot(axis, θ_j − θ_i)·c2w_i`, whatever the cameras' pitch. So
 * the up direction is the mean rotation axis of `R_j·R_iᵀ` over the pairs of frames half the clip
 * apart (each weighted by its angle), signed to agree with the mean camera up vector. When those
 * rotations average under {@link MIN_ORBIT_ANGLE} (a camera that hardly turns), the mean camera up
 * vector is used instead.
 */
export function orbitUp(c2w: readonly Float64Array[]): [number, number, number] | undefined {
  const meanUp: [number, number, number] = [0, 0, 0];
  for (const m of c2w) for (let r = 0; r < 3; r++) meanUp[r] += m[r * 4 + 1];
  const rot = (m: Float64Array, r: number, c: number): number => m[r * 4 + c];
  const half = Math.floor(c2w.length / 2);
  const axis: [number, number, number] = [0, 0, 0];
  let angles = 0;
  let pairs = 0;
  for (let i = 0; half > 0 && i + half < c2w.length; i++) {
    const a = c2w[i];
    const b = c2w[i + half];
    // Q = R_b·R_aᵀ, the world rotation taking camera a's attitude to camera b's.
    const q = new Float64Array(9);
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) q[r * 3 + c] = rot(b, r, 0) * rot(a, c, 0) + rot(b, r, 1) * rot(a, c, 1) + rot(b, r, 2) * rot(a, c, 2);
    const [w, x, y, z] = matrixToQuaternion(q);
    const sinHalf = Math.hypot(x, y, z);
    if (sinHalf < 1e-12) continue;
    const angle = 2 * Math.atan2(sinHalf, w);
    // Sign each axis like the mean up, so that turning either way adds up.
    const sign = x * meanUp[0] + y * meanUp[1] + z * meanUp[2] < 0 ? -1 : 1;
    axis[0] += (sign * angle * x) / sinHalf;
    axis[1] += (sign * angle * y) / sinHalf;
    axis[2] += (sign * angle * z) / sinHalf;
    angles += angle;
    pairs++;
  }
  const n = Math.hypot(...axis);
  if (pairs > 0 && angles / pairs >= MIN_ORBIT_ANGLE && n > 0) return [axis[0] / n, axis[1] / n, axis[2] / n];
  const m = Math.hypot(...meanUp);
  return m > 1e-9 ? [meanUp[0] / m, meanUp[1] / m, meanUp[2] / m] : undefined;
}

/** Applies a world rotation `a` to a 3x4 c2w: rotation `a·R`, centre `a·c`. */
export function rotatePose(a: ArrayLike<number>, c2w: ArrayLike<number>): Float64Array {
  const out = new Float64Array(12);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 4; j++) out[i * 4 + j] = a[i * 3] * c2w[j] + a[i * 3 + 1] * c2w[4 + j] + a[i * 3 + 2] * c2w[8 + j];
  }
  return out;
}

function median(values: number[]): number {
  return quantile(values.sort((x, y) => x - y), 0.5);
}

/**
 * Rotates, centres and scales a reconstruction into the unit box (see the module comment).
 * @throws TypeError for bad options or inputs; ReconstructionError when there is nothing to
 *   place the box on (no object points and parallel optical axes, or a degenerate size).
 */
export function normalizeScene(input: NormalizeInput, opts: NormalizeOptions = {}): Normalization {
  const o = resolveNormalizeOptions(opts);
  const { c2w, points, objectPoints } = input;
  if (c2w.length === 0) throw new TypeError('input.c2w must hold at least one pose');
  if (points.length % 3 !== 0) throw new TypeError(`input.points must hold x, y, z triples (got ${points.length} values)`);
  const n = points.length / 3;
  if (objectPoints !== undefined && objectPoints.length !== n) {
    throw new TypeError(`input.objectPoints must have one entry per point (${n}, got ${objectPoints.length})`);
  }

  // 1. Up axis.
  let rotation: Float64Array = Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
  if (o.up === 'y') {
    const up = orbitUp(c2w);
    if (up) rotation = rotationToYUp(up);
  }
  const world = c2w.map((m) => rotatePose(rotation, m));
  const pts = new Float64Array(points.length);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < 3; r++) {
      pts[3 * i + r] = rotation[r * 3] * points[3 * i] + rotation[r * 3 + 1] * points[3 * i + 1] + rotation[r * 3 + 2] * points[3 * i + 2];
    }
  }

  // 2. Which points are the object.
  const chosen: number[] = [];
  if (objectPoints !== undefined) for (let i = 0; i < n; i++) if (objectPoints[i]) chosen.push(i);
  const method: NormalizeMethod = chosen.length >= o.minPoints ? 'object-points' : 'camera-axes';

  // 3. Centre and size.
  let centre: [number, number, number];
  let halfSize: number;
  if (method === 'camera-axes') {
    let axesCentre: [number, number, number] | undefined;
    try {
      axesCentre = c2w.length >= 2 ? opticalAxesCentre(world) : undefined;
    } catch {
      axesCentre = undefined;
    }
    const axesRadius = axesCentre ? HEURISTIC_HALF_SIZE_RATIO * medianCameraDistance(world, axesCentre) : NaN;
    if (!axesCentre || !(axesRadius > 0)) {
      throw new ReconstructionError(
        'cannot place the unit box: the reconstruction has too few sparse points on the object and the cameras\' optical ' +
          'axes do not meet (not an orbit?); check the masks, or try `--pose-features all`',
      );
    }
    centre = axesCentre;
    halfSize = axesRadius;
  } else {
    const dist = (c: readonly number[], i: number): number => Math.hypot(pts[3 * i] - c[0], pts[3 * i + 1] - c[1], pts[3 * i + 2] - c[2]);
    // Gross outliers out: points farther from the coordinate-wise median than
    // OUTLIER_DISTANCE_FACTOR × the median distance to it.
    const med = [0, 1, 2].map((r) => median(chosen.map((i) => pts[3 * i + r])));
    const cut = OUTLIER_DISTANCE_FACTOR * median(chosen.map((i) => dist(med, i)));
    const kept = chosen.filter((i) => dist(med, i) <= cut);
    // The robust bounding box of the rest, per axis of the (y-up) world.
    const lo: number[] = [];
    const hi: number[] = [];
    for (let r = 0; r < 3; r++) {
      const v = kept.map((i) => pts[3 * i + r]).sort((x, y) => x - y);
      lo.push(quantile(v, 1 - o.percentile));
      hi.push(quantile(v, o.percentile));
    }
    centre = [0, 1, 2].map((r) => 0.5 * (lo[r] + hi[r])) as [number, number, number];
    halfSize = o.margin * Math.max(...[0, 1, 2].map((r) => 0.5 * (hi[r] - lo[r])));
  }
  if (!(halfSize > 0) || !Number.isFinite(halfSize)) {
    throw new ReconstructionError(`cannot size the unit box: the ${chosen.length} object points coincide (half-size ${halfSize}); the reconstruction is degenerate`);
  }
  const worldToUnit = cubeWorldToUnit(centre, halfSize);
  const c2wUnit = world.map((m) => poseToUnit(m, worldToUnit));
  const camerasInsideBox = c2wUnit.filter((m) => [m[3], m[7], m[11]].every((v) => v >= 0 && v <= 1)).length;
  return {
    rotation,
    worldToUnit,
    c2wWorld: world,
    c2wUnit,
    centre,
    halfSize,
    method,
    pointsUsed: method === 'camera-axes' ? 0 : chosen.length,
    camerasInsideBox,
  };
}

/** Maps a COLMAP-world point through a {@link Normalization} into the unit box. */
export function colmapPointToUnit(p: readonly [number, number, number], norm: Pick<Normalization, 'rotation' | 'worldToUnit'>): [number, number, number] {
  const a = norm.rotation;
  const q: [number, number, number] = [0, 1, 2].map((r) => a[r * 3] * p[0] + a[r * 3 + 1] * p[1] + a[r * 3 + 2] * p[2]) as [number, number, number];
  return pointToUnit(q, norm.worldToUnit);
}

// ---------------------------------------------------------------------------------------------
// Missing poses
// ---------------------------------------------------------------------------------------------

/** Spherical linear interpolation of unit quaternions (w, x, y, z), taking the short way. */
function slerp(a: readonly number[], b: readonly number[], t: number): [number, number, number, number] {
  let dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
  const bb = dot < 0 ? b.map((v) => -v) : [...b];
  dot = Math.abs(dot);
  let wa: number;
  let wb: number;
  if (dot > 0.9995) {
    wa = 1 - t;
    wb = t;
  } else {
    const th = Math.acos(Math.min(1, dot));
    wa = Math.sin((1 - t) * th) / Math.sin(th);
    wb = Math.sin(t * th) / Math.sin(th);
  }
  const q = [0, 1, 2, 3].map((i) => wa * a[i] + wb * bb[i]);
  const n = Math.hypot(...q);
  return [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
}

/**
 * Fills the gaps of a frame-ordered pose list: a missing pose between registered frames `p` and
 * `q` gets the centre interpolated linearly and the rotation by slerp at `t = (i − p)/(q − p)`;
 * missing poses before the first or after the last registered frame copy the nearest one.
 * Poses are 3x4 row-major c2w with rotation blocks.
 * @throws TypeError when no pose is given at all.
 */
export function fillMissingPoses(poses: ReadonlyArray<Float64Array | undefined>): Float64Array[] {
  const known = poses.flatMap((p, i) => (p ? [i] : []));
  if (known.length === 0) throw new TypeError('poses must hold at least one registered pose');
  const rot = (m: Float64Array): number[] => [m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]];
  return poses.map((p, i) => {
    if (p) return p;
    const next = known.find((k) => k > i);
    const prev = [...known].reverse().find((k) => k < i);
    if (prev === undefined) return Float64Array.from(poses[next!]!);
    if (next === undefined) return Float64Array.from(poses[prev]!);
    const a = poses[prev]!;
    const b = poses[next]!;
    const t = (i - prev) / (next - prev);
    const r = quaternionToMatrix(slerp(matrixToQuaternion(rot(a)), matrixToQuaternion(rot(b)), t));
    const out = new Float64Array(12);
    for (let row = 0; row < 3; row++) {
      for (let c = 0; c < 3; c++) out[row * 4 + c] = r[row * 3 + c];
      out[row * 4 + 3] = (1 - t) * a[row * 4 + 3] + t * b[row * 4 + 3];
    }
    return out;
  });
}
