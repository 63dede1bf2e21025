import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { writeVideo } from '../../src/video/ffmpeg.ts';
import { DatasetError } from '../../src/data/dataset-error.ts';
import { compareSequences, formatCompare, type CompareResult } from '../../src/pipeline/compare.ts';

const W = 64;
const H = 64;
const N = 12; // > 10: f2 must sort before f10 (a wrong order breaks the offset test's exact PSNR)

/** Frame i as RGB24: gradients and a checkerboard, all values in 30..170 (room for offsets). */
function frame(i: number, w = W, h = H): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 3;
      out[p] = 30 + x + i;
      out[p + 1] = 40 + y;
      out[p + 2] = 100 + (((x >> 3) + (y >> 3)) % 2) * 60 + i;
    }
  }
  return out;
}

async function writePngs(dir: string, frames: Uint8Array[], w = W, h = H, channels: 1 | 3 = 3): Promise<void> {
  await mkdir(dir, { recursive: true });
  // Unpadded numbers on purpose: f2 must sort before f10.
  await Promise.all(frames.map((f, i) => sharp(f, { raw: { width: w, height: h, channels } }).png().toFile(join(dir, `f${i}.png`))));
}

let root = '';
const ref = () => join(root, 'ref');

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'reliquary-compare-'));
  await writePngs(ref(), Array.from({ length: N }, (_, i) => frame(i)));
});
test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('identical folders: PSNR ∞ ("inf" in the table, null in JSON with mse 0), SSIM and MS-SSIM 1, no PSNR-CENTER without masks', async () => {
  const progress: [number, number | undefined][] = [];
  const r = await compareSequences({ ref: ref(), decoded: ref(), onFrame: (i, n) => progress.push([i, n]) });
  assert.equal(r.frames, N);
  assert.deepEqual([r.width, r.height], [W, H]);
  assert.deepEqual(progress, Array.from({ length: N }, (_, i) => [i + 1, N]));
  assert.equal(r.psnr.mean, Infinity);
  assert.equal(r.psnr.min, Infinity);
  assert.ok(Math.abs(r.ssim.mean - 1) < 1e-9 && Math.abs(r.ssim.min - 1) < 1e-9);
  assert.ok(Math.abs(r.msssim.mean - 1) < 1e-6);
  assert.equal(r.msssimScales, 3);
  assert.equal(r.psnrCenter, null);
  assert.equal(r.bpp, null);
  assert.equal(r.lpips, null);
  const json = JSON.parse(JSON.stringify(r)) as CompareResult;
  assert.equal(json.psnr.mean, null);
  assert.equal(json.perFrame[0]!.psnr, null);
  assert.equal(json.perFrame[0]!.mse, 0);
  assert.equal(json.psnrCenter, null);
  const table = formatCompare(r);
  assert.match(table, /PSNR \(dB\)\s+inf\s+inf/);
  assert.match(table, /PSNR-CENTER \(dB\)\s+-\s+-\s+no --mask/);
  assert.match(table, /MS-SSIM\s+1\.0000\s+1\.0000\s+3 scales/);
  assert.match(table, /LPIPS\s+-\s+-\s+not computed/);
});

test('a uniform offset of d gives PSNR 20·log10(255/d) on every frame; bpp = bytes·8/(W·H·frames)', async () => {
  const d = 3;
  const dir = join(root, 'offset');
  await writePngs(dir, Array.from({ length: N }, (_, i) => frame(i).map((v) => v + d)));
  const bytesFile = join(root, 'stream.bin');
  await writeFile(bytesFile, new Uint8Array(1000));
  const r = await compareSequences({ ref: ref(), decoded: dir, bytesFile });
  const expected = 20 * Math.log10(255 / d);
  assert.ok(Math.abs(r.psnr.mean - expected) < 1e-9, `${r.psnr.mean} vs ${expected}`);
  assert.ok(Math.abs(r.psnr.min - expected) < 1e-9);
  for (const f of r.perFrame) assert.equal(f.mse, d * d);
  assert.ok(r.ssim.mean < 1 && r.ssim.mean > 0.9);
  assert.ok(r.msssim.mean < 1 && r.msssim.mean > 0.9);
  assert.equal(r.bytes, 1000);
  assert.equal(r.bpp, (1000 * 8) / (W * H * N));
  assert.match(formatCompare(r), new RegExp(`bpp\\s+${((1000 * 8) / (W * H * N)).toPrecision(4)}\\s+-\\s+1000 bytes`));
});

test('PSNR-CENTER: equals a hand computation over the mask (resized nearest, threshold 128); empty masks are left out', async () => {
  // Masks at half size: a 128-valued rectangle (object) on 127 (background); the last one is empty.
  const masks = join(root, 'masks');
  const mw = W / 2;
  const mh = H / 2;
  const inRect = (x: number, y: number) => x >= 8 && x < 16 && y >= 8 && y < 24; // mask coordinates
  const mask = Uint8Array.from({ length: mw * mh }, (_, p) => (inRect(p % mw, Math.floor(p / mw)) ? 128 : 127));
  await writePngs(masks, Array.from({ length: N }, (_, i) => (i === N - 1 ? new Uint8Array(mw * mh) : mask)), mw, mh, 1);
  // Decoded: inside the rectangle R is off by (x + y) % 4, outside every channel by 50.
  const dec = join(root, 'masked-dec');
  const decFrames = Array.from({ length: N }, (_, i) => {
    const f = frame(i);
    for (let p = 0; p < W * H; p++) {
      const x = p % W;
      const y = Math.floor(p / W);
      if (inRect(x >> 1, y >> 1)) f[3 * p] += (x + y) % 4;
      else for (let c = 0; c < 3; c++) f[3 * p + c] += 50;
    }
    return f;
  });
  await writePngs(dec, decFrames);
  // By hand: the rectangle is x in [16, 32), y in [16, 48) at full size.
  let sum = 0;
  let count = 0;
  for (let y = 16; y < 48; y++) {
    for (let x = 16; x < 32; x++) {
      sum += ((x + y) % 4) ** 2;
      count++;
    }
  }
  const expected = 10 * Math.log10((255 * 255) / (sum / (3 * count)));

  const r = await compareSequences({ ref: ref(), decoded: dec, masks });
  assert.equal(r.maskedFrames, N - 1);
  for (const f of r.perFrame.slice(0, N - 1)) {
    assert.equal(f.maskPixels, count);
    assert.ok(Math.abs(f.psnrCenter! - expected) < 1e-9, `frame ${f.index}: ${f.psnrCenter} vs ${expected}`);
  }
  const last = r.perFrame[N - 1]!;
  assert.equal(last.maskPixels, 0);
  assert.ok(Number.isNaN(last.psnrCenter!));
  assert.ok(Math.abs(r.psnrCenter!.mean - expected) < 1e-9);
  assert.ok(r.psnr.mean < 20, 'the background error dominates the full-frame PSNR');
  assert.match(formatCompare(r), new RegExp(`PSNR-CENTER \\(dB\\)\\s+${expected.toFixed(2)}\\s+${expected.toFixed(2)}\\s+${N - 1} of ${N} frames`));

  // One mask too few: a clear error before any frame is read.
  const fewer = join(root, 'masks-7');
  await writePngs(fewer, Array.from({ length: N - 1 }, () => mask), mw, mh, 1);
  await assert.rejects(compareSequences({ ref: ref(), decoded: dec, masks: fewer }), (e: Error) =>
    e instanceof DatasetError && new RegExp(`holds ${N - 1} masks but the sequences have ${N} frames`).test(e.message));
});

test('videos: a clip against itself is identical; against its PNG source it is close; size and count mismatches are clear errors', async () => {
  const clip = join(root, 'clip.mp4');
  await writeVideo(clip, Array.from({ length: N }, (_, i) => frame(i)), { width: W, height: H, fps: 24, crf: 0 });
  const same = await compareSequences({ ref: clip, decoded: clip });
  assert.equal(same.frames, N);
  assert.equal(same.ref.kind, 'video');
  assert.equal(same.psnr.mean, Infinity);
  assert.ok(Math.abs(same.ssim.mean - 1) < 1e-9);

  const vsPng = await compareSequences({ ref: ref(), decoded: clip });
  assert.equal(vsPng.frames, N);
  assert.ok(vsPng.psnr.min > 30 && Number.isFinite(vsPng.psnr.mean), `yuv420p round trip: ${vsPng.psnr.min} dB`);

  // Count mismatch found while streaming (a container's stated count is not trusted).
  const short = join(root, 'short.mp4');
  await writeVideo(short, Array.from({ length: N - 2 }, (_, i) => frame(i)), { width: W, height: H, fps: 24, crf: 0 });
  await assert.rejects(compareSequences({ ref: ref(), decoded: short }), (e: Error) =>
    e instanceof DatasetError && new RegExp(`frame counts differ: DECODED \\(.*short\\.mp4\\) has ${N - 2} frames but REF \\(.*\\) has ${N}`).test(e.message));
  // Between folders the count is known up front.
  const five = join(root, 'five');
  await writePngs(five, Array.from({ length: 5 }, (_, i) => frame(i)));
  await assert.rejects(compareSequences({ ref: five, decoded: ref() }), new RegExp(`frame counts differ: REF \\(.*five\\) has 5 frames but DECODED \\(.*\\) has ${N}`));

  // Size mismatch: says which is which and that DECODED must be resized first.
  const small = join(root, 'small');
  await writePngs(small, Array.from({ length: N }, (_, i) => frame(i, 32, 32)), 32, 32);
  await assert.rejects(compareSequences({ ref: clip, decoded: small }), (e: Error) =>
    e instanceof DatasetError && /frame sizes differ: REF .* is 64x64 but DECODED .* is 32x32.*only after resizing it to 64x64/.test(e.message));
});

test('missing inputs are clear errors', async () => {
  await assert.rejects(compareSequences({ ref: join(root, 'nope'), decoded: ref() }), /REF not found: .*nope/);
  await assert.rejects(compareSequences({ ref: ref(), decoded: ref(), bytesFile: join(root, 'nope.rlq') }), /--bytes file not found/);
  await mkdir(join(root, 'empty'));
  await assert.rejects(compareSequences({ ref: ref(), decoded: join(root, 'empty') }), /DECODED folder .* holds no PNG\/JPEG files/);
  await assert.rejects(compareSequences({ ref: '', decoded: ref() }), TypeError);
});
