import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testGpu } from '../helpers/gpu.ts';
import { writeSample } from '../../src/data/sample/index.ts';
import { loadPosedDataset } from '../../src/data/transforms.ts';
import { psnr } from '../../src/metrics/psnr.ts';
import { trainModel } from '../../src/pipeline/train-model.ts';
import { renderModel } from '../../src/pipeline/render-model.ts';

test('train → checkpoint → resume → render on a tiny synthetic capture', async () => {
  const gpu = await testGpu();
  const dir = mkdtempSync(join(tmpdir(), 'rlq-e2e-'));
  const sample = join(dir, 'sample');
  await writeSample({ out: sample, frames: 24, width: 80, height: 80, samplesPerPixel: 4, video: false });
  const model = join(dir, 'model');
  const losses: number[] = [];
  const first = await trainModel({ dataset: sample, out: model, preset: 'cpu', steps: 300, samplesPerStep: 1 << 13, evalFrames: 3, gpu, onStep: (s) => losses.push(s.loss) });
  assert.equal(first.steps, 300);
  assert.ok(existsSync(join(model, 'model.ckpt')));
  const early = losses.slice(0, 10).reduce((a, b) => a + b) / 10;
  const late = losses.slice(-10).reduce((a, b) => a + b) / 10;
  // Most rays miss the small object and see only the random background, which an empty field already
  // reproduces, so the loss starts low; it must still fall clearly.
  assert.ok(late < 0.8 * early, `training loss fell from ${early.toExponential(2)} to ${late.toExponential(2)} (want < 0.8×)`);

  // Baseline: predicting black everywhere (17.55 dB). The field must beat it clearly on held-out views.
  // Runs differ (GPU atomics reorder sums): after 200 steps the 3 held-out views measured 21.7-25.3 dB
  // over 6 runs (with and without the distortion loss), after 300 steps 24.7-26.7 dB over 3, so 300 steps and a 5 dB margin.
  const data = await loadPosedDataset(sample, { holdoutEvery: 8 });
  const black = data.test.slice(0, 3).map((i) => {
    const f = data.frames[i]!.rgba;
    const t = new Uint8Array(f.length);
    for (let p = 0; p < f.length; p += 4) for (let c = 0; c < 3; c++) t[p + c] = Math.round((f[p + c]! * f[p + 3]!) / 255);
    return psnr(new Uint8Array(f.length), t, { channels: 4 });
  });
  const baseline = black.reduce((a, b) => a + b) / black.length;
  console.log(`held-out PSNR ${first.eval.psnr.toFixed(2)} dB, black baseline ${baseline.toFixed(2)} dB, loss ${early.toExponential(2)} → ${late.toExponential(2)}`);
  assert.ok(first.eval.psnr > baseline + 5, `held-out PSNR ${first.eval.psnr.toFixed(2)} dB vs black baseline ${baseline.toFixed(2)} dB`);

  const resumed = await trainModel({ dataset: sample, out: model, preset: 'cpu', steps: 310, samplesPerStep: 1 << 13, evalFrames: 1, resume: true, gpu });
  assert.equal(resumed.steps, 310, 'resume continues from the checkpoint step');

  const frames = join(dir, 'frames');
  const r = await renderModel({ model, poses: join(sample, 'transforms.json'), out: frames, gpu });
  assert.equal(r.frames, 24);
  assert.equal(readdirSync(frames).filter((f) => f.endsWith('.png')).length, 24);
  assert.ok(r.quality && r.quality.psnr > baseline + 5, `render PSNR ${r.quality?.psnr}`);
  await gpu.check();
});
