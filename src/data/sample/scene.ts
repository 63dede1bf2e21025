/**
 * Geometry of the synthetic sample scene and its ray intersection, in world units with +z up.
 *
 * The object, a lidded vase on a pedestal, is a union of analytic primitives that all lie inside
 * the sphere |p| < {@link OBJECT_BOUND_RADIUS} (< 1.3, so instant-ngp's `p·0.33 + 0.5` puts it in
 * the unit cube):
 * - pedestal: a cylinder of radius 0.5, z ∈ [−1.05, −0.96], standing on the floor;
 * - vase body: a surface of revolution ρ = r(z), z ∈ [−0.96, 0.78], with a wavy band, closed by a
 *   flat top cap; r(z) is a C¹ cubic Hermite spline through {@link PROFILE_POINTS} plus ripples,
 *   tabulated at {@link PROFILE_TABLE_SIZE} samples and intersected by Lipschitz sphere tracing;
 * - lid: a sphere sunk into the cap;
 * - two ring handles: tori in the xz plane (sphere-traced, their signed distance is exact);
 * - finial: a thin rod, a ball and a thin ring with two spokes (silhouette detail at the top).
 *
 * The background is not part of the object: a floor plane z = {@link FLOOR_Z} and a backdrop
 * sphere of radius {@link BACKDROP_RADIUS} around the origin.
 *
 * All functions are allocation-free; results go to the shared {@link hit} record.
 */

/** Part id: no hit. Ids below {@link PART_FLOOR} belong to the object. */
export const PART_NONE = 0;
/** Part id: the pedestal (cylinder side, or its top disc when `aux` is 1). */
export const PART_PEDESTAL = 1;
/** Part id: the vase body (surface of revolution). */
export const PART_VASE = 2;
/** Part id: the flat disc closing the top of the vase body. */
export const PART_CAP = 3;
/** Part id: the lid sphere. */
export const PART_LID = 4;
/** Part id: a ring handle (`aux` = ±1, the side of x it is on). */
export const PART_HANDLE = 5;
/** Part id: the finial's thin vertical rod. */
export const PART_ROD = 6;
/** Part id: the finial's ball. */
export const PART_BALL = 7;
/** Part id: the finial's thin horizontal ring. */
export const PART_RING = 8;
/** Part id: a spoke of the finial ring (`aux` 0 = along x, 1 = along y). */
export const PART_SPOKE = 9;
/** Part id: the floor plane (background). */
export const PART_FLOOR = 16;
/** Part id: the backdrop sphere (background). */
export const PART_BACKDROP = 17;

/** Slot of {@link hit}: ray distance of the hit. */
export const HIT_T = 0;
/** Slot of {@link hit}: part id. */
export const HIT_PART = 1;
/** Slot of {@link hit}: part-specific extra (see the part ids). */
export const HIT_AUX = 2;

/** The result of the last trace: `[t, part, aux]`. */
export const hit = new Float64Array(3);

/** Height of the floor plane (the pedestal stands on it). */
export const FLOOR_Z = -1.05;
/** Radius of the backdrop sphere centred on the origin. */
export const BACKDROP_RADIUS = 10;
/** Every object point lies strictly inside this radius around the origin. */
export const OBJECT_BOUND_RADIUS = 1.21;

/** Pedestal radius (its side spans z ∈ [FLOOR_Z, PEDESTAL_TOP]). */
export const PEDESTAL_RADIUS = 0.5;
/** Height of the pedestal's top disc. */
export const PEDESTAL_TOP = -0.96;

/** Bottom of the vase body (on the pedestal). */
export const VASE_Z0 = PEDESTAL_TOP;
/** Top of the vase body (the cap). */
export const VASE_Z1 = 0.78;

/** Height of the lid sphere's centre (on the z axis). */
export const LID_Z = 0.84;
/** Lid sphere radius. */
export const LID_RADIUS = 0.15;

/** The handles' centres are at (±HANDLE_X, 0, HANDLE_Z). */
export const HANDLE_X = 0.52;
/** Height of the handles' centres. */
export const HANDLE_Z = 0.1;
/** Handle torus major radius (ring in the xz plane). */
export const HANDLE_MAJOR = 0.2;
/** Handle torus minor (tube) radius. */
export const HANDLE_MINOR = 0.04;

/** Finial rod radius (the rod is on the z axis). */
export const ROD_RADIUS = 0.013;
/** Bottom of the finial rod (inside the lid). */
export const ROD_Z0 = 0.95;
/** Top of the finial rod (inside the ball). */
export const ROD_Z1 = 1.15;
/** Height of the finial ball's centre. */
export const BALL_Z = 1.15;
/** Finial ball radius. */
export const BALL_RADIUS = 0.04;
/** Height of the finial ring (horizontal torus around the rod). */
export const RING_Z = 1.06;
/** Finial ring major radius. */
export const RING_MAJOR = 0.075;
/** Finial ring minor radius (a thin wire). */
export const RING_MINOR = 0.007;
/** Radius of the two spokes joining the finial ring to the rod. */
export const SPOKE_RADIUS = 0.005;

/** Finial bounding sphere (rod, ball, ring, spokes). */
const FINIAL_CZ = 1.07;
const FINIAL_BOUND = 0.135;

/**
 * Vase profile control points `[s, r]`: s ∈ [0, 1] is the normalized height from
 * {@link VASE_Z0} to {@link VASE_Z1}, r the radius (foot, waist, belly, shoulder, neck, lip).
 */
export const PROFILE_POINTS: ReadonlyArray<readonly [number, number]> = [
  [0.0, 0.31], [0.03, 0.3], [0.07, 0.26], [0.15, 0.33], [0.32, 0.49], [0.45, 0.51],
  [0.6, 0.43], [0.74, 0.25], [0.84, 0.19], [0.93, 0.22], [1.0, 0.29],
];
/** Start (normalized height s) of the wavy band: RIPPLE_COUNT ripples of amplitude 0.012 up to RIPPLE_S1. */
export const RIPPLE_S0 = 0.6;
/** End (normalized height s) of the wavy band. */
export const RIPPLE_S1 = 0.74;
/** Number of ripples in the wavy band. */
export const RIPPLE_COUNT = 5;
const RIPPLE_AMPLITUDE = 0.012;

/** Number of intervals of the tabulated profile. */
export const PROFILE_TABLE_SIZE = 4096;
const PROFILE_DZ = (VASE_Z1 - VASE_Z0) / PROFILE_TABLE_SIZE;
const PROFILE_INV_DZ = 1 / PROFILE_DZ;
/** r(z) at `VASE_Z0 + i·dz` (one extra entry so interpolation at the top needs no branch). */
const profileR = new Float64Array(PROFILE_TABLE_SIZE + 2);
/** dr/dz at the same samples. */
const profileSlope = new Float64Array(PROFILE_TABLE_SIZE + 2);

function hermiteProfile(s: number): number {
  const pts = PROFILE_POINTS;
  let i = 0;
  while (i < pts.length - 2 && s > pts[i + 1]![0]) i++;
  const [s0, r0] = pts[i]!;
  const [s1, r1] = pts[i + 1]!;
  const tangent = (k: number): number => {
    const a = pts[Math.max(0, k - 1)]!;
    const b = pts[Math.min(pts.length - 1, k + 1)]!;
    return (b[1] - a[1]) / (b[0] - a[0]);
  };
  const h = s1 - s0;
  const u = Math.min(1, Math.max(0, (s - s0) / h));
  const u2 = u * u;
  const u3 = u2 * u;
  return (
    (2 * u3 - 3 * u2 + 1) * r0 + (u3 - 2 * u2 + u) * h * tangent(i) + (-2 * u3 + 3 * u2) * r1 + (u3 - u2) * h * tangent(i + 1)
  );
}

/** The exact (untabulated) vase radius at normalized height s. */
export function vaseRadiusAt(s: number): number {
  let r = hermiteProfile(s);
  if (s > RIPPLE_S0 && s < RIPPLE_S1) {
    const w = (s - RIPPLE_S0) / (RIPPLE_S1 - RIPPLE_S0);
    const window = Math.sin(Math.PI * w);
    r += RIPPLE_AMPLITUDE * window * window * Math.sin(2 * Math.PI * RIPPLE_COUNT * w);
  }
  return r;
}

let maxSlope = 0;
for (let i = 0; i <= PROFILE_TABLE_SIZE + 1; i++) {
  profileR[i] = vaseRadiusAt(Math.min(1, i / PROFILE_TABLE_SIZE));
}
for (let i = 0; i <= PROFILE_TABLE_SIZE; i++) {
  const lo = profileR[Math.max(0, i - 1)]!;
  const hi = profileR[Math.min(PROFILE_TABLE_SIZE, i + 1)]!;
  const span = (Math.min(PROFILE_TABLE_SIZE, i + 1) - Math.max(0, i - 1)) * PROFILE_DZ;
  profileSlope[i] = (hi - lo) / span;
  maxSlope = Math.max(maxSlope, Math.abs(profileSlope[i]!));
}
profileSlope[PROFILE_TABLE_SIZE + 1] = profileSlope[PROFILE_TABLE_SIZE]!;
let maxRadius = 0;
for (let i = 0; i <= PROFILE_TABLE_SIZE; i++) maxRadius = Math.max(maxRadius, profileR[i]!);
/** Radius of the vase's bounding cylinder. */
const VASE_RMAX = maxRadius + 1e-3;
/**
 * f(t) = ρ(t) − r(z(t)) changes by at most √(1 + max|r′|²) per unit of t along a unit ray, so a
 * step of f / that (with 5 % slack for the table interpolation) never crosses the surface.
 */
const VASE_STEP_SCALE = 1 / (1.05 * Math.sqrt(1 + maxSlope * maxSlope));
const VASE_EPS = 1e-4;
const VASE_MAX_STEPS = 256;
const TORUS_EPS = 2e-5;
const TORUS_MAX_STEPS = 128;

/** Tabulated vase radius r(z) (clamped to the body's z range). */
export function vaseRadius(z: number): number {
  let f = (z - VASE_Z0) * PROFILE_INV_DZ;
  if (f < 0) f = 0;
  else if (f > PROFILE_TABLE_SIZE) f = PROFILE_TABLE_SIZE;
  const i = f | 0;
  const a = profileR[i]!;
  return a + (profileR[i + 1]! - a) * (f - i);
}

/** Tabulated vase slope dr/dz. */
export function vaseSlope(z: number): number {
  let f = (z - VASE_Z0) * PROFILE_INV_DZ;
  if (f < 0) f = 0;
  else if (f > PROFILE_TABLE_SIZE) f = PROFILE_TABLE_SIZE;
  const i = f | 0;
  const a = profileSlope[i]!;
  return a + (profileSlope[i + 1]! - a) * (f - i);
}

function traceSphere(
  ox: number, oy: number, oz: number, dx: number, dy: number, dz: number,
  cx: number, cy: number, cz: number, radius: number, tMin: number, tBest: number, part: number,
): number {
  const px = ox - cx;
  const py = oy - cy;
  const pz = oz - cz;
  const b = px * dx + py * dy + pz * dz;
  const c = px * px + py * py + pz * pz - radius * radius;
  const disc = b * b - c;
  if (disc < 0) return tBest;
  const s = Math.sqrt(disc);
  let t = -b - s;
  if (t <= tMin) t = -b + s;
  if (t <= tMin || t >= tBest) return tBest;
  hit[HIT_PART] = part;
  return t;
}

/**
 * A cylinder without caps, in coordinates where its axis is the w axis through (0, 0): origin
 * (ou, ov, ow), direction (du, dv, dw), radius, w range [w0, w1].
 */
function traceCylinder(
  ou: number, ov: number, ow: number, du: number, dv: number, dw: number,
  radius: number, w0: number, w1: number, tMin: number, tBest: number, part: number, aux: number,
): number {
  const a = du * du + dv * dv;
  if (a < 1e-14) return tBest;
  const b = ou * du + ov * dv;
  const c = ou * ou + ov * ov - radius * radius;
  const disc = b * b - a * c;
  if (disc < 0) return tBest;
  const s = Math.sqrt(disc);
  for (let k = 0; k < 2; k++) {
    const t = (k === 0 ? -b - s : -b + s) / a;
    if (t <= tMin || t >= tBest) continue;
    const w = ow + t * dw;
    if (w < w0 || w > w1) continue;
    hit[HIT_PART] = part;
    hit[HIT_AUX] = aux;
    return t;
  }
  return tBest;
}

/** Entry and exit of a ray through a sphere, written to `span`; false when it misses. */
const span = new Float64Array(2);
function sphereSpan(px: number, py: number, pz: number, dx: number, dy: number, dz: number, radius: number): boolean {
  const b = px * dx + py * dy + pz * dz;
  const c = px * px + py * py + pz * pz - radius * radius;
  const disc = b * b - c;
  if (disc < 0) return false;
  const s = Math.sqrt(disc);
  span[0] = -b - s;
  span[1] = -b + s;
  return true;
}

/**
 * Sphere-traces a torus in local coordinates (ring in the plane ⟂ to `axis`: 1 = y, 2 = z).
 * Signed distance: |(√(a² + b²) − R, w)| − r, with (a, b) the in-plane and w the axial coordinate.
 */
function traceTorus(
  px: number, py: number, pz: number, dx: number, dy: number, dz: number,
  axis: 1 | 2, major: number, minor: number, tMin: number, tBest: number, part: number, aux: number,
): number {
  if (!sphereSpan(px, py, pz, dx, dy, dz, major + minor + 1e-3)) return tBest;
  let t = Math.max(span[0]!, tMin);
  const tEnd = Math.min(span[1]!, tBest);
  for (let i = 0; i < TORUS_MAX_STEPS && t < tEnd; i++) {
    const x = px + t * dx;
    const y = py + t * dy;
    const z = pz + t * dz;
    const a = axis === 1 ? Math.sqrt(x * x + z * z) - major : Math.sqrt(x * x + y * y) - major;
    const w = axis === 1 ? y : z;
    const d = Math.sqrt(a * a + w * w) - minor;
    if (d < TORUS_EPS) {
      if (t <= tMin) return tBest;
      hit[HIT_PART] = part;
      hit[HIT_AUX] = aux;
      return t;
    }
    t += d;
  }
  return tBest;
}

function tracePedestal(
  ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, tMin: number, tBest: number,
): number {
  if (dz < 0 && oz > PEDESTAL_TOP) {
    const t = (PEDESTAL_TOP - oz) / dz;
    if (t > tMin && t < tBest) {
      const x = ox + t * dx;
      const y = oy + t * dy;
      if (x * x + y * y <= PEDESTAL_RADIUS * PEDESTAL_RADIUS) {
        hit[HIT_PART] = PART_PEDESTAL;
        hit[HIT_AUX] = 1;
        return t;
      }
    }
  }
  return traceCylinder(ox, oy, oz, dx, dy, dz, PEDESTAL_RADIUS, FLOOR_Z, PEDESTAL_TOP, tMin, tBest, PART_PEDESTAL, 0);
}

function traceVase(
  ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, tMin: number, tBest: number,
): number {
  let t0 = tMin;
  let t1 = tBest;
  if (dz > 1e-12 || dz < -1e-12) {
    let ta = (VASE_Z0 - oz) / dz;
    let tb = (VASE_Z1 - oz) / dz;
    if (ta > tb) {
      const tmp = ta;
      ta = tb;
      tb = tmp;
    }
    if (ta > t0) t0 = ta;
    if (tb < t1) t1 = tb;
  } else if (oz < VASE_Z0 || oz > VASE_Z1) {
    return tBest;
  }
  const a = dx * dx + dy * dy;
  if (a > 1e-14) {
    const b = ox * dx + oy * dy;
    const c = ox * ox + oy * oy - VASE_RMAX * VASE_RMAX;
    const disc = b * b - a * c;
    if (disc < 0) return tBest;
    const s = Math.sqrt(disc);
    const ta = (-b - s) / a;
    const tb = (-b + s) / a;
    if (ta > t0) t0 = ta;
    if (tb < t1) t1 = tb;
  } else if (ox * ox + oy * oy > VASE_RMAX * VASE_RMAX) {
    return tBest;
  }
  if (t0 >= t1) return tBest;
  let t = t0;
  for (let i = 0; i < VASE_MAX_STEPS; i++) {
    const x = ox + t * dx;
    const y = oy + t * dy;
    const f = Math.sqrt(x * x + y * y) - vaseRadius(oz + t * dz);
    if (f < VASE_EPS) {
      if (i === 0 && f < -VASE_EPS) {
        // Already inside at the entry point: the ray enters through the top (or bottom) cap.
        if (t <= tMin) return tBest;
        hit[HIT_PART] = PART_CAP;
      } else {
        hit[HIT_PART] = PART_VASE;
      }
      return t;
    }
    t += f * VASE_STEP_SCALE;
    if (t >= t1) return tBest;
  }
  return tBest;
}

/**
 * Intersects a ray with the object. Returns the part id (or {@link PART_NONE}) and leaves the
 * hit distance in `hit[HIT_T]`. `(dx, dy, dz)` must be a unit vector; only hits with
 * `tMin < t < tMax` count.
 */
export function traceObject(
  ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, tMin: number, tMax: number,
): number {
  hit[HIT_PART] = PART_NONE;
  hit[HIT_AUX] = 0;
  if (!sphereSpan(ox, oy, oz, dx, dy, dz, OBJECT_BOUND_RADIUS) || span[1]! <= tMin || span[0]! >= tMax) return PART_NONE;
  let t = tMax;
  t = tracePedestal(ox, oy, oz, dx, dy, dz, tMin, t);
  t = traceVase(ox, oy, oz, dx, dy, dz, tMin, t);
  t = traceSphere(ox, oy, oz, dx, dy, dz, 0, 0, LID_Z, LID_RADIUS, tMin, t, PART_LID);
  t = traceTorus(ox - HANDLE_X, oy, oz - HANDLE_Z, dx, dy, dz, 1, HANDLE_MAJOR, HANDLE_MINOR, tMin, t, PART_HANDLE, 1);
  t = traceTorus(ox + HANDLE_X, oy, oz - HANDLE_Z, dx, dy, dz, 1, HANDLE_MAJOR, HANDLE_MINOR, tMin, t, PART_HANDLE, -1);
  if (sphereSpan(ox, oy, oz - FINIAL_CZ, dx, dy, dz, FINIAL_BOUND) && span[1]! > tMin && span[0]! < t) {
    t = traceCylinder(ox, oy, oz, dx, dy, dz, ROD_RADIUS, ROD_Z0, ROD_Z1, tMin, t, PART_ROD, 0);
    t = traceSphere(ox, oy, oz, dx, dy, dz, 0, 0, BALL_Z, BALL_RADIUS, tMin, t, PART_BALL);
    t = traceTorus(ox, oy, oz - RING_Z, dx, dy, dz, 2, RING_MAJOR, RING_MINOR, tMin, t, PART_RING, 0);
    // Spokes: along x (axis w = x, plane (y, z)) and along y (plane (x, z)).
    t = traceCylinder(oy, oz - RING_Z, ox, dy, dz, dx, SPOKE_RADIUS, -RING_MAJOR, RING_MAJOR, tMin, t, PART_SPOKE, 0);
    t = traceCylinder(ox, oz - RING_Z, oy, dx, dz, dy, SPOKE_RADIUS, -RING_MAJOR, RING_MAJOR, tMin, t, PART_SPOKE, 1);
  }
  hit[HIT_T] = t;
  return hit[HIT_PART]!;
}

/**
 * Intersects a ray that starts inside the backdrop sphere with the background (floor or
 * backdrop). Returns the part id and leaves the distance in `hit[HIT_T]`.
 */
export function traceBackground(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number): number {
  const b = ox * dx + oy * dy + oz * dz;
  const c = ox * ox + oy * oy + oz * oz - BACKDROP_RADIUS * BACKDROP_RADIUS;
  let t = -b + Math.sqrt(Math.max(0, b * b - c));
  let part = PART_BACKDROP;
  if (dz < 0 && oz > FLOOR_Z) {
    const tf = (FLOOR_Z - oz) / dz;
    if (tf < t) {
      t = tf;
      part = PART_FLOOR;
    }
  }
  hit[HIT_T] = t;
  hit[HIT_PART] = part;
  return part;
}

/**
 * The outward unit normal of the surface point (x, y, z) of `part` (with `aux` from {@link hit}),
 * written to `out[0..2]`.
 */
export function surfaceNormal(part: number, aux: number, x: number, y: number, z: number, out: Float64Array): void {
  let nx = 0;
  let ny = 0;
  let nz = 1;
  switch (part) {
    case PART_PEDESTAL:
      if (aux === 0) {
        nx = x;
        ny = y;
        nz = 0;
      }
      break;
    case PART_VASE:
      nx = x;
      ny = y;
      nz = -vaseSlope(z) * Math.sqrt(x * x + y * y);
      break;
    case PART_LID:
      nx = x;
      ny = y;
      nz = z - LID_Z;
      break;
    case PART_BALL:
      nx = x;
      ny = y;
      nz = z - BALL_Z;
      break;
    case PART_HANDLE: {
      const lx = x - aux * HANDLE_X;
      const lz = z - HANDLE_Z;
      const k = HANDLE_MAJOR / Math.max(1e-9, Math.sqrt(lx * lx + lz * lz));
      nx = lx - lx * k;
      ny = y;
      nz = lz - lz * k;
      break;
    }
    case PART_RING: {
      const lz = z - RING_Z;
      const k = RING_MAJOR / Math.max(1e-9, Math.sqrt(x * x + y * y));
      nx = x - x * k;
      ny = y - y * k;
      nz = lz;
      break;
    }
    case PART_ROD:
      nx = x;
      ny = y;
      nz = 0;
      break;
    case PART_SPOKE:
      nx = aux === 0 ? 0 : x;
      ny = aux === 0 ? y : 0;
      nz = z - RING_Z;
      break;
    case PART_CAP:
    case PART_FLOOR:
    default:
      break;
  }
  const inv = 1 / Math.max(1e-12, Math.sqrt(nx * nx + ny * ny + nz * nz));
  out[0] = nx * inv;
  out[1] = ny * inv;
  out[2] = nz * inv;
}
