import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  UNDISTORT_MAX_ITERATIONS,
  distort,
  hasDistortion,
  pixelRay,
  projectPoint,
  resizeIntrinsics,
  undistort,
  type Intrinsics,
} from '../../src/data/camera.ts';
import { mulberry32 as rng } from '../../src/util/mulberry32.ts';


/** The fox capture's phone camera at 270x480 (instant-ngp data/nerf/fox, downscale 4). */
const FOX: Intrinsics = {
  width: 270,
  height: 480,
  fx: 343.88,
  fy: 343.6225,
  cx: 138.6395,
  cy: 241.317,
  k1: 0.0578421,
  k2: -0.0805099,
  p1: -0.000980296,
  p2: 0.00015575,
};
/** A wide-angle lens with strong barrel distortion (typical of action cameras after COLMAP OPENCV fits). */
const WIDE: Intrinsics = { ...FOX, fx: 200, fy: 200, k1: -0.25, k2: 0.06, p1: 0.001, p2: -0.0015 };

/** Random rotation (normalized random quaternion) and translation as a 3x4 row-major c2w. */
function randomPose(r: () => number): Float64Array {
  let q = [r() - 0.5, r() - 0.5, r() - 0.5, r() - 0.5];
  const n = Math.hypot(...q);
  q = q.map((v) => v / n);
  const [w, x, y, z] = q;
  return Float64Array.from([
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y), 4 * r() - 2,
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x), 4 * r() - 2,
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y), 4 * r() - 2,
  ]);
}

test('undistort inverts distort on random points across the image (fox and wide-angle coefficients)', () => {
  const r = rng(1);
  const failures: string[] = [];
  for (const intr of [FOX, WIDE]) {
    // Normalized coordinates spanning the whole image, corners included.
    const xMax = Math.max(intr.cx, intr.width - intr.cx) / intr.fx;
    const yMax = Math.max(intr.cy, intr.height - intr.cy) / intr.fy;
    for (let i = 0; i < 2000; i++) {
      const x = (2 * r() - 1) * xMax * 0.9;
      const y = (2 * r() - 1) * yMax * 0.9;
      const [xd, yd] = distort(intr, x, y);
      const [xu, yu] = undistort(intr, xd, yd);
      // float64 Newton converges to ~1e-16; 1e-12 leaves room for the conditioning of the model.
      if (!(Math.abs(xu - x) < 1e-12 && Math.abs(yu - y) < 1e-12)) {
        failures.push(`k1=${intr.k1} (${x}, ${y}) -> (${xu}, ${yu})`);
      }
    }
  }
  assert.deepEqual(failures.slice(0, 5), []);
});

test('distort(undistort(p)) returns p for observed (distorted) pixel positions', () => {
  const r = rng(2);
  for (let i = 0; i < 500; i++) {
    const px = r() * FOX.width;
    const py = r() * FOX.height;
    const xd = (px - FOX.cx) / FOX.fx;
    const yd = (py - FOX.cy) / FOX.fy;
    const [xu, yu] = undistort(FOX, xd, yd);
    const [x2, y2] = distort(FOX, xu, yu);
    assert.ok(Math.abs(x2 - xd) < 1e-12 && Math.abs(y2 - yd) < 1e-12, `pixel (${px}, ${py})`);
  }
});

test('undistort is the identity without distortion and stops within the iteration budget', () => {
  const pin: Intrinsics = { ...FOX, k1: 0, k2: 0, p1: 0, p2: 0 };
  assert.equal(hasDistortion(pin), false);
  assert.equal(hasDistortion(FOX), true);
  assert.deepEqual(undistort(pin, 0.3, -0.7), [0.3, -0.7]);
  assert.ok(UNDISTORT_MAX_ITERATIONS >= 5);
});

test('the principal-point ray is the camera -z axis, from the camera centre, for any pose', () => {
  const r = rng(3);
  for (let i = 0; i < 50; i++) {
    const c2w = randomPose(r);
    const { origin, dir } = pixelRay(WIDE, c2w, WIDE.cx, WIDE.cy);
    assert.deepEqual(origin, [c2w[3], c2w[7], c2w[11]]);
    const minusZ = [-c2w[2], -c2w[6], -c2w[10]];
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(dir[k] - minusZ[k]) < 1e-14, `axis ${k}: ${dir[k]} vs ${minusZ[k]}`);
  }
});

test('pixel rays are unit length and follow the image-y-down / camera-y-up convention', () => {
  const pin: Intrinsics = { width: 100, height: 80, fx: 50, fy: 50, cx: 50, cy: 40, k1: 0, k2: 0, p1: 0, p2: 0 };
  const identity = Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
  // Right of centre → +x; below centre (larger py) → −y; forward → −z.
  const right = pixelRay(pin, identity, 100, 40).dir;
  assert.ok(Math.abs(right[0] - Math.SQRT1_2) < 1e-15 && right[1] === 0 && Math.abs(right[2] + Math.SQRT1_2) < 1e-15);
  const below = pixelRay(pin, identity, 50, 90).dir;
  assert.ok(below[1] < 0 && Math.abs(below[1] + Math.SQRT1_2) < 1e-15);
  // Top-left pixel centre (0.5, 0.5): x left (negative), y up (positive).
  const tl = pixelRay(pin, identity, 0.5, 0.5).dir;
  assert.ok(tl[0] < 0 && tl[1] > 0 && tl[2] < 0);
  const r = rng(4);
  for (let i = 0; i < 100; i++) {
    const d = pixelRay(FOX, randomPose(r), r() * FOX.width, r() * FOX.height).dir;
    assert.ok(Math.abs(Math.hypot(...d) - 1) < 1e-14);
  }
});

test('a world point projects to a pixel whose ray passes back through it', () => {
  const r = rng(5);
  let checked = 0;
  for (const intr of [FOX, WIDE]) {
    for (let i = 0; i < 300; i++) {
      const c2w = randomPose(r);
      // A point in front of the camera: camera-space (x, y, −depth), then to world.
      const depth = 0.5 + 3 * r();
      const cam = [(r() - 0.5) * depth * 0.6, (r() - 0.5) * depth * 1.0, -depth];
      const p: [number, number, number] = [0, 1, 2].map(
        (k) => c2w[k * 4] * cam[0] + c2w[k * 4 + 1] * cam[1] + c2w[k * 4 + 2] * cam[2] + c2w[k * 4 + 3],
      ) as [number, number, number];
      const proj = projectPoint(intr, c2w, p);
      assert.ok(proj !== null);
      const [px, py, d] = proj;
      assert.ok(Math.abs(d - depth) < 1e-12, `depth ${d} vs ${depth}`);
      const { origin, dir } = pixelRay(intr, c2w, px, py);
      const v = [p[0] - origin[0], p[1] - origin[1], p[2] - origin[2]];
      const t = v[0] * dir[0] + v[1] * dir[1] + v[2] * dir[2];
      const miss = Math.hypot(v[0] - t * dir[0], v[1] - t * dir[1], v[2] - t * dir[2]);
      assert.ok(t > 0 && miss < 1e-10 * depth, `miss ${miss} at depth ${depth}`);
      checked++;
    }
  }
  assert.equal(checked, 600);
  // Points behind the camera do not project.
  const c2w = Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
  assert.equal(projectPoint(FOX, c2w, [0, 0, 1]), null);
});

test('a known point: the fox principal ray hits the point 2 units ahead at the principal point', () => {
  const c2w = Float64Array.from([1, 0, 0, 0.1, 0, 1, 0, 0.2, 0, 0, 1, 0.3]);
  const proj = projectPoint(FOX, c2w, [0.1, 0.2, -1.7]);
  assert.ok(proj !== null);
  assert.ok(Math.abs(proj[0] - FOX.cx) < 1e-12 && Math.abs(proj[1] - FOX.cy) < 1e-12 && Math.abs(proj[2] - 2) < 1e-15);
  // A point up-right of the axis lands up-right in the image (px > cx, py < cy).
  const ur = projectPoint(FOX, c2w, [0.6, 0.7, -1.7]);
  assert.ok(ur !== null && ur[0] > FOX.cx && ur[1] < FOX.cy);
});

test('resizeIntrinsics scales focal lengths and principal point by the size ratio', () => {
  const full: Intrinsics = { ...FOX, width: 1080, height: 1920, fx: 1375.52, fy: 1374.49, cx: 554.558, cy: 965.268 };
  const q = resizeIntrinsics(full, 270, 480);
  assert.deepEqual(q, FOX);
});
