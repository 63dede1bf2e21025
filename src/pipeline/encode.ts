/**
 * `reliquary encode` as a library call (FP mode, a posed capture): train the compressed field (binarized
 * features, rate term λ, context models; Sect. 3.4), code it into one `.rlq` file, decode that file
 * again and measure the held-out quality of what a decoder will actually render.
 *
 * Stages (reported through `onStage`): train → code → verify → write. Training checkpoints live in
 * `workDir`, so an interrupted encode resumes with `resume: true`.
 */
import { prepareOutput } from './output-target.ts';
import { mkdirSync, renameSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { acquireGpu, type GpuContext } from '../gpu/device.ts';
import { bufferStats, resetBufferStats } from '../gpu/buffers.ts';
import { loadPosedDataset, loadPoses, type PosedDataset } from '../data/transforms.ts';
import { readCheckpoint } from '../train/checkpoint.ts';
import { PRUNE_PRESETS, RATE_PRESETS } from '../train/train-config.ts';
import { occupancyBitsFromValues } from '../field/occupancy/occupancy-grid.ts';
import { gridLayout } from '../field/encoding/grid-config.ts';
import { planTrainFrames, trainModel, type TrainModelOptions, type TrainModelResult } from './train-model.ts';
import { encodeFieldFile, decodeFieldFile, CODING_DEFAULTS, type FieldPayload, type CodecConfig } from '../codec/field-file.ts';
import { binarizeParams } from '../codec/grid/grid-codec.ts';
import type { Preset, PresetName } from '../presets.ts';
import { renderDecoded, type Quality } from './render-decoded.ts';
import { captureBackgroundFrames, prepareVideoCapture, type VideoCapture } from './video-capture.ts';
import { encodeBackgroundStream } from '../background/background-stream.ts';
import { encodeBackgroundMeta } from '../codec/background/background-meta.ts';
import { SectionType } from '../codec/container/sections.ts';

export interface EncodeOptions {
  /**
   * What to encode: a video file (segmented, posed with COLMAP, see video-capture.ts), or a posed
   * capture: a folder with transforms.json (or the json), images with alpha or masks.
   */
  dataset: string;
  /** Output `.rlq` path. */
  out: string;
  /** 'fp' (focus priority: only the object) or 'pc' (panorama compatible: plus the background stream; video input only). */
  mode?: 'fp' | 'pc';
  /** Video input: segmentation model (`isnet`, `isnet-small`, `onnx:PATH`) or masks made elsewhere. */
  segmentation?: { model?: string; masks?: string };
  /** Video input: known poses instead of COLMAP, COLMAP features on the object or everywhere, matching overlap. */
  poses?: { file?: string; features?: 'object' | 'all'; overlap?: number };
  /** PC mode: the background stream's codec, CRF and GOP (paper: H.264, CRF 42-50, GOP 30/60/90). */
  background?: { codec?: 'x264' | 'x265' | 'av1'; crf?: number; gop?: number };
  /** Architecture and schedule: 'cpu' (default) or 'paper'. */
  preset?: PresetName;
  /** λ of eq. 26 (default 2e-3). */
  lambda?: number;
  /**
   * ε of visibility pruning (TrainConfig.prune): before coding, occupied cells whose largest
   * compositing weight T·α over the training rays stays under ε are emptied and the field is
   * fine-tuned on the pruned grid. 0 turns pruning off. Default: the preset's (1e-3).
   */
  prune?: number;
  /** d_f: features per level and vertex, 1, 2, 4 or 8 (default 2). */
  featuresPerLevel?: number;
  /** Training budget in minutes (default: the preset's steps). */
  maxMinutes?: number;
  /** Training steps (default: the preset's). */
  steps?: number;
  /** Image downscale factor. */
  downscale?: number;
  /** Hold out every k-th frame from training to measure quality (default 8; 0 = train on all). */
  holdoutEvery?: number;
  /**
   * Train on at most this many evenly spaced frames (integer ≥ 1; default {@link VIDEO_TRAIN_FRAMES}
   * for a video, no limit for a posed capture); always clamped to the GPU's texture layers. Only
   * these frames' images are loaded, so memory stays bounded whatever the video's length; every
   * frame still gets its pose in the file and an output frame from the decoder.
   */
  maxTrainFrames?: number;
  /** Frame rate recorded in the file (default 24). */
  fps?: number;
  seed?: number;
  /** Held-out frames to render for the quality figures (default all). */
  evalFrames?: number;
  /** Training work folder (checkpoints); default `<out>.work`. */
  workDir?: string;
  /** Continue training from the work folder's checkpoint. */
  resume?: boolean;
  gpu?: GpuContext;
  /** Further adjusts the preset after the encoder's settings (tests use tiny grids). */
  configure?(preset: Preset): void;
  onStage?(stage: 'frames' | 'segment' | 'poses' | 'background' | 'train' | 'code' | 'verify' | 'write', detail: string): void;
  onStep?: TrainModelOptions['onStep'];
  shouldStop?(): boolean;
}

/**
 * Default `maxTrainFrames` for a video input. A static object is covered by a few hundred views (the
 * usual NeRF captures have 50-300: fox 67, the Blender scenes 100, mip-NeRF 360 125-311); neighbouring
 * frames of a video add almost nothing new, so more would only cost memory (each is a layer of the
 * training texture, of which WebGPU guarantees 256) and loading time. A 2-minute 30 fps video
 * (3600 frames) trains on every 18th frame.
 */
export const VIDEO_TRAIN_FRAMES = 200;

export interface EncodeResult {
  out: string;
  bytes: number;
  /** bytes·8 / (width·height·frames) of the stored video. */
  bpp: number;
  /** Frames of the stored video: every input frame has a pose and an output frame. */
  frames: number;
  /** Frames trained on (an evenly spaced subset when `maxTrainFrames` or the GPU limited them). */
  trainFrames: number;
  width: number;
  height: number;
  sections: { name: string; bytes: number }[];
  /** Per grid level: kind, level, active entries, ideal bits. */
  gridLevels: { kind: string; level: number; activeEntries: number; bits: number }[];
  /** The same architecture stored as float32 (grid + MLPs + context models), for the compression ratio. */
  float32Bytes: number;
  train: TrainModelResult;
  /**
   * Quality of the field as trained (float MLPs) and as decoded from the file, on held-out views, or
   * on every 8th (trained) view when nothing was held out (`views`).
   */
  quality: { trained: Quality; decoded: Quality; views: 'held-out' | 'training' };
  /**
   * Wall-clock seconds per stage. The video front end's stages (`frames`, `segment`, `poses`) and
   * `background` are present for a video input; a front-end stage reused from the work folder
   * reports the time of the run that made it and is listed in `cachedStages`.
   */
  seconds: { train: number; code: number; verify: number; frames?: number; segment?: number; poses?: number; background?: number };
  cachedStages: string[];
  peakRssMiB: number;
  largestGpuBuffer: { bytes: number; label: string };
}

export async function encodeDataset(o: EncodeOptions): Promise<EncodeResult> {
  const mode = o.mode ?? 'fp';
  if (mode !== 'fp' && mode !== 'pc') throw new TypeError(`--mode must be fp or pc (got ${String(mode)})`);
  const isVideo = existsSync(o.dataset) && statSync(o.dataset).isFile() && !o.dataset.toLowerCase().endsWith('.json');
  if (mode === 'pc' && !isVideo) throw new TypeError('--mode pc needs a video input (it stores the video\'s background); a posed capture can be encoded with --mode fp');
  const df = o.featuresPerLevel ?? 2;
  if (![1, 2, 4, 8].includes(df)) throw new TypeError(`--df must be 1, 2, 4 or 8 (got ${df})`);
  const lambda = o.lambda ?? 2e-3;
  if (!(lambda >= 0 && Number.isFinite(lambda))) throw new TypeError(`--lambda must be a number ≥ 0 (got ${lambda})`);
  const presetName = o.preset ?? 'cpu';
  const prune = o.prune ?? PRUNE_PRESETS[presetName].minWeight;
  if (!(prune >= 0 && prune < 1)) throw new TypeError(`--prune must be a number in [0, 1) (got ${prune}); 0 turns pruning off`);
  if (o.maxTrainFrames !== undefined && !(Number.isInteger(o.maxTrainFrames) && o.maxTrainFrames >= 1)) {
    throw new TypeError(`--train-frames (maxTrainFrames) must be an integer ≥ 1 (got ${String(o.maxTrainFrames)})`);
  }
  const maxTrainFrames = o.maxTrainFrames ?? (isVideo ? VIDEO_TRAIN_FRAMES : undefined);
  const workDir = o.workDir ?? `${o.out}.work`;
  prepareOutput(o.out, 'file', 'the encoded file');
  prepareOutput(workDir, 'folder', 'the work folder');
  let capture: VideoCapture | undefined;
  let tBackground: number | undefined;
  let dataset = o.dataset;
  const extra: { type: number; payload: Uint8Array; name: string }[] = [];
  if (isVideo) {
    capture = await prepareVideoCapture({
      video: o.dataset, workDir: join(workDir, 'capture'), model: o.segmentation?.model, masks: o.segmentation?.masks,
      poses: o.poses?.file, poseFeatures: o.poses?.features, poseOverlap: o.poses?.overlap, onStage: (s, d) => o.onStage?.(s, d),
    });
    dataset = capture.dataset;
    if (mode === 'pc') {
      const cap = capture;
      tBackground = performance.now();
      o.onStage?.('background', `${o.background?.codec ?? 'x264'}, CRF ${o.background?.crf ?? 45}, GOP ${o.background?.gop ?? 60}`);
      const bg = await encodeBackgroundStream(() => captureBackgroundFrames(cap), {
        width: cap.width, height: cap.height, fps: cap.fps, codec: o.background?.codec, crf: o.background?.crf, gop: o.background?.gop,
      });
      extra.push({ type: SectionType.BACKGROUND_VIDEO, payload: bg.video, name: 'BACKGROUND_VIDEO' });
      extra.push({ type: SectionType.BACKGROUND_META, payload: encodeBackgroundMeta(bg.meta), name: 'BACKGROUND_META' });
      tBackground = (performance.now() - tBackground) / 1000;
    }
  }
  const holdoutEvery = o.holdoutEvery ?? (isVideo ? 0 : 8);
  const ctx = o.gpu ?? (await acquireGpu());
  resetBufferStats();
  try {
    const t0 = performance.now();
    // The plan trainModel will follow, to say up front when only some frames are trained on.
    const layers = ctx.device.limits.maxTextureArrayLayers;
    const plan = planTrainFrames((await loadPoses(dataset, { downscale: o.downscale ?? 1 })).c2w.length, holdoutEvery, maxTrainFrames, layers);
    const subset = plan.limitedBy === undefined ? ''
      : `; training on ${plan.train} evenly spaced of ${plan.total} frames (${plan.limitedBy === 'device' ? `this GPU holds at most ${layers}` : '--train-frames'}), every frame keeps its pose`;
    o.onStage?.('train', `λ = ${lambda}, d_f = ${df}, preset ${presetName}${subset}`);
    const train = await trainModel({
      dataset, out: workDir, preset: presetName, steps: o.steps, downscale: o.downscale, maxMinutes: o.maxMinutes,
      resume: o.resume, holdoutEvery, maxTrainFrames, evalFrames: o.evalFrames, seed: o.seed, gpu: ctx,
      onStep: o.onStep, shouldStop: o.shouldStop,
      configure(p) {
        p.field.grid.binarize = true;
        p.field.grid.hash.featuresPerLevel = df;
        if (p.field.grid.planes) p.field.grid.planes.featuresPerLevel = df;
        p.train.rate = { ...RATE_PRESETS[presetName], lambda };
        if (prune > 0) p.train.prune = { ...PRUNE_PRESETS[presetName], minWeight: prune };
        o.configure?.(p);
      },
    });
    const tTrain = (performance.now() - t0) / 1000;

    o.onStage?.('code', 'arithmetic coding of the grid, quantizing the MLPs');
    const t1 = performance.now();
    const { header, tensors } = readCheckpoint<{ field: FieldPayload['config']['field']; dataset: { worldToUnit: CodecConfig['worldToUnit'] } }>(train.checkpoint);
    // The same frames as training (the subset is deterministic): every pose, the loaded frames' images.
    const data = await loadPosedDataset(dataset, { downscale: o.downscale ?? 1, holdoutEvery, maxImages: train.loadedFrames });
    const need = (name: string) => {
      const t = tensors.get(name);
      if (!t) throw new Error(`${train.checkpoint} has no tensor ${name}; delete ${workDir} and encode again`);
      return t;
    };
    const field = header.field;
    const layout = gridLayout(field.grid.hash, field.grid.planes);
    const occBits = occupancyBitsFromValues(need('occupancy'), field.occupancy.threshold);
    const config: CodecConfig = {
      format: 'reliquary-field', version: 1, field, coding: { ...CODING_DEFAULTS },
      // The stored video is the source's: its size (training may run downscaled) and frame rate.
      video: capture
        ? { frames: data.poses.length, width: capture.width, height: capture.height, fps: o.fps ?? capture.fps }
        : { frames: data.poses.length, width: data.intrinsics.width, height: data.intrinsics.height, fps: o.fps ?? 24 },
      worldToUnit: data.worldToUnit,
    };
    const payload: FieldPayload = {
      config, intrinsics: data.intrinsics, c2w: data.poses.map((f) => f.c2w),
      occupancy: { resolution: field.occupancy.resolution, bits: occBits },
      theta: need('grid'), density: need('density-mlp'), color: need('color-mlp'),
      context: { level: need('context-level'), dim: layout.planes.levels > 0 ? need('context-dim') : null },
    };
    const encoded = encodeFieldFile(payload, { mode, extra: extra.map(({ type, payload: p }) => ({ type, payload: p })) });
    for (const e of extra) encoded.sections.push({ name: e.name, bytes: e.payload.length });
    const tCode = (performance.now() - t1) / 1000;

    o.onStage?.('verify', `decoding the file and rendering ${holdoutEvery > 0 ? 'the held-out' : 'every 8th'} view`);
    const t2 = performance.now();
    const decoded = decodeFieldFile(encoded.bytes);
    const expected = binarizeParams(payload.theta, layout, occBits, field.occupancy.resolution);
    for (let i = 0; i < expected.length; i++) {
      if (decoded.theta[i] !== expected[i]) throw new Error(`internal error: grid parameter ${i} did not survive coding (${expected[i]} → ${decoded.theta[i]}); please report this`);
    }
    const decodedQuality = await evaluateDecoded(ctx, decoded, data, o.evalFrames);
    const tVerify = (performance.now() - t2) / 1000;

    o.onStage?.('write', o.out);
    writeAtomic(o.out, encoded.bytes);
    const { width, height } = config.video;
    const float32Bytes = 4 * (layout.paramCount + payload.density.length + payload.color.length + payload.context.level.length + (payload.context.dim?.length ?? 0));
    return {
      out: o.out, bytes: encoded.bytes.length, bpp: (encoded.bytes.length * 8) / (width * height * data.poses.length),
      frames: data.poses.length, trainFrames: train.trainFrames, width, height, sections: encoded.sections,
      gridLevels: encoded.gridLevels.map((l) => ({ kind: l.kind, level: l.level, activeEntries: l.activeEntries, bits: l.bits })),
      float32Bytes, train,
      quality: { trained: { psnr: train.eval.psnr, ssim: train.eval.ssim, frames: train.eval.frames }, decoded: decodedQuality, views: data.test.length ? 'held-out' : 'training' },
      seconds: {
        ...(capture ? { frames: capture.stageSeconds.frames.seconds, segment: capture.stageSeconds.segment.seconds, poses: capture.stageSeconds.poses.seconds } : {}),
        ...(tBackground !== undefined ? { background: tBackground } : {}),
        train: tTrain, code: tCode, verify: tVerify,
      },
      cachedStages: capture ? Object.entries(capture.stageSeconds).filter(([, v]) => v.cached).map(([k]) => k) : [],
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      largestGpuBuffer: { bytes: bufferStats.largestBytes, label: bufferStats.largestLabel },
    };
  } finally {
    if (!o.gpu) ctx.destroy();
  }
}

/**
 * Renders the decoded field at the held-out poses (over black) and compares with the dataset; with no
 * held-out frames (a video is trained on all its loaded frames), at every 8th loaded frame, which were
 * trained on. Only loaded frames have an image: the views are indices into `data.frames`, rendered at
 * their position among all the stored poses (`Frame.index`).
 */
async function evaluateDecoded(ctx: GpuContext, decoded: FieldPayload, data: PosedDataset, limit = Infinity): Promise<Quality> {
  const views = data.test.length ? data.test : data.frames.map((_, j) => j).filter((j) => j % 8 === 0);
  const frames = views.slice(0, limit).map((j) => data.frames[j]!);
  if (frames.length === 0) return { psnr: NaN, ssim: NaN, frames: 0 };
  const targets = new Map(frames.map((f) => [f.index, f.rgba]));
  return renderDecoded(ctx, decoded, {
    indices: frames.map((f) => f.index), intrinsics: data.intrinsics, background: [0, 0, 0],
    targets: (i) => targets.get(i),
  });
}

function writeAtomic(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.${Date.now()}-${process.pid}.rlq.tmp`);
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
  if (!existsSync(path)) throw new Error(`could not write ${path}`);
}
