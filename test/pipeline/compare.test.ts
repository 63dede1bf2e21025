import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { writeVideo } from '../../src/video/ffmpeg.ts';
import { DatasetError } from '../../src/data/dataset-error.ts';
import { compareSequences, formatCompare, type CompareResult } from '../../src/pipeline/compare.ts';
import { LpipsModelError } from '../../src/metrics/lpips.ts';
import { SegmentationError } from '../../src/segment/errors.ts';
import type { Rgb } from '../../src/segment/models.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
/** The segmentation fixture (scripts/make-test-onnx.ts): z = 0.5 r + 0.25 g − 0.125 b + 0.375 of the normalised input. */
const SEGMENT_FIXTURE = fixture('segment-linear.onnx');
/** The LPIPS stand-in (scripts/make-test-onnx.ts): distance = mean((in0 − in1)²). */
const LPIPS_FIXTURE = fixture('lpips-mse.onnx');

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
  assert.equal(r.maskSource, null);
  assert.ok(r.perFrame.every((f) => f.lpips === null));
  const json = JSON.parse(JSON.stringify(r)) as CompareResult;
  assert.equal(json.psnr.mean, null);
  assert.equal(json.perFrame[0]!.psnr, null);
  assert.equal(json.perFrame[0]!.mse, 0);
  assert.equal(json.psnrCenter, null);
  const table = formatCompare(r);
  assert.match(table, /PSNR \(dB\)\s+inf\s+inf/);
  assert.match(table, /PSNR-CENTER \(dB\)\s+-\s+-\s+no --mask/);
  assert.match(table, /MS-SSIM\s+1\.0000\s+1\.0000\s+3 scales/);
  assert.doesNotMatch(table, /LPIPS/, 'no LPIPS row without a model');
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
  assert.equal(r.masks, masks);
  assert.equal(r.maskSource, `dir:${masks}`);
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

test('--mask auto: masks from segmenting REF with a model give the same PSNR-CENTER as a folder of the expected masks', async () => {
  // REF: a bright textured rectangle (object) on a dark textured background. With the fixture model,
  // mean 0, std 1 and output z: object pixels give z ≈ 0.84…0.92 (alpha ≥ 214), background ≈ 0.41
  // (alpha ≈ 104 < 128). The rectangle moves 1 px per frame but stands still over the first two and the
  // last two frames, so the temporal median (radius 1, windows truncated at the ends) keeps each
  // frame's own rectangle: the expected mask of frame i is exactly rect_i.
  const shift = (i: number) => Math.min(Math.max(i - 1, 0), N - 3);
  const inRect = (i: number, x: number, y: number) => x >= 10 + shift(i) && x < 30 + shift(i) && y >= 16 && y < 40;
  const refFrames: Uint8Array[] = [];
  const decFrames: Uint8Array[] = [];
  const maskFrames: Uint8Array[] = [];
  for (let i = 0; i < N; i++) {
    const r = new Uint8Array(W * H * 3);
    const d = new Uint8Array(W * H * 3);
    const m = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const p = y * W + x;
        if (inRect(i, x, y)) {
          r.set([200 + ((x + y + i) % 5) * 10, 100, 50], 3 * p);
          d.set([r[3 * p]! + ((3 * x + y + i) % 7), 100 - ((x + i) % 3), 50], 3 * p);
          m[p] = 255;
        } else {
          r.set([10 + (x % 7), 20 + (y % 5), 30 + i], 3 * p);
          d.set([r[3 * p]! + 40, r[3 * p + 1]! + 40, r[3 * p + 2]! + 40], 3 * p);
        }
      }
    }
    refFrames.push(r);
    decFrames.push(d);
    maskFrames.push(m);
  }
  const refDir = join(root, 'auto-ref');
  const decDir = join(root, 'auto-dec');
  const maskDir = join(root, 'auto-masks');
  await Promise.all([writePngs(refDir, refFrames), writePngs(decDir, decFrames), writePngs(maskDir, maskFrames, W, H, 1)]);

  const fromDir = await compareSequences({ ref: refDir, decoded: decDir, masks: maskDir });
  const modelOptions = { inputSize: W, mean: [0, 0, 0] as Rgb, std: [1, 1, 1] as Rgb, outputName: 'z', activation: 'none' as const };
  const progress: number[] = [];
  const auto = await compareSequences({
    ref: refDir,
    decoded: decDir,
    masks: { auto: { model: `onnx:${SEGMENT_FIXTURE}`, modelOptions } },
    onFrame: (i) => progress.push(i),
  });
  assert.deepEqual(progress, Array.from({ length: N }, (_, i) => i + 1));
  assert.equal(auto.frames, N);
  assert.equal(auto.masks, null);
  assert.equal(auto.maskSource, `auto:onnx:${SEGMENT_FIXTURE}`);
  assert.equal(fromDir.maskSource, `dir:${maskDir}`);
  assert.equal(auto.maskedFrames, N);
  for (let i = 0; i < N; i++) {
    const a = auto.perFrame[i]!;
    const b = fromDir.perFrame[i]!;
    assert.equal(a.maskPixels, 20 * 24, `frame ${i}: the mask is the rectangle`);
    assert.equal(a.psnrCenter, b.psnrCenter, `frame ${i}: PSNR-CENTER with auto masks`);
    assert.equal(a.psnr, b.psnr);
    assert.ok(Number.isFinite(a.psnrCenter!) && a.psnrCenter! > 35 && a.psnr < 25, `frame ${i}: ${a.psnrCenter} / ${a.psnr}`);
  }
  assert.equal(auto.psnrCenter!.mean, fromDir.psnrCenter!.mean);
  assert.match(formatCompare(auto), /PSNR-CENTER \(dB\)\s+\S+\s+\S+\s+masks auto:onnx:/);

  // A video REF (read by ffmpeg, frame count unknown up front) works the same way; its yuv420p chroma
  // blurs the rectangle's edge by a pixel, so the masks are only close to the rectangle here.
  const clip = join(root, 'auto-ref.mp4');
  await writeVideo(clip, refFrames, { width: W, height: H, fps: 24, crf: 0 });
  const fromVideo = await compareSequences({ ref: clip, decoded: clip, masks: { auto: { model: `onnx:${SEGMENT_FIXTURE}`, modelOptions } } });
  assert.equal(fromVideo.frames, N);
  assert.equal(fromVideo.maskedFrames, N);
  assert.ok(fromVideo.perFrame.every((f) => f.maskPixels! >= 20 * 24 && f.maskPixels! <= 22 * 26), JSON.stringify(fromVideo.perFrame.map((f) => f.maskPixels)));
  assert.equal(fromVideo.psnrCenter!.mean, Infinity);
});

test('--mask auto with a registry model whose optional package is missing fails with its SegmentationError', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'reliquary-no-pkg-'));
  try {
    await assert.rejects(
      compareSequences({ ref: ref(), decoded: ref(), masks: { auto: { model: 'isnet', modelOptions: { resolveFrom: empty } } } }),
      (e: unknown) =>
        e instanceof SegmentationError && e.reason === 'model-missing' &&
        /npm install --save-optional --save-exact @imgly\/background-removal-data/.test(e.message),
    );
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
});

/** mean over R, G, B samples of ((a − b) / 127.5)², in float64: the LPIPS stand-in's value on [-1, 1] images. */
function scaledMse(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i]! - b[i]!) / 127.5) ** 2;
  return sum / a.length;
}

test('--lpips: per-frame values of the model (here mean((a − b)²) on [-1, 1]), mean and worst frame; a one-input model is rejected', async () => {
  // Decoded: frame i with a pseudo-random error of up to ±(4 + 3i) per sample, so frames differ.
  const decFrames = Array.from({ length: N }, (_, i) => {
    const f = frame(i);
    let s = 12345 + i;
    for (let k = 0; k < f.length; k++) {
      s = (s * 1103515245 + 12345) >>> 0;
      f[k] = f[k]! + ((s >>> 16) % (9 + 6 * i)) - (4 + 3 * i);
    }
    return f;
  });
  const dec = join(root, 'lpips-dec');
  await writePngs(dec, decFrames);
  const r = await compareSequences({ ref: ref(), decoded: dec, lpips: LPIPS_FIXTURE });
  const expected = decFrames.map((d, i) => scaledMse(frame(i), d));
  // The model sums 3·64·64 float32 values; 1e-5 absolute leaves a wide margin on values ≲ 0.01.
  r.perFrame.forEach((f, i) => assert.ok(Math.abs(f.lpips! - expected[i]!) < 1e-5, `frame ${i}: ${f.lpips} vs ${expected[i]}`));
  const mean = expected.reduce((a, b) => a + b, 0) / N;
  assert.ok(r.lpips !== null);
  assert.ok(Math.abs(r.lpips.mean - mean) < 1e-5, `${r.lpips.mean} vs ${mean}`);
  assert.ok(Math.abs(r.lpips.max - Math.max(...expected)) < 1e-5);
  assert.equal(r.lpips.max, Math.max(...r.perFrame.map((f) => f.lpips!)));
  assert.equal(r.lpips.model, LPIPS_FIXTURE);
  assert.match(r.lpips.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual([r.lpips.inputWidth, r.lpips.inputHeight], [W, H]);
  assert.match(formatCompare(r), new RegExp(`LPIPS\\s+${r.lpips.mean.toFixed(4)}\\s+${r.lpips.max.toFixed(4)}\\s+2nd column: worst frame = max .* 64x64 input`));
  const json = JSON.parse(JSON.stringify(r)) as CompareResult;
  assert.equal(json.perFrame[3]!.lpips, r.perFrame[3]!.lpips);

  // --lpips-size: both frames resized (antialiased bilinear) to a square first; identical frames give 0.
  const sized = await compareSequences({ ref: ref(), decoded: dec, lpips: LPIPS_FIXTURE, lpipsSize: 16 });
  assert.deepEqual([sized.lpips!.inputWidth, sized.lpips!.inputHeight], [16, 16]);
  assert.ok(sized.lpips!.mean < r.lpips.mean, 'averaging 4x4 blocks shrinks the zero-mean error');
  const same = await compareSequences({ ref: ref(), decoded: ref(), lpips: LPIPS_FIXTURE, lpipsSize: 16 });
  assert.ok(same.perFrame.every((f) => f.lpips === 0));

  // The segmentation fixture has one input: a clear error saying what an LPIPS model must look like.
  await assert.rejects(compareSequences({ ref: ref(), decoded: dec, lpips: SEGMENT_FIXTURE }), (e: unknown) =>
    e instanceof LpipsModelError && e instanceof DatasetError && /has 1 input\(s\).*must have exactly two image inputs/.test(e.message));
  await assert.rejects(compareSequences({ ref: ref(), decoded: dec, lpips: join(root, 'nope.onnx') }), (e: unknown) =>
    e instanceof LpipsModelError && /nope\.onnx cannot be read/.test(e.message));
});

test('option mistakes of masks and lpips are TypeErrors naming the field', async () => {
  const bad = async (o: object, pattern: RegExp) =>
    assert.rejects(compareSequences({ ref: ref(), decoded: ref(), ...o } as Parameters<typeof compareSequences>[0]), (e: unknown) => e instanceof TypeError && pattern.test(e.message));
  await bad({ masks: '' }, /options\.masks, when provided, must be a non-empty folder path or \{ auto/);
  await bad({ masks: {} }, /options\.masks, when provided, must be/);
  await bad({ masks: { auto: { model: 'nope' } } }, /options\.masks\.auto\.model must be one of 'isnet', 'isnet-small' or 'onnx:PATH'/);
  await bad({ masks: { auto: { model: 3 } } }, /options\.masks\.auto\.model, when provided, must be a model reference/);
  await bad({ masks: { auto: { temporal: { radius: 9 } } } }, /options\.masks\.auto\.temporal\.radius/);
  await bad({ masks: { auto: { postprocess: { threshold: 0 } } } }, /options\.masks\.auto\.postprocess\.threshold/);
  await bad({ masks: { auto: { maxEmptyFraction: 2 } } }, /options\.masks\.auto\.maxEmptyFraction/);
  await bad({ lpips: '' }, /options\.lpips, when provided, must be the path of an ONNX LPIPS model/);
  await bad({ lpipsSize: 16 }, /options\.lpipsSize must be used with options\.lpips given as a path/);
  await bad({ lpips: LPIPS_FIXTURE, lpipsSize: 0 }, /options\.lpipsSize, when provided, must be an integer in \[1, 8192\]/);
});
