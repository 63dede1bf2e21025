import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { MaskFolder, compareMaskNames, decodeMask, listMaskFiles, readMaskFolder } from '../../src/segment/mask-folder.ts';
import { NoObjectError, SegmentationError } from '../../src/segment/errors.ts';
import { segmentFrames } from '../../src/segment/segmenter.ts';

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'reliquary-masks-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes a grey PNG whose pixels are `value(x, y)`. */
async function writeGrey(path: string, width: number, height: number, value: (x: number, y: number) => number): Promise<void> {
  const px = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) px[y * width + x] = value(x, y);
  await sharp(px, { raw: { width, height, channels: 1 } }).png().toFile(path);
}

test('mask names sort with numbers compared by value', () => {
  const names = ['m10.png', 'm2.png', 'm1.png', 'm02.png', 'a.png', 'm100.png'];
  assert.deepEqual([...names].sort(compareMaskNames), ['a.png', 'm1.png', 'm02.png', 'm2.png', 'm10.png', 'm100.png']);
});

test('listMaskFiles keeps image files only, in frame order; errors say what to do', async () => {
  await withTempDir(async (dir) => {
    for (const n of ['frame_10.png', 'frame_9.PNG', 'frame_100.jpg', 'notes.txt', 'frame_1.webp']) await writeFile(join(dir, n), '');
    const files = await listMaskFiles(dir);
    assert.deepEqual(files.map((f) => basename(f)), ['frame_1.webp', 'frame_9.PNG', 'frame_10.png', 'frame_100.jpg']);
    await assert.rejects(() => listMaskFiles(join(dir, 'nope')), (e: unknown) => e instanceof SegmentationError && e.reason === 'mask-folder');
    await withTempDir(async (empty) => {
      await assert.rejects(() => listMaskFiles(empty), /holds no mask image/);
    });
  });
});

test('masks are decoded (grey or alpha channel) and resampled to the frame size', async () => {
  await withTempDir(async (dir) => {
    // Mask 1: grey, 4×2, left half white. Mask 2: an RGBA cut-out whose alpha is the mask.
    await writeGrey(join(dir, '1.png'), 4, 2, (x) => (x < 2 ? 255 : 0));
    const rgba = new Uint8Array(4 * 2 * 4);
    for (let p = 0; p < 8; p++) rgba.set([200, 10, 10, p % 4 >= 2 ? 255 : 0], 4 * p);
    await sharp(rgba, { raw: { width: 4, height: 2, channels: 4 } }).png().toFile(join(dir, '2.png'));

    const folder = await MaskFolder.open(dir);
    assert.equal(folder.count, 2);
    assert.deepEqual(await folder.read(0, 4, 2), Uint8Array.of(255, 255, 0, 0, 255, 255, 0, 0), 'same size: as stored');
    // 2× up: bilinear with half-pixel centres → 255, 255, 255, 191, 64, 0, 0, 0 per row.
    const up = await folder.read(0, 8, 1);
    assert.deepEqual(up, Uint8Array.of(255, 255, 255, 191, 64, 0, 0, 0));
    assert.deepEqual(await folder.read(1, 4, 1), Uint8Array.of(0, 0, 255, 255), 'auto: alpha of a cut-out');
    const luma = await MaskFolder.open(dir, { channel: 'luma' });
    const l = await luma.read(1, 4, 1);
    assert.equal(l[0], Math.round(0.299 * 200 + 0.587 * 10 + 0.114 * 10), 'luma ignores alpha');
    assert.equal((await decodeMask(join(dir, '1.png'), 'luma')).width, 4);
    await assert.rejects(() => decodeMask(join(dir, '1.png'), 'alpha'), /no alpha channel/);
    await assert.rejects(() => folder.read(2, 4, 2), /has 2 masks, but frame 2 needs mask number 3/);

    const sizes = [{ width: 2, height: 1 }, { width: 2, height: 1 }];
    const got: Uint8Array[] = [];
    for await (const m of readMaskFolder(dir, sizes)) got.push(m);
    // 2× down: triangle filter of support 2, weights 0.75, 0.75, 0.25 → 255·1.5/1.75 = 219, 255·0.25/1.75 = 36.
    assert.deepEqual(got, [Uint8Array.of(219, 36), Uint8Array.of(36, 219)]);
    await assert.rejects(() => MaskFolder.open(dir, { channel: 'red' as 'luma' }), /options\.channel/);
  });
});

test('segmentFrames with masks: the same clean-up, NoObjectError for empty masks', async () => {
  await withTempDir(async (dir) => {
    const W = 16;
    const H = 12;
    // Masks at half resolution: a square plus a stray dot that the largest-component step removes.
    for (let i = 0; i < 4; i++) {
      await writeGrey(join(dir, `mask_${i}.png`), W / 2, H / 2, (x, y) => ((x >= 2 && x < 6 && y >= 1 && y < 5) || (x === 7 && y === 0) ? 255 : 0));
    }
    const frames = Array.from({ length: 4 }, () => ({ rgb: new Uint8Array(W * H * 3), width: W, height: H }));
    let n = 0;
    for await (const s of segmentFrames(frames, { masks: dir })) {
      assert.equal(s.mask.length, W * H);
      assert.equal(s.mask[6 * W + 8], 255, 'square centre is object');
      assert.equal(s.mask[0 * W + 15], 0, 'stray dot removed');
      assert.ok(s.area >= 50 && s.area <= 80, `area ${s.area}`);
      n++;
    }
    assert.equal(n, 4);
  });
  await withTempDir(async (dir) => {
    for (let i = 0; i < 3; i++) await writeGrey(join(dir, `m${i}.png`), 8, 8, () => 0);
    const frames = Array.from({ length: 3 }, () => ({ rgb: new Uint8Array(8 * 8 * 3), width: 8, height: 8 }));
    await assert.rejects(
      async () => {
        for await (const _ of segmentFrames(frames, { masks: dir })) void _;
      },
      (e: unknown) => e instanceof NoObjectError && e.emptyFrames === 3 && e.source.includes(dir),
    );
  });
});
