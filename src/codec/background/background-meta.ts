/**
 * The `BACKGROUND_META` section (type 9) of a PC-mode `.rlq` file: what a decoder needs besides the
 * background video itself (Zhang & Chen 2025, Sect. 3.3, "the mean color distribution of each frame
 * [is] retained as metadata"): the codec and its CRF / GOP, the frame size, count and rate, the fill
 * colour C̄ that replaced the object, the fill / edge-blur parameters, and the per-frame background
 * means C̄_i of eq. 17 (3 bytes per frame). `docs/FORMAT.md` §12.9 specifies the same bytes.
 *
 * ## Byte format (version 1), all integers little-endian
 *
 *     offset  type  field
 *      0      u8    version (= 1)
 *      1      u8    codec: 0 = H.264 (libx264), 1 = H.265 (libx265), 2 = AV1 (libsvtav1)
 *      2      u8    CRF: 0…51 for H.264 / H.265, 0…63 for AV1
 *      3      u8    mask threshold: a pixel is background when its object alpha < this (1…255; 128)
 *      4      u16   GOP: the largest key-frame distance in frames (≥ 1)
 *      6      u16   width W in pixels (1…16384), the frame size before any even-size padding
 *      8      u16   height H in pixels (1…16384)
 *     10      u32   frame count N (1…2^20)
 *     14      f64   frames per second (finite, 0 < fps ≤ 1000)
 *     22      u8×3  fill colour C̄ (R, G, B)
 *     25      u8    dilate: px by which the object region was dilated before filling (0…255)
 *     26      u8    edge band: width in px of the blurred band around the fill boundary (0…255)
 *     27      u8    flags (= 0; reserved)
 *     28      f32   σ of the edge blur in px (finite, 0 ≤ σ ≤ 255)
 *     32      u8×3N per-frame background mean colours C̄_i (R, G, B), rounded half up; a frame with
 *                   no background pixel stores C̄
 *
 * Total length: exactly 32 + 3N bytes. The decoder checks the header before it allocates anything:
 * the frame count is bounded, and the length must equal 32 + 3N.
 */
import { BitstreamError } from '../errors.ts';

/** Format version written by {@link encodeBackgroundMeta}. */
export const BACKGROUND_META_VERSION = 1;
/** Bytes before the per-frame means. */
export const BACKGROUND_META_HEADER_BYTES = 32;
/** Largest frame count a stream may declare (as `CONFIG`'s `video.frames`). */
export const BACKGROUND_MAX_FRAMES = 2 ** 20;

/**
 * The background codec: `'x264'` = H.264 via libx264 (the paper's choice), `'x265'` = H.265 via
 * libx265, `'av1'` = AV1 via libsvtav1.
 */
export type BackgroundCodec = 'x264' | 'x265' | 'av1';

/** Stored codec ids, in code order. */
export const BACKGROUND_CODECS: readonly BackgroundCodec[] = Object.freeze(['x264', 'x265', 'av1'] as const);

/** Largest CRF of each codec (ffmpeg's range for libx264 / libx265 / libsvtav1). */
export function maxCrf(codec: BackgroundCodec): number {
  return codec === 'av1' ? 63 : 51;
}

/** The contents of `BACKGROUND_META`. */
export interface BackgroundMeta {
  /** Codec of the `BACKGROUND_VIDEO` section. */
  codec: BackgroundCodec;
  /** Constant rate factor C the background was encoded at (paper: C ∈ {42, …, 50}; integer). */
  crf: number;
  /** GOP size G, the largest key-frame distance in frames (paper: G ∈ {30, 60, 90}). */
  gop: number;
  /** Frame width in pixels (the video may be one column wider, see FORMAT.md §12.8). */
  width: number;
  /** Frame height in pixels. */
  height: number;
  /** Number of frames N. */
  frameCount: number;
  /** Frames per second. */
  fps: number;
  /** Mask threshold: background = alpha below this (128). */
  maskThreshold: number;
  /** The fill colour C̄ (integers 0…255). */
  fillColour: readonly [number, number, number];
  /** Dilation in px of the object region before filling. */
  dilate: number;
  /** Width in px of the blurred edge band. */
  edgeBand: number;
  /** σ in px of the Gaussian edge blur (a float32). */
  sigma: number;
  /** Per-frame background means C̄_i, 3 bytes (R, G, B) per frame, `3·frameCount` bytes. */
  frameMeans: Uint8Array;
}

const isInt = (v: unknown, lo: number, hi: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

/**
 * Serializes `meta` in the format of the module doc.
 * @throws TypeError naming the first field that cannot be stored.
 */
export function encodeBackgroundMeta(meta: BackgroundMeta): Uint8Array {
  if (typeof meta !== 'object' || meta === null) throw new TypeError('meta must be an object');
  const codecId = BACKGROUND_CODECS.indexOf(meta.codec);
  if (codecId < 0) throw new TypeError(`meta.codec must be 'x264', 'x265' or 'av1' (got ${String(meta.codec)})`);
  if (!isInt(meta.crf, 0, maxCrf(meta.codec))) {
    throw new TypeError(`meta.crf must be an integer in [0, ${maxCrf(meta.codec)}] for ${meta.codec} (got ${String(meta.crf)})`);
  }
  if (!isInt(meta.maskThreshold, 1, 255)) throw new TypeError(`meta.maskThreshold must be an integer in [1, 255] (got ${String(meta.maskThreshold)})`);
  if (!isInt(meta.gop, 1, 0xffff)) throw new TypeError(`meta.gop must be an integer in [1, 65535] (got ${String(meta.gop)})`);
  if (!isInt(meta.width, 1, 16384)) throw new TypeError(`meta.width must be an integer in [1, 16384] (got ${String(meta.width)})`);
  if (!isInt(meta.height, 1, 16384)) throw new TypeError(`meta.height must be an integer in [1, 16384] (got ${String(meta.height)})`);
  if (!isInt(meta.frameCount, 1, BACKGROUND_MAX_FRAMES)) {
    throw new TypeError(`meta.frameCount must be an integer in [1, ${BACKGROUND_MAX_FRAMES}] (got ${String(meta.frameCount)})`);
  }
  if (typeof meta.fps !== 'number' || !Number.isFinite(meta.fps) || meta.fps <= 0 || meta.fps > 1000) {
    throw new TypeError(`meta.fps must be a finite number in (0, 1000] (got ${String(meta.fps)})`);
  }
  const fill = meta.fillColour;
  if (!Array.isArray(fill) || fill.length !== 3 || !fill.every((v) => isInt(v, 0, 255))) {
    throw new TypeError(`meta.fillColour must be three integers in [0, 255] (got ${JSON.stringify(fill)})`);
  }
  if (!isInt(meta.dilate, 0, 255)) throw new TypeError(`meta.dilate must be an integer in [0, 255] (got ${String(meta.dilate)})`);
  if (!isInt(meta.edgeBand, 0, 255)) throw new TypeError(`meta.edgeBand must be an integer in [0, 255] (got ${String(meta.edgeBand)})`);
  const sigma = Math.fround(meta.sigma);
  if (typeof meta.sigma !== 'number' || !Number.isFinite(sigma) || sigma < 0 || sigma > 255) {
    throw new TypeError(`meta.sigma must be a finite number in [0, 255] (got ${String(meta.sigma)})`);
  }
  if (!(meta.frameMeans instanceof Uint8Array) || meta.frameMeans.length !== 3 * meta.frameCount) {
    throw new TypeError(`meta.frameMeans must be a Uint8Array of 3·frameCount = ${3 * meta.frameCount} bytes`);
  }
  const out = new Uint8Array(BACKGROUND_META_HEADER_BYTES + meta.frameMeans.length);
  const v = new DataView(out.buffer);
  v.setUint8(0, BACKGROUND_META_VERSION);
  v.setUint8(1, codecId);
  v.setUint8(2, meta.crf);
  v.setUint8(3, meta.maskThreshold);
  v.setUint16(4, meta.gop, true);
  v.setUint16(6, meta.width, true);
  v.setUint16(8, meta.height, true);
  v.setUint32(10, meta.frameCount, true);
  v.setFloat64(14, meta.fps, true);
  out.set(fill, 22);
  v.setUint8(25, meta.dilate);
  v.setUint8(26, meta.edgeBand);
  v.setUint8(27, 0);
  v.setFloat32(28, sigma, true);
  out.set(meta.frameMeans, BACKGROUND_META_HEADER_BYTES);
  return out;
}

/**
 * Parses a `BACKGROUND_META` payload, checking every field of the module doc.
 * @throws BitstreamError (section `BACKGROUND_META`) on truncation, trailing bytes, an unknown version
 *   or codec, or any field outside its range.
 * @throws TypeError when `bytes` is not a Uint8Array.
 */
export function decodeBackgroundMeta(bytes: Uint8Array): BackgroundMeta {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  const fail = (msg: string): never => {
    throw new BitstreamError(`section BACKGROUND_META (type 9): ${msg}`, 'BACKGROUND_META');
  };
  const damaged = 'the file is damaged; re-encode the background in PC mode';
  if (bytes.length < BACKGROUND_META_HEADER_BYTES) {
    fail(`truncated: ${bytes.length} bytes, the header alone needs ${BACKGROUND_META_HEADER_BYTES}; ${damaged}`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = v.getUint8(0);
  if (version !== BACKGROUND_META_VERSION) {
    fail(`unsupported version ${version} (this decoder reads ${BACKGROUND_META_VERSION}); use a newer reliquary to read this file`);
  }
  const codec = BACKGROUND_CODECS[v.getUint8(1)];
  if (codec === undefined) fail(`unknown codec id ${v.getUint8(1)} (known: 0 = H.264, 1 = H.265, 2 = AV1); ${damaged}`);
  const c = codec as BackgroundCodec;
  const crf = v.getUint8(2);
  if (crf > maxCrf(c)) fail(`CRF ${crf} is outside [0, ${maxCrf(c)}] for ${c}; ${damaged}`);
  const maskThreshold = v.getUint8(3);
  if (maskThreshold === 0) fail(`mask threshold 0 is outside [1, 255]; ${damaged}`);
  const gop = v.getUint16(4, true);
  if (gop === 0) fail(`GOP 0 is outside [1, 65535]; ${damaged}`);
  const width = v.getUint16(6, true);
  const height = v.getUint16(8, true);
  if (width < 1 || width > 16384 || height < 1 || height > 16384) {
    fail(`frame size ${width}x${height} is outside [1, 16384]²; ${damaged}`);
  }
  const frameCount = v.getUint32(10, true);
  if (frameCount < 1 || frameCount > BACKGROUND_MAX_FRAMES) {
    fail(`frame count ${frameCount} is outside [1, ${BACKGROUND_MAX_FRAMES}]; ${damaged}`);
  }
  const fps = v.getFloat64(14, true);
  if (!Number.isFinite(fps) || fps <= 0 || fps > 1000) fail(`frame rate ${fps} is outside (0, 1000]; ${damaged}`);
  const flags = v.getUint8(27);
  if (flags !== 0) fail(`reserved flags byte is ${flags}, must be 0; ${damaged}, or written by a newer version`);
  const sigma = v.getFloat32(28, true);
  if (!Number.isFinite(sigma) || sigma < 0 || sigma > 255) fail(`edge blur σ ${sigma} is outside [0, 255]; ${damaged}`);
  const expected = BACKGROUND_META_HEADER_BYTES + 3 * frameCount;
  if (bytes.length !== expected) {
    fail(
      `${bytes.length < expected ? 'truncated' : 'trailing bytes'}: ${bytes.length} bytes, ` +
        `expected ${expected} for ${frameCount} frames; ${damaged}`,
    );
  }
  return {
    codec: c,
    crf,
    gop,
    width,
    height,
    frameCount,
    fps,
    maskThreshold,
    fillColour: [bytes[22], bytes[23], bytes[24]],
    dilate: bytes[25],
    edgeBand: bytes[26],
    sigma,
    frameMeans: bytes.slice(BACKGROUND_META_HEADER_BYTES, expected),
  };
}
