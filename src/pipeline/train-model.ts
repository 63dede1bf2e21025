/**
 * Training as a library call: load a posed capture, train within a step and/or time budget with
 * periodic atomic checkpoints (resumable), evaluate on held-out views. Reports progress through
 * callbacks; never exits the process.
 */
import { join } from 'node:path';
import { existsSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { acquireGpu, type GpuContext } from '../gpu/device.ts';
import { loadPosedDataset, loadPoses } from '../data/transforms.ts';
import { getPreset, type Preset } from '../presets.ts';
import { Trainer, type StepStats, type EvalResult, type PruneStats } from '../train/trainer.ts';

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
  /** Hold out every k-th frame (default 8; 0 = none). The hold-out is taken over the loaded frames. */
  holdoutEvery?: number;
  /**
   * Train on at most this many frames (integer ≥ 1; default: no limit but the device's). With more,
   * only an evenly spaced subset of the images is loaded (see {@link planTrainFrames}), so memory
   * stays bounded whatever the capture's length; every frame keeps its pose. Always clamped to the
   * GPU's `maxTextureArrayLayers` (the training frames are one 2-D-array texture): beyond it the
   * frames are subsampled with a warning (`onWarning`) instead of failing.
   */
  maxTrainFrames?: number;
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
  /** `trainFrames` / `testFrames`: of the loaded frames; `totalFrames`: all frames of the capture (each has a pose). */
  onStart?(info: { adapter: string; totalSteps: number; startStep: number; trainFrames: number; testFrames: number; totalFrames: number; width: number; height: number }): void;
  /** Something the caller should tell the user, e.g. that frames were subsampled to fit the GPU. */
  onWarning?(message: string): void;
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
  /** Frames trained on (at most `maxTrainFrames` and the device's texture layers). */
  trainFrames: number;
  /**
   * Frames whose images were loaded (training + held out): pass it as `maxImages` to
   * `loadPosedDataset` to get the same frames again.
   */
  loadedFrames: number;
  /** The field stored as float32 (grid + MLPs), bytes, and the frames × pixels of the capture it models. */
  float32Bytes: number;
  video: { frames: number; width: number; height: number };
  /** What visibility pruning of the occupancy grid did (when the preset's `train.prune` is set). */
  pruned?: PruneStats;
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
  if (o.maxTrainFrames !== undefined && !(Number.isInteger(o.maxTrainFrames) && o.maxTrainFrames >= 1)) {
    throw new TypeError(`maxTrainFrames, when provided, must be an integer >= 1 (got ${String(o.maxTrainFrames)})`);
  }
  const downscale = o.downscale ?? 1;
  const holdoutEvery = o.holdoutEvery ?? 8;
  // Poses only (no images): checks the dataset before a GPU is acquired and counts its frames.
  const totalFrames = (await loadPoses(o.dataset, { downscale })).c2w.length;
  const ctx = o.gpu ?? (await acquireGpu());
  let trainer: Trainer | undefined;
  try {
    const plan = planTrainFrames(totalFrames, holdoutEvery, o.maxTrainFrames, ctx.device.limits.maxTextureArrayLayers);
    if (plan.limitedBy === 'device') {
      o.onWarning?.(
        `training on ${plan.train} evenly spaced of ${totalFrames} frames: this GPU holds at most ` +
          `${ctx.device.limits.maxTextureArrayLayers} training frames (maxTextureArrayLayers); every frame keeps its pose`,
      );
    }
    const data = await loadPosedDataset(o.dataset, { downscale, holdoutEvery, maxImages: plan.maxImages });
    mkdirSync(o.out, { recursive: true });
    const ckpt = join(o.out, 'model.ckpt');
    trainer = new Trainer(ctx, data, preset.field, preset.train, { profile: o.profile });
    if (o.resume && existsSync(ckpt)) trainer.load(ckpt);
    const total = preset.train.steps;
    const { width, height } = data.intrinsics;
    o.onStart?.({ adapter: trainer.adapter, totalSteps: total, startStep: trainer.step, trainFrames: data.train.length, testFrames: data.test.length, totalFrames, width, height });
    writeJsonAtomic(join(o.out, 'config.json'), { preset: o.preset ?? 'cpu', field: preset.field, train: preset.train, dataset: data.source, downscale });
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
      trainFrames: data.train.length,
      loadedFrames: data.frames.length,
      video: { frames: data.poses.length, width, height },
      ...(trainer.pruned ? { pruned: trainer.pruned } : {}),
      profile: trainer.profiler?.table(),
    };
    writeJsonAtomic(join(o.out, 'eval.json'), result);
    return result;
  } finally {
    trainer?.destroy();
    if (!o.gpu) ctx.destroy();
  }
}

/** Which frames' images {@link trainModel} loads, from {@link planTrainFrames}. */
export interface TrainFramePlan {
  /** Frames of the capture (each keeps its pose). */
  total: number;
  /** `maxImages` for `loadPosedDataset`: undefined = every image. */
  maxImages: number | undefined;
  /** Frames whose images are loaded (training + held out). */
  loaded: number;
  /** Frames trained on: the loaded ones minus the held-out ones. */
  train: number;
  /** What left frames out: the `maxTrainFrames` option, the device's texture layers, or nothing. */
  limitedBy: 'maxTrainFrames' | 'device' | undefined;
}

/**
 * How many images to load so that at most `min(maxTrainFrames, layers)` frames are trained on: the
 * most loaded frames `m ≤ total` whose training split (`m − ⌈m / holdoutEvery⌉`, the hold-out being
 * taken over the loaded frames) fits. The loaded frames are `evenlySpacedIndices(total, m)`.
 *
 * @param layers the device's `maxTextureArrayLayers` (the training frames form one array texture).
 */
export function planTrainFrames(total: number, holdoutEvery: number, maxTrainFrames: number | undefined, layers: number): TrainFramePlan {
  const trainOf = (m: number) => (holdoutEvery > 0 ? m - Math.ceil(m / holdoutEvery) : m);
  const cap = Math.min(maxTrainFrames ?? Infinity, layers);
  if (trainOf(total) <= cap) return { total, maxImages: undefined, loaded: total, train: trainOf(total), limitedBy: undefined };
  // trainOf is non-decreasing and trainOf(cap) ≤ cap < trainOf(total), so this ends below `total`.
  let m = cap;
  while (trainOf(m + 1) <= cap) m++;
  return { total, maxImages: m, loaded: m, train: trainOf(m), limitedBy: (maxTrainFrames ?? Infinity) <= layers ? 'maxTrainFrames' : 'device' };
}

export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, path);
}
