import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { testGpu } from '../helpers/gpu.ts';
import { writeSample } from '../../src/data/sample/index.ts';
import { encodeDataset } from '../../src/pipeline/encode.ts';
import { decodeFile, unpremultiply } from '../../src/pipeline/decode.ts';
import { inspectFile } from '../../src/pipeline/inspect.ts';
import { renderDecoded } from '../../src/pipeline/render-decoded.ts';
import { decodeFieldFile, fieldMlpConfigs } from '../../src/codec/field-file.ts';
import { binarizeParams } from '../../src/codec/grid/grid-codec.ts';
import { encodeMlpWeights, decodeMlpWeights } from '../../src/codec/mlp/mlp-quant.ts';
import { BitstreamError } from '../../src/codec/errors.ts';
import { readCheckpoint } from '../../src/train/checkpoint.ts';
import { occupancyBitsFromValues } from '../../src/field/occupancy/occupancy-grid.ts';
import { gridLayout } from '../../src/field/encoding/grid-config.ts';
import { loadPosedDataset } from '../../src/data/transforms.ts';
import type { Preset } from '../../src/presets.ts';

/** A small architecture so the test trains and codes in seconds: dense and hashed 3-D levels, two plane levels. */
function tiny(p: Preset): void {
  p.field.grid.hash = { levels: 8, featuresPerLevel: 2, log2TableSize: 12, nMin: 8, nMax: 96 };
  p.field.grid.planes = { levels: 2, featuresPerLevel: 2, log2TableSize: 11, nMin: 32, nMax: 64 };
  p.field.occupancy = { ...p.field.occupancy, warmupSteps: 8 };
  p.train.samplesPerStep = 1 << 13;
  p.train.rate = { ...p.train.rate!, samples: 4096, startStep: 8, projectionInterval: 16 };
}

test('encode → .rlq → decode: every grid bit restored, frames identical to the encoder-side render, clear errors on damage', async () => {
  const gpu = await testGpu();
  const dir = mkdtempSync(join(tmpdir(), 'rlq-codec-'));
  const sample = join(dir, 'sample');
  await writeSample({ out: sample, frames: 16, width: 64, height: 64, samplesPerPixel: 2, video: false });
  const file = join(dir, 'object.rlq');
  const stages: string[] = [];
  const bits: number[] = [];
  const r = await encodeDataset({
    // No visibility pruning: 60 steps leave too few rays to judge visibility (test/train/prune.test.ts).
    dataset: sample, out: file, steps: 60, lambda: 4e-3, prune: 0, gpu, evalFrames: 2, configure: tiny,
    onStage: (s) => stages.push(s), onStep: (s) => bits.push(s.bitsPerParam),
  });
  assert.deepEqual(stages, ['train', 'code', 'verify', 'write']);
  assert.ok(bits.slice(-10).every((b) => Number.isFinite(b) && b > 0 && b <= 1.5), `rate estimate in bits/param: ${bits.slice(-5).join(', ')}`);
  const bytes = new Uint8Array(readFileSync(file));
  assert.equal(bytes.length, r.bytes);
  // After 60 steps the occupancy grid is still noisy and dominates; the ratio is measured by bench:rd-fp.
  assert.ok(r.bytes < r.float32Bytes / 2, `float32 ${r.float32Bytes} B vs file ${r.bytes} B`);
  const gridBits = r.gridLevels.reduce((a, l) => a + l.bits, 0);
  const gridBytes = r.sections.find((s) => s.name === 'GRID_FEATURES')!.bytes;
  assert.ok(Math.abs(gridBytes * 8 - gridBits) < 0.01 * gridBits + 64, `GRID_FEATURES ${gridBytes} B vs ideal ${(gridBits / 8).toFixed(0)} B`);

  // Sum of section sizes (+ header, table, alignment) is the file size.
  const info = inspectFile(file);
  assert.equal(info.sections.reduce((a, s) => a + s.bytes, 0) + info.containerBytes, bytes.length);
  assert.equal(info.config.video.frames, 16);
  assert.ok(Math.abs(info.bpp - (bytes.length * 8) / (64 * 64 * 16)) < 1e-12);

  // Every binary feature of an active entry is restored exactly (inactive entries read −1).
  const { header, tensors } = readCheckpoint<{ field: Preset['field'] }>(join(`${file}.work`, 'model.ckpt'));
  const occBits = occupancyBitsFromValues(tensors.get('occupancy')!, header.field.occupancy.threshold);
  const decoded = decodeFieldFile(bytes);
  const expected = binarizeParams(tensors.get('grid')!, gridLayout(header.field.grid.hash, header.field.grid.planes), occBits, header.field.occupancy.resolution);
  assert.deepEqual(decoded.theta, expected);
  assert.deepEqual(decoded.occupancy.bits, occBits);
  assert.equal(inspectFile(file).occupiedCells, occBits.reduce((a, w) => { for (let x = w; x; x &= x - 1) a++; return a; }, 0), 'info counts the coded occupied cells');

  // Frames decoded from the file equal the encoder-side render of the same (binarized, 10-bit) field.
  const mlps = fieldMlpConfigs(header.field);
  const encoderSide = {
    ...decoded, theta: expected,
    density: decodeMlpWeights(mlps.density, encodeMlpWeights(mlps.density, tensors.get('density-mlp')!)),
    color: decodeMlpWeights(mlps.color, encodeMlpWeights(mlps.color, tensors.get('color-mlp')!)),
  };
  const framesDir = join(dir, 'frames');
  await decodeFile({ input: file, out: framesDir, frames: 3, gpu });
  assert.equal(readdirSync(framesDir).length, 3);
  const rendered: Uint8Array[] = [];
  await renderDecoded(gpu, encoderSide, { indices: [0, 1, 2], intrinsics: decoded.intrinsics, background: [0, 0, 0], onFrame: (_i, rgba) => { rendered.push(rgba); } });
  for (let i = 0; i < 3; i++) {
    const png = await sharp(join(framesDir, `frame_0000${i}.png`)).raw().toBuffer();
    // PNG frames hold straight alpha: the render (over black) divided by its opacity.
    assert.ok(Buffer.compare(png, Buffer.from(unpremultiply(rendered[i]!))) === 0, `frame ${i} differs from the encoder-side render`);
  }
  // Any output size (the field is resolution-agnostic).
  const big = await decodeFile({ input: file, out: join(dir, 'big'), frames: 1, size: { width: 96, height: 80 }, gpu });
  assert.equal(big.width, 96);
  assert.deepEqual((await sharp(join(dir, 'big', 'frame_00000.png')).metadata()).height, 80);

  // The decoded field reproduces the object: PSNR well above rendering nothing.
  const data = await loadPosedDataset(sample, { holdoutEvery: 8 });
  assert.equal(data.frames.length, decoded.c2w.length);
  assert.ok(r.quality.decoded.psnr > 18, `decoded held-out PSNR ${r.quality.decoded.psnr.toFixed(2)} dB`);

  // Damage: a flipped payload byte in each section and truncations all give a BitstreamError naming where.
  for (const s of info.sections) {
    const bad = bytes.slice();
    const sec = decoded.file.sections.find((x) => x.name === s.name)!;
    bad[sec.offset + (sec.length >> 1)]! ^= 0x40;
    assert.throws(() => decodeFieldFile(bad), (e: unknown) => e instanceof BitstreamError && e.section === s.name, `flip in ${s.name}`);
  }
  for (const cut of [0, 7, 40, bytes.length >> 1, bytes.length - 1]) {
    assert.throws(() => decodeFieldFile(bytes.subarray(0, cut)), BitstreamError, `truncated to ${cut}`);
  }
  await gpu.check();
});

test('unpremultiply: straight alpha that composites back over black to the render', () => {
  const render = Uint8Array.of(100, 50, 0, 200, 10, 20, 30, 0, 255, 128, 3, 255, 1, 1, 1, 2);
  const straight = unpremultiply(render);
  assert.deepEqual([...straight], [128, 64, 0, 200, 0, 0, 0, 0, 255, 128, 3, 255, 128, 128, 128, 2]);
  for (let p = 0; p < render.length; p += 4) {
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(Math.round((straight[p + c]! * straight[p + 3]!) / 255) - (render[p + 3] ? render[p + c]! : 0)) <= 1);
  }
});
