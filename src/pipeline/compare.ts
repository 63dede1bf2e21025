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
 * resampling changes every metric. Masks (optional) are a folder of images, one per frame, same
 * name order, white = object: alpha dropped, converted to grey, resized nearest-neighbour to the
 * frame size when needed, binarised at ≥ 128.
 *
 * Metrics per frame (RGB, 8-bit):
 * - PSNR = 10·log10(255² / MSE), MSE over all R, G, B samples (src/metrics/psnr.ts); ∞ when equal;
 * - SSIM on Rec.601 luma, Wang's reference definition (src/metrics/ssim.ts);
 * - MS-SSIM on the same luma (src/metrics/ms-ssim.ts): 5 scales from 176 px on the short side;
 *   smaller frames use M = 1 + ⌊log2(min(W, H)/11)⌋ scales with renormalised exponents
 *   (reported as `msssimScales`);
 * - PSNR-CENTER (Zhang & Chen 2025): PSNR over the mask's object pixels only
 *   (src/metrics/masked-psnr.ts); frames whose mask is empty have none (NaN) and are left out of
 *   its mean and min.
 * Summaries are the arithmetic mean over frames (the convention of NeRF papers, not the PSNR of
 * the mean MSE) and the minimum (the worst frame). One identical frame makes the PSNR mean ∞.
 * `bpp = bytes·8 / (W·H·frames)` of the file given as `bytesFile` (the .rlq, or a coded video).
 *
 * JSON. The result serialises with `JSON.stringify`, which writes ∞ and NaN as `null`: a `null`
 * PSNR with `mse: 0` means identical, a `null` PSNR-CENTER with `maskPixels: 0` an empty mask, and
 * `psnrCenter: null` at the top level means no masks were given.
 *
 * LPIPS is not computed: it needs a learned network whose weights cannot be installed offline.
 *
 * Errors: missing / unreadable / inconsistent inputs are `DatasetError`s saying which input and
 * what to do; ffmpeg failures are `FfmpegError`s; option mistakes are `TypeError`s.
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

/** Options of {@link compareSequences}. */
export interface CompareOptions {
  /** The reference: a video file ffmpeg reads, or a folder of PNG/JPEG frames. */
  ref: string;
  /** The sequence to judge (e.g. `reliquary decode` output): a video file or a folder of frames. */
  decoded: string;
  /** A folder of mask images, one per frame (white = object); enables PSNR-CENTER. */
  masks?: string;
  /** A file whose size gives bpp, usually the .rlq (or the coded video); bpp is null without it. */
  bytesFile?: string;
  /** Mask values ≥ this are object pixels (1…255); default 128. */
  maskThreshold?: number;
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
  /** The mask folder, or null. */
  masks: string | null;
  /** Frames whose mask selects at least one pixel (those in the PSNR-CENTER summary); null without masks. */
  maskedFrames: number | null;
  /** Size of `bytesFile` in bytes, or null. */
  bytes: number | null;
  /** bytes·8 / (width·height·frames), or null without `bytesFile`. */
  bpp: number | null;
  /** LPIPS is never computed (no model can be installed offline); always null. */
  lpips: null;
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

/**
 * Compares DECODED with REF frame by frame (see the module doc for inputs, metrics and rules).
 *
 * @throws TypeError for bad options.
 * @throws DatasetError when an input or the mask folder is missing or unreadable, or when the
 *   sizes or frame counts differ (naming both values and what to do).
 * @throws FfmpegError when ffmpeg/ffprobe is missing or cannot read a video.
 */
export async function compareSequences(o: CompareOptions): Promise<CompareResult> {
  if (typeof o !== 'object' || o === null) throw new TypeError('options must be an object');
  for (const k of ['ref', 'decoded'] as const) {
    if (typeof o[k] !== 'string' || o[k].length === 0) throw new TypeError(`options.${k} must be a non-empty path`);
  }
  for (const k of ['masks', 'bytesFile'] as const) {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0)) throw new TypeError(`options.${k}, when provided, must be a non-empty path`);
  }
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
  if (o.masks !== undefined) {
    const st = await statOrThrow(o.masks, 'mask folder');
    if (!st.isDirectory()) throw new DatasetError(`--mask must be a folder of mask images, one per frame: ${o.masks}`, { path: o.masks });
    maskFiles = await listImages(o.masks, 'mask');
    const exact = ref.count ?? dec.count;
    if (exact !== undefined && exact !== maskFiles.length) {
      throw new DatasetError(
        `the mask folder ${o.masks} holds ${maskFiles.length} masks but the sequences have ${exact} frames; give exactly one mask per frame`,
        { path: o.masks },
      );
    }
  }
  const total = ref.count ?? dec.count ?? ref.statedCount ?? dec.statedCount;
  const scales = msssimScales(width, height);
  const pixels = width * height;

  const perFrame: CompareFrame[] = [];
  const refIt = ref.read();
  const decIt = dec.read();
  try {
    for (let i = 0; ; i++) {
      const maskFile = maskFiles?.[i];
      const [r, d, mask] = await Promise.all([
        refIt.next(),
        decIt.next(),
        maskFile === undefined ? Promise.resolve(undefined) : decodeMaskFile(maskFile, width, height),
      ]);
      if (r.done || d.done) {
        if (!r.done) throw countError(dec.label, i, ref.label, ref.count);
        if (!d.done) throw countError(ref.label, i, dec.label, dec.count);
        if (i === 0) throw new DatasetError(`${ref.label} holds no frames`, { path: o.ref });
        if (maskFiles && maskFiles.length !== i) {
          throw new DatasetError(
            `the mask folder ${o.masks} holds ${maskFiles.length} masks but the sequences have ${i} frames; give exactly one mask per frame`,
            { path: o.masks },
          );
        }
        break;
      }
      if (maskFiles && mask === undefined) {
        throw new DatasetError(
          `the mask folder ${o.masks} holds ${maskFiles.length} masks but the sequences have more frames; give exactly one mask per frame`,
          { path: o.masks },
        );
      }
      const a = rgbToRgba(r.value, pixels);
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
      };
      perFrame.push(frame);
      o.onFrame?.(i + 1, total, frame);
    }
  } finally {
    await Promise.allSettled([refIt.return(undefined), decIt.return(undefined)]);
  }

  const frames = perFrame.length;
  const masked = maskFiles ? perFrame.filter((f) => (f.maskPixels ?? 0) > 0).length : null;
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
    psnrCenter: maskFiles ? summarize(perFrame.map((f) => f.psnrCenter ?? NaN)) : null,
    masks: o.masks ?? null,
    maskedFrames: masked,
    bytes,
    bpp: bytes === null ? null : (bytes * 8) / (width * height * frames),
    lpips: null,
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
 * The human-readable table of {@link compareSequences}: per metric the mean and the minimum over
 * frames; ∞ prints as `inf`, a metric not computed as `-`.
 */
export function formatCompare(r: CompareResult): string {
  const row = (name: string, s: MetricSummary | null, digits: number, note = ''): string =>
    `${name.padEnd(18)} ${cell(s?.mean, digits).padStart(10)} ${cell(s?.min, digits).padStart(10)}${note ? `  ${note}` : ''}`;
  const scalesNote = r.msssimScales < 5 ? `${r.msssimScales} scales (frames under 176 px)` : '';
  const centerNote =
    r.psnrCenter === null ? 'no --mask' : r.maskedFrames !== r.frames ? `${r.maskedFrames} of ${r.frames} frames have object pixels` : '';
  const bppNote = r.bytes === null ? 'no --bytes' : `${r.bytes} bytes`;
  return [
    `${r.decoded.path} vs ${r.ref.path}: ${r.frames} frames of ${r.width}x${r.height}`,
    `${'metric'.padEnd(18)} ${'mean'.padStart(10)} ${'min'.padStart(10)}`,
    row('PSNR (dB)', r.psnr, 2),
    row('SSIM', r.ssim, 4),
    row('MS-SSIM', r.msssim, 4, scalesNote),
    row('PSNR-CENTER (dB)', r.psnrCenter, 2, centerNote),
    `${'bpp'.padEnd(18)} ${(r.bpp === null ? '-' : r.bpp.toPrecision(4)).padStart(10)} ${'-'.padStart(10)}  ${bppNote}`,
    `${'LPIPS'.padEnd(18)} ${'-'.padStart(10)} ${'-'.padStart(10)}  not computed (no model offline)`,
  ].join('\n');
}
