/**
 * Multi-scale structural similarity (MS-SSIM, Wang, Simoncelli & Bovik 2003) of 8-bit images,
 * computed on luma by `@blazediff/ssim/msssim`, a port of the reference MATLAB `msssim.m`:
 * - RGB → Y with MATLAB `rgb2gray` (Rec.601) weights 0.298936·R + 0.587043·G + 0.114021·B
 *   (alpha ignored), the same luma as {@link ../ssim.ts};
 * - at each scale j = 1…M: 11x11 Gaussian window, σ = 1.5, K1 = 0.01, K2 = 0.03, L = 255, giving
 *   the mean SSIM `s_j` and the mean contrast-structure term `cs_j`; between scales the image is
 *   2x2 box-filtered and subsampled by 2;
 * - `MS-SSIM = (∏_{j<M} cs_j^{w_j}) · s_M^{w_M}` with the standard exponents
 *   w = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333) for M = 5.
 *
 * Small images. Five scales need a coarsest image of at least one window, i.e.
 * `min(width, height) ≥ 11·2⁴ = 176` px (the reference script refuses smaller inputs). Here smaller
 * images use fewer scales instead: `M = min(5, 1 + ⌊log2(min(width, height) / 11)⌋)` (see
 * {@link msssimScales}), with the first M exponents renormalised to sum to 1
 * (`w'_j = w_j / Σ_{k≤M} w_k`), so the value stays in the same range and is 1 for identical
 * images. At ≥ 176 px this is exactly the standard 5-scale MS-SSIM (published exponents, not
 * renormalised); below it, numbers are only
 * comparable between images of the same size. Images under 11 px on a side are rejected.
 *
 * As in the reference, a negative `cs_j` (anti-correlated images) raised to a fractional power
 * gives NaN; real codec output never gets there.
 */

import { msssim as blazeMsssim } from '@blazediff/ssim/msssim';
import type { ByteImage } from './psnr.ts';

/** The exponents w_1…w_5 of the standard 5-scale MS-SSIM (Wang et al. 2003). */
export const MSSSIM_WEIGHTS: readonly number[] = Object.freeze([0.0448, 0.2856, 0.3001, 0.2363, 0.1333]);

/** Smallest width / height accepted: one 11x11 window at the finest scale. */
export const MSSSIM_MIN_SIZE = 11;

/** Smallest width / height with all five scales: 11·2⁴. */
export const MSSSIM_FULL_SIZE = 176;

/** Options of {@link msssim}. */
export interface MsssimOptions {
  /**
   * Number of scales M, 1…5; default {@link msssimScales}(width, height) (5 from 176 px up).
   * More scales than the size allows are rejected.
   */
  scales?: number;
}

/**
 * The number of scales used for a `width`x`height` image: the most (≤ 5) whose coarsest image
 * is still at least 11 px on its short side, `min(5, 1 + ⌊log2(min(width, height) / 11)⌋)`;
 * 0 when the image is smaller than 11 px (no MS-SSIM).
 */
export function msssimScales(width: number, height: number): number {
  let side = Math.min(width, height);
  if (!(side >= MSSSIM_MIN_SIZE)) return 0;
  let m = 1;
  // The library halves with floor(n / 2), so follow that exactly rather than using log2.
  while (m < 5 && Math.floor(side / 2) >= MSSSIM_MIN_SIZE) {
    side = Math.floor(side / 2);
    m++;
  }
  return m;
}

/** Interleaved 1- or 3-channel data → RGBA (opaque), which is what the package reads. */
function toRgba(src: ByteImage, pixels: number, channels: 1 | 3): Uint8Array {
  const out = new Uint8Array(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    const o = p * 4;
    if (channels === 1) {
      out[o] = out[o + 1] = out[o + 2] = src[p];
    } else {
      const i = p * 3;
      out[o] = src[i];
      out[o + 1] = src[i + 1];
      out[o + 2] = src[i + 2];
    }
    out[o + 3] = 255;
  }
  return out;
}

/**
 * MS-SSIM of two 8-bit images (see the module doc for the exact definition and the rule for
 * images under 176 px); 1 when identical.
 *
 * @param channels interleaved channels per pixel: 1 (grey), 3 (RGB) or 4 (RGBA, alpha ignored).
 * @throws TypeError on mismatched or too small inputs (naming the argument).
 */
export function msssim(
  a: ByteImage,
  b: ByteImage,
  width: number,
  height: number,
  channels: 1 | 3 | 4,
  opts: MsssimOptions = {},
): number {
  if (!(a instanceof Uint8Array || a instanceof Uint8ClampedArray)) throw new TypeError('a must be a Uint8Array');
  if (!(b instanceof Uint8Array || b instanceof Uint8ClampedArray)) throw new TypeError('b must be a Uint8Array');
  if (!Number.isInteger(width) || width < MSSSIM_MIN_SIZE) {
    throw new TypeError(`width must be an integer >= ${MSSSIM_MIN_SIZE} (got ${width})`);
  }
  if (!Number.isInteger(height) || height < MSSSIM_MIN_SIZE) {
    throw new TypeError(`height must be an integer >= ${MSSSIM_MIN_SIZE} (got ${height})`);
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new TypeError(`channels must be 1, 3 or 4 (got ${String(channels)})`);
  }
  const maxScales = msssimScales(width, height);
  const scales = opts.scales ?? maxScales;
  if (!Number.isInteger(scales) || scales < 1 || scales > maxScales) {
    throw new TypeError(
      `opts.scales, when provided, must be an integer in [1, ${maxScales}] for a ${width}x${height} image ` +
        `(got ${String(opts.scales)}); 5 scales need at least ${MSSSIM_FULL_SIZE} px on the short side`,
    );
  }
  const pixels = width * height;
  if (a.length !== pixels * channels) throw new TypeError(`a.length (${a.length}) must be width*height*channels (${pixels * channels})`);
  if (b.length !== pixels * channels) throw new TypeError(`b.length (${b.length}) must be width*height*channels (${pixels * channels})`);

  const ra = channels === 4 ? a : toRgba(a, pixels, channels);
  const rb = channels === 4 ? b : toRgba(b, pixels, channels);
  // Five scales: the standard exponents as published (they sum to 1.0001); fewer: renormalised.
  const used = MSSSIM_WEIGHTS.slice(0, scales);
  const total = used.reduce((s, w) => s + w, 0);
  const weight = scales === 5 ? used : used.map((w) => w / total);
  return blazeMsssim(ra, rb, undefined, width, height, { level: scales, weight, method: 'product' });
}
