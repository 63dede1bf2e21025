/**
 * The anchors of the rate-distortion benchmark: the input coded by ffmpeg's libx264, libx265 and
 * libsvtav1 at a CRF and a GOP (the paper's Sect. 4.3 compares against x264 and x265; SVT-AV1 is
 * added). Each anchor is one MP4 written through `writeVideo` (argument arrays, yuv420p, the
 * encoders' default presets: x264/x265 `medium`, SVT-AV1 its default), so its settings are the ones
 * a user gets from `ffmpeg -c:v … -crf C -g G`.
 */
import { statSync } from 'node:fs';
import { readVideoFrames, writeVideo, type WriteVideoOptions } from '../video/ffmpeg.ts';

/** The anchor codecs. */
export type AnchorCodec = 'x264' | 'x265' | 'av1';

/** ffmpeg encoder of each anchor. */
export const ANCHOR_ENCODER: Readonly<Record<AnchorCodec, NonNullable<WriteVideoOptions['codec']>>> = Object.freeze({
  x264: 'libx264',
  x265: 'libx265',
  av1: 'libsvtav1',
});

/** Largest CRF of each encoder (x264 and x265: 51; SVT-AV1: 63). */
export const ANCHOR_MAX_CRF: Readonly<Record<AnchorCodec, number>> = Object.freeze({ x264: 51, x265: 51, av1: 63 });

/** One anchor setting. */
export interface AnchorSetting {
  codec: AnchorCodec;
  /** Constant rate factor, 0…{@link ANCHOR_MAX_CRF}. */
  crf: number;
  /** GOP: largest key-frame distance in frames. */
  gop: number;
}

/** An anchor coded to disk. */
export interface AnchorResult {
  /** The MP4 file. */
  path: string;
  bytes: number;
  /** Wall seconds of ffmpeg's encode (frames piped in as raw RGB). */
  encodeSeconds: number;
  /** Wall seconds to decode the file back to raw RGB frames. */
  decodeSeconds: number;
  /** Frames decoded (must equal the input's). */
  frames: number;
}

/** Validates an anchor setting, throwing a TypeError naming the bad field. */
export function checkAnchorSetting(s: AnchorSetting): void {
  if (!(s.codec in ANCHOR_ENCODER)) throw new TypeError(`anchor codec must be one of ${Object.keys(ANCHOR_ENCODER).join(', ')} (got ${String(s.codec)})`);
  const max = ANCHOR_MAX_CRF[s.codec];
  if (!Number.isInteger(s.crf) || s.crf < 0 || s.crf > max) throw new TypeError(`${s.codec} CRF must be an integer in [0, ${max}] (got ${s.crf})`);
  if (!Number.isInteger(s.gop) || s.gop < 1) throw new TypeError(`GOP must be an integer ≥ 1 (got ${s.gop})`);
}

/**
 * Codes `frames` (RGB24, `width·height·3` bytes each) with the anchor `setting` into `path` and
 * decodes it once to time the decoder.
 */
export async function codeAnchor(
  path: string,
  frames: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  video: { width: number; height: number; fps: number },
  setting: AnchorSetting,
): Promise<AnchorResult> {
  checkAnchorSetting(setting);
  if (setting.codec === 'av1' && (video.width < 64 || video.height < 64)) {
    throw new TypeError(`SVT-AV1 codes frames of at least 64x64 pixels (got ${video.width}x${video.height}); leave av1 out of the anchors`);
  }
  const t0 = performance.now();
  await writeVideo(path, frames(), { ...video, codec: ANCHOR_ENCODER[setting.codec], crf: setting.crf, gop: setting.gop });
  const encodeSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  let n = 0;
  for await (const _ of readVideoFrames(path)) n++;
  return { path, bytes: statSync(path).size, encodeSeconds, decodeSeconds: (performance.now() - t1) / 1000, frames: n };
}
