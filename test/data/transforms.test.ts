import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { DatasetError } from '../../src/data/dataset-error.ts';
import { evenlySpacedIndices, loadPosedDataset, loadPoses, writeTransforms } from '../../src/data/transforms.ts';
import { HEURISTIC_HALF_SIZE_RATIO, pointToUnit } from '../../src/data/unit-box.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const foxDir = path.resolve(repoRoot, '../shared/data/fox');

const W = 16;
const H = 12;
const ANGLE_X = 1.2; // radians; the only intrinsic in the synthetic json
const RADIUS = 4;
const CENTRE: [number, number, number] = [1, 2, 3];
const N_FRAMES = 10;

let tmp = '';

/** Camera-to-world (3x4 row-major, OpenGL: −z looks at `target`, +y roughly up) at `eye`. */
function lookAt(eye: readonly number[], target: readonly number[]): number[][] {
  const sub = (a: readonly number[], b: readonly number[]): number[] => a.map((v, i) => v - b[i]);
  const norm = (a: number[]): number[] => a.map((v) => v / Math.hypot(...a));
  const cross = (a: number[], b: number[]): number[] => [
    a[1] * b[2] - a[2] * b[1],
    a[2] * b[0] - a[0] * b[2],
    a[0] * b[1] - a[1] * b[0],
  ];
  const z = norm(sub(eye, target));
  const x = norm(cross([0, 1, 0], z));
  const y = cross(z, x);
  return [
    [x[0], y[0], z[0], eye[0]],
    [x[1], y[1], z[1], eye[1]],
    [x[2], y[2], z[2], eye[2]],
    [0, 0, 0, 1],
  ];
}

/** Eye positions: a slightly tilted orbit of radius RADIUS around CENTRE. */
function eye(i: number): number[] {
  const a = (2 * Math.PI * i) / N_FRAMES;
  const elev = 0.3 * Math.sin(3 * a); // keeps the optical axes from sharing one plane
  return [
    CENTRE[0] + RADIUS * Math.cos(elev) * Math.cos(a),
    CENTRE[1] + RADIUS * Math.sin(elev),
    CENTRE[2] + RADIUS * Math.cos(elev) * Math.sin(a),
  ];
}

async function png(file: string, channels: 1 | 3 | 4, fill: (x: number, y: number, c: number) => number, w = W, h = H) {
  const buf = Buffer.alloc(w * h * channels);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < channels; c++) buf[(y * w + x) * channels + c] = fill(x, y, c);
  await mkdir(path.dirname(file), { recursive: true });
  let img = sharp(buf, { raw: { width: w, height: h, channels } });
  if (channels === 1) img = img.toColourspace('b-w');
  await img.toFile(file);
}

const RGB = [200, 100, 50];

/** Writes a dataset folder; `frames` override the default 10-frame orbit. */
async function writeDataset(name: string, json: Record<string, unknown>): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'transforms.json'), JSON.stringify(json));
  return dir;
}

/** Frame list of the main synthetic dataset, written in shuffled order (the loader sorts). */
function orbitFrames(): Record<string, unknown>[] {
  const frames: Record<string, unknown>[] = [];
  for (let i = 0; i < N_FRAMES; i++) {
    const f: Record<string, unknown> = { file_path: `images/f${i}.png`, transform_matrix: lookAt(eye(i), CENTRE) };
    if (i === 2) f.mask_path = 'masks/f2.png';
    if (i === 3) f.file_path = 'images/f3'; // extension omitted, as in some instant-ngp sets; f3.jpg exists
    frames.push(f);
  }
  return [...frames.slice(5), ...frames.slice(0, 5)];
}

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'reliquary-transforms-'));
  const img = path.join(tmp, 'shared-images');
  for (let i = 0; i < N_FRAMES; i++) {
    if (i === 1) {
      // RGBA: left half transparent.
      await png(path.join(img, `f${i}.png`), 4, (x, _y, c) => (c === 3 ? (x < W / 2 ? 0 : 255) : RGB[c]));
    } else if (i === 3) {
      await sharp(Buffer.alloc(W * H * 3, 128), { raw: { width: W, height: H, channels: 3 } })
        .jpeg({ quality: 95 })
        .toFile(path.join(img, 'f3.jpg'));
    } else {
      await png(path.join(img, `f${i}.png`), 3, (_x, _y, c) => RGB[c]);
    }
  }
  // Mask of frame 2: top half object.
  await png(path.join(tmp, 'shared-masks', 'f2.png'), 1, (_x, y) => (y < H / 2 ? 255 : 0));
});

after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A dataset folder whose images/ and masks/ point at the shared synthetic files. */
async function orbitDataset(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const dir = await writeDataset(name, { camera_angle_x: ANGLE_X, frames: orbitFrames(), ...extra });
  const { symlink } = await import('node:fs/promises');
  await symlink(path.join(tmp, 'shared-images'), path.join(dir, 'images'));
  await symlink(path.join(tmp, 'shared-masks'), path.join(dir, 'masks'));
  return dir;
}

const close = (a: number, b: number, tol = 1e-9): boolean => Math.abs(a - b) <= tol;

test('intrinsics from camera_angle_x only, image size from the files, frames sorted by file_path', async () => {
  const ds = await loadPosedDataset(await orbitDataset('basic'));
  const f = (0.5 * W) / Math.tan(0.5 * ANGLE_X);
  assert.deepEqual(ds.intrinsics, { width: W, height: H, fx: f, fy: f, cx: W / 2, cy: H / 2, k1: 0, k2: 0, p1: 0, p2: 0 });
  assert.deepEqual(
    ds.frames.map((fr) => fr.name),
    Array.from({ length: N_FRAMES }, (_, i) => (i === 3 ? 'images/f3' : `images/f${i}.png`)),
  );
  assert.ok(ds.source.endsWith('transforms.json'));
  for (const fr of ds.frames) assert.equal(fr.rgba.length, W * H * 4);
});

test('alpha: RGBA alpha kept, mask_path becomes alpha, otherwise opaque; hasAlpha set', async () => {
  const ds = await loadPosedDataset(await orbitDataset('alpha'));
  assert.equal(ds.hasAlpha, true);
  const px = (fi: number, x: number, y: number) => Array.from(ds.frames[fi].rgba.subarray((y * W + x) * 4, (y * W + x) * 4 + 4));
  assert.deepEqual(px(0, 5, 5), [...RGB, 255]);
  assert.equal(px(1, 2, 5)[3], 0);
  assert.deepEqual(px(1, 12, 5), [...RGB, 255]);
  assert.deepEqual(px(2, 3, 1), [...RGB, 255]);
  assert.equal(px(2, 3, 10)[3], 0);
  // The extension-less JPEG frame decodes to its grey (JPEG is lossy: ±2).
  for (const v of px(3, 8, 6).slice(0, 3)) assert.ok(Math.abs(v - 128) <= 2, `grey ${v}`);
  assert.equal(px(3, 8, 6)[3], 255);

  const opaque = await writeDataset('opaque', {
    camera_angle_x: ANGLE_X,
    frames: [{ file_path: '../shared-images/f0.png', transform_matrix: lookAt(eye(0), CENTRE) }],
    aabb_scale: 1,
  });
  assert.equal((await loadPosedDataset(opaque)).hasAlpha, false);
});

test('downscale 2 halves the images and scales fx, fy, cx, cy', async () => {
  const ds = await loadPosedDataset(await orbitDataset('down2'), { downscale: 2 });
  const f = (0.5 * W) / Math.tan(0.5 * ANGLE_X);
  const i = ds.intrinsics;
  assert.equal(i.width, W / 2);
  assert.equal(i.height, H / 2);
  assert.ok(close(i.fx, f / 2) && close(i.fy, f / 2) && close(i.cx, W / 4) && close(i.cy, H / 4));
  const w = W / 2;
  const rgba = ds.frames[1].rgba;
  assert.equal(rgba.length, w * (H / 2) * 4);
  // Left quarter stays transparent, right quarter opaque, colour unchanged (alpha-aware resize).
  assert.ok(rgba[(2 * w + 0) * 4 + 3] <= 5);
  assert.ok(rgba[(2 * w + 7) * 4 + 3] >= 250);
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(rgba[(2 * w + 6) * 4 + c] - RGB[c]) <= 1);
  // The mask is downscaled with the image: top rows object, bottom rows not.
  const m = ds.frames[2].rgba;
  assert.ok(m[(0 * w + 3) * 4 + 3] >= 250 && m[(5 * w + 3) * 4 + 3] <= 5);
});

test('hold-out: i % 8 === 0 by default, configurable, 0 = all train', async () => {
  const dir = await orbitDataset('holdout');
  const a = await loadPosedDataset(dir);
  assert.deepEqual(a.test, [0, 8]);
  assert.deepEqual(a.train, [1, 2, 3, 4, 5, 6, 7, 9]);
  const b = await loadPosedDataset(dir, { holdoutEvery: 3 });
  assert.deepEqual(b.test, [0, 3, 6, 9]);
  const c = await loadPosedDataset(dir, { holdoutEvery: 0 });
  assert.deepEqual(c.test, []);
  assert.equal(c.train.length, N_FRAMES);
});

test('evenlySpacedIndices: first and last included, distinct, all when few enough', () => {
  assert.deepEqual(evenlySpacedIndices(10, 4), [0, 3, 6, 9]);
  assert.deepEqual(evenlySpacedIndices(10, 5), [0, 2, 5, 7, 9]);
  assert.deepEqual(evenlySpacedIndices(10, 1), [0]);
  assert.deepEqual(evenlySpacedIndices(3, 3), [0, 1, 2]);
  assert.deepEqual(evenlySpacedIndices(3, 200), [0, 1, 2]);
  assert.deepEqual(evenlySpacedIndices(3, Infinity), [0, 1, 2]);
  for (const [n, m] of [[3600, 200], [257, 256], [1000, 999], [11, 2]] as const) {
    const ix = evenlySpacedIndices(n, m);
    assert.equal(ix.length, m, `${n} → ${m}`);
    assert.equal(ix[0], 0);
    assert.equal(ix[m - 1], n - 1);
    for (let k = 1; k < m; k++) assert.ok(ix[k] > ix[k - 1], `${n} → ${m}: ascending at ${k}`);
  }
  // 3600 frames (2 minutes at 30 fps) → 200: gaps of 18 frames, give or take one.
  const gaps = evenlySpacedIndices(3600, 200).slice(1).map((v, k, a) => v - (k === 0 ? 0 : a[k - 1]));
  assert.ok(gaps.every((g) => g === 18 || g === 19), `gaps ${[...new Set(gaps)].join(', ')}`);
});

test('maxImages: images of an evenly spaced subset only, every pose, hold-out over the loaded frames', async () => {
  const dir = await orbitDataset('max-images');
  const full = await loadPosedDataset(dir);
  assert.equal(full.poses.length, N_FRAMES);
  assert.deepEqual(full.frames.map((f) => f.index), Array.from({ length: N_FRAMES }, (_, i) => i));
  full.frames.forEach((f, i) => assert.equal(f.c2w, full.poses[i].c2w, 'a loaded frame shares its pose'));

  for (const [max, chosen, hasAlpha] of [[4, [0, 3, 6, 9], false], [5, [0, 2, 5, 7, 9], true]] as const) {
    const sub = await loadPosedDataset(dir, { maxImages: max });
    assert.deepEqual(sub.frames.map((f) => f.index), chosen);
    assert.deepEqual(sub.frames.map((f) => f.name), chosen.map((i) => full.poses[i].name));
    // Every frame keeps its pose, equal to a full load's.
    assert.deepEqual(sub.poses.map((p) => p.name), full.poses.map((p) => p.name));
    sub.poses.forEach((p, i) => assert.deepEqual(p.c2w, full.poses[i].c2w, `pose ${i}`));
    assert.deepEqual(sub.worldToUnit, full.worldToUnit);
    assert.deepEqual(sub.intrinsics, full.intrinsics);
    // The loaded images are the full load's (frame 2's mask included when frame 2 is loaded).
    sub.frames.forEach((f) => assert.deepEqual(f.rgba, full.frames[f.index].rgba, `image of frame ${f.index}`));
    assert.equal(sub.hasAlpha, hasAlpha);
    // Hold-out (every 8th by default) over the loaded frames: train/test index `frames`.
    assert.deepEqual(sub.test, [0]);
    assert.deepEqual(sub.train, chosen.slice(1).map((_, j) => j + 1));
  }
  // As many or more than the frames: everything, as without the option.
  const all = await loadPosedDataset(dir, { maxImages: N_FRAMES });
  assert.equal(all.frames.length, N_FRAMES);
  assert.deepEqual(all.test, full.test);

  // Unloaded frames' images are not even looked for: a missing one is no error when it is left out.
  const missing = await writeDataset('max-images-missing', {
    camera_angle_x: ANGLE_X,
    aabb_scale: 1,
    frames: [
      { file_path: '../shared-images/f0.png', transform_matrix: lookAt(eye(0), CENTRE) },
      // Sorted by file_path, this is the middle frame.
      { file_path: '../shared-images/f2-nope.png', transform_matrix: lookAt(eye(1), CENTRE) },
      { file_path: '../shared-images/f4.png', transform_matrix: lookAt(eye(4), CENTRE) },
    ],
  });
  const two = await loadPosedDataset(missing, { maxImages: 2, holdoutEvery: 0 });
  assert.deepEqual(two.frames.map((f) => f.name), ['../shared-images/f0.png', '../shared-images/f4.png']);
  assert.equal(two.poses.length, 3);
  assert.deepEqual(two.train, [0, 1]);
  await assert.rejects(loadPosedDataset(missing, { maxImages: 3 }), (e: unknown) => e instanceof DatasetError && /f2-nope\.png/.test(e.message));

  for (const bad of [0, 1.5, -1, Number.NaN]) {
    await assert.rejects(loadPosedDataset(dir, { maxImages: bad }), (e: unknown) => e instanceof TypeError && /opts\.maxImages/.test(e.message));
  }
});

test('nerfstudio normalization: box centred on the optical axes, half-size 0.6 x median distance', async () => {
  const dir = await orbitDataset('ns');
  const ds = await loadPosedDataset(dir);
  const half = HEURISTIC_HALF_SIZE_RATIO * RADIUS;
  const expected = (p: number[]) => p.map((v, k) => (v - CENTRE[k]) / (2 * half) + 0.5);
  assert.ok(close(ds.worldToUnit.scale, 1 / (2 * half)));
  for (let i = 0; i < N_FRAMES; i++) {
    const m = ds.frames[i].c2w;
    const e = expected(eye(i));
    assert.ok(close(m[3], e[0]) && close(m[7], e[1]) && close(m[11], e[2]), `frame ${i}: ${[m[3], m[7], m[11]]} vs ${e}`);
    // Rotations are untouched: −z still points at the box centre.
    const v = [0.5 - m[3], 0.5 - m[7], 0.5 - m[11]];
    const n = Math.hypot(...v);
    assert.ok(close(-m[2], v[0] / n) && close(-m[6], v[1] / n) && close(-m[10], v[2] / n));
  }
  // boxHalfSize overrides the heuristic, keeping the centre.
  const o = await loadPosedDataset(dir, { boxHalfSize: 8 });
  const m0 = o.frames[0].c2w;
  const e0 = eye(0).map((v, k) => (v - CENTRE[k]) / 16 + 0.5);
  assert.ok(close(m0[3], e0[0]) && close(m0[7], e0[1]) && close(m0[11], e0[2]));
});

test('instant-ngp normalization: p*scale + offset, cube of side aabb_scale around 0.5 mapped to [0,1]^3', async () => {
  const frames = [
    { file_path: '../shared-images/f0.png', transform_matrix: lookAt([1, 2, 3], [0, 0, 0]) },
    { file_path: '../shared-images/f4.png', transform_matrix: lookAt([2, 0, -2], [0, 0, 0]) },
  ];
  const custom = await writeDataset('ngp-custom', {
    camera_angle_x: ANGLE_X,
    aabb_scale: 4,
    scale: 0.5,
    offset: [0.2, 0.4, 0.6],
    frames,
  });
  const a = await loadPosedDataset(custom);
  // ngp = (1,2,3)*0.5 + (0.2,0.4,0.6) = (0.7,1.4,2.1); box [0.5-2, 0.5+2] → (ngp + 1.5) / 4.
  const m = a.frames[0].c2w;
  assert.ok(close(m[3], 0.55) && close(m[7], 0.725) && close(m[11], 0.9), `${[m[3], m[7], m[11]]}`);
  assert.ok(close(a.worldToUnit.scale, 0.125));

  const defaults = await writeDataset('ngp-default', { camera_angle_x: ANGLE_X, aabb_scale: 4, frames });
  const b = await loadPosedDataset(defaults);
  // ngp = (2,0,-2)*0.33 + 0.5 = (1.16, 0.5, -0.16) → (0.665, 0.5, 0.335).
  const m1 = b.frames[1].c2w;
  assert.ok(close(m1[3], 0.665) && close(m1[7], 0.5) && close(m1[11], 0.335), `${[m1[3], m1[7], m1[11]]}`);
  assert.deepEqual(pointToUnit([2, 0, -2], b.worldToUnit).map((v) => Math.round(v * 1e9) / 1e9), [0.665, 0.5, 0.335]);
  // Rotation block copied verbatim.
  const src = lookAt([2, 0, -2], [0, 0, 0]);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) assert.equal(m1[r * 4 + c], src[r][c]);

  // boxHalfSize: cube of that half-size around the world point ngp maps to 0.5 (here the origin).
  const c = await loadPosedDataset(defaults, { boxHalfSize: 5 });
  const m2 = c.frames[1].c2w;
  assert.ok(close(m2[3], 0.7) && close(m2[7], 0.5) && close(m2[11], 0.3));
});

test('loadPoses matches loadPosedDataset; writeTransforms round-trips through loadPoses', async () => {
  const dir = await orbitDataset('poses');
  const ds = await loadPosedDataset(dir, { downscale: 2 });
  const ps = await loadPoses(path.join(dir, 'transforms.json'), { downscale: 2 });
  assert.deepEqual(ps.intrinsics, ds.intrinsics);
  assert.deepEqual(ps.names, ds.frames.map((f) => f.name));
  assert.deepEqual(ps.worldToUnit, ds.worldToUnit);
  ps.c2w.forEach((m, i) => assert.deepEqual(m, ds.frames[i].c2w));

  const out = path.join(tmp, 'written', 'nested', 'transforms.json');
  writeTransforms(out, ds.intrinsics, ps.c2w, ds.worldToUnit, { names: ps.names });
  const back = await loadPoses(out);
  assert.deepEqual(back.names, ps.names);
  for (const k of Object.keys(ds.intrinsics) as (keyof typeof ds.intrinsics)[]) {
    assert.ok(close(back.intrinsics[k], ds.intrinsics[k], 1e-12), k);
  }
  back.c2w.forEach((m, i) => m.forEach((v, j) => assert.ok(close(v, ps.c2w[i][j], 1e-12), `pose ${i}[${j}]`)));

  // Without worldToUnit the poses are written and read back unchanged (identity normalization).
  const out2 = path.join(tmp, 'written', 'identity.json');
  writeTransforms(out2, ds.intrinsics, ps.c2w);
  const id = await loadPoses(out2);
  assert.equal(id.names[0], 'frame_0000.png');
  id.c2w.forEach((m, i) => m.forEach((v, j) => assert.ok(close(v, ps.c2w[i][j], 1e-12))));
});

test('per-frame intrinsics: identical ones accepted, differing ones rejected', async () => {
  const same = await writeDataset('perframe-same', {
    frames: [0, 4].map((i) => ({
      file_path: `../shared-images/f${i}.png`,
      transform_matrix: lookAt(eye(i), CENTRE),
      fl_x: 20,
      fl_y: 21,
      cx: 7.5,
      cy: 6.5,
    })),
    aabb_scale: 2,
  });
  const ds = await loadPosedDataset(same);
  assert.equal(ds.intrinsics.fx, 20);
  assert.equal(ds.intrinsics.fy, 21);
  const diff = await writeDataset('perframe-diff', {
    frames: [0, 4].map((i) => ({
      file_path: `../shared-images/f${i}.png`,
      transform_matrix: lookAt(eye(i), CENTRE),
      fl_x: 20 + i,
    })),
    aabb_scale: 2,
  });
  await assert.rejects(loadPosedDataset(diff), (e: unknown) => e instanceof DatasetError && /single camera/.test(e.message));
});

test('errors: missing transforms.json, no frames, missing image, inconsistent sizes, bad options', async () => {
  const empty = path.join(tmp, 'empty');
  await mkdir(empty, { recursive: true });
  await assert.rejects(
    loadPosedDataset(empty),
    (e: unknown) => e instanceof DatasetError && /no transforms\.json in/.test(e.message) && /file_path/.test(e.message),
  );
  await assert.rejects(loadPoses(path.join(tmp, 'does-not-exist')), DatasetError);

  const noFrames = await writeDataset('no-frames', { camera_angle_x: ANGLE_X, frames: [] });
  await assert.rejects(loadPosedDataset(noFrames), (e: unknown) => e instanceof DatasetError && /no frames/.test(e.message));

  const missing = await writeDataset('missing', {
    camera_angle_x: ANGLE_X,
    aabb_scale: 1,
    frames: [
      { file_path: '../shared-images/f0.png', transform_matrix: lookAt(eye(0), CENTRE) },
      { file_path: 'images/nope.png', transform_matrix: lookAt(eye(1), CENTRE) },
    ],
  });
  await assert.rejects(
    loadPosedDataset(missing),
    (e: unknown) => e instanceof DatasetError && /nope\.png/.test(e.message) && /not found/.test(e.message),
  );

  await png(path.join(tmp, 'sizes', 'small.png'), 3, () => 9, 8, 8);
  const sizes = await writeDataset('sizes', {
    camera_angle_x: ANGLE_X,
    aabb_scale: 1,
    frames: [
      { file_path: '../shared-images/f0.png', transform_matrix: lookAt(eye(0), CENTRE) },
      { file_path: 'small.png', transform_matrix: lookAt(eye(1), CENTRE) },
    ],
  });
  await assert.rejects(
    loadPosedDataset(sizes),
    (e: unknown) => e instanceof DatasetError && /inconsistent image sizes/.test(e.message) && /small\.png is 8x8/.test(e.message),
  );

  await assert.rejects(loadPosedDataset(empty, { downscale: 1.5 }), (e: unknown) => e instanceof TypeError && /opts\.downscale/.test(e.message));
  await assert.rejects(loadPosedDataset(empty, { holdoutEvery: -1 }), (e: unknown) => e instanceof TypeError && /opts\.holdoutEvery/.test(e.message));
  await assert.rejects(loadPosedDataset(empty, { boxHalfSize: 0 }), (e: unknown) => e instanceof TypeError && /opts\.boxHalfSize/.test(e.message));

  const fisheye = await writeDataset('fisheye', {
    camera_angle_x: ANGLE_X,
    camera_model: 'OPENCV_FISHEYE',
    frames: [{ file_path: '../shared-images/f0.png', transform_matrix: lookAt(eye(0), CENTRE) }],
  });
  await assert.rejects(loadPoses(fisheye), (e: unknown) => e instanceof DatasetError && /OPENCV_FISHEYE/.test(e.message));

  // A single camera cannot define the nerfstudio box (its optical axis has no closest point).
  const single = await writeDataset('single', {
    camera_angle_x: ANGLE_X,
    frames: [{ file_path: '../shared-images/f0.png', transform_matrix: lookAt(eye(0), CENTRE) }],
  });
  await assert.rejects(loadPoses(single), (e: unknown) => e instanceof DatasetError && /aabb_scale/.test(e.message));
});

test('fox at downscale 4: 67 frames of 270x480, fast, box centre in front of the cameras', async (t) => {
  if (!existsSync(path.join(foxDir, 'transforms.json'))) {
    t.skip(`fox dataset not found at ${foxDir} (expected beside the repository as ../shared/data/fox)`);
    return;
  }
  const t0 = performance.now();
  const ds = await loadPosedDataset(foxDir, { downscale: 4 });
  const seconds = (performance.now() - t0) / 1000;
  t.diagnostic(`fox downscale 4 loaded in ${seconds.toFixed(2)} s`);
  assert.ok(seconds < 10, `took ${seconds} s`);
  assert.equal(ds.frames.length, 67);
  assert.equal(ds.intrinsics.width, 270);
  assert.equal(ds.intrinsics.height, 480);
  assert.ok(close(ds.intrinsics.fx, 1375.52 / 4) && close(ds.intrinsics.cy, 965.268 / 4));
  assert.equal(ds.intrinsics.k1, 0.0578421);
  assert.equal(ds.hasAlpha, false);
  assert.equal(ds.test.length, 9);
  assert.equal(ds.train.length + ds.test.length, 67);
  for (const f of ds.frames) assert.equal(f.rgba.length, 270 * 480 * 4);
  // aabb_scale 4, default scale/offset.
  assert.ok(close(ds.worldToUnit.scale, 0.33 / 4));
  // Cameras may lie outside the unit box; the box centre must be in front of most of them.
  let facing = 0;
  for (const f of ds.frames) {
    const m = f.c2w;
    const v = [0.5 - m[3], 0.5 - m[7], 0.5 - m[11]];
    const cos = (-m[2] * v[0] - m[6] * v[1] - m[10] * v[2]) / Math.hypot(...v);
    if (cos > Math.cos(Math.PI / 4)) facing++;
  }
  assert.ok(facing >= 0.9 * 67, `${facing}/67 cameras face the box centre within 45 degrees`);
  // Not a black image: mean brightness in a sane range.
  let sum = 0;
  const px = ds.frames[0].rgba;
  for (let i = 0; i < px.length; i += 4) sum += px[i] + px[i + 1] + px[i + 2];
  const mean = sum / (px.length * 0.75);
  assert.ok(mean > 20 && mean < 235, `mean ${mean}`);
});
