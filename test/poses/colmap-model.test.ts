/**
 * COLMAP model readers: a small model with known cameras, images and points is written by hand in
 * both formats (independently of the readers, following COLMAP's `Reconstruction::Write{Binary,Text}`)
 * and read back; plus the errors for truncated, unknown and inconsistent files.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  COLMAP_CAMERA_MODELS,
  parseCamerasBin,
  parseImagesBin,
  readColmapModel,
  type ColmapModel,
} from '../../src/poses/colmap-model.ts';
import { ColmapModelError } from '../../src/poses/errors.ts';

interface Cam { id: number; model: string; width: number; height: number; params: number[] }
interface Img { id: number; q: number[]; t: number[]; cameraId: number; name: string; pts: Array<[number, number, number]> }
interface Pt { id: number; xyz: number[]; rgb: number[]; error: number; track: number[] }

const CAMERAS: Cam[] = [
  { id: 1, model: 'SIMPLE_RADIAL', width: 270, height: 150, params: [268.89128213789138, 135, 75, 0.028597260272449021] },
  { id: 7, model: 'OPENCV', width: 640, height: 480, params: [500.25, 505.5, 320.5, 239.5, -0.1, 0.02, 0.001, -0.002] },
  { id: 3, model: 'PINHOLE', width: 100, height: 80, params: [90, 91, 50, 40] },
];
const s = Math.SQRT1_2;
const IMAGES: Img[] = [
  { id: 1, q: [0.91408392238170177, 0.010597013231527183, 0.24804427801221657, 0.32064360635954076], t: [-4.934716703809034, -1.1982423617874982, 1.1311923246658704], cameraId: 1, name: 'f_0001.png', pts: [[10.5, 20.25, 5], [33.125, 1.5, -1], [100, 140.75, 9]] },
  { id: 4, q: [s, s, 0, 0], t: [0, 0, 5], cameraId: 7, name: 'sub/f_0003.png', pts: [] },
  { id: 2, q: [1, 0, 0, 0], t: [0.1, -0.2, 3.3], cameraId: 1, name: 'f_0002.png', pts: [[12, 22, 5], [101.5, 139, 9]] },
];
const POINTS: Pt[] = [
  { id: 5, xyz: [-1.0995278068556471, 4.4045335426202712, 12.358755233685276], rgb: [162, 152, 139], error: 0.16198116468451959, track: [1, 0, 2, 0] },
  { id: 9, xyz: [0.5, -0.25, 7.125], rgb: [0, 255, 7], error: 1.5, track: [1, 2, 2, 1] },
];

// ---- hand-written writers, after COLMAP's src/base/reconstruction.cc ----

class Bin {
  parts: Buffer[] = [];
  u8(v: number) { const b = Buffer.alloc(1); b.writeUInt8(v); this.parts.push(b); }
  u32(v: number) { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.parts.push(b); }
  i32(v: number) { const b = Buffer.alloc(4); b.writeInt32LE(v); this.parts.push(b); }
  u64(v: number) { const b = Buffer.alloc(8); b.writeBigUInt64LE(v < 0 ? 0xffffffffffffffffn : BigInt(v)); this.parts.push(b); }
  f64(v: number) { const b = Buffer.alloc(8); b.writeDoubleLE(v); this.parts.push(b); }
  str(v: string) { this.parts.push(Buffer.from(v + '\0', 'utf8')); }
  done(): Buffer { return Buffer.concat(this.parts); }
}

function camerasBin(cams: Cam[]): Buffer {
  const b = new Bin();
  b.u64(cams.length);
  for (const c of cams) {
    b.u32(c.id);
    b.i32(COLMAP_CAMERA_MODELS.find((m) => m.name === c.model)!.id);
    b.u64(c.width);
    b.u64(c.height);
    c.params.forEach((p) => b.f64(p));
  }
  return b.done();
}

function imagesBin(imgs: Img[]): Buffer {
  const b = new Bin();
  b.u64(imgs.length);
  for (const im of imgs) {
    b.u32(im.id);
    im.q.forEach((v) => b.f64(v));
    im.t.forEach((v) => b.f64(v));
    b.u32(im.cameraId);
    b.str(im.name);
    b.u64(im.pts.length);
    for (const [x, y, id] of im.pts) {
      b.f64(x);
      b.f64(y);
      b.u64(id);
    }
  }
  return b.done();
}

function pointsBin(pts: Pt[]): Buffer {
  const b = new Bin();
  b.u64(pts.length);
  for (const p of pts) {
    b.u64(p.id);
    p.xyz.forEach((v) => b.f64(v));
    p.rgb.forEach((v) => b.u8(v));
    b.f64(p.error);
    b.u64(p.track.length / 2);
    p.track.forEach((v) => b.u32(v));
  }
  return b.done();
}

function camerasTxt(cams: Cam[]): string {
  return (
    '# Camera list with one line of data per camera:\n#   CAMERA_ID, MODEL, WIDTH, HEIGHT, PARAMS[]\n' +
    `# Number of cameras: ${cams.length}\n` +
    cams.map((c) => [c.id, c.model, c.width, c.height, ...c.params].join(' ')).join('\n') + '\n'
  );
}

function imagesTxt(imgs: Img[]): string {
  let out = '# Image list with two lines of data per image:\n#   IMAGE_ID, QW, QX, QY, QZ, TX, TY, TZ, CAMERA_ID, NAME\n#   POINTS2D[] as (X, Y, POINT3D_ID)\n';
  for (const im of imgs) {
    out += [im.id, ...im.q, ...im.t, im.cameraId, im.name].join(' ') + '\n';
    out += im.pts.map((p) => p.join(' ')).join(' ') + '\n'; // empty line for no points, as COLMAP writes
  }
  return out;
}

function pointsTxt(pts: Pt[]): string {
  return '# 3D point list\n' + pts.map((p) => [p.id, ...p.xyz, ...p.rgb, p.error, ...p.track].join(' ')).join('\n') + '\n';
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'reliquary-colmap-model-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function writeModel(dir: string, fmt: 'bin' | 'txt', cams = CAMERAS, imgs = IMAGES, pts = POINTS): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (fmt === 'bin') {
    await writeFile(path.join(dir, 'cameras.bin'), camerasBin(cams));
    await writeFile(path.join(dir, 'images.bin'), imagesBin(imgs));
    await writeFile(path.join(dir, 'points3D.bin'), pointsBin(pts));
  } else {
    await writeFile(path.join(dir, 'cameras.txt'), camerasTxt(cams));
    await writeFile(path.join(dir, 'images.txt'), imagesTxt(imgs));
    await writeFile(path.join(dir, 'points3D.txt'), pointsTxt(pts));
  }
}

/** Asserts that a read model holds exactly the known cameras, images and points. */
function assertKnown(m: ColmapModel): void {
  assert.deepEqual([...m.cameras.keys()].sort(), CAMERAS.map((c) => c.id).sort());
  for (const c of CAMERAS) {
    const r = m.cameras.get(c.id)!;
    assert.equal(r.model, c.model);
    assert.equal(r.width, c.width);
    assert.equal(r.height, c.height);
    assert.deepEqual([...r.params], c.params);
  }
  assert.equal(m.images.size, IMAGES.length);
  for (const im of IMAGES) {
    const r = m.images.get(im.id)!;
    assert.equal(r.name, im.name);
    assert.equal(r.cameraId, im.cameraId);
    assert.deepEqual(r.qvec, im.q);
    assert.deepEqual(r.tvec, im.t);
    assert.deepEqual([...r.xys], im.pts.flatMap(([x, y]) => [x, y]));
    assert.deepEqual([...r.point3DIds], im.pts.map((p) => p[2]));
  }
  assert.equal(m.points3D.size, POINTS.length);
  for (const p of POINTS) {
    const r = m.points3D.get(p.id)!;
    assert.deepEqual(r.xyz, p.xyz);
    assert.deepEqual(r.rgb, p.rgb);
    assert.equal(r.error, p.error);
    assert.deepEqual([...r.track], p.track);
  }
}

test('binary and text models written by hand read back exactly, and agree', async () => {
  await withDir(async (dir) => {
    await writeModel(path.join(dir, 'bin'), 'bin');
    await writeModel(path.join(dir, 'txt'), 'txt');
    const bin = await readColmapModel(path.join(dir, 'bin'));
    const txt = await readColmapModel(path.join(dir, 'txt'));
    assert.equal(bin.format, 'bin');
    assert.equal(txt.format, 'txt');
    assertKnown(bin);
    assertKnown(txt);
  });
});

test('a folder holding both formats is read as binary unless text is asked for', async () => {
  await withDir(async (dir) => {
    await writeModel(dir, 'bin');
    // The text copy has other parameters for camera 3, so the two are told apart.
    const cams = CAMERAS.map((c) => (c.id === 3 ? { ...c, params: [1, 2, 3, 4] } : c));
    await writeModel(dir, 'txt', cams);
    assert.deepEqual([...(await readColmapModel(dir)).cameras.get(3)!.params], [90, 91, 50, 40]);
    assert.deepEqual([...(await readColmapModel(dir, 'txt')).cameras.get(3)!.params], [1, 2, 3, 4]);
  });
});

test('text images: names after CAMERA_ID, comments and an empty points line are handled like COLMAP', async () => {
  await withDir(async (dir) => {
    await writeModel(dir, 'txt');
    const m = await readColmapModel(dir);
    assert.equal(m.images.get(4)!.point3DIds.length, 0);
    assert.equal(m.images.get(2)!.name, 'f_0002.png', 'the image after an empty points line is read as an image');
  });
});

test('truncated, unknown and inconsistent models are ColmapModelErrors that say what is wrong', async () => {
  const cams = camerasBin(CAMERAS);
  assert.throws(() => parseCamerasBin(cams.subarray(0, cams.length - 3), 'x/cameras.bin'), (e: unknown) => e instanceof ColmapModelError && /truncated/.test(e.message));
  const extra = Buffer.concat([cams, Buffer.alloc(2)]);
  assert.throws(() => parseCamerasBin(extra), /unexpected bytes/);
  const bad = Buffer.from(cams);
  bad.writeInt32LE(99, 12); // model id of the first camera
  assert.throws(() => parseCamerasBin(bad), /unknown camera model id 99/);
  const imgs = imagesBin(IMAGES);
  assert.throws(() => parseImagesBin(imgs.subarray(0, 60)), ColmapModelError);

  await withDir(async (dir) => {
    await assert.rejects(readColmapModel(dir), (e: unknown) => e instanceof ColmapModelError && /not a COLMAP model folder/.test(e.message));
    // A track naming an image the model does not have.
    await writeModel(dir, 'bin', CAMERAS, IMAGES, [{ ...POINTS[0], track: [42, 0] }]);
    await assert.rejects(readColmapModel(dir), /image 42/);
    await writeModel(dir, 'bin', CAMERAS.slice(1), IMAGES, POINTS);
    await assert.rejects(readColmapModel(dir), /camera 1, which the model does not have/);
  });
  await withDir(async (dir) => {
    await writeModel(dir, 'txt');
    await writeFile(path.join(dir, 'cameras.txt'), '1 SIMPLE_RADIAL 270 150 268 135 75\n');
    await assert.rejects(readColmapModel(dir), /needs 8 fields/);
  });
});
