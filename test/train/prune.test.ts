import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testGpu } from '../helpers/gpu.ts';
import { writeSample } from '../../src/data/sample/index.ts';
import { trainModel } from '../../src/pipeline/train-model.ts';
import { readCheckpoint } from '../../src/train/checkpoint.ts';
import { occupancyBitsFromValues } from '../../src/field/occupancy/occupancy-grid.ts';
import { validateTrainConfig, TRAIN_PRESETS } from '../../src/train/train-config.ts';

const popcount = (bits: Uint32Array) => bits.reduce((a, w) => {
  let c = 0;
  for (let x = w; x; x &= x - 1) c++;
  return a + c;
}, 0);

test('visibility pruning empties the occupied cells no view sees, keeps the quality, and survives a resume', async () => {
  const gpu = await testGpu();
  const dir = mkdtempSync(join(tmpdir(), 'rlq-prune-'));
  const sample = join(dir, 'sample');
  await writeSample({ out: sample, frames: 24, width: 80, height: 80, samplesPerPixel: 4, video: false });
  const common = { dataset: sample, preset: 'cpu', samplesPerStep: 1 << 13, evalFrames: 3, gpu, checkpointSeconds: 1e9 } as const;
  const plain = await trainModel({ ...common, out: join(dir, 'plain'), steps: 240 });
  const prune = { at: 0.75, window: 0.4, minWeight: 1e-3 };
  // Stop in the visibility window (steps 84 … 179), then resume: the window's record must carry over.
  let done = 0;
  const part = await trainModel({
    ...common, out: join(dir, 'pruned'), steps: 240, configure: (p) => { p.train.prune = prune; },
    onStep: (s) => { done = s.step; }, shouldStop: () => done >= 150,
  });
  assert.equal(part.pruned, undefined, 'not pruned before step 180');
  const midway = readCheckpoint<{ visibilityRays?: number }>(part.checkpoint);
  assert.ok((midway.header.visibilityRays ?? 0) > 0, 'the checkpoint holds the visibility window');
  assert.ok(midway.tensors.has('occupancy-visibility'));
  const pruned = await trainModel({ ...common, out: join(dir, 'pruned'), steps: 240, resume: true, configure: (p) => { p.train.prune = prune; } });
  const stats = pruned.pruned;
  assert.ok(stats, 'pruned');
  assert.equal(stats.step, 181, 'pruned in the step at progress 180/240 = 0.75');
  assert.ok(stats.rays > midway.header.visibilityRays!, 'rays of both runs were recorded');
  const { header, tensors } = readCheckpoint<{ pruned?: unknown }>(pruned.checkpoint);
  assert.deepEqual(header.pruned, stats);
  const bits = occupancyBitsFromValues(tensors.get('occupancy')!, 0.01);
  assert.equal(popcount(bits), stats.after, 'the frozen grid after fine-tuning is the pruned one');
  const plainBits = occupancyBitsFromValues(readCheckpoint(plain.checkpoint).tensors.get('occupancy')!, 0.01);
  console.log(`occupied cells: ${stats.before} → ${stats.after} (no pruning: ${popcount(plainBits)}); held-out PSNR ${plain.eval.psnr.toFixed(2)} dB without, ${pruned.eval.psnr.toFixed(2)} dB with pruning`);
  // The sample's object is solid: its inside and the faint fog around it are never visible.
  assert.ok(stats.after < 0.6 * stats.before, `pruning left ${stats.after} of ${stats.before} cells`);
  // (The unpruned run's grid is not a bound: its EMA keeps shrinking for 60 more steps after step 180.)
  assert.ok(pruned.eval.psnr > plain.eval.psnr - 0.5, `held-out PSNR ${pruned.eval.psnr.toFixed(2)} dB with pruning vs ${plain.eval.psnr.toFixed(2)} dB without`);
  await gpu.check();
});

test('prune settings are validated', () => {
  const base = { ...TRAIN_PRESETS.cpu, decayAt: [...TRAIN_PRESETS.cpu.decayAt] };
  assert.throws(() => validateTrainConfig({ ...base, prune: { at: 1, window: 0.1, minWeight: 1e-3 } }), /prune\.at/);
  assert.throws(() => validateTrainConfig({ ...base, prune: { at: 0.5, window: 0.6, minWeight: 1e-3 } }), /prune\.window/);
  assert.throws(() => validateTrainConfig({ ...base, prune: { at: 0.5, window: 0.2, minWeight: 0 } }), /prune\.minWeight/);
  assert.doesNotThrow(() => validateTrainConfig({ ...base, prune: { at: 0.5, window: 0.2, minWeight: 1e-3 } }));
});
