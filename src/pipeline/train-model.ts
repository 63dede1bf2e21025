/**
 * Training as a library call: load a posed capture, train within a step and/or time budget with
 * periodic atomic checkpoints (resumable), evaluate on held-out views. Reports progress through
 * callbacks; never exits the process.
 */
import { join } from 'node:path';
import { existsSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { acquireGpu, type GpuContext } from '../gpu/device.ts';
import { loadPosedDataset } from '../data/transforms.ts';
import { getPreset, type Preset } from '../presets.ts';
import { Trainer, type StepStats, type EvalResult } from '../train/trainer.ts';

export interface TrainModelOptions {
  /** Dataset folder (transforms.json) or the json file. */
  dataset: string;
  /** Output model folder (model.ckpt, config.json, eval.json). */
  out: string;
  preset?: string;
  /** Overrides the preset's step count. */
  steps?: number;
  /** Image downscale factor K. */
  downscale?: number;
  /** Stop at this wall-clock budget (minutes of training, evaluation excluded). */
  maxMinutes?: number;
  /** Continue from out/model.ckpt. */
  resume?: boolean;
  /** Seconds between checkpoints (default 60). */
  checkpointSeconds?: number;
  /** Hold out every k-th frame (default 8; 0 = none). */
  holdoutEvery?: number;
  /** Evaluate at most this many held-out frames (default all). */
  evalFrames?: number;
  /** Samples per step override. */
  samplesPerStep?: number;
  seed?: number;
  /** Per-kernel GPU timings (timestamp queries) in the result. */
  profile?: boolean;
  /** d_f: features per grid level and vertex (default: the preset's). */
  featuresPerLevel?: number;
  /** Adjusts the preset before training (e.g. the encoder turns on binarization and the rate term). */
  configure?(preset: Preset): void;
  /** A context to reuse (tests); acquired and destroyed here otherwise. */
  gpu?: GpuContext;
  onStart?(info: { adapter: string; totalSteps: number; startStep: number; trainFrames: number; testFrames: number; width: number; height: number }): void;
  /** After each step; `elapsed` counts training seconds of this run, `wallSeconds` the wall clock since start. */
  onStep?(s: StepStats & { bitsPerParam: number; samplesPerSecond: number; elapsed: number; wallSeconds: number; totalSteps: number; startStep: number }): void;
  /** Polled each step; return true to stop early (e.g. on SIGINT) with a checkpoint. */
  shouldStop?(): boolean;
}

export interface TrainModelResult {
  adapter: string;
  steps: number;
  seconds: number;
  samplesPerSecond: number;
  stepsPerSecond: number;
  finalLoss: number;
  eval: EvalResult;
  checkpoint: string;
  /** The field stored as float32 (grid + MLPs), bytes, and the frames × pixels of the capture it models. */
  float32Bytes: number;
  video: { frames: number; width: number; height: number };
  profile?: { kernel: string; ms: number; calls: number }[];
}

export async function trainModel(o: TrainModelOptions): Promise<TrainModelResult> {
  const preset = getPreset(o.preset ?? 'cpu');
  if (o.steps !== undefined) preset.train.steps = o.steps;
  if (o.samplesPerStep !== undefined) preset.train.samplesPerStep = o.samplesPerStep;
  if (o.seed !== undefined) preset.train.seed = o.seed;
  if (o.featuresPerLevel !== undefined) {
    preset.field.grid.hash.featuresPerLevel = o.featuresPerLevel;
    if (preset.field.grid.planes) preset.field.grid.planes.featuresPerLevel = o.featuresPerLevel;
  }
  o.configure?.(preset);
  const data = await loadPosedDataset(o.dataset, { downscale: o.downscale ?? 1, holdoutEvery: o.holdoutEvery ?? 8 });
  const ctx = o.gpu ?? (await acquireGpu());
  mkdirSync(o.out, { recursive: true });
  const ckpt = join(o.out, 'model.ckpt');
  const trainer = new Trainer(ctx, data, preset.field, preset.train, { profile: o.profile });
  try {
    if (o.resume && existsSync(ckpt)) trainer.load(ckpt);
    const total = preset.train.steps;
    const { width, height } = data.intrinsics;
    o.onStart?.({ adapter: trainer.adapter, totalSteps: total, startStep: trainer.step, trainFrames: data.train.length, testFrames: data.test.length, width, height });
    writeJsonAtomic(join(o.out, 'config.json'), { preset: o.preset ?? 'cpu', field: preset.field, train: preset.train, dataset: data.source, downscale: o.downscale ?? 1 });
    const budget = (o.maxMinutes ?? Infinity) * 60;
    const startWall = performance.now();
    const secondsBefore = trainer.seconds;
    const startStep = trainer.step;
    let lastCkpt = performance.now();
    let last: StepStats | undefined;
    while (trainer.step < total && (performance.now() - startWall) / 1000 < budget && !o.shouldStop?.()) {
      const progress = Math.max(trainer.step / total, (performance.now() - startWall) / 1000 / budget);
      last = await trainer.trainStep(progress);
      const wallSeconds = (performance.now() - startWall) / 1000;
      o.onStep?.({ ...last, bitsPerParam: trainer.lastBitsPerParam, samplesPerSecond: trainer.samples / Math.max(trainer.seconds, 1e-9), elapsed: trainer.seconds - secondsBefore, wallSeconds, totalSteps: total, startStep });
      if ((performance.now() - lastCkpt) / 1000 > (o.checkpointSeconds ?? 60)) {
        await trainer.save(ckpt);
        lastCkpt = performance.now();
      }
    }
    await trainer.save(ckpt);
    const evalResult = data.test.length ? await trainer.evaluate(data.test, o.evalFrames) : { psnr: NaN, ssim: NaN, frames: 0, perFrame: [] };
    const result: TrainModelResult = {
      adapter: trainer.adapter,
      steps: trainer.step,
      seconds: trainer.seconds,
      samplesPerSecond: trainer.samples / Math.max(trainer.seconds, 1e-9),
      stepsPerSecond: trainer.step / Math.max(trainer.seconds, 1e-9),
      finalLoss: last?.loss ?? NaN,
      eval: evalResult,
      checkpoint: ckpt,
      float32Bytes: 4 * trainer.field.paramCount,
      video: { frames: data.frames.length, width, height },
      profile: trainer.profiler?.table(),
    };
    writeJsonAtomic(join(o.out, 'eval.json'), result);
    return result;
  } finally {
    trainer.destroy();
    if (!o.gpu) ctx.destroy();
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, path);
}
