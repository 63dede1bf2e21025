/**
 * Pinhole camera with OpenCV radial-tangential distortion (k1, k2, p1, p2), in float64.
 *
 * This module is the reference ("`.ref`" twin) that GPU ray-generation kernels mirror, so every
 * function here is written to be simple and exact rather than fast.
 *
 * Conventions:
 * - Pixel coordinates are continuous, in pixel units, with the top-left corner of the top-left
 *   pixel at (0, 0): the centre of pixel (i, j) is (i + 0.5, j + 0.5). Image y goes DOWN.
 * - Normalized image coordinates are `x = (px - cx) / fx`, `y = (py - cy) / fy` (still y down),
 *   which is the space the OpenCV / COLMAP distortion model is defined on.
 * - Poses are camera-to-world 3x4 row-major matrices in the OpenGL convention used by NeRF
 *   `transforms.json` files: the camera looks along its −z axis, +y is up and +x is right. A
 *   normalized point (x, y) therefore has the camera-space direction (x, −y, −1).
 */

/** Pinhole intrinsics plus OpenCV radial-tangential distortion, in pixel units (after any downscale). */
export interface Intrinsics {
  /** Image width in pixels. */
  width: number;
  /** Image height in pixels. */
  height: number;
  /** Focal length along x, pixels. */
  fx: number;
  /** Focal length along y, pixels. */
  fy: number;
  /** Principal point x, pixels (top-left pixel corner at 0). */
  cx: number;
  /** Principal point y, pixels (top-left pixel corner at 0, y down). */
  cy: number;
  /** First radial distortion coefficient (r² term). */
  k1: number;
  /** Second radial distortion coefficient (r⁴ term). */
  k2: number;
  /** First tangential distortion coefficient. */
  p1: number;
  /** Second tangential distortion coefficient. */
  p2: number;
}

/** A ray in world space: `origin + t * dir`, with `dir` of unit length. */
export interface Ray {
  /** Ray origin (the camera centre), world coordinates. */
  origin: [number, number, number];
  /** Unit direction, world coordinates. */
  dir: [number, number, number];
}

/** Maximum number of Newton iterations of {@link undistort}; GPU kernels use the same count. */
export const UNDISTORT_MAX_ITERATIONS = 10;

/**
 * {@link undistort} stops once the squared length of a Newton step falls below this value
 * (normalized image units squared; 1e-24 means a step of 1e-12, far below a float32 ulp of 1).
 */
export const UNDISTORT_STEP_TOLERANCE_SQ = 1e-24;

/** True when any distortion coefficient is non-zero. */
export function hasDistortion(intr: Intrinsics): boolean {
  return intr.k1 !== 0 || intr.k2 !== 0 || intr.p1 !== 0 || intr.p2 !== 0;
}

/**
 * Applies the OpenCV radial-tangential model to undistorted normalized coordinates (x, y):
 *
 *   r² = x² + y²,  radial = 1 + k1·r² + k2·r⁴
 *   xd = x·radial + 2·p1·x·y + p2·(r² + 2x²)
 *   yd = y·radial + p1·(r² + 2y²) + 2·p2·x·y
 */
export function distort(intr: Intrinsics, x: number, y: number): [number, number] {
  const { k1, k2, p1, p2 } = intr;
  const x2 = x * x;
  const y2 = y * y;
  const xy = x * y;
  const r2 = x2 + y2;
  const radial = 1 + r2 * (k1 + k2 * r2);
  return [x * radial + 2 * p1 * xy + p2 * (r2 + 2 * x2), y * radial + p1 * (r2 + 2 * y2) + 2 * p2 * xy];
}

/**
 * Inverts {@link distort}: finds undistorted normalized coordinates (x, y) with
 * `distort(x, y) = (xd, yd)` by Newton's method, starting from (xd, yd).
 *
 * This is instant-ngp's `iterative_camera_undistortion` (itself COLMAP's), except that the 2x2
 * Jacobian is written analytically instead of by central differences: each step solves
 * `J · s = distort(x) − (xd, yd)` and sets `x −= s`, for at most {@link UNDISTORT_MAX_ITERATIONS}
 * steps, stopping early once `|s|² < UNDISTORT_STEP_TOLERANCE_SQ`. Converges in 3–5 steps for
 * realistic phone-camera coefficients inside the image. Returns the last iterate if the Jacobian
 * becomes singular (only possible far outside the model's valid field of view).
 */
export function undistort(intr: Intrinsics, xd: number, yd: number): [number, number] {
  const { k1, k2, p1, p2 } = intr;
  let x = xd;
  let y = yd;
  for (let i = 0; i < UNDISTORT_MAX_ITERATIONS; i++) {
    const x2 = x * x;
    const y2 = y * y;
    const xy = x * y;
    const r2 = x2 + y2;
    const radial = 1 + r2 * (k1 + k2 * r2);
    // d(radial)/d(r²) = k1 + 2·k2·r², and d(r²)/dx = 2x, d(r²)/dy = 2y.
    const dRadial = k1 + 2 * k2 * r2;
    const fx = x * radial + 2 * p1 * xy + p2 * (r2 + 2 * x2) - xd;
    const fy = y * radial + p1 * (r2 + 2 * y2) + 2 * p2 * xy - yd;
    const jxx = radial + 2 * x2 * dRadial + 2 * p1 * y + 6 * p2 * x;
    const jxy = 2 * xy * dRadial + 2 * p1 * x + 2 * p2 * y;
    const jyx = jxy; // d(yd)/dx = 2xy·dRadial + 2·p1·x + 2·p2·y: the Jacobian is symmetric.
    const jyy = radial + 2 * y2 * dRadial + 6 * p1 * y + 2 * p2 * x;
    const det = jxx * jyy - jxy * jyx;
    if (det === 0 || !Number.isFinite(det)) break;
    const sx = (jyy * fx - jxy * fy) / det;
    const sy = (jxx * fy - jyx * fx) / det;
    x -= sx;
    y -= sy;
    if (sx * sx + sy * sy < UNDISTORT_STEP_TOLERANCE_SQ) break;
  }
  return [x, y];
}

/**
 * The world-space ray through continuous pixel coordinate (px, py) (pixel (i, j) has its centre
 * at (i + 0.5, j + 0.5); y down).
 *
 * Steps: normalize `((px − cx)/fx, (py − cy)/fy)`, {@link undistort} to (xu, yu), take the camera
 * direction `(xu, −yu, −1)` (OpenGL: −z forward, +y up), rotate by the pose's 3x3 block and
 * normalize. The origin is the pose's translation column.
 *
 * @param c2w camera-to-world, 12 values, 3x4 row-major (`c2w[r*4 + c]`).
 */
export function pixelRay(intr: Intrinsics, c2w: Float64Array, px: number, py: number): Ray {
  const [xu, yu] = undistort(intr, (px - intr.cx) / intr.fx, (py - intr.cy) / intr.fy);
  const cxCam = xu;
  const cyCam = -yu;
  const czCam = -1;
  const dx = c2w[0] * cxCam + c2w[1] * cyCam + c2w[2] * czCam;
  const dy = c2w[4] * cxCam + c2w[5] * cyCam + c2w[6] * czCam;
  const dz = c2w[8] * cxCam + c2w[9] * cyCam + c2w[10] * czCam;
  const inv = 1 / Math.hypot(dx, dy, dz);
  return { origin: [c2w[3], c2w[7], c2w[11]], dir: [dx * inv, dy * inv, dz * inv] };
}

/**
 * Projects a world point into continuous pixel coordinates (the inverse of {@link pixelRay}):
 * world → camera with the inverse of the rigid part of `c2w`, perspective divide by the depth
 * along −z, {@link distort}, then `px = fx·xd + cx`, `py = fy·yd + cy`.
 *
 * Returns `null` for points at or behind the camera plane (depth ≤ 0). Assumes the 3x3 block of
 * `c2w` is a rotation (true for poses read by `loadPosedDataset`, which only scales translations).
 *
 * @param c2w camera-to-world, 12 values, 3x4 row-major.
 * @returns `[px, py, depth]` with depth the distance along the camera's −z axis.
 */
export function projectPoint(
  intr: Intrinsics,
  c2w: Float64Array,
  point: readonly [number, number, number],
): [number, number, number] | null {
  const vx = point[0] - c2w[3];
  const vy = point[1] - c2w[7];
  const vz = point[2] - c2w[11];
  // Camera coordinates: Rᵀ·v (columns of R are the camera axes in world space).
  const camX = c2w[0] * vx + c2w[4] * vy + c2w[8] * vz;
  const camY = c2w[1] * vx + c2w[5] * vy + c2w[9] * vz;
  const camZ = c2w[2] * vx + c2w[6] * vy + c2w[10] * vz;
  const depth = -camZ;
  if (!(depth > 0)) return null;
  // Back to the y-down normalized image plane.
  const [xd, yd] = distort(intr, camX / depth, -camY / depth);
  return [intr.fx * xd + intr.cx, intr.fy * yd + intr.cy, depth];
}

/**
 * Intrinsics of the same camera after resampling its images to `width × height` pixels: focal
 * lengths and principal point scale by `width / intr.width` and `height / intr.height` (with the
 * pixel-corner-at-0 convention a uniform resampling is a pure scale). Distortion is unchanged
 * because it acts on normalized coordinates.
 */
export function resizeIntrinsics(intr: Intrinsics, width: number, height: number): Intrinsics {
  const sx = width / intr.width;
  const sy = height / intr.height;
  return {
    ...intr,
    width,
    height,
    fx: intr.fx * sx,
    fy: intr.fy * sy,
    cx: intr.cx * sx,
    cy: intr.cy * sy,
  };
}
