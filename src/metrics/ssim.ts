/**
 * Structural similarity (SSIM, Wang et al. 2004) of 8-bit images, computed by `@blazediff/ssim`,
 * a port of Wang's reference MATLAB `ssim.m`:
 * - on luma: RGB → Y with MATLAB `rgb2gray` (Rec.601) weights 0.298936·R + 0.587043·G + 0.114021·B;
 *   alpha is ignored;
 * - 11x11 Gaussian window, σ = 1.5, K1 = 0.01, K2 = 0.03, L = 255, "valid" region only (no padding);
 * - images first box-filtered and subsampled by `f = max(1, round(min(width, height) / 256))`, as
 *   the reference script does (so f = 1 up to 383 px on the short side; f = 4 for 1080x1920).
 *
 * Mode `'rgb'` instead averages the SSIM of R, G and B computed separately (each channel is fed
 * to the package as a grey image, whose luma is the channel itself), which is what NeRF papers
 * usually report (skimage / mip-NeRF per-channel SSIM); the downsampling rule still applies, so
 * numbers match those papers exactly only below 384 px on the short side.
 */

import { ssim as blazeSsim } from '@blazediff/ssim';
import type { ByteImage } from './psnr.ts';

/** Options of {@link ssim}. */
export interface SsimOptions {
  /** `'luma'` (default): SSIM of Rec.601 luma; `'rgb'`: mean of the per-channel SSIMs. */
  mode?: 'luma' | 'rgb';
}

/** Smallest width / height accepted: the 11x11 window needs at least one valid position. */
export const SSIM_MIN_SIZE = 11;

/** Interleaved `channels` data → RGBA; `pick` ≥ 0 replicates that channel into R, G and B. */
function toRgba(src: ByteImage, pixels: number, channels: number, pick: number): Uint8Array {
  const out = new Uint8Array(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    const i = p * channels;
    const o = p * 4;
    if (channels === 1) {
      out[o] = out[o + 1] = out[o + 2] = src[i];
    } else if (pick >= 0) {
      out[o] = out[o + 1] = out[o + 2] = src[i + pick];
    } else {
      out[o] = src[i];
      out[o + 1] = src[i + 1];
      out[o + 2] = src[i + 2];
    }
    out[o + 3] = 255;
  }
  return out;
}

/**
 * SSIM of two 8-bit images (see the module doc for the exact definition); 1 when identical.
 *
 * @param channels interleaved channels per pixel: 1 (grey), 3 (RGB) or 4 (RGBA, alpha ignored).
 * @throws TypeError on mismatched or too small inputs (naming the argument).
 */
export function ssim(
  a: ByteImage,
  b: ByteImage,
  width: number,
  height: number,
  channels: 1 | 3 | 4,
  opts: SsimOptions = {},
): number {
  if (!(a instanceof Uint8Array || a instanceof Uint8ClampedArray)) throw new TypeError('a must be a Uint8Array');
  if (!(b instanceof Uint8Array || b instanceof Uint8ClampedArray)) throw new TypeError('b must be a Uint8Array');
  if (!Number.isInteger(width) || width < SSIM_MIN_SIZE) {
    throw new TypeError(`width must be an integer >= ${SSIM_MIN_SIZE} (got ${width})`);
  }
  if (!Number.isInteger(height) || height < SSIM_MIN_SIZE) {
    throw new TypeError(`height must be an integer >= ${SSIM_MIN_SIZE} (got ${height})`);
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new TypeError(`channels must be 1, 3 or 4 (got ${String(channels)})`);
  }
  const mode = opts.mode ?? 'luma';
  if (mode !== 'luma' && mode !== 'rgb') throw new TypeError(`opts.mode, when provided, must be 'luma' or 'rgb'`);
  const pixels = width * height;
  if (a.length !== pixels * channels) throw new TypeError(`a.length (${a.length}) must be width*height*channels (${pixels * channels})`);
  if (b.length !== pixels * channels) throw new TypeError(`b.length (${b.length}) must be width*height*channels (${pixels * channels})`);

  if (mode === 'luma' || channels === 1) {
    const ra = channels === 4 ? a : toRgba(a, pixels, channels, -1);
    const rb = channels === 4 ? b : toRgba(b, pixels, channels, -1);
    return blazeSsim(ra, rb, undefined, width, height);
  }
  let sum = 0;
  for (let c = 0; c < 3; c++) {
    sum += blazeSsim(toRgba(a, pixels, channels, c), toRgba(b, pixels, channels, c), undefined, width, height);
  }
  return sum / 3;
}
