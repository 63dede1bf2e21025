import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testGpu } from '../helpers/gpu.ts';
import { tinyPreset } from '../helpers/tiny-preset.ts';
import { writeSample } from '../../src/data/sample/index.ts';
import { encodeDataset } from '../../src/pipeline/encode.ts';
import { decodeFile } from '../../src/pipeline/decode.ts';
import { inspectFile } from '../../src/pipeline/inspect.ts';
import { planTrainFrames } from '../../src/pipeline/train-model.ts';
import { decodeFieldFile } from '../../src/codec/field-file.ts';

test('planTrainFrames: the most loaded frames whose training split fits the option and the device', () => {
  // Few enough: everything is loaded.
  assert.deepEqual(planTrainFrames(67, 8, undefined, 256), { total: 67, maxImages: undefined, loaded: 67, train: 58, limitedBy: undefined });
  assert.deepEqual(planTrainFrames(200, 0, 200, 256), { total: 200, maxImages: undefined, loaded: 200, train: 200, limitedBy: undefined });
  // A 2-minute video at 30 fps with the default 200 (no hold-out for a video).
  assert.deepEqual(planTrainFrames(3600, 0, 200, 256), { total: 3600, maxImages: 200, loaded: 200, train: 200, limitedBy: 'maxTrainFrames' });
  // A posed capture above the device's texture layers: 293 − ⌈293/8⌉ = 256 training frames, 294 would give 257.
  assert.deepEqual(planTrainFrames(1000, 8, undefined, 256), { total: 1000, maxImages: 293, loaded: 293, train: 256, limitedBy: 'device' });
  // The option above the device's limit is clamped to it.
  assert.deepEqual(planTrainFrames(3600, 0, 1000, 256), { total: 3600, maxImages: 256, loaded: 256, train: 256, limitedBy: 'device' });
  for (let total = 1; total <= 40; total++) {
    for (const h of [0, 2, 3, 8]) {
      for (const cap of [1, 2, 5, 16]) {
        const p = planTrainFrames(total, h, cap, 256);
        const trainOf = (m: number) => (h > 0 ? m - Math.ceil(m / h) : m);
        assert.ok(p.loaded <= total && p.train === trainOf(p.loaded), `${total}/${h}/${cap}`);
        assert.ok(p.train <= cap || p.loaded === total, `${total}/${h}/${cap}: ${p.train} > ${cap}`);
        if (p.loaded < total) assert.ok(trainOf(p.loaded + 1) > cap, `${total}/${h}/${cap}: could load more`);
      }
    }
  }
});

test('video encode with maxTrainFrames < frames: trains on that many, the file keeps every pose, decode renders every frame', async () => {
  const gpu = await testGpu();
  const dir = mkdtempSync(join(tmpdir(), 'rlq-train-frames-'));
  const sample = join(dir, 'sample');
  const FRAMES = 12;
  await writeSample({ out: sample, frames: FRAMES, width: 64, height: 48, samplesPerPixel: 1, video: true });
  const out = join(dir, 'scene.rlq');
  const stages: { stage: string; detail: string }[] = [];
  // Masks and poses from the sample (segmentation and COLMAP have tests of their own).
  const r = await encodeDataset({
    dataset: join(sample, 'video.mp4'), out, steps: 20, gpu, configure: tinyPreset, maxTrainFrames: 5,
    segmentation: { masks: join(sample, 'masks') }, poses: { file: join(sample, 'transforms.json') },
    onStage: (stage, detail) => stages.push({ stage, detail }),
  });
  assert.deepEqual(stages.map((s) => s.stage), ['frames', 'segment', 'poses', 'train', 'code', 'verify', 'write']);
  assert.match(stages.find((s) => s.stage === 'train')!.detail, /training on 5 evenly spaced of 12 frames/);
  assert.equal(r.trainFrames, 5);
  assert.equal(r.train.trainFrames, 5);
  assert.equal(r.train.loadedFrames, 5);
  assert.equal(r.frames, FRAMES);
  assert.equal(r.train.video.frames, FRAMES);
  // Verification renders every 8th loaded frame (no hold-out for a video): loaded frame 0 only.
  assert.equal(r.quality.views, 'training');
  assert.equal(r.quality.decoded.frames, 1);
  assert.ok(Number.isFinite(r.quality.decoded.psnr));

  const info = inspectFile(out);
  assert.equal(info.config.video.frames, FRAMES);
  const decoded = decodeFieldFile(new Uint8Array(readFileSync(out)));
  assert.equal(decoded.c2w.length, FRAMES, 'a pose for every frame');
  // The sample's camera moves between frames: the stored poses are not one pose repeated.
  const centres = new Set(decoded.c2w.map((m) => `${m[3]!.toFixed(4)},${m[7]!.toFixed(4)},${m[11]!.toFixed(4)}`));
  assert.equal(centres.size, FRAMES);

  const frames = join(dir, 'decoded');
  const d = await decodeFile({ input: out, out: frames, gpu });
  assert.equal(d.frames, FRAMES);
  assert.equal(readdirSync(frames).filter((f) => f.endsWith('.png')).length, FRAMES, 'one output frame per input frame');
  await gpu.check();
});
