import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { resolveSampleOptions, writeSample, type SampleTransforms } from '../../src/data/sample/index.ts';
import { HIT_T, PART_NONE, hit, traceObject } from '../../src/data/sample/scene.ts';
import { mulberry32 } from '../../src/data/sample/hash.ts';

const FRAMES = 6;
const SIZE = 64;

/** Reads a PNG as raw bytes of its first channel (masks) or all three (images). */
async function readPng(path: string, channels: 1 | 3): Promise<Uint8Array> {
  const img = sharp(path);
  const { data, info } = await (channels === 1 ? img.extractChannel(0) : img.removeAlpha())
    .raw()
    .toBuffer({ resolveWithObject: true });
  assert.equal(info.width, SIZE);
  assert.equal(info.height, SIZE);
  assert.equal(info.channels, channels);
  return data;
}

/** Projects a world point with transforms.json's pinhole model; returns [px, py] (y down). */
function project(t: SampleTransforms, m: number[][], p: [number, number, number]): [number, number] {
  const v = [p[0] - m[0]![3]!, p[1] - m[1]![3]!, p[2] - m[2]![3]!];
  // camera coordinates = Rᵀ v (columns of R are the camera axes in world space)
  const cam = [0, 1, 2].map((c) => m[0]![c]! * v[0]! + m[1]![c]! * v[1]! + m[2]![c]! * v[2]!);
  const depth = -cam[2]!; // the camera looks along −z
  assert.ok(depth > 0, 'point is in front of the camera');
  return [t.cx + (t.fl_x * cam[0]!) / depth, t.cy - (t.fl_y * cam[1]!) / depth];
}

test('writeSample writes a consistent instant-ngp dataset', async () => {
  const out = await mkdtemp(join(tmpdir(), 'reliquary-sample-'));
  try {
    const progress: number[] = [];
    const summary = await writeSample({
      out, frames: FRAMES, width: SIZE, height: SIZE, samplesPerPixel: 1, onProgress: (i) => progress.push(i),
    });
    assert.equal(summary.out, out);
    assert.equal(summary.frames, FRAMES);
    assert.equal(summary.width, SIZE);
    assert.equal(summary.height, SIZE);
    assert.ok(summary.seconds > 0);
    assert.deepEqual(progress, [1, 2, 3, 4, 5, 6]);

    for (const f of ['transforms.json', 'sample.json', 'video.mp4']) await access(join(out, f));
    const t = JSON.parse(await readFile(join(out, 'transforms.json'), 'utf8')) as SampleTransforms;
    const saved = JSON.parse(await readFile(join(out, 'sample.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(saved.frames, FRAMES);
    assert.equal(saved.samplesPerPixel, 1);

    assert.equal(t.w, SIZE);
    assert.equal(t.h, SIZE);
    assert.equal(t.aabb_scale, 1);
    assert.deepEqual(t.up, [0, 0, 1]);
    assert.deepEqual([t.k1, t.k2, t.p1, t.p2], [0, 0, 0, 0]);
    assert.ok(Math.abs(t.fl_x - SIZE / 2 / Math.tan(t.camera_angle_x / 2)) < 1e-6);
    assert.equal(t.frames.length, FRAMES);

    const distance = resolveSampleOptions({ out }).distance;
    const images: Uint8Array[] = [];
    for (let i = 0; i < FRAMES; i++) {
      const frame = t.frames[i]!;
      const name = `frame_${String(i).padStart(4, '0')}.png`;
      assert.equal(frame.file_path, `images/${name}`);
      assert.equal(frame.mask_path, `masks/${name}`);
      const m = frame.transform_matrix;
      assert.deepEqual(m[3], [0, 0, 0, 1]);

      // Rotation block is orthonormal and right-handed.
      for (let a = 0; a < 3; a++) {
        for (let b = 0; b < 3; b++) {
          const dot = m[0]![a]! * m[0]![b]! + m[1]![a]! * m[1]![b]! + m[2]![a]! * m[2]![b]!;
          assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-6, `frame ${i}: columns ${a}, ${b}`);
        }
      }
      // Camera centre at the expected distance; its −z axis points at the origin.
      const c = [m[0]![3]!, m[1]![3]!, m[2]![3]!];
      const dist = Math.hypot(c[0]!, c[1]!, c[2]!);
      assert.ok(Math.abs(dist - distance) < 1e-6, `frame ${i}: distance ${dist}`);
      const forward = [-m[0]![2]!, -m[1]![2]!, -m[2]![2]!];
      const cosAngle = -(forward[0]! * c[0]! + forward[1]! * c[1]! + forward[2]! * c[2]!) / dist;
      assert.ok(cosAngle > Math.cos((3 * Math.PI) / 180), `frame ${i}: −z is ${Math.acos(cosAngle)} rad off the origin`);
      // Image +y is world-up-ish (the camera is not rolled): the camera's +y has a positive z.
      assert.ok(m[2]![1]! > 0.5, `frame ${i}: camera up axis`);
      const [px, py] = project(t, m, [0, 0, 0]);
      assert.ok(Math.abs(px - SIZE / 2) < 1 && Math.abs(py - SIZE / 2) < 1, `frame ${i}: origin projects to ${px}, ${py}`);

      // Masks: both object and background, plausible coverage, consistent with the poses.
      const mask = await readPng(join(out, frame.mask_path), 1);
      let covered = 0;
      let full = 0;
      let empty = 0;
      for (const v of mask) {
        covered += v / 255;
        if (v === 255) full++;
        if (v === 0) empty++;
      }
      const coverage = covered / mask.length;
      assert.ok(full > 0 && empty > 0, `frame ${i}: mask has object and background`);
      assert.ok(coverage > 0.05 && coverage < 0.8, `frame ${i}: coverage ${coverage}`);
      const at = (p: [number, number]): number => mask[Math.floor(p[1]) * SIZE + Math.floor(p[0])]!;
      assert.equal(at([px, py]), 255, `frame ${i}: the origin (inside the vase) is masked as object`);
      assert.equal(at(project(t, m, [0, 0, 1.6])), 0, `frame ${i}: a point above the object is background`);

      images.push(await readPng(join(out, frame.file_path), 3));
    }

    // The background is visible in the RGB frames and frames differ as the camera moves.
    let diff = 0;
    for (let k = 0; k < images[0]!.length; k++) diff += Math.abs(images[0]![k]! - images[3]![k]!);
    assert.ok(diff / images[0]!.length > 5, `frames 0 and 3 differ (mean abs diff ${diff / images[0]!.length})`);
    const corner = images[0]!.subarray(0, 3);
    assert.ok(corner[0]! + corner[1]! + corner[2]! > 60, 'the backdrop is not black');
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('resolveSampleOptions fills defaults and names bad fields', () => {
  const o = resolveSampleOptions({ out: 'x' });
  assert.equal(o.frames, 64);
  assert.equal(o.width, 256);
  assert.equal(o.height, 256);
  assert.equal(o.fps, 24);
  assert.equal(o.samplesPerPixel, 4);
  assert.throws(() => resolveSampleOptions({ out: '' }), /options\.out/);
  assert.throws(() => resolveSampleOptions({ out: 'x', frames: 0 }), (e: unknown) => e instanceof TypeError && /options\.frames/.test(e.message));
  assert.throws(() => resolveSampleOptions({ out: 'x', width: 7.5 }), /options\.width/);
  assert.throws(() => resolveSampleOptions({ out: 'x', samplesPerPixel: 0 }), /options\.samplesPerPixel/);
  assert.throws(() => resolveSampleOptions({ out: 'x', fps: Number.NaN }), /options\.fps/);
  assert.throws(() => resolveSampleOptions({ out: 'x', elevationDeg: 78, elevationSwingDeg: 8 }), /elevationSwingDeg/);
  assert.throws(() => resolveSampleOptions({ out: 'x', video: 'yes' as unknown as boolean }), /options\.video/);
});

test('the whole object lies inside |p| < 1.3 (inside instant-ngp\'s unit cube with aabb_scale 1)', () => {
  const rand = mulberry32(7);
  let hits = 0;
  for (let i = 0; i < 20000; i++) {
    // Rays from a sphere of radius 3 towards random points near the origin.
    const u = 2 * rand() - 1;
    const phi = 2 * Math.PI * rand();
    const s = Math.sqrt(1 - u * u);
    const o = [3 * s * Math.cos(phi), 3 * s * Math.sin(phi), 3 * u];
    const target = [rand() - 0.5, rand() - 0.5, 2.4 * rand() - 1.2];
    const d = [target[0]! - o[0]!, target[1]! - o[1]!, target[2]! - o[2]!];
    const n = Math.hypot(d[0]!, d[1]!, d[2]!);
    if (traceObject(o[0]!, o[1]!, o[2]!, d[0]! / n, d[1]! / n, d[2]! / n, 0, Infinity) === PART_NONE) continue;
    hits++;
    const t = hit[HIT_T]!;
    const p = [o[0]! + t * d[0]! / n, o[1]! + t * d[1]! / n, o[2]! + t * d[2]! / n];
    assert.ok(Math.hypot(p[0]!, p[1]!, p[2]!) < 1.3, `hit at ${p}`);
    for (const c of p) assert.ok(c * 0.33 + 0.5 > 0 && c * 0.33 + 0.5 < 1);
  }
  assert.ok(hits > 5000, `${hits} hits`);
});
