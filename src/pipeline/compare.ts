/**
 * `reliquary compare` as a library call: the quality of a decoded frame sequence against its
 * reference, frame by frame, streaming (one frame of each input, and one mask, in memory at a time).
 *
 * Inputs. REF and DECODED are each a video file ffmpeg reads (decoded to RGB24 by
 * `readVideoFrames`) or a folder of PNG/JPEG frames (`.png`, `.jpg`, `.jpeg`, any case) read one
 * file at a time with sharp, in name order with numbers compared by value (`f2` before `f10`, as
 * for transforms.json frames). Image frames are converted to 8-bit sRGB; an alpha channel is
 * composited onto black (the decoder's default background); EXIF orientation is not applied.
 * Both inputs must have the same size and the same number of frames: nothing is resized, because
 * resampling changes every metric.
 *
 * Masks (optional, for PSNR-CENTER) come from one of two places ({@link CompareOptions.masks}):
 * - a folder of images, one per frame, same name order, white = object: alpha dropped, converted to
 *   grey, resized nearest-neighbour to the frame size when needed, binarised at ≥ 128;
 * - `{ auto: {...} }`: the REF frames themselves are segmented with a model of the segmentation
 *   registry (`src/segment/segmenter.ts` `segmentFrames`: soft alpha, temporal median, threshold,
 *   largest component, holes filled; `'isnet'` by default, see `src/segment/models.ts`). The model is
 *   loaded before the first frame, so a missing weights package fails at once with its
 *   `SegmentationError`; REF frames go through the segmenter, which hands each back with its mask r
 *   frames later (r the temporal radius), and DECODED is read in step with its output, so at most
 *   r + 1 REF frames are held. Like `reliquary encode`, it throws a `NoObjectError` when most REF
 *   frames show no object (`auto.maxEmptyFraction` relaxes that).
 * The result records where the masks came from (`maskSource`).
 *
 * Metrics per frame (RGB, 8-bit):
 * - PSNR = 10·log10(255² / MSE), MSE over all R, G, B samples (src/metrics/psnr.ts); ∞ when equal;
 * - SSIM on Rec.601 luma, Wang's reference definition (src/metrics/ssim.ts);
 * - MS-SSIM on the same luma (src/metrics/ms-ssim.ts): 5 scales from 176 px on the short side;
 *   smaller frames use M = 1 + ⌊log2(min(W, H)/11)⌋ scales with renormalised exponents
 *   (reported as `msssimScales`);
 * - PSNR-CENTER (Zhang & Chen 2025): PSNR over the mask's object pixels only
 *   (src/metrics/masked-psnr.ts); frames whose mask is empty have none (NaN) and are left out of
 *   its mean and min;
 * - LPIPS (only with {@link CompareOptions.lpips}, a user-supplied ONNX export; src/metrics/lpips.ts):
 *   LPIPS(REF, DECODED) per frame, at the model's fixed input size, else `lpipsSize`, else the frame
 *   size; summarised by its mean and its worst (largest) frame, as lower is better.
 * Summaries are the arithmetic mean over frames (the convention of NeRF papers, not the PSNR of
 * the mean MSE) and the minimum (the worst frame). One identical frame makes the PSNR mean ∞.
 * `bpp = bytes·8 / (W·H·frames)` of the file given as `bytesFile` (the .rlq, or a coded video).
 *
 * JSON. The result serialises with `JSON.stringify`, which writes ∞ and NaN as `null`: a `null`
 * PSNR with `mse: 0` means identical, a `null` PSNR-CENTER with `maskPixels: 0` an empty mask, and
 * `psnrCenter: null` at the top level means no masks were given.
 *
 * No LPIPS weights ship with Reliquary (none can be installed offline): without `lpips` it is null.
 *
 * Errors: missing / unreadable / inconsistent inputs are `DatasetError`s saying which input and
 * what to do (an unusable LPIPS model is its subclass `LpipsModelError`); ffmpeg failures are
 * `FfmpegError`s; segmentation failures of `auto` masks are `SegmentationError`s; option mistakes
 * are `TypeError`s.
 */

import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type OutputInfo } from 'sharp';
import { DatasetError } from '../data/dataset-error.ts';
import { probeVideo, readVideoFrames } from '../video/ffmpeg.ts';
import { mse as mseOf } from '../metrics/psnr.ts';
import { ssim, SSIM_MIN_SIZE } from '../metrics/ssim.ts';
import { msssim, msssimScales } from '../metrics/ms-ssim.ts';
import { maskedError, MASK_THRESHOLD } from '../metrics/masked-psnr.ts';
import { loadLpipsModel, type LpipsModel } from '../metrics/lpips.ts';
import { loadSegmentationModel, parseModelRef, type LoadedModel } from '../segment/models.ts';
import { segmentFrames, type RgbFrame, type SegmentFramesOptions, type SegmentedFrame } from '../segment/segmenter.ts';
import { resolveTemporalOptions } from '../segment/temporal.ts';
import { resolvePostprocessOptions } from '../segment/postprocess.ts';

/**
 * How `{ auto: ... }` masks are made from the REF frames: the segmentation options of
 * `segmentFrames` (src/segment/segmenter.ts) that apply here; every field optional.
 */
export interface AutoMaskOptions {
  /**
   * The model: a reference (`'isnet'`, `'isnet-small'`, `'onnx:PATH'`, see src/segment/models.ts) or a
   * loaded model (kept open). Default `'isnet'`.
   */
  model?: string | LoadedModel;
  /** Options for loading {@link model} when it is a reference (input size, normalization, sha256, threads). */
  modelOptions?: SegmentFramesOptions['modelOptions'];
  /** Temporal median over neighbouring REF frames; default radius 1. */
  temporal?: SegmentFramesOptions['temporal'];
  /** Threshold, largest component, hole filling of each mask. */
  postprocess?: SegmentFramesOptions['postprocess'];
  /** A mask covering less than this fraction of its frame (in [0, 1)) is empty; default 0.001. */
  minObjectFraction?: number;
  /** Largest fraction of empty masks (in [0, 1]) before a `NoObjectError`; default 0.5 (1 never fails). */
  maxEmptyFraction?: number;
  /** Frames after which the empty fraction is checked once, to fail early (integer ≥ 0, 0 = off); default 8. */
  probeFrames?: number;
}

/** Options of {@link compareSequences}. */
export interface CompareOptions {
  /** The reference: a video file ffmpeg reads, or a folder of PNG/JPEG frames. */
  ref: string;
  /** The sequence to judge (e.g. `reliquary decode` output): a video file or a folder of frames. */
  decoded: string;
  /**
   * Object masks; enable PSNR-CENTER. A folder of mask images, one per frame (white = object), or
   * `{ auto: {} }` to segment the REF frames with a model (see {@link AutoMaskOptions}; the CLI's
   * `--mask auto --mask-model REF`). A folder literally named `auto` is still a folder here.
   */
  masks?: string | { auto: AutoMaskOptions };
  /** A file whose size gives bpp, usually the .rlq (or the coded video); bpp is null without it. */
  bytesFile?: string;
  /** Mask values ≥ this are object pixels (1…255); default 128. Applies to folder masks (auto masks are already 0 or 255). */
  maskThreshold?: number;
  /**
   * LPIPS with a user-supplied ONNX model (see src/metrics/lpips.ts for what it must look like): its
   * path, or a loaded model (kept open). Default: no LPIPS (`lpips: null` in the result).
   */
  lpips?: string | LpipsModel;
  /**
   * Side in px of the square both frames are resized to before the LPIPS model (integer ≥ 1); only
   * with `lpips` given as a path, and only for models whose input size is not fixed (a fixed size is
   * used automatically). Default: the frame size.
   */
  lpipsSize?: number;
  /** Called after each frame with the frames done, the expected total when known, and its values. */
  onFrame?: (done: number, total: number | undefined, frame: CompareFrame) => void;
  /** The ffmpeg program, default `'ffmpeg'`. */
  ffmpegPath?: string;
  /** The ffprobe program, default `'ffprobe'`. */
  ffprobePath?: string;
}

/** The metrics of one frame. */
export interface CompareFrame {
  /** 0-based frame index. */
  index: number;
  /** MSE over the R, G, B samples, 0..255² units. */
  mse: number;
  /** PSNR in dB; Infinity when the frames are identical. */
  psnr: number;
  /** SSIM of the luma. */
  ssim: number;
  /** MS-SSIM of the luma. */
  msssim: number;
  /** PSNR-CENTER in dB (Infinity when equal on the object, NaN for an empty mask); null without masks. */
  psnrCenter: number | null;
  /** MSE over the object pixels; NaN for an empty mask; null without masks. */
  mseCenter: number | null;
  /** Object pixels of this frame's mask; null without masks. */
  maskPixels: number | null;
  /** LPIPS(REF, DECODED) of this frame (lower is better); null without `lpips`. */
  lpips: number | null;
}

/** The LPIPS summary of {@link CompareResult}. */
export interface LpipsSummary {
  /** Arithmetic mean over the frames. */
  mean: number;
  /** The worst (largest) frame value: lower LPIPS is better. */
  max: number;
  /** Absolute path of the ONNX model. */
  model: string;
  /** sha256 of the model file, lower-case hex. */
  sha256: string;
  /** The size the frames were fed to the model at. */
  inputWidth: number;
  inputHeight: number;
}

/** Mean and minimum of one metric over frames. */
export interface MetricSummary {
  /** Arithmetic mean over the frames that have the metric (NaN when none). */
  mean: number;
  /** The worst (smallest) frame value (NaN when none). */
  min: number;
}

/** One input as found on disk. */
export interface SourceInfo {
  /** The path as given. */
  path: string;
  /** `'video'` (read by ffmpeg) or `'images'` (a folder of PNG/JPEG frames). */
  kind: 'video' | 'images';
  /** Frame width, pixels. */
  width: number;
  /** Frame height, pixels. */
  height: number;
}

/** What {@link compareSequences} measured. */
export interface CompareResult {
  ref: SourceInfo;
  decoded: SourceInfo;
  /** Frame width, pixels (both inputs). */
  width: number;
  /** Frame height, pixels (both inputs). */
  height: number;
  /** Frames compared (both inputs). */
  frames: number;
  psnr: MetricSummary;
  ssim: MetricSummary;
  msssim: MetricSummary;
  /** Scales used by MS-SSIM: 5, or fewer for frames under 176 px on the short side. */
  msssimScales: number;
  /** PSNR-CENTER over the frames with a non-empty mask; null without masks. */
  psnrCenter: MetricSummary | null;
  /** The mask folder, or null (also for `auto` masks). */
  masks: string | null;
  /** Where the masks came from: `'dir:PATH'`, `'auto:MODEL'` (e.g. `'auto:isnet'`), or null without masks. */
  maskSource: string | null;
  /** Frames whose mask selects at least one pixel (those in the PSNR-CENTER summary); null without masks. */
  maskedFrames: number | null;
  /** Size of `bytesFile` in bytes, or null. */
  bytes: number | null;
  /** bytes·8 / (width·height·frames), or null without `bytesFile`. */
  bpp: number | null;
  /** LPIPS over the frames, with the model used; null without `lpips`. */
  lpips: LpipsSummary | null;
  /** Every frame's values, in order. */
  perFrame: CompareFrame[];
  /** Wall time of the comparison, seconds. */
  seconds: number;
}

/** Extensions of frame and mask files in a folder (compared lower-cased). */
export const FRAME_EXTENSIONS: readonly string[] = Object.freeze(['.png', '.jpg', '.jpeg']);

const collator = new Intl.Collator('en', { numeric: true });

/** An opened input: its size, its frame count when exact, and a frame reader. */
interface Source {
  info: SourceInfo;
  /** How it is named in messages, e.g. `REF (clip.mp4)`. */
  label: string;
  /** Exact frame count (image folders only; a container's count is not trusted). */
  count?: number;
  /** A container's stated frame count (videos), for progress only. */
  statedCount?: number;
  /** RGB24 frames, `width·height·3` bytes each. */
  read(): AsyncGenerator<Uint8Array>;
}

async function statOrThrow(p: string, role: string): Promise<Stats> {
  try {
    return await stat(p);
  } catch (e) {
    throw new DatasetError(`${role} not found: ${p} (pass a video file or a folder of PNG/JPEG frames)`, { path: p, cause: e });
  }
}

/** The PNG/JPEG files of a folder in name order (numbers by value). */
async function listImages(dir: string, role: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new DatasetError(`cannot list ${role} folder ${dir}: ${(e as Error).message}`, { path: dir, cause: e });
  }
  const files = names.filter((n) => FRAME_EXTENSIONS.includes(path.extname(n).toLowerCase())).sort((a, b) => collator.compare(a, b));
  if (files.length === 0) {
    throw new DatasetError(`${role} folder ${dir} holds no PNG/JPEG files (${FRAME_EXTENSIONS.join(', ')})`, { path: dir });
  }
  return files.map((n) => path.join(dir, n));
}

async function imageSize(file: string, what: string): Promise<{ width: number; height: number }> {
  try {
    const m = await sharp(file).metadata();
    if (!m.width || !m.height) throw new Error('no size in header');
    return { width: m.width, height: m.height };
  } catch (e) {
    throw new DatasetError(`cannot read ${what} ${file}: ${(e as Error).message}`, { path: file, cause: e });
  }
}

/** Decodes an image frame to RGB24 (alpha composited onto black), checking its size. */
async function decodeFrame(file: string, width: number, height: number, label: string, first: string): Promise<Uint8Array> {
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await sharp(file)
      .flatten({ background: { r: 0, g: 0, b: 0 } })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new DatasetError(`cannot decode ${label} frame ${file}: ${(e as Error).message}`, { path: file, cause: e });
  }
  const { data, info } = out;
  if (info.width !== width || info.height !== height) {
    throw new DatasetError(
      `${label}: frame ${file} is ${info.width}x${info.height} but the first frame (${first}) is ${width}x${height}; ` +
        'all frames of a sequence must have one size',
      { path: file },
    );
  }
  if (info.channels !== 3 || data.byteLength !== width * height * 3) {
    throw new DatasetError(`unexpected decode of ${label} frame ${file}: ${info.channels} channels in ${data.byteLength} bytes`, { path: file });
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Decodes a mask to one byte per pixel at `width`x`height` (nearest-neighbour when resized). */
async function decodeMaskFile(file: string, width: number, height: number): Promise<Uint8Array> {
  let out: { data: Buffer; info: OutputInfo };
  try {
    const img = sharp(file);
    const m = await img.metadata();
    let p = img.removeAlpha();
    if (m.width !== width || m.height !== height) p = p.resize(width, height, { kernel: 'nearest', fit: 'fill' });
    out = await p.toColourspace('b-w').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new DatasetError(`cannot decode mask ${file}: ${(e as Error).message}`, { path: file, cause: e });
  }
  const { data, info } = out;
  if (info.channels !== 1 || data.byteLength !== width * height) {
    throw new DatasetError(`unexpected decode of mask ${file}: ${info.channels} channels in ${data.byteLength} bytes`, { path: file });
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

async function openSource(p: string, role: 'REF' | 'DECODED', o: CompareOptions): Promise<Source> {
  const st = await statOrThrow(p, role);
  const label = `${role} (${p})`;
  if (st.isDirectory()) {
    const files = await listImages(p, role);
    const first = files[0]!;
    const { width, height } = await imageSize(first, `${role} frame`);
    return {
      info: { path: p, kind: 'images', width, height },
      label,
      count: files.length,
      async *read() {
        for (const f of files) yield await decodeFrame(f, width, height, label, first);
      },
    };
  }
  const v = await probeVideo(p, { ffprobePath: o.ffprobePath });
  return {
    info: { path: p, kind: 'video', width: v.width, height: v.height },
    label,
    statedCount: v.frameCount,
    read: () => readVideoFrames(p, { width: v.width, height: v.height, ffmpegPath: o.ffmpegPath, ffprobePath: o.ffprobePath }),
  };
}

function summarize(values: number[]): MetricSummary {
  let sum = 0;
  let min = Infinity;
  let n = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    sum += v;
    if (v < min) min = v;
    n++;
  }
  return n === 0 ? { mean: NaN, min: NaN } : { mean: sum / n, min };
}

/** RGB24 → opaque RGBA (the layout the SSIM wrappers read without another copy). */
function rgbToRgba(src: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 4);
  for (let p = 0, i = 0, o = 0; p < pixels; p++, i += 3, o += 4) {
    out[o] = src[i];
    out[o + 1] = src[i + 1];
    out[o + 2] = src[i + 2];
    out[o + 3] = 255;
  }
  return out;
}

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Where the masks come from, after validation. */
type MaskPlan = { kind: 'none' } | { kind: 'dir'; dir: string } | { kind: 'auto'; auto: AutoMaskOptions };

/** Validates {@link CompareOptions.masks}, throwing a `TypeError` naming the first bad field. */
function checkMasks(m: CompareOptions['masks']): MaskPlan {
  if (m === undefined) return { kind: 'none' };
  const shape = "a non-empty folder path or { auto: { model?, modelOptions?, ... } } (e.g. { auto: { model: 'isnet' } })";
  if (typeof m === 'string') {
    if (m.length === 0) throw new TypeError(`options.masks, when provided, must be ${shape}`);
    return { kind: 'dir', dir: m };
  }
  const auto = typeof m === 'object' && m !== null ? (m as { auto?: unknown }).auto : undefined;
  if (typeof auto !== 'object' || auto === null) throw new TypeError(`options.masks, when provided, must be ${shape} (got ${describe(m)})`);
  const a = auto as AutoMaskOptions;
  const p = 'options.masks.auto.';
  if (typeof a.model === 'string') {
    try {
      parseModelRef(a.model);
    } catch (e) {
      throw e instanceof TypeError ? new TypeError(`${p}${e.message}`) : e;
    }
  } else if (a.model !== undefined && (typeof a.model !== 'object' || a.model === null || !a.model.session)) {
    throw new TypeError(`${p}model, when provided, must be a model reference ('isnet', 'isnet-small', 'onnx:PATH') or a LoadedModel`);
  }
  if (a.modelOptions !== undefined && (typeof a.modelOptions !== 'object' || a.modelOptions === null)) {
    throw new TypeError(`${p}modelOptions, when provided, must be an object (got ${describe(a.modelOptions)})`);
  }
  resolveTemporalOptions(a.temporal ?? {}, `${p}temporal.`);
  resolvePostprocessOptions(a.postprocess ?? {}, `${p}postprocess.`);
  const mo = a.minObjectFraction;
  if (mo !== undefined && (typeof mo !== 'number' || !(mo >= 0 && mo < 1))) {
    throw new TypeError(`${p}minObjectFraction, when provided, must be a number in [0, 1) (got ${describe(mo)})`);
  }
  const me = a.maxEmptyFraction;
  if (me !== undefined && (typeof me !== 'number' || !(me >= 0 && me <= 1))) {
    throw new TypeError(`${p}maxEmptyFraction, when provided, must be a number in [0, 1] (got ${describe(me)})`);
  }
  const pf = a.probeFrames;
  if (pf !== undefined && (!Number.isInteger(pf) || pf < 0)) {
    throw new TypeError(`${p}probeFrames, when provided, must be an integer ≥ 0 (got ${describe(pf)})`);
  }
  return { kind: 'auto', auto: a };
}

/** Validates {@link CompareOptions.lpips} and {@link CompareOptions.lpipsSize}. */
function checkLpips(o: CompareOptions): void {
  const l = o.lpips;
  if (l !== undefined && !(typeof l === 'string' && l.length > 0) && !(typeof l === 'object' && l !== null && typeof l.distance === 'function')) {
    throw new TypeError(`options.lpips, when provided, must be the path of an ONNX LPIPS model or a loaded LpipsModel (got ${describe(l)})`);
  }
  const s = o.lpipsSize;
  if (s === undefined) return;
  if (!Number.isInteger(s) || s < 1 || s > 8192) throw new TypeError(`options.lpipsSize, when provided, must be an integer in [1, 8192] (got ${describe(s)})`);
  if (typeof l !== 'string') {
    throw new TypeError('options.lpipsSize must be used with options.lpips given as a path (a loaded LpipsModel carries its own size)');
  }
}

/** One step of the REF side: the frame and, when masks are used, its mask. */
type RefStep = { done: true } | { done: false; rgb: Uint8Array; mask: Uint8Array | undefined };

/**
 * Compares DECODED with REF frame by frame (see the module doc for inputs, metrics and rules).
 *
 * @throws TypeError for bad options.
 * @throws DatasetError when an input or the mask folder is missing or unreadable, or when the
 *   sizes or frame counts differ (naming both values and what to do); its subclass
 *   `LpipsModelError` when the LPIPS model is missing or does not fit.
 * @throws SegmentationError when `auto` masks cannot be made: the model's weights are not installed
 *   (the message says what to install), the model fails, or (`NoObjectError`) most REF frames show
 *   no object.
 * @throws FfmpegError when ffmpeg/ffprobe is missing or cannot read a video.
 */
export async function compareSequences(o: CompareOptions): Promise<CompareResult> {
  if (typeof o !== 'object' || o === null) throw new TypeError('options must be an object');
  for (const k of ['ref', 'decoded'] as const) {
    if (typeof o[k] !== 'string' || o[k].length === 0) throw new TypeError(`options.${k} must be a non-empty path`);
  }
  if (o.bytesFile !== undefined && (typeof o.bytesFile !== 'string' || o.bytesFile.length === 0)) {
    throw new TypeError('options.bytesFile, when provided, must be a non-empty path');
  }
  const plan = checkMasks(o.masks);
  checkLpips(o);
  const threshold = o.maskThreshold ?? MASK_THRESHOLD;
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > 255) {
    throw new TypeError(`options.maskThreshold, when provided, must be an integer in [1, 255] (got ${String(o.maskThreshold)})`);
  }
  const t0 = performance.now();

  // Everything that can fail cheaply fails before the first frame is decoded.
  let bytes: number | null = null;
  if (o.bytesFile !== undefined) {
    let st;
    try {
      st = await stat(o.bytesFile);
    } catch (e) {
      throw new DatasetError(`--bytes file not found: ${o.bytesFile} (pass the compressed file, e.g. the .rlq)`, { path: o.bytesFile, cause: e });
    }
    if (!st.isFile()) throw new DatasetError(`--bytes must name a file, not a folder: ${o.bytesFile}`, { path: o.bytesFile });
    bytes = st.size;
  }
  const ref = await openSource(o.ref, 'REF', o);
  const dec = await openSource(o.decoded, 'DECODED', o);
  const { width, height } = ref.info;
  if (dec.info.width !== width || dec.info.height !== height) {
    throw new DatasetError(
      `frame sizes differ: ${ref.label} is ${width}x${height} but ${dec.label} is ${dec.info.width}x${dec.info.height}. ` +
        `Both must have the same size; a DECODED at another size can be compared only after resizing it to ${width}x${height} ` +
        `(e.g. \`reliquary decode FILE.rlq --size ${width}x${height}\`, or \`ffmpeg -i DECODED -vf scale=${width}:${height} -crf 0 resized.mp4\`), ` +
        'keeping in mind that resampling itself lowers the scores',
      { path: o.decoded },
    );
  }
  if (width < SSIM_MIN_SIZE || height < SSIM_MIN_SIZE) {
    throw new DatasetError(`frames are ${width}x${height}; SSIM and MS-SSIM need at least ${SSIM_MIN_SIZE}x${SSIM_MIN_SIZE} px`, { path: o.ref });
  }
  const countError = (shortLabel: string, n: number, longLabel: string, longCount: number | undefined): DatasetError =>
    new DatasetError(
      `frame counts differ: ${shortLabel} has ${n} frames but ${longLabel} has ${longCount ?? `more (at least ${n + 1})`}. ` +
        'Both sequences must hold the same frames; trim the longer one (e.g. `ffmpeg -i IN -frames:v N out.mp4`, or `reliquary decode --frames N`)',
    );
  if (ref.count !== undefined && dec.count !== undefined && ref.count !== dec.count) {
    throw ref.count < dec.count ? countError(ref.label, ref.count, dec.label, dec.count) : countError(dec.label, dec.count, ref.label, ref.count);
  }
  let maskFiles: string[] | null = null;
  if (plan.kind === 'dir') {
    const st = await statOrThrow(plan.dir, 'mask folder');
    if (!st.isDirectory()) throw new DatasetError(`--mask must be a folder of mask images, one per frame: ${plan.dir}`, { path: plan.dir });
    maskFiles = await listImages(plan.dir, 'mask');
    const exact = ref.count ?? dec.count;
    if (exact !== undefined && exact !== maskFiles.length) {
      throw new DatasetError(
        `the mask folder ${plan.dir} holds ${maskFiles.length} masks but the sequences have ${exact} frames; give exactly one mask per frame`,
        { path: plan.dir },
      );
    }
  }
  const total = ref.count ?? dec.count ?? ref.statedCount ?? dec.statedCount;
  const scales = msssimScales(width, height);
  const pixels = width * height;

  const perFrame: CompareFrame[] = [];
  const refIt = ref.read();
  const decIt = dec.read();
  let segIt: AsyncGenerator<SegmentedFrame> | undefined;
  let maskModel: LoadedModel | undefined;
  let releaseMaskModel = false;
  let lpips: LpipsModel | undefined;
  let releaseLpips = false;
  let maskSource: string | null = plan.kind === 'dir' ? `dir:${plan.dir}` : null;
  try {
    // The models load before the first frame: a missing weights package or a bad model fails at once.
    if (plan.kind === 'auto') {
      const m = plan.auto.model ?? 'isnet';
      if (typeof m === 'string') {
        maskModel = await loadSegmentationModel(m, plan.auto.modelOptions ?? {});
        releaseMaskModel = true;
      } else {
        maskModel = m;
      }
      maskSource = `auto:${maskModel.ref}`;
    }
    if (typeof o.lpips === 'string') {
      lpips = await loadLpipsModel(o.lpips, { size: o.lpipsSize });
      releaseLpips = true;
    } else {
      lpips = o.lpips;
    }

    // The REF side of one step: REF frame i (and mask i from the folder), or, for auto masks, the
    // segmenter's next output, which hands REF frame i back with its mask r frames after it was fed.
    let nextRef: (i: number) => Promise<RefStep>;
    if (plan.kind === 'auto') {
      const frames = async function* (): AsyncGenerator<RgbFrame> {
        let n = 0;
        for await (const rgb of refIt) {
          yield { rgb, width, height };
          n++;
        }
        if (n === 0) throw new DatasetError(`${ref.label} holds no frames`, { path: o.ref });
      };
      const { temporal, postprocess, minObjectFraction, maxEmptyFraction, probeFrames } = plan.auto;
      const it = segmentFrames(frames(), { model: maskModel, temporal, postprocess, minObjectFraction, maxEmptyFraction, probeFrames });
      segIt = it;
      nextRef = async () => {
        const s = await it.next();
        return s.done ? { done: true } : { done: false, rgb: s.value.frame.rgb, mask: s.value.mask };
      };
    } else {
      nextRef = async (i) => {
        const maskFile = maskFiles?.[i];
        const [r, mask] = await Promise.all([refIt.next(), maskFile === undefined ? Promise.resolve(undefined) : decodeMaskFile(maskFile, width, height)]);
        return r.done ? { done: true } : { done: false, rgb: r.value, mask };
      };
    }
    const useMasks = plan.kind !== 'none';

    for (let i = 0; ; i++) {
      const [r, d] = await Promise.all([nextRef(i), decIt.next()]);
      if (r.done || d.done) {
        if (!r.done) throw countError(dec.label, i, ref.label, ref.count);
        if (!d.done) throw countError(ref.label, i, dec.label, dec.count);
        if (i === 0) throw new DatasetError(`${ref.label} holds no frames`, { path: o.ref });
        if (maskFiles && maskFiles.length !== i) {
          throw new DatasetError(
            `the mask folder ${o.masks} holds ${maskFiles.length} masks but the sequences have ${i} frames; give exactly one mask per frame`,
            { path: o.masks as string },
          );
        }
        break;
      }
      const mask = r.mask;
      if (useMasks && mask === undefined) {
        throw new DatasetError(
          `the mask folder ${o.masks} holds ${maskFiles?.length} masks but the sequences have more frames; give exactly one mask per frame`,
          { path: o.masks as string },
        );
      }
      const a = rgbToRgba(r.rgb, pixels);
      const b = rgbToRgba(d.value, pixels);
      const e = mseOf(a, b, { channels: 4 });
      const center = mask === undefined ? null : maskedError(a, b, mask, { channels: 4, threshold });
      const frame: CompareFrame = {
        index: i,
        mse: e,
        psnr: e === 0 ? Infinity : 10 * Math.log10((255 * 255) / e),
        ssim: ssim(a, b, width, height, 4),
        msssim: msssim(a, b, width, height, 4, { scales }),
        psnrCenter: center ? center.psnr : null,
        mseCenter: center ? center.mse : null,
        maskPixels: center ? center.pixels : null,
        lpips: lpips ? await lpips.distance(r.rgb, d.value, width, height, i) : null,
      };
      perFrame.push(frame);
      o.onFrame?.(i + 1, total, frame);
    }
  } finally {
    await Promise.allSettled([segIt?.return(undefined), refIt.return(undefined), decIt.return(undefined)]);
    await Promise.allSettled([releaseMaskModel ? maskModel?.release() : undefined, releaseLpips ? lpips?.release() : undefined]);
  }

  const frames = perFrame.length;
  const masked = plan.kind !== 'none' ? perFrame.filter((f) => (f.maskPixels ?? 0) > 0).length : null;
  let lpipsSummary: LpipsSummary | null = null;
  if (lpips) {
    let sum = 0;
    let max = -Infinity;
    for (const f of perFrame) {
      sum += f.lpips!;
      max = Math.max(max, f.lpips!);
    }
    const s = lpips.inputSizeFor(width, height);
    lpipsSummary = { mean: sum / frames, max, model: lpips.path, sha256: lpips.sha256, inputWidth: s.width, inputHeight: s.height };
  }
  return {
    ref: ref.info,
    decoded: dec.info,
    width,
    height,
    frames,
    psnr: summarize(perFrame.map((f) => f.psnr)),
    ssim: summarize(perFrame.map((f) => f.ssim)),
    msssim: summarize(perFrame.map((f) => f.msssim)),
    msssimScales: scales,
    psnrCenter: plan.kind !== 'none' ? summarize(perFrame.map((f) => f.psnrCenter ?? NaN)) : null,
    masks: plan.kind === 'dir' ? plan.dir : null,
    maskSource,
    maskedFrames: masked,
    bytes,
    bpp: bytes === null ? null : (bytes * 8) / (width * height * frames),
    lpips: lpipsSummary,
    perFrame,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** A metric value for the table: `inf` for ∞, `-` for NaN / missing. */
function cell(v: number | null | undefined, digits: number): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '-';
  if (v === Infinity) return 'inf';
  return v.toFixed(digits);
}

/**
 * The human-readable table of {@link compareSequences}: per metric the mean and the worst frame
 * (the minimum; for LPIPS, where lower is better, the maximum); ∞ prints as `inf`, a metric not
 * computed as `-`. The LPIPS row appears only when LPIPS was computed.
 */
export function formatCompare(r: CompareResult): string {
  const row = (name: string, s: MetricSummary | null, digits: number, note = ''): string =>
    `${name.padEnd(18)} ${cell(s?.mean, digits).padStart(10)} ${cell(s?.min, digits).padStart(10)}${note ? `  ${note}` : ''}`;
  const scalesNote = r.msssimScales < 5 ? `${r.msssimScales} scales (frames under 176 px)` : '';
  const sourceNote = r.maskSource?.startsWith('auto:') ? `masks ${r.maskSource}` : '';
  const centerNote =
    r.psnrCenter === null
      ? 'no --mask'
      : [r.maskedFrames !== r.frames ? `${r.maskedFrames} of ${r.frames} frames have object pixels` : '', sourceNote].filter((x) => x).join('; ');
  const bppNote = r.bytes === null ? 'no --bytes' : `${r.bytes} bytes`;
  const lines = [
    `${r.decoded.path} vs ${r.ref.path}: ${r.frames} frames of ${r.width}x${r.height}`,
    `${'metric'.padEnd(18)} ${'mean'.padStart(10)} ${'min'.padStart(10)}`,
    row('PSNR (dB)', r.psnr, 2),
    row('SSIM', r.ssim, 4),
    row('MS-SSIM', r.msssim, 4, scalesNote),
    row('PSNR-CENTER (dB)', r.psnrCenter, 2, centerNote),
    `${'bpp'.padEnd(18)} ${(r.bpp === null ? '-' : r.bpp.toPrecision(4)).padStart(10)} ${'-'.padStart(10)}  ${bppNote}`,
  ];
  if (r.lpips !== null) {
    const l = r.lpips;
    lines.push(
      `${'LPIPS'.padEnd(18)} ${cell(l.mean, 4).padStart(10)} ${cell(l.max, 4).padStart(10)}  ` +
        `2nd column: worst frame = max (lower is better); ${l.inputWidth}x${l.inputHeight} input`,
    );
  }
  return lines.join('\n');
}
