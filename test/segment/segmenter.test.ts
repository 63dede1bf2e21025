import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LINEAR_BIAS, LINEAR_WEIGHTS, makeLinearSegmentModel } from '../../scripts/make-test-onnx.ts';
import { loadSegmentationModel, type Rgb } from '../../src/segment/models.ts';
import {
  type RgbFrame,
  Segmenter,
  fromFloat16Bits,
  preprocessFrame,
  segmentFrames,
  toFloat16Bits,
} from '../../src/segment/segmenter.ts';
import { resampleAlpha, resamplePlanes } from '../../src/segment/resample.ts';
import { NoObjectError } from '../../src/segment/errors.ts';
import { FIXTURE_ONNX, resampleTwin } from './helpers.ts';

const FIXTURE_REF = `onnx:${FIXTURE_ONNX}`;

test('the committed fixture is what scripts/make-test-onnx.ts writes', async () => {
  const committed = new Uint8Array(await readFile(FIXTURE_ONNX));
  assert.ok(committed.length < 1024, `fixture is ${committed.length} bytes`);
  assert.deepEqual(committed, makeLinearSegmentModel());
});

test('resamplePlanes: bilinear upscaling, area-averaging downscaling, constants preserved', () => {
  // 2× up of [0, 255]: half-pixel centres → positions −0.25, 0.25, 0.75, 1.25 (clamped).
  assert.deepEqual([...resamplePlanes([0, 255], 2, 1, 4, 1)], [0, 63.75, 191.25, 255]);
  // 2× down: support 2 → weights 0.75, 0.75, 0.25 (normalized) for the first output, as PIL's bilinear.
  const down = resamplePlanes([10, 20, 30, 40], 4, 1, 2, 1);
  assert.ok(Math.abs(down[0]! - (0.75 * 10 + 0.75 * 20 + 0.25 * 30) / 1.75) < 1e-4);
  assert.ok(Math.abs(down[1]! - (0.25 * 20 + 0.75 * 30 + 0.75 * 40) / 1.75) < 1e-4);
  const flat = resamplePlanes(new Float32Array(7 * 5).fill(3.5), 7, 5, 3, 11);
  assert.ok(flat.every((v) => Math.abs(v - 3.5) < 1e-6));
  // Against the float64 2-D twin on a random plane, up and down in both axes.
  const src = Float32Array.from({ length: 13 * 9 }, (_, i) => (i * 7919) % 101);
  for (const [w, h] of [[5, 4], [29, 3], [13, 20], [4, 17]] as const) {
    const got = resamplePlanes(src, 13, 9, w, h);
    const want = resampleTwin(src, 13, 9, w, h);
    const worst = Math.max(...got.map((v, i) => Math.abs(v - want[i]!)));
    assert.ok(worst < 1e-3, `${w}x${h}: max error ${worst}`);
  }
  assert.deepEqual(resampleAlpha(Uint8Array.of(0, 255), 2, 1, 4, 1), Uint8Array.of(0, 64, 191, 255));
  assert.throws(() => resamplePlanes([1, 2, 3], 2, 1, 2, 2), /src must hold/);
});

test('float16 conversion rounds to nearest even and round-trips', () => {
  for (const v of [0, 1, -2, 0.5, 65504, 6.103515625e-5, 5.960464477539063e-8, 0.333251953125]) {
    assert.equal(fromFloat16Bits(toFloat16Bits(v)), v, `value ${v}`);
  }
  assert.equal(toFloat16Bits(1 + 2 ** -11), 0x3c00, 'tie rounds to even (down)');
  assert.equal(toFloat16Bits(1 + 3 * 2 ** -11), 0x3c02, 'tie rounds to even (up)');
  assert.equal(fromFloat16Bits(toFloat16Bits(1e6)), Infinity);
  assert.equal(toFloat16Bits(2 ** -26), 0, 'below half the smallest subnormal → 0');
  assert.ok(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN))));
});

/** A frame whose three channels are different smooth patterns, so channel mix-ups and resizing show. */
function patternFrame(width: number, height: number): RgbFrame {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = 3 * (y * width + x);
      rgb[p] = Math.round((255 * x) / (width - 1));
      rgb[p + 1] = Math.round((255 * y) / (height - 1));
      rgb[p + 2] = (37 * x + 91 * y) % 256;
    }
  }
  return { rgb, width, height };
}

/**
 * The fixture's output z at frame size, computed in float64 from the module docs: resample each
 * channel to the input size, normalize, z = Σ W_c x_c + B at input size, resample z to frame size.
 */
function expectedAlpha(frame: RgbFrame, inW: number, inH: number, mean: Rgb, std: Rgb, range: number, order: 'rgb' | 'bgr', sigmoid: boolean): number[] {
  const { width, height, rgb } = frame;
  const planes = [0, 1, 2].map((c) => Float64Array.from({ length: width * height }, (_, p) => rgb[3 * p + c]!));
  const small = planes.map((pl) => resampleTwin(pl, width, height, inW, inH));
  const perm = order === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  const z = new Float64Array(inW * inH);
  for (let p = 0; p < z.length; p++) {
    let acc = LINEAR_BIAS;
    for (let c = 0; c < 3; c++) {
      const src = perm[c]!;
      acc += LINEAR_WEIGHTS[c] * ((small[src]![p]! / 255) * range - mean[src]) / std[src];
    }
    z[p] = sigmoid ? 1 / (1 + Math.exp(-acc)) : acc;
  }
  return [...resampleTwin(z, inW, inH, width, height)].map((v) => Math.round(255 * Math.min(1, Math.max(0, v))));
}

function maxDiff(a: Uint8Array, b: number[]): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('onnx:PATH fixture: preprocessing, normalization and resizing checked numerically', async (t) => {
  const frame = patternFrame(24, 10);
  const mean: Rgb = [0.1, 0.2, 0.3];
  const std: Rgb = [0.5, 1, 2];
  const cases = [
    { name: 'rgb, range 1, output z', order: 'rgb', range: 1, outputName: 'z', activation: 'none', sigmoid: false, size: { width: 6, height: 5 } },
    { name: 'bgr order', order: 'bgr', range: 1, outputName: 'z', activation: 'none', sigmoid: false, size: { width: 6, height: 5 } },
    { name: 'range 255 with a scaled mean/std', order: 'rgb', range: 255, outputName: 'z', activation: 'none', sigmoid: false, size: { width: 8, height: 4 } },
    { name: 'sigmoid applied to logits z', order: 'rgb', range: 1, outputName: 'z', activation: 'sigmoid', sigmoid: true, size: { width: 6, height: 5 } },
    { name: 'first output (alpha = sigmoid(z)) without activation', order: 'rgb', range: 1, outputName: undefined, activation: 'none', sigmoid: true, size: { width: 6, height: 5 } },
    { name: 'upscaled input', order: 'rgb', range: 1, outputName: 'z', activation: 'none', sigmoid: false, size: { width: 48, height: 16 } },
  ] as const;
  for (const c of cases) {
    await t.test(c.name, async () => {
      const m = c.range === 255 ? (mean.map((v) => v * 255) as unknown as Rgb) : mean;
      const s = c.range === 255 ? (std.map((v) => v * 255) as unknown as Rgb) : std;
      const model = await loadSegmentationModel(FIXTURE_REF, {
        inputSize: c.size,
        mean: m,
        std: s,
        inputRange: c.range,
        channelOrder: c.order,
        activation: c.activation,
        outputName: c.outputName,
        threads: 1,
      });
      try {
        assert.equal(model.inputName, 'x');
        assert.equal(model.outputName, c.outputName ?? 'alpha');
        assert.deepEqual(model.io.inputSize, c.size);
        const seg = await Segmenter.load(model);
        const alpha = await seg.alphaFor(frame);
        assert.equal(alpha.length, frame.width * frame.height);
        const want = expectedAlpha(frame, c.size.width, c.size.height, m, s, c.range, c.order, c.sigmoid);
        const d = maxDiff(alpha, want);
        // ±1: float32 arithmetic in the resampler and onnxruntime can move a value across a .5 boundary.
        assert.ok(d <= 1, `max |alpha − expected| = ${d}`);
        const distinct = new Set(alpha).size;
        assert.ok(distinct > 20, `the alpha varies over the frame (${distinct} values)`);
        await seg.release(); // does not release a model it does not own
        assert.ok(model.session.inputNames.length === 1);
      } finally {
        await model.release();
        await model.release(); // idempotent
      }
    });
  }
  await t.test('a wrong normalization is detected', async () => {
    const model = await loadSegmentationModel(FIXTURE_REF, { inputSize: 6, mean, std, outputName: 'z', activation: 'none' });
    try {
      const alpha = await (await Segmenter.load(model)).alphaFor(frame);
      const swapped = expectedAlpha(frame, 6, 6, mean, std, 1, 'bgr', false);
      assert.ok(maxDiff(alpha, swapped) > 5, 'rgb and bgr give different alphas');
    } finally {
      await model.release();
    }
  });
});

test('float16 models: input converted to float16, float16 output read back', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'reliquary-f16-'));
  try {
    const path = join(dir, 'f16.onnx');
    await writeFile(path, makeLinearSegmentModel({ float16: true }));
    const frame = patternFrame(24, 10);
    const mean: Rgb = [0.1, 0.2, 0.3];
    const std: Rgb = [0.5, 1, 2];
    for (const outputName of ['z', 'alpha']) {
      const model = await loadSegmentationModel(`onnx:${path}`, { inputSize: { width: 6, height: 5 }, mean, std, outputName, activation: 'none' });
      try {
        assert.equal(model.inputType, 'float16');
        const alpha = await (await Segmenter.load(model)).alphaFor(frame);
        const want = expectedAlpha(frame, 6, 5, mean, std, 1, 'rgb', outputName === 'alpha');
        // float16 keeps 11 significant bits: |Δz| ≲ 2^-10 per value → < 1 alpha step, plus rounding.
        assert.ok(maxDiff(alpha, want) <= 2, `${outputName}: max |alpha − expected| = ${maxDiff(alpha, want)}`);
      } finally {
        await model.release();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('preprocessFrame lays out NCHW with per-channel mean/std, RGBA accepted', () => {
  const rgba = Uint8Array.of(255, 0, 51, 7, 255, 0, 51, 9); // 2×1, alpha ignored
  const x = preprocessFrame({ rgb: rgba, width: 2, height: 1 }, { inputRange: 1, mean: [0.5, 0, 0.1], std: [0.5, 1, 0.1], channelOrder: 'rgb' }, { width: 1, height: 1 });
  assert.equal(x.length, 3);
  assert.ok(Math.abs(x[0]! - 1) < 1e-6 && Math.abs(x[1]! - 0) < 1e-6 && Math.abs(x[2]! - 1) < 1e-5, `${[...x]}`);
  const bgr = preprocessFrame({ rgb: rgba, width: 2, height: 1 }, { inputRange: 255, mean: [0, 0, 0], std: [1, 1, 1], channelOrder: 'bgr' }, { width: 1, height: 1 });
  assert.deepEqual([...bgr], [51, 0, 255]);
  assert.throws(() => preprocessFrame({ rgb: new Uint8Array(5), width: 2, height: 1 }, { inputRange: 1, mean: [0, 0, 0], std: [1, 1, 1], channelOrder: 'rgb' }, { width: 1, height: 1 }), /rgb must hold/);
});

test('activation auto applies a sigmoid only to logits', async () => {
  const frame = patternFrame(16, 8);
  const model = await loadSegmentationModel(FIXTURE_REF, { inputSize: 8, mean: [0, 0, 0], std: [0.05, 0.05, 0.05], outputName: 'z' });
  try {
    assert.equal(model.io.activation, 'auto');
    const alpha = await (await Segmenter.load(model)).alphaFor(frame);
    // z spans far outside [0, 1] with std 0.05 → sigmoid(z).
    assert.ok(maxDiff(alpha, expectedAlpha(frame, 8, 8, [0, 0, 0], [0.05, 0.05, 0.05], 1, 'rgb', true)) <= 1);
  } finally {
    await model.release();
  }
});

test('segmentFrames streams the fixture model and raises NoObjectError when nothing is found', async () => {
  const W = 32;
  const H = 24;
  // A bright square (object) on black; with mean 0, std 1, W = (0.5, 0.25, −0.125), B = 0.375 a black pixel
  // gives z = 0.375 (alpha 96, below 128) and a white one z = 1 (alpha 255).
  function* frames(n: number, withObject: (i: number) => boolean): Generator<RgbFrame & { tag: number }> {
    for (let i = 0; i < n; i++) {
      const rgb = new Uint8Array(W * H * 3);
      if (withObject(i)) {
        for (let y = 8; y < 18; y++) for (let x = 10 + i; x < 22 + i; x++) rgb.fill(255, 3 * (y * W + x), 3 * (y * W + x) + 3);
      }
      yield { rgb, width: W, height: H, tag: i };
    }
  }
  const opts = { model: FIXTURE_REF, modelOptions: { inputSize: 16, mean: [0, 0, 0] as Rgb, std: [1, 1, 1] as Rgb, outputName: 'z', activation: 'none' as const } };
  const got: { index: number; tag: number; area: number; empty: boolean }[] = [];
  for await (const s of segmentFrames(frames(5, () => true), opts)) {
    got.push({ index: s.index, tag: s.frame.tag, area: s.area, empty: s.empty });
    assert.equal(s.mask.length, W * H);
    assert.ok(s.mask.every((v) => v === 0 || v === 255));
    assert.equal(s.mask[13 * W + 15 + s.index], 255, 'the square is object');
    assert.equal(s.mask[2 * W + 2], 0, 'the corner is background');
    if (s.index > 0) assert.ok(s.iouWithPrevious! > 0.7, `iou ${s.iouWithPrevious}`);
  }
  assert.deepEqual(got.map((g) => g.index), [0, 1, 2, 3, 4]);
  assert.deepEqual(got.map((g) => g.tag), [0, 1, 2, 3, 4], 'frames come back with their alphas, in order');
  assert.ok(got.every((g) => !g.empty && g.area > 80 && g.area < 200), JSON.stringify(got));

  // Object in 2 of 6 frames: no object in most frames → NoObjectError at the end.
  await assert.rejects(
    async () => {
      for await (const _ of segmentFrames(frames(6, (i) => i < 2), { ...opts, temporal: { radius: 0 }, probeFrames: 0 })) void _;
    },
    (e: unknown) => e instanceof NoObjectError && e.frames === 6 && e.emptyFrames === 4 && e.reason === 'no-object' && /--masks/.test(e.message),
  );
  // No object at all → early failure after probeFrames frames, without reading further.
  let pulled = 0;
  const counting = (function* () {
    for (const f of frames(100, () => false)) {
      pulled++;
      yield f;
    }
  })();
  await assert.rejects(async () => {
    for await (const _ of segmentFrames(counting, { ...opts, probeFrames: 3 })) void _;
  }, NoObjectError);
  assert.ok(pulled <= 5, `stopped early (pulled ${pulled} frames)`);
});

test('option and frame mistakes are TypeErrors naming the field', async () => {
  await assert.rejects(() => loadSegmentationModel(FIXTURE_REF, { inputSize: 0 }), /options\.inputSize/);
  await assert.rejects(() => loadSegmentationModel(FIXTURE_REF, { std: [1, 0, 1] }), /options\.std/);
  await assert.rejects(() => loadSegmentationModel(FIXTURE_REF, { channelOrder: 'rbg' as 'rgb' }), /options\.channelOrder/);
  await assert.rejects(() => loadSegmentationModel(FIXTURE_REF, { outputName: 'nope' }), /has no output "nope"; its outputs are alpha, z/);
  const gen = segmentFrames([], { model: FIXTURE_REF, postprocess: { threshold: 0 } });
  await assert.rejects(() => gen.next(), /options\.postprocess\.threshold/);
  const frames = [patternFrame(8, 8), patternFrame(8, 6)];
  await assert.rejects(async () => {
    for await (const _ of segmentFrames(frames, { model: FIXTURE_REF, modelOptions: { inputSize: 4 }, probeFrames: 0, maxEmptyFraction: 1 })) void _;
  }, /frame 1 is 8x6, the first frame was 8x8/);
});
