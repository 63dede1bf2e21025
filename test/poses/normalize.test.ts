/**
 * Scene normalisation on a synthetic orbit in a tilted, shifted, scaled world (as COLMAP's
 * arbitrary frame would be): up alignment, object centre and size from the points, the fallbacks,
 * and the filling of missing poses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pointToUnit } from '../../src/data/unit-box.ts';
import { posesForFrames } from '../../src/poses/estimate-poses.ts';
import { TooFewRegisteredError } from '../../src/poses/errors.ts';
import { quaternionToMatrix } from '../../src/poses/colmap-model.ts';
import { colmapPointToUnit, fillMissingPoses, normalizeScene, orbitUp, quantile, rotatePose, rotationToYUp } from '../../src/poses/normalize.ts';
import { mulberry32 } from '../../src/util/mulberry32.ts';

/** COLMAP-like world: a rotation of the true (y-up) world, then scale 0.37 and a shift. */
const TILT = quaternionToMatrix([0.9, 0.3, -0.2, 0.25]);
const WORLD_SCALE = 0.37;
const SHIFT: [number, number, number] = [2, -1, 4];
const OBJECT = { centre: [0.3, 0.5, -0.2] as [number, number, number], radius: 0.5 };

function toColmapWorld(p: readonly number[]): [number, number, number] {
  return [0, 1, 2].map((i) => WORLD_SCALE * (TILT[i * 3] * p[0] + TILT[i * 3 + 1] * p[1] + TILT[i * 3 + 2] * p[2]) + SHIFT[i]) as [number, number, number];
}

/** A camera at `eye` looking at `target`, +y up (OpenGL c2w, 3x4). */
function lookAt(eye: readonly number[], target: readonly number[]): Float64Array {
  const back = [0, 1, 2].map((i) => eye[i] - target[i]);
  const bn = Math.hypot(...back);
  const z = back.map((v) => v / bn);
  const x = [z[2], 0, -z[0]]; // up × z with up = ŷ
  const xn = Math.hypot(...x);
  const xx = x.map((v) => v / xn);
  const y = [z[1] * xx[2] - z[2] * xx[1], z[2] * xx[0] - z[0] * xx[2], z[0] * xx[1] - z[1] * xx[0]];
  return Float64Array.of(xx[0], y[0], z[0], eye[0], xx[1], y[1], z[1], eye[1], xx[2], y[2], z[2], eye[2]);
}

/** An orbit of `n` cameras at radius 4, `height` above the object, over `arc` radians, in the COLMAP-like world. */
function orbit(n: number, arc: number, height = 1): Float64Array[] {
  const poses: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const a = (arc * i) / n;
    const eye = [OBJECT.centre[0] + 4 * Math.cos(a), OBJECT.centre[1] + height, OBJECT.centre[2] + 4 * Math.sin(a)];
    const m = lookAt(eye, OBJECT.centre);
    // Into the COLMAP-like world: rotate the rotation block, map the centre.
    const r = rotatePose(TILT, m);
    const c = toColmapWorld([m[3], m[7], m[11]]);
    r[3] = c[0];
    r[7] = c[1];
    r[11] = c[2];
    poses.push(r);
  }
  return poses;
}

/** Points on the object's sphere (flag 1) plus table points around it and far outliers (flag 0). */
function scenePoints(seed: number): { points: Float64Array; objectPoints: Uint8Array } {
  const r = mulberry32(seed);
  const pts: number[] = [];
  const flags: number[] = [];
  for (let i = 0; i < 400; i++) {
    // Uniform on the sphere: every coordinate is then uniform in [−R, R] (Archimedes).
    const z = 2 * r() - 1;
    const phi = 2 * Math.PI * r();
    const v = [Math.sqrt(1 - z * z) * Math.cos(phi), Math.sqrt(1 - z * z) * Math.sin(phi), z];
    pts.push(...toColmapWorld(v.map((x, k) => OBJECT.centre[k] + OBJECT.radius * x)));
    flags.push(1);
  }
  for (let i = 0; i < 300; i++) {
    pts.push(...toColmapWorld([OBJECT.centre[0] + 6 * r() - 3, OBJECT.centre[1] - OBJECT.radius, OBJECT.centre[2] + 6 * r() - 3]));
    flags.push(0);
  }
  for (let i = 0; i < 5; i++) {
    pts.push(...toColmapWorld([50 * r(), 50 * r(), 50 * r()]));
    flags.push(i === 0 ? 1 : 0); // one outlier even among the "object" points
  }
  return { points: Float64Array.from(pts), objectPoints: Uint8Array.from(flags) };
}

test('rotationToYUp turns the vector onto +y and is a rotation', () => {
  for (const u of [[0.3, -0.2, 0.9], [0, -1, 0], [0, 1, 0], [1, 0, 0], [-0.1, -0.99, 0.05]] as Array<[number, number, number]>) {
    const a = rotationToYUp(u);
    const n = Math.hypot(...u);
    const mapped = [0, 1, 2].map((i) => (a[i * 3] * u[0] + a[i * 3 + 1] * u[1] + a[i * 3 + 2] * u[2]) / n);
    assert.ok(Math.abs(mapped[0]) < 1e-12 && Math.abs(mapped[1] - 1) < 1e-12 && Math.abs(mapped[2]) < 1e-12, `${u} → ${mapped}`);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const dot = a[i * 3] * a[j * 3] + a[i * 3 + 1] * a[j * 3 + 1] + a[i * 3 + 2] * a[j * 3 + 2];
        assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-12, 'orthonormal rows');
      }
    }
  }
});

test('object points: the box is centred on the object, sized from its extent, world turned y-up', () => {
  const c2w = orbit(24, 2 * Math.PI);
  const { points, objectPoints } = scenePoints(3);
  const norm = normalizeScene({ c2w, points, objectPoints });
  assert.equal(norm.method, 'object-points');
  assert.equal(norm.pointsUsed, 401);
  // The object's centre lands in the middle of the box.
  const centre = colmapPointToUnit(toColmapWorld(OBJECT.centre), norm);
  for (const v of centre) assert.ok(Math.abs(v - 0.5) < 0.01, `object centre in unit box: ${centre}`);
  // Half-size = margin 1.5 × the half-extent between the 3% and 97% quantiles of a coordinate
  // uniform in [−R, R], i.e. 0.94 R (COLMAP-world units); ±5% for the sampling of 400 points.
  const expected = 1.5 * 0.94 * OBJECT.radius * WORLD_SCALE;
  assert.ok(Math.abs(norm.halfSize - expected) < 0.05 * expected, `halfSize ${norm.halfSize} vs ${expected}`);
  // Every object point is inside the box, the cameras are outside.
  for (let i = 0; i < 400; i++) {
    const u = colmapPointToUnit([points[3 * i], points[3 * i + 1], points[3 * i + 2]], norm);
    assert.ok(u.every((v) => v > 0 && v < 1), `object point ${i} at ${u}`);
  }
  assert.equal(norm.camerasInsideBox, 0);
  // The cameras' up vectors were tilted by the same rotation as the world: undoing it makes the
  // orbit horizontal — every camera is 1 (true units) above the object.
  for (const m of norm.c2wUnit) {
    const heightAbove = (m[7] - 0.5) / norm.worldToUnit.scale / WORLD_SCALE;
    assert.ok(Math.abs(heightAbove - 1) < 0.02, `camera height above the object ${heightAbove}`);
  }
  // World-space poses and unit-box poses agree through worldToUnit.
  const c = [norm.c2wWorld[0][3], norm.c2wWorld[0][7], norm.c2wWorld[0][11]] as [number, number, number];
  const u = pointToUnit(c, norm.worldToUnit);
  assert.deepEqual(u.map((v) => v.toFixed(12)), [norm.c2wUnit[0][3], norm.c2wUnit[0][7], norm.c2wUnit[0][11]].map((v) => v.toFixed(12)));
});

test('without object points: the box sits where the optical axes meet, sized by the camera distance', () => {
  const c2w = orbit(24, 2 * Math.PI);
  const { points } = scenePoints(5);
  const axes = normalizeScene({ c2w, points });
  assert.equal(axes.method, 'camera-axes');
  assert.equal(axes.pointsUsed, 0);
  const c = colmapPointToUnit(toColmapWorld(OBJECT.centre), axes);
  for (const v of c) assert.ok(Math.abs(v - 0.5) < 1e-6, `axes centre ${c}`);
  // 0.6 × the camera distance √17 (radius 4, height 1), in COLMAP-world units.
  assert.ok(Math.abs(axes.halfSize - 0.6 * Math.sqrt(17) * WORLD_SCALE) < 1e-9, `halfSize ${axes.halfSize}`);
  assert.equal(axes.camerasInsideBox, 0);

  // Too few flagged points: falls back rather than trusting them.
  const few = new Uint8Array(points.length / 3);
  few[0] = 1;
  assert.equal(normalizeScene({ c2w, points, objectPoints: few }).method, 'camera-axes');
  assert.throws(() => normalizeScene({ c2w, points }, { margin: 0.5 }), /normalize\.margin/);
  assert.throws(() => normalizeScene({ c2w, points }, { percentile: 0.2 }), /normalize\.percentile/);
  // Parallel optical axes and no points: nothing to place the box on.
  assert.throws(() => normalizeScene({ c2w: [c2w[0], c2w[0]], points: new Float64Array(0) }), /optical axes do not meet/);
});

test('up: keep leaves COLMAP\'s axes; a partial orbit looking down is levelled by its rotation axis', () => {
  // 40° of orbit, looking down 32°: the mean camera up vector is tilted 32° from the vertical.
  const c2w = orbit(12, (40 * Math.PI) / 180, 2.5);
  const { points, objectPoints } = scenePoints(9);
  const keep = normalizeScene({ c2w, points, objectPoints }, { up: 'keep' });
  assert.deepEqual([...keep.rotation], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const up = normalizeScene({ c2w, points, objectPoints });
  // Level: every camera at the same height, 2.5 true units above the object centre.
  for (const m of up.c2wUnit) {
    const heightAbove = (m[7] - 0.5) / up.worldToUnit.scale / WORLD_SCALE;
    assert.ok(Math.abs(heightAbove - 2.5) < 0.02, `camera height above the object ${heightAbove}`);
  }
  // The cameras still look down at the object (their up vectors lean towards it, not +y).
  assert.ok(up.c2wUnit.every((m) => m[5] < 0.9 && m[5] > 0.8), 'pitch of about 32° kept');
  // A camera that does not turn (a dolly) falls back to its mean up vector.
  const dolly = c2w.map((m, i) => {
    const d = Float64Array.from(c2w[0]);
    d[3] += 0.1 * i;
    return d;
  });
  const a = orbitUp(dolly)!;
  const u = [c2w[0][1], c2w[0][5], c2w[0][9]];
  assert.ok(Math.abs(a[0] * u[0] + a[1] * u[1] + a[2] * u[2] - 1) < 1e-12);
});

test('quantile interpolates', () => {
  assert.equal(quantile([0, 10], 0.95), 9.5);
  assert.equal(quantile([3], 0.5), 3);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

test('fillMissingPoses interpolates between neighbours and copies at the ends', () => {
  const c2w = orbit(8, Math.PI / 2);
  const gaps = c2w.map((m, i) => (i === 0 || i === 3 || i === 7 ? undefined : m));
  const filled = fillMissingPoses(gaps);
  assert.deepEqual([...filled[0]], [...c2w[1]]);
  assert.deepEqual([...filled[7]], [...c2w[6]]);
  // Frame 3 sits between 2 and 4 of an evenly spaced orbit: its centre is the chord midpoint, its
  // rotation the half-way rotation, which for a circle equals the true frame-3 rotation.
  for (const k of [0, 1, 2, 4, 5, 6, 8, 9, 10]) assert.ok(Math.abs(filled[3][k] - c2w[3][k]) < 1e-9, `rotation entry ${k}`);
  for (const k of [3, 7, 11]) assert.ok(Math.abs(filled[3][k] - 0.5 * (c2w[2][k] + c2w[4][k])) < 1e-12, `centre entry ${k}`);
});

test('posesForFrames: matching by name or stem, the registered fraction, and missingPoses', () => {
  const c2w = orbit(10, Math.PI / 2);
  const frames = c2w.map((_, i) => `f_${String(i).padStart(4, '0')}.png`);
  const known = { names: frames.filter((_, i) => i !== 4).map((n) => `../frames/${n.replace('.png', '')}`), c2w: c2w.filter((_, i) => i !== 4) };
  const r = posesForFrames(frames, known);
  assert.deepEqual(r.unregistered, ['f_0004.png']);
  assert.equal(r.registered.length, 9);
  assert.equal(r.c2w.length, 10);
  assert.throws(() => posesForFrames(frames, known, { missingPoses: 'error' }), (e: unknown) => e instanceof TooFewRegisteredError && e.unregistered[0] === 'f_0004.png');
  assert.throws(
    () => posesForFrames(frames, known, { minRegisteredFraction: 0.95 }),
    (e: unknown) => e instanceof TooFewRegisteredError && /registered only 9 of 10 frames/.test(e.message) && /--pose-features all/.test(e.message),
  );
});
