/**
 * The PC-mode (panorama compatible) background stream of Zhang & Chen 2025 (Sect. 3.2 step 4 and
 * Sect. 3.3): a frame + object-mask sequence becomes a pseudo-static video whose object region is
 * filled with the video's dominant background mean colour C̄ (eq. 17, `mean-colour.ts`) and whose
 * silhouette is Gaussian-blurred (`fill.ts`), encoded with H.264 (libx264; or H.265 / AV1) at the
 * paper's CRF C and GOP size G, plus the metadata of `BACKGROUND_META`. The decoder side decodes
 * the video back to RGB frames, to be composited under the rendered object (`composite.ts`).
 *
 * Memory stays bounded: frames are pulled from the source one at a time and piped to ffmpeg with
 * back-pressure; only the per-frame means (3 bytes per frame) are kept. C̄ must be known before the
 * first frame is encoded, so the source is read twice (a first pass for the means, then the
 * encoding pass) unless the caller passes `fillColour`, which makes it a single pass.
 *
 * The encoded bytes are the complete MP4 file ffmpeg writes (FORMAT.md §12.8); encoding and
 * decoding go through a private temporary directory that is removed afterwards.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BitstreamError } from '../codec/errors.ts';
import {
  BACKGROUND_CODECS,
  BACKGROUND_MAX_FRAMES,
  type BackgroundCodec,
  type BackgroundMeta,
  maxCrf,
} from '../codec/background/background-meta.ts';
import { probeVideo, readVideoFrames, writeVideo, type WriteVideoOptions } from '../video/ffmpeg.ts';
import { fillObjectRegion, resolveFillOptions } from './fill.ts';
import { BACKGROUND_ALPHA_THRESHOLD, DominantColour, backgroundMeanColour, roundColour, type Rgb } from './mean-colour.ts';

/** Default CRF of the background video (the paper sweeps C ∈ {42, 44, 46, 47, 48, 49, 50}). */
export const DEFAULT_BACKGROUND_CRF = 45;
/** Default GOP size of the background video (the paper uses G ∈ {30, 60, 90}). */
export const DEFAULT_BACKGROUND_GOP = 60;

/** Smallest width and height SVT-AV1 1.x (Debian 12's) accepts. */
const SVT_AV1_MIN_SIZE = 64;

/** One input frame: its pixels and the object's soft mask. */
export interface BackgroundFrame {
  /** RGB (`width·height·3` bytes) or RGBA (`·4`, alpha ignored), rows top to bottom. */
  pixels: Uint8Array;
  /** The object's alpha, `width·height` bytes, 0…255, object = high (≥ 128 is object). */
  mask: Uint8Array;
}

/**
 * Opens the frame sequence: called once per pass (twice unless `fillColour` is given), it must
 * yield the same frames each time. A frame's buffers may be reused once the next one is requested.
 */
export type BackgroundSource = () => AsyncIterable<BackgroundFrame> | Iterable<BackgroundFrame>;

/** Options of {@link encodeBackgroundStream}. */
export interface BackgroundEncodeOptions {
  /** Frame width in pixels (1…16384); an odd size gets one more column / row in the video, repeating the last one. */
  width: number;
  /** Frame height in pixels (1…16384). */
  height: number;
  /** Frames per second (0 < fps ≤ 1000). */
  fps: number;
  /** Codec: `'x264'` (H.264, the paper's, default), `'x265'` (H.265) or `'av1'` (SVT-AV1). */
  codec?: BackgroundCodec;
  /** Constant rate factor C, an integer (0…51, AV1 0…63); default 45 (the paper sweeps 42…50). */
  crf?: number;
  /** GOP size G: the largest key-frame distance in frames (1…65535); default 60 (the paper uses 30/60/90). */
  gop?: number;
  /** Dilation in px of the object region (alpha ≥ 128) before filling; default 2. */
  dilate?: number;
  /** Width in px of the Gaussian-blurred band around the filled region; default 8. */
  edgeBand?: number;
  /** σ in px of the edge blur; default edgeBand / 2. */
  sigma?: number;
  /** The fill colour C̄ to use instead of the dominant mean; makes encoding a single pass over the source. */
  fillColour?: Rgb;
  /** The ffmpeg program, default `'ffmpeg'`. */
  ffmpegPath?: string;
  /** Where the temporary directory is created; default the OS temporary directory. */
  tmpDir?: string;
}

/** What {@link encodeBackgroundStream} produces. */
export interface EncodedBackground {
  /** The `BACKGROUND_VIDEO` payload: the MP4 file. */
  video: Uint8Array;
  /** The `BACKGROUND_META` contents (serialize with `encodeBackgroundMeta`). */
  meta: BackgroundMeta;
}

/** Options of {@link decodeBackgroundStream}. */
export interface BackgroundDecodeOptions {
  /** The ffmpeg program, default `'ffmpeg'`. */
  ffmpegPath?: string;
  /** The ffprobe program, default `'ffprobe'`. */
  ffprobePath?: string;
  /** Where the temporary directory is created; default the OS temporary directory. */
  tmpDir?: string;
}

const ENCODER: Record<BackgroundCodec, NonNullable<WriteVideoOptions['codec']>> = {
  x264: 'libx264',
  x265: 'libx265',
  av1: 'libsvtav1',
};
/** ffprobe's codec_name for each codec. */
const PROBE_NAME: Record<BackgroundCodec, string> = { x264: 'h264', x265: 'hevc', av1: 'av1' };

interface ResolvedEncodeOptions {
  width: number;
  height: number;
  fps: number;
  codec: BackgroundCodec;
  crf: number;
  gop: number;
  dilate: number;
  edgeBand: number;
  sigma: number;
  fillColour: Rgb | undefined;
}

function resolveEncodeOptions(opts: BackgroundEncodeOptions): ResolvedEncodeOptions {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('options must be an object');
  const fill = resolveFillOptions(opts);
  if (typeof opts.fps !== 'number' || !Number.isFinite(opts.fps) || opts.fps <= 0 || opts.fps > 1000) {
    throw new TypeError(`options.fps must be a finite number in (0, 1000] (got ${String(opts.fps)})`);
  }
  const codec = opts.codec ?? 'x264';
  if (!BACKGROUND_CODECS.includes(codec)) {
    throw new TypeError(`options.codec, when provided, must be 'x264', 'x265' or 'av1' (got ${String(opts.codec)})`);
  }
  const crf = opts.crf ?? DEFAULT_BACKGROUND_CRF;
  if (!Number.isInteger(crf) || crf < 0 || crf > maxCrf(codec)) {
    throw new TypeError(
      `options.crf, when provided, must be an integer in [0, ${maxCrf(codec)}] for ${codec} (got ${String(opts.crf)}); the paper uses 42…50`,
    );
  }
  const gop = opts.gop ?? DEFAULT_BACKGROUND_GOP;
  if (!Number.isInteger(gop) || gop < 1 || gop > 0xffff) {
    throw new TypeError(`options.gop, when provided, must be an integer in [1, 65535] (got ${String(opts.gop)}); the paper uses 30, 60 or 90`);
  }
  const fc = opts.fillColour;
  if (fc !== undefined && (!Array.isArray(fc) || fc.length !== 3 || fc.some((v) => !Number.isInteger(v) || v < 0 || v > 255))) {
    throw new TypeError(`options.fillColour, when provided, must be three integers in [0, 255] (got ${JSON.stringify(fc)})`);
  }
  if (codec === 'av1' && (fill.width < SVT_AV1_MIN_SIZE || fill.height < SVT_AV1_MIN_SIZE)) {
    throw new TypeError(
      `codec 'av1' (SVT-AV1) needs frames of at least ${SVT_AV1_MIN_SIZE}x${SVT_AV1_MIN_SIZE} (got ${fill.width}x${fill.height}); ` +
        "use codec 'x264' or 'x265' for smaller frames",
    );
  }
  return { ...fill, fps: opts.fps, codec, crf, gop, fillColour: fc };
}

/** Per-frame rounded means, 3 bytes per frame, in a buffer that grows by doubling. */
class MeanList {
  bytes = new Uint8Array(3 * 64);
  count = 0;
  push(c: Rgb): void {
    if (this.count >= BACKGROUND_MAX_FRAMES) {
      throw new TypeError(`the source yields more than ${BACKGROUND_MAX_FRAMES} frames; split the video`);
    }
    if (3 * this.count === this.bytes.length) {
      const grown = new Uint8Array(2 * this.bytes.length);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes.set(c, 3 * this.count++);
  }
  result(): Uint8Array {
    return this.bytes.slice(0, 3 * this.count);
  }
}

function checkFrame(frame: BackgroundFrame, i: number): void {
  if (typeof frame !== 'object' || frame === null) throw new TypeError(`frame ${i} must be an object { pixels, mask }`);
}

function sourceMismatch(first: number, second: string): TypeError {
  return new TypeError(
    `the source yielded ${first} frames on the first pass but ${second} on the second; it must give the same ` +
      'frames each time it is called (or pass options.fillColour for a single pass)',
  );
}

function openSource(source: BackgroundSource): AsyncIterable<BackgroundFrame> | Iterable<BackgroundFrame> {
  if (typeof source !== 'function') {
    throw new TypeError('source must be a function returning the frames (it is called once per pass)');
  }
  return source();
}

/**
 * Encodes a frame + mask sequence into the PC-mode background stream: per-frame means (eq. 17), the
 * dominant fill colour C̄, object fill and edge blur, then ffmpeg at the given codec, CRF and GOP.
 *
 * @throws TypeError for bad options or frames, an empty source, or a source that yields a
 *   different number of frames on its second pass.
 * @throws FfmpegError when ffmpeg is missing or fails.
 */
export async function encodeBackgroundStream(source: BackgroundSource, opts: BackgroundEncodeOptions): Promise<EncodedBackground> {
  const o = resolveEncodeOptions(opts);
  const fillOpts = { width: o.width, height: o.height, dilate: o.dilate, edgeBand: o.edgeBand, sigma: o.sigma };
  let fill: Rgb;
  let means: MeanList | undefined;
  let firstPassFrames = -1;
  if (o.fillColour === undefined) {
    // Pass 1: eq. 17 per frame, and the dominant colour.
    const dominant = new DominantColour();
    means = new MeanList();
    const empty: number[] = [];
    let i = 0;
    for await (const frame of openSource(source)) {
      checkFrame(frame, i);
      const mean = dominant.add(backgroundMeanColour(frame.pixels, frame.mask, o.width, o.height));
      if (mean === null) empty.push(i);
      means.push(mean ?? [0, 0, 0]);
      i++;
    }
    if (i === 0) throw new TypeError('the source yielded no frames; a background stream needs at least one');
    fill = dominant.result();
    for (const e of empty) means.bytes.set(fill, 3 * e);
    firstPassFrames = i;
  } else {
    fill = o.fillColour;
  }

  const secondMeans = means === undefined ? new MeanList() : undefined;
  async function* filledFrames(): AsyncGenerator<Uint8Array> {
    let i = 0;
    for await (const frame of openSource(source)) {
      checkFrame(frame, i);
      if (firstPassFrames >= 0 && i >= firstPassFrames) throw sourceMismatch(firstPassFrames, 'more');
      const out = padToEven(fillObjectRegion(frame.pixels, frame.mask, fill, fillOpts), o.width, o.height);
      if (secondMeans !== undefined) {
        const mean = backgroundMeanColour(frame.pixels, frame.mask, o.width, o.height);
        secondMeans.push(mean === null ? fill : roundColour(mean));
      }
      i++;
      yield out;
    }
    if (firstPassFrames >= 0 && i !== firstPassFrames) throw sourceMismatch(firstPassFrames, String(i));
  }

  const dir = await mkdtemp(join(opts.tmpDir ?? tmpdir(), 'reliquary-bg-'));
  try {
    const path = join(dir, 'background.mp4');
    await writeVideo(path, filledFrames(), {
      width: o.width + (o.width % 2),
      height: o.height + (o.height % 2),
      fps: o.fps,
      codec: ENCODER[o.codec],
      crf: o.crf,
      gop: o.gop,
      pixFmtIn: 'rgb24',
      oddSize: 'error',
      ...(opts.ffmpegPath !== undefined ? { ffmpegPath: opts.ffmpegPath } : {}),
    });
    const video = new Uint8Array(await readFile(path));
    const frameMeans = (means ?? secondMeans!).result();
    return {
      video,
      meta: {
        codec: o.codec,
        crf: o.crf,
        gop: o.gop,
        width: o.width,
        height: o.height,
        frameCount: frameMeans.length / 3,
        fps: o.fps,
        maskThreshold: BACKGROUND_ALPHA_THRESHOLD,
        fillColour: [fill[0], fill[1], fill[2]],
        dilate: o.dilate,
        edgeBand: o.edgeBand,
        sigma: o.sigma,
        frameMeans,
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Pads an RGB24 frame with an odd width or height by one column / row repeating the last one
 * (yuv420p needs even sizes; repeating the edge costs fewer bits than ffmpeg's black padding and
 * avoids ffmpeg's pad filter, which made libx265 crash on some tiny odd sizes).
 */
function padToEven(rgb: Uint8Array, width: number, height: number): Uint8Array {
  if (width % 2 === 0 && height % 2 === 0) return rgb;
  const pw = width + (width % 2);
  const ph = height + (height % 2);
  const out = new Uint8Array(pw * ph * 3);
  for (let y = 0; y < ph; y++) {
    const src = 3 * Math.min(y, height - 1) * width;
    const dst = 3 * y * pw;
    out.set(rgb.subarray(src, src + 3 * width), dst);
    if (pw !== width) out.copyWithin(dst + 3 * width, dst + 3 * (width - 1), dst + 3 * width);
  }
  return out;
}

/** True when `bytes` starts like an MP4 / ISO BMFF file (a `ftyp` box first). */
function looksLikeMp4(bytes: Uint8Array): boolean {
  return bytes.length >= 16 && bytes[4] === 0x66 && bytes[5] === 0x74 && bytes[6] === 0x79 && bytes[7] === 0x70;
}

/**
 * Decodes a `BACKGROUND_VIDEO` payload into its `meta.frameCount` RGB24 frames
 * (`meta.width·meta.height·3` bytes each, any even-size padding cropped), one at a time. Breaking
 * out of the loop early stops ffmpeg and removes the temporary file.
 *
 * @throws BitstreamError (section `BACKGROUND_VIDEO`) when the payload is not an MP4, its codec or
 *   size disagrees with `meta`, or it holds a different number of frames.
 * @throws FfmpegError when ffmpeg / ffprobe is missing or cannot decode the video.
 */
export async function* decodeBackgroundStream(
  video: Uint8Array,
  meta: BackgroundMeta,
  opts: BackgroundDecodeOptions = {},
): AsyncGenerator<Uint8Array> {
  if (!(video instanceof Uint8Array)) throw new TypeError('video must be a Uint8Array');
  if (typeof meta !== 'object' || meta === null) throw new TypeError('meta must be a decoded BACKGROUND_META');
  const fail = (msg: string): never => {
    throw new BitstreamError(`section BACKGROUND_VIDEO (type 8): ${msg}`, 'BACKGROUND_VIDEO');
  };
  if (!looksLikeMp4(video)) fail(`not an MP4 file (${video.length} bytes, no 'ftyp' box first); the file is damaged`);
  const { width, height } = meta;
  const pw = width + (width % 2);
  const ph = height + (height % 2);
  const dir = await mkdtemp(join(opts.tmpDir ?? tmpdir(), 'reliquary-bg-'));
  try {
    const path = join(dir, 'background.mp4');
    await writeFile(path, video);
    const info = await probeVideo(path, opts.ffprobePath !== undefined ? { ffprobePath: opts.ffprobePath } : {});
    if (info.codec !== PROBE_NAME[meta.codec]) {
      fail(`the video is ${info.codec} but BACKGROUND_META says ${meta.codec} (${PROBE_NAME[meta.codec]}); the file is damaged`);
    }
    if (info.width !== pw || info.height !== ph) {
      fail(`the video is ${info.width}x${info.height} but BACKGROUND_META implies ${pw}x${ph}; the file is damaged`);
    }
    const readOpts = {
      width: pw,
      height: ph,
      ...(opts.ffmpegPath !== undefined ? { ffmpegPath: opts.ffmpegPath } : {}),
    };
    let count = 0;
    for await (const frame of readVideoFrames(path, readOpts)) {
      if (count === meta.frameCount) fail(`the video holds more than the ${meta.frameCount} frames BACKGROUND_META declares`);
      count++;
      if (pw === width && ph === height) {
        yield frame;
      } else {
        const out = new Uint8Array(width * height * 3);
        for (let y = 0; y < height; y++) out.set(frame.subarray(3 * y * pw, 3 * (y * pw + width)), 3 * y * width);
        yield out;
      }
    }
    if (count !== meta.frameCount) fail(`the video holds ${count} frames but BACKGROUND_META declares ${meta.frameCount}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
