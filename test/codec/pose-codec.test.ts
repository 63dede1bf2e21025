import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodePoses,
  derivePoseQuantization,
  encodePoses,
  type PoseQuantization,
} from '../../src/codec/camera/pose-codec.ts';
import { BitstreamError } from '../../src/codec/errors.ts';
import { type Intrinsics, pixelRay, projectPoint } from '../../src/data/camera.ts';
import { mulberry32 } from '../../src/util/mulberry32.ts';

type Vec3 = [number, number, number];

/** 800x600 camera with mild, monotone distortion and unequal focal lengths. */
const INTR: Intrinsics = {
  width: 800,
  height: 600,
  fx: 900,
  fy: 905,
  cx: 401.5,
  cy: 298.25,
  k1: -0.05,
  k2: 0.01,
  p1: 1e-4,
  p2: -2e-4,
};
const SCENE_RADIUS = Math.sqrt(3);

/** OpenGL camera-to-world (3x4 row-major) at `eye` looking at `target`, world up +z, optional roll. */
function lookAt(eye: Vec3, target: Vec3 = [0, 0, 0], roll = 0): Float64Array {
  const b = norm([eye[0] - target[0], eye[1] - target[1], eye[2] - target[2]]);
  let r = norm([-b[1], b[0], 0]);
  let u = cross(b, r);
  if (roll !== 0) {
    const c = Math.cos(roll);
    const s = Math.sin(roll);
    [r, u] = [
      [c * r[0] + s * u[0], c * r[1] + s * u[1], c * r[2] + s * u[2]],
      [c * u[0] - s * r[0], c * u[1] - s * r[1], c * u[2] - s * r[2]],
    ];
  }
  return Float64Array.of(r[0], u[0], b[0], eye[0], r[1], u[1], b[1], eye[1], r[2], u[2], b[2], eye[2]);
}

function norm(v: Vec3): Vec3 {
  const l = Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  return [v[0] / l, v[1] / l, v[2] / l];
}

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** 300 poses: 1.5 turns, radius 3 ± 0.8 (within 2-4), elevation 0.35 ± 0.08 rad, looking at the origin. */
function smoothOrbit(n = 300): Float64Array[] {
  const poses: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const t = i / n;
    const az = 2 * Math.PI * 1.5 * t;
    const el = 0.35 + 0.08 * Math.sin(2 * Math.PI * 3 * t);
    const rad = 3 + 0.8 * Math.sin(2 * Math.PI * t);
    poses.push(lookAt([rad * Math.cos(el) * Math.cos(az), rad * Math.cos(el) * Math.sin(az), rad * Math.sin(el)]));
  }
  return poses;
}

/** Independent random poses: centre uniform on the shell 2 ≤ |c| ≤ 4, looking near the origin, any roll. */
function randomPoses(n: number, seed: number): Float64Array[] {
  const rng = mulberry32(seed);
  const poses: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const z = 2 * rng() - 1;
    const az = 2 * Math.PI * rng();
    const s = Math.sqrt(1 - z * z);
    const rad = 2 + 2 * rng();
    const target: Vec3 = [0.6 * rng() - 0.3, 0.6 * rng() - 0.3, 0.6 * rng() - 0.3];
    poses.push(lookAt([rad * s * Math.cos(az), rad * s * Math.sin(az), rad * z], target, 2 * Math.PI * rng()));
  }
  return poses;
}

/**
 * Points that matter for frame `pose`: random points of the unit box, plus points on the rays through
 * the image corners and edge midpoints (where the 1 + r² factor of the bound peaks) at the nearest
 * and middle of their chord through the sceneRadius ball.
 */
function testPoints(pose: Float64Array, boxPoints: readonly Vec3[]): Vec3[] {
  const pts: Vec3[] = [...boxPoints];
  const { width: w, height: h } = INTR;
  for (const [px, py] of [[0, 0], [w, 0], [0, h], [w, h], [w / 2, 0], [0, h / 2], [w, h / 2], [w / 2, h]]) {
    const { origin: o, dir: d } = pixelRay(INTR, pose, px * 0.999 + 0.0005 * w, py * 0.999 + 0.0005 * h);
    // |o + t·d|² = R²: t² + 2(o·d)t + |o|² − R² = 0.
    const od = o[0] * d[0] + o[1] * d[1] + o[2] * d[2];
    const disc = od * od - (o[0] * o[0] + o[1] * o[1] + o[2] * o[2] - SCENE_RADIUS * SCENE_RADIUS);
    if (disc <= 0) continue;
    for (const t of [-od - Math.sqrt(disc) + 1e-9, -od]) {
      if (t > 0) pts.push([o[0] + t * d[0], o[1] + t * d[1], o[2] + t * d[2]]);
    }
  }
  return pts;
}

function boxPoints(n: number, seed: number): Vec3[] {
  const rng = mulberry32(seed);
  const pts: Vec3[] = [];
  for (const x of [-1, 1]) for (const y of [-1, 1]) for (const z of [-1, 1]) pts.push([x, y, z]);
  for (let i = 0; i < n; i++) pts.push([2 * rng() - 1, 2 * rng() - 1, 2 * rng() - 1]);
  return pts;
}

/** Largest pixel distance between the projections through the original and decoded poses. */
function maxReprojectionError(orig: Float64Array[], decoded: Float64Array[]): { max: number; count: number } {
  const box = boxPoints(300, 11);
  let max = 0;
  let count = 0;
  for (let i = 0; i < orig.length; i++) {
    for (const p of testPoints(orig[i], box)) {
      const a = projectPoint(INTR, orig[i], p);
      if (a === null || a[0] < 0 || a[1] < 0 || a[0] > INTR.width || a[1] > INTR.height) continue;
      const b = projectPoint(INTR, decoded[i], p);
      assert.ok(b !== null, `frame ${i}: a visible point fell behind the decoded camera`);
      const e = Math.hypot(a[0] - b[0], a[1] - b[1]);
      assert.ok(Number.isFinite(e), `frame ${i}: reprojection error is not finite`);
      max = Math.max(max, e);
      count++;
    }
  }
  return { max, count };
}

/** Rotation angle (radians) and centre distance between two poses, plus the decoded block's orthonormality. */
function poseErrors(a: Float64Array, b: Float64Array): { angle: number; centre: number; ortho: number } {
  let fro2 = 0;
  for (const k of [0, 1, 2, 4, 5, 6, 8, 9, 10]) fro2 += (a[k] - b[k]) ** 2;
  let ortho = 0;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const dot = b[i] * b[j] + b[4 + i] * b[4 + j] + b[8 + i] * b[8 + j];
      ortho = Math.max(ortho, Math.abs(dot - (i === j ? 1 : 0)));
    }
  }
  // ‖R − R'‖_F = 2√2·sin(ε/2).
  const angle = 2 * Math.asin(Math.min(1, Math.sqrt(fro2) / (2 * Math.SQRT2)));
  return { angle, centre: Math.hypot(a[3] - b[3], a[7] - b[7], a[11] - b[11]), ortho };
}

function checkPoseErrors(orig: Float64Array[], decoded: Float64Array[], q: PoseQuantization): void {
  assert.equal(decoded.length, orig.length);
  for (let i = 0; i < orig.length; i++) {
    assert.equal(decoded[i].length, 12);
    const { angle, centre, ortho } = poseErrors(orig[i], decoded[i]);
    assert.ok(angle <= q.maxRotationError * (1 + 1e-9), `frame ${i}: rotation error ${angle} > ${q.maxRotationError}`);
    assert.ok(centre <= q.maxCentreError * (1 + 1e-9), `frame ${i}: centre error ${centre} > ${q.maxCentreError}`);
    assert.ok(ortho < 1e-14, `frame ${i}: decoded rotation not orthonormal (${ortho})`);
  }
}

test('a smooth 300-pose orbit round-trips within the bound and costs a few bytes per frame', () => {
  const poses = smoothOrbit();
  for (const bound of [0.25, 0.05]) {
    const bytes = encodePoses(INTR, poses, { maxReprojectionErrorPx: bound });
    const out = decodePoses(bytes);
    const q = derivePoseQuantization(INTR, poses, { maxReprojectionErrorPx: bound });
    checkPoseErrors(poses, out.c2w, q);
    const { max, count } = maxReprojectionError(poses, out.c2w);
    const perFrame = bytes.length / poses.length;
    console.log(
      `smooth orbit, bound ${bound} px: ${bytes.length} bytes = ${perFrame.toFixed(2)} B/frame (12 float32 = 48), ` +
        `max reprojection error ${max.toFixed(4)} px over ${count} point projections`,
    );
    assert.ok(count > 50_000, `enough visible points (${count})`);
    assert.ok(max <= bound, `max reprojection error ${max} px exceeds the bound ${bound} px`);
    assert.ok(perFrame < 5, `smooth orbit costs ${perFrame} bytes/frame`);
    assert.deepEqual(out.bound, {
      maxReprojectionErrorPx: Math.fround(bound),
      minDistance: Math.fround(q.minDistance),
      sceneRadius: Math.fround(SCENE_RADIUS),
    });
  }
});

test('random (non-smooth) poses round-trip within the bound', () => {
  const poses = randomPoses(200, 5);
  const bytes = encodePoses(INTR, poses);
  const out = decodePoses(bytes);
  checkPoseErrors(poses, out.c2w, derivePoseQuantization(INTR, poses));
  const { max, count } = maxReprojectionError(poses, out.c2w);
  console.log(
    `random poses: ${bytes.length} bytes = ${(bytes.length / poses.length).toFixed(2)} B/frame, ` +
      `max reprojection error ${max.toFixed(4)} px over ${count} point projections`,
  );
  assert.ok(count > 50_000, `enough visible points (${count})`);
  assert.ok(max <= 0.25, `max reprojection error ${max} px exceeds 0.25 px`);
  assert.ok(bytes.length / poses.length < 24, 'random poses cost less than half of 12 float32');
});

test('arbitrary rotations (cameras looking anywhere) stay within the rotation and centre bounds', () => {
  const rng = mulberry32(99);
  const poses: Float64Array[] = [];
  for (let i = 0; i < 100; i++) {
    // Uniform random quaternion from four normal-ish variates (sum of uniforms is enough here).
    const q = [0, 0, 0, 0].map(() => rng() + rng() + rng() - 1.5);
    const l = Math.hypot(...q);
    const [w, x, y, z] = q.map((v) => v / l);
    poses.push(
      Float64Array.of(
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y), 8 * rng() - 4,
        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x), 8 * rng() - 4,
        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y), 8 * rng() - 4,
      ),
    );
  }
  const opts = { maxReprojectionErrorPx: 0.1, minDistance: 0.2 };
  const out = decodePoses(encodePoses(INTR, poses, opts));
  checkPoseErrors(poses, out.c2w, derivePoseQuantization(INTR, poses, opts));
});

test('intrinsics round-trip exactly, with and without distortion; 4x4 poses and empty sequences', () => {
  const pose = smoothOrbit(3);
  const a = decodePoses(encodePoses(INTR, pose));
  assert.deepEqual(a.intrinsics, INTR);
  const plain: Intrinsics = {
    width: 70001, // above u16
    height: 480,
    fx: 1e5 / 3,
    fy: 1e5 / 3,
    cx: 35000.5,
    cy: -0.1,
    k1: 0,
    k2: 0,
    p1: 0,
    p2: 0,
  };
  const bytesPlain = encodePoses(plain, pose, { maxReprojectionErrorPx: 0.001 });
  assert.deepEqual(decodePoses(bytesPlain).intrinsics, plain);
  assert.equal(bytesPlain[1], 0, 'no distortion flag');
  const empty = encodePoses(INTR, []);
  assert.deepEqual(decodePoses(empty), { ...decodePoses(empty), intrinsics: INTR, c2w: [] });
  // A 4x4 pose is accepted; its last row is ignored.
  const four = pose.map((m) => Float64Array.of(...m, 0, 0, 0, 1));
  assert.deepEqual(encodePoses(INTR, four), encodePoses(INTR, pose));
});

test('a static camera (all residuals zero) stays within the frame-count-per-byte check', () => {
  const poses = Array.from({ length: 5000 }, () => lookAt([3, 0.5, 1]));
  const bytes = encodePoses(INTR, poses);
  const out = decodePoses(bytes);
  checkPoseErrors(poses, out.c2w, derivePoseQuantization(INTR, poses));
  const rangeBytes = bytes.length - 100; // header with distortion: 100 bytes
  const ratio = 5000 / rangeBytes;
  console.log(`static camera: 5000 frames in ${rangeBytes} range-coded bytes (${ratio.toFixed(1)} frames/byte)`);
  assert.ok(ratio < 256);
});

test('invalid arguments are TypeErrors naming the field', () => {
  const pose = smoothOrbit(2);
  assert.throws(() => encodePoses({ ...INTR, fx: 0 }, pose), /intr\.fx/);
  assert.throws(() => encodePoses({ ...INTR, width: 1.5 }, pose), /intr\.width/);
  assert.throws(() => encodePoses(INTR, pose, { maxReprojectionErrorPx: -1 }), /opts\.maxReprojectionErrorPx/);
  assert.throws(() => encodePoses(INTR, pose, { sceneRadius: Number.NaN }), /opts\.sceneRadius/);
  assert.throws(() => encodePoses(INTR, [new Float64Array(12)]), /not a rotation/);
  assert.throws(() => encodePoses(INTR, [new Float64Array(9)]), /c2w\[0\]/);
  assert.throws(() => decodePoses([1, 2, 3] as unknown as Uint8Array), TypeError);
});

/** Three fixed poses (lookAt uses only +, −, ×, ÷ and √, so they are the same in every engine). */
function goldenPoses(): Float64Array[] {
  return [lookAt([3, 0, 1]), lookAt([2.9, 0.5, 1.02]), lookAt([2.75, 1, 1.05])];
}

const GOLDEN_HEX =
  '010103030300000020030000580200000000000000208c400000000000488c4000000000001879400000000000a47240' +
  '9a9999999999a9bf7b14ae47e17a843f2d431cebe2361a3f2d431cebe2362abfc7ee4d3825b223390000803e3a3bb03f' +
  'd7b3dd3fc002c97192f1f1c3c6c31f6f07ed20d5b0e53c978228cf6079ed13be962ca9279199e358e553785e1c9a8c2a' +
  '5c18f133568ee2e8fd60';

test('encoding is deterministic and matches the golden bytes', () => {
  const a = encodePoses(INTR, goldenPoses());
  const b = encodePoses({ ...INTR }, goldenPoses().map((m) => m.slice()));
  assert.deepEqual(a, b);
  const hex = Buffer.from(a).toString('hex');
  console.log(`golden 3-pose stream: ${a.length} bytes ${hex}`);
  assert.equal(hex, GOLDEN_HEX);
  const out = decodePoses(Uint8Array.from(Buffer.from(GOLDEN_HEX, 'hex')));
  checkPoseErrors(goldenPoses(), out.c2w, derivePoseQuantization(INTR, goldenPoses()));
});

/** Runs `fn`, which must throw a BitstreamError (returns its message) or return normally (returns null). */
function bitstreamErrorOrNull(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    assert.ok(e instanceof BitstreamError, `expected a BitstreamError, got ${String(e)}`);
    assert.equal(e.section, 'CAMERA');
    return e.message;
  }
}

test('truncated and corrupted payloads raise BitstreamError and never hang', () => {
  const poses = smoothOrbit(60);
  const bytes = encodePoses(INTR, poses);
  const start = performance.now();
  // Every truncation is detected (the range decoder reads past the end, or the header is short).
  for (let len = 0; len < bytes.length; len++) {
    assert.ok(bitstreamErrorOrNull(() => decodePoses(bytes.slice(0, len))) !== null, `truncated to ${len} bytes`);
  }
  // Trailing garbage.
  assert.match(bitstreamErrorOrNull(() => decodePoses(Uint8Array.of(...bytes, 0x55)))!, /unread bytes/);
  const patched = (write: (dv: DataView) => void): Uint8Array => {
    const copy = bytes.slice();
    write(new DataView(copy.buffer));
    return copy;
  };
  const cases: [string, Uint8Array, RegExp][] = [
    ['version', patched((dv) => dv.setUint8(0, 2)), /unsupported version 2/],
    ['flags', patched((dv) => dv.setUint8(1, 0x81)), /unknown flags/],
    ['rotation order', patched((dv) => dv.setUint8(2, 4)), /predictor orders/],
    ['frame count huge', patched((dv) => dv.setUint32(4, 0xffffffff, true)), /frame count 4294967295/],
    ['frame count + 1', patched((dv) => dv.setUint32(4, poses.length + 1, true)), /truncated/],
    ['width 0', patched((dv) => dv.setUint32(8, 0, true)), /image size/],
    ['fx NaN', patched((dv) => dv.setFloat64(16, Number.NaN, true)), /fx is not finite/],
    ['fy negative', patched((dv) => dv.setFloat64(24, -1, true)), /focal lengths/],
    ['rotation step', patched((dv) => dv.setFloat32(80, 0.5, true)), /quaternion step/],
    ['centre step', patched((dv) => dv.setFloat32(84, Number.POSITIVE_INFINITY, true)), /centre step/],
  ];
  for (const [name, input, re] of cases) {
    const msg = bitstreamErrorOrNull(() => decodePoses(input));
    assert.ok(msg !== null, `${name}: accepted`);
    assert.match(msg, re, name);
  }
  // Random byte flips in the range-coded part: a BitstreamError or a decode (no checksum here; the
  // container's CRC-32 guards the section), never another error, never a hang.
  const rng = mulberry32(3);
  let detected = 0;
  const trials = 300;
  for (let t = 0; t < trials; t++) {
    const copy = bytes.slice();
    const at = 100 + Math.floor(rng() * (bytes.length - 100));
    copy[at] ^= 1 + Math.floor(rng() * 255);
    if (bitstreamErrorOrNull(() => decodePoses(copy)) !== null) detected++;
  }
  console.log(`corruption: ${detected}/${trials} random byte flips in the range-coded part detected`);
  assert.ok(performance.now() - start < 10_000, 'corruption checks finish quickly');
});
