/**
 * COLMAP (world-to-camera, OpenCV axes, quaternion w-first) → our camera-to-world (OpenGL axes):
 * hand-worked poses, and random poses checked by projecting points both ways — COLMAP's own
 * projection formula against `projectPoint` of `src/data/camera.ts` on the converted pose.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { projectPoint } from '../../src/data/camera.ts';
import {
  c2wToColmapPose,
  colmapCameraToIntrinsics,
  colmapPoseToC2w,
  matrixToQuaternion,
  modelPoses,
  quaternionToMatrix,
  type ColmapCamera,
  type ColmapModel,
} from '../../src/poses/colmap-model.ts';
import { ColmapModelError } from '../../src/poses/errors.ts';
import { mulberry32 } from '../../src/util/mulberry32.ts';

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

function randomQuaternion(r: () => number): [number, number, number, number] {
  const q = [r() - 0.5, r() - 0.5, r() - 0.5, r() - 0.5];
  const n = Math.hypot(...q);
  return q.map((v) => v / n) as [number, number, number, number];
}

test('a camera at +z looking at the origin: COLMAP 180° about x ↔ our identity rotation', () => {
  // OpenCV camera looking down world −z with y down: R = diag(1, −1, −1) = quaternion (0, 1, 0, 0); t = −R·C.
  const c2w = colmapPoseToC2w([0, 1, 0, 0], [0, 0, 5]);
  assertClose(c2w, [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 5], 1e-15, 'c2w');
});

test('a camera at +x looking at the origin with world z up', () => {
  // OpenCV axes in world coordinates: forward z = −x̂, down y = −ẑ, right x = y × z = +ŷ.
  const r = Float64Array.of(0, 1, 0, /**/ 0, 0, -1, /**/ -1, 0, 0); // rows: x_cam, y_cam, z_cam
  const centre = [3, 0, 0];
  const t: [number, number, number] = [0, 1, 2].map((i) => -(r[i * 3] * centre[0] + r[i * 3 + 1] * centre[1] + r[i * 3 + 2] * centre[2])) as [number, number, number];
  const c2w = colmapPoseToC2w(matrixToQuaternion(r), t);
  // OpenGL: right = +ŷ, up = +ẑ, back (+z_gl) = +x̂, centre (3, 0, 0).
  assertClose(c2w, [0, 0, 1, 3, /**/ 1, 0, 0, 0, /**/ 0, 1, 0, 0], 1e-12, 'c2w');
  const intr = colmapCameraToIntrinsics({ id: 1, model: 'PINHOLE', width: 100, height: 80, params: Float64Array.of(90, 90, 50, 40) });
  const [px, py, depth] = projectPoint(intr, c2w, [0, 0, 0])!;
  assertClose([px, py, depth], [50, 40, 3], 1e-12, 'origin projects to the principal point');
  // A point above the origin (world +z) appears above the centre: smaller image y.
  assert.ok(projectPoint(intr, c2w, [0, 0, 0.5])![1] < 40);
  // A point at world +y (the camera's right) appears right of the centre.
  assert.ok(projectPoint(intr, c2w, [0, 0.5, 0])![0] > 50);
});

test('random poses: COLMAP\'s projection equals projectPoint on the converted pose and intrinsics', () => {
  const r = mulberry32(7);
  const cams: ColmapCamera[] = [
    { id: 1, model: 'SIMPLE_RADIAL', width: 270, height: 150, params: Float64Array.of(268.9, 135.2, 74.6, 0.0286) },
    { id: 2, model: 'OPENCV', width: 640, height: 480, params: Float64Array.of(500, 510, 321, 238, -0.12, 0.03, 0.0012, -0.0021) },
    { id: 3, model: 'RADIAL', width: 640, height: 480, params: Float64Array.of(480, 320, 240, -0.05, 0.01) },
  ];
  for (const cam of cams) {
    const intr = colmapCameraToIntrinsics(cam);
    for (let trial = 0; trial < 50; trial++) {
      const q = randomQuaternion(r);
      const t: [number, number, number] = [4 * r() - 2, 4 * r() - 2, 4 * r() - 2];
      const rot = quaternionToMatrix(q);
      const c2w = colmapPoseToC2w(q, t);
      // A point in front of the camera, inside its view: pick camera coordinates, map to the world.
      const xc = [0.6 * r() - 0.3, 0.6 * r() - 0.3, 1 + 4 * r()];
      const d = [xc[0] * xc[2], xc[1] * xc[2], xc[2]];
      const v = [d[0] - t[0], d[1] - t[1], d[2] - t[2]];
      const world: [number, number, number] = [0, 1, 2].map((i) => rot[i] * v[0] + rot[3 + i] * v[1] + rot[6 + i] * v[2]) as [number, number, number];
      // COLMAP: x_cam = R·X + t, u = x/z, v = y/z, then its distortion model and K.
      const cx = [0, 1, 2].map((i) => rot[i * 3] * world[0] + rot[i * 3 + 1] * world[1] + rot[i * 3 + 2] * world[2] + t[i]);
      const u = cx[0] / cx[2];
      const w = cx[1] / cx[2];
      const p = cam.params;
      let expected: [number, number];
      if (cam.model === 'SIMPLE_RADIAL' || cam.model === 'RADIAL') {
        const r2 = u * u + w * w;
        const radial = cam.model === 'RADIAL' ? p[3] * r2 + p[4] * r2 * r2 : p[3] * r2;
        expected = [p[0] * (u + u * radial) + p[1], p[0] * (w + w * radial) + p[2]];
      } else {
        const [fx, fy, ppx, ppy, k1, k2, p1, p2] = p;
        const r2 = u * u + w * w;
        const radial = k1 * r2 + k2 * r2 * r2;
        const du = u * radial + 2 * p1 * u * w + p2 * (r2 + 2 * u * u);
        const dv = w * radial + 2 * p2 * u * w + p1 * (r2 + 2 * w * w);
        expected = [fx * (u + du) + ppx, fy * (w + dv) + ppy];
      }
      const got = projectPoint(intr, c2w, world)!;
      assert.ok(got, 'the point is in front of the converted camera');
      assertClose([got[0], got[1], got[2]], [...expected, cx[2]], 1e-8, `${cam.model} trial ${trial}`);
    }
  }
});

test('c2wToColmapPose inverts colmapPoseToC2w; quaternions round-trip with w ≥ 0', () => {
  const r = mulberry32(11);
  for (let i = 0; i < 100; i++) {
    let q = randomQuaternion(r);
    if (q[0] < 0) q = q.map((v) => -v) as typeof q;
    const t: [number, number, number] = [r() - 0.5, r() - 0.5, 3 * r()];
    const back = c2wToColmapPose(colmapPoseToC2w(q, t));
    assertClose(back.qvec, q, 1e-12, 'qvec');
    assertClose(back.tvec, t, 1e-12, 'tvec');
    assertClose(matrixToQuaternion(quaternionToMatrix(q)), q, 1e-12, 'quaternion');
  }
});

test('camera models: supported ones map to our intrinsics, fisheyes are refused', () => {
  const sr = colmapCameraToIntrinsics({ id: 1, model: 'SIMPLE_RADIAL', width: 270, height: 150, params: Float64Array.of(268, 135, 75, 0.03) });
  assert.deepEqual(sr, { width: 270, height: 150, fx: 268, fy: 268, cx: 135, cy: 75, k1: 0.03, k2: 0, p1: 0, p2: 0 });
  const cv = colmapCameraToIntrinsics({ id: 1, model: 'OPENCV', width: 64, height: 48, params: Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8) });
  assert.deepEqual(cv, { width: 64, height: 48, fx: 1, fy: 2, cx: 3, cy: 4, k1: 5, k2: 6, p1: 7, p2: 8 });
  assert.throws(
    () => colmapCameraToIntrinsics({ id: 4, model: 'OPENCV_FISHEYE', width: 64, height: 48, params: new Float64Array(8) }),
    (e: unknown) => e instanceof ColmapModelError && /OPENCV_FISHEYE/.test(e.message),
  );
});

test('modelPoses sorts frames numeric-aware and refuses several cameras', () => {
  const cam = { id: 1, model: 'PINHOLE', width: 10, height: 10, params: Float64Array.of(9, 9, 5, 5) };
  const img = (id: number, name: string, cameraId = 1) => ({
    id, name, cameraId, qvec: [1, 0, 0, 0] as [number, number, number, number], tvec: [0, 0, id] as [number, number, number],
    xys: new Float64Array(0), point3DIds: new Float64Array(0),
  });
  const model: ColmapModel = {
    cameras: new Map([[1, cam]]),
    images: new Map([[1, img(1, 'f10.png')], [2, img(2, 'f9.png')], [3, img(3, 'f100.png')]]),
    points3D: new Map(),
    format: 'bin',
    dir: '/m',
  };
  const mp = modelPoses(model);
  assert.deepEqual(mp.names, ['f9.png', 'f10.png', 'f100.png']);
  assert.deepEqual(mp.imageIds, [2, 1, 3]);
  assertClose([mp.c2w[0][3], mp.c2w[0][7], mp.c2w[0][11]], [0, 0, -2], 1e-15, 'centre of f9 (R = I, t = (0, 0, 2) → C = −Rᵀt)');
  model.cameras.set(2, { ...cam, id: 2, params: Float64Array.of(8, 8, 5, 5) });
  model.images.set(4, img(4, 'f11.png', 2));
  assert.throws(() => modelPoses(model), /different cameras/);
});
