/**
 * PSNR-CENTER: PSNR over the object region only, the quality measure of the foreground-preserving
 * (FP) mode in *Ultra-low storage NeRF-based semantic compression* (Zhang & Chen, 2025), where the
 * background is not coded and must not count.
 *
 * Definition. With a mask image `m` (one 8-bit value per pixel, white = object) the object region
 * is the hard set `Ω = { p : m_p ≥ threshold }` (threshold 128 by default: a mask is binarised,
 * never used as soft weights, so anti-aliased or JPEG-compressed masks give the same region as
 * their clean originals), and over the R, G and B samples of 8-bit images a and b:
 *
 *   MSE_Ω = (1 / (3·|Ω|)) · Σ_{p∈Ω} Σ_{c∈RGB} (a_pc − b_pc)²
 *   PSNR-CENTER = 10·log10(255² / MSE_Ω)            (∞ when MSE_Ω = 0)
 *
 * accumulated in float64; alpha of 4-channel data is ignored. An empty region (|Ω| = 0) has no
 * PSNR-CENTER: {@link maskedError} reports NaN and {@link psnrCenter} throws.
 *
 * The general weighted-mask PSNR is {@link ../psnr.ts}'s `psnr(a, b, { mask })`; this module is
 * the paper's binary variant with its threshold, and also reports |Ω|.
 */

import type { ByteImage } from './psnr.ts';

/** Default mask threshold: values ≥ 128 are object. */
export const MASK_THRESHOLD = 128;

/** Options of {@link maskedError} and {@link psnrCenter}. */
export interface MaskedPsnrOptions {
  /** Interleaved channels per pixel of the images, 3 (RGB) or 4 (RGBA, alpha ignored); default 3. */
  channels?: 3 | 4;
  /** Mask values ≥ this are object pixels (1…255); default {@link MASK_THRESHOLD} (128). */
  threshold?: number;
}

/** Error of two images over a mask's object region. */
export interface MaskedError {
  /** MSE_Ω in 0..255² units; NaN when the region is empty. */
  mse: number;
  /** PSNR-CENTER in dB; Infinity when identical on the region, NaN when the region is empty. */
  psnr: number;
  /** |Ω|: the number of object pixels. */
  pixels: number;
}

/**
 * MSE, PSNR-CENTER and size of the object region (see the module doc); never throws for an
 * empty region (NaN values, `pixels` 0).
 *
 * @param mask one byte per pixel (`length = width·height`), white = object.
 * @throws TypeError on mismatched inputs (naming the argument).
 */
export function maskedError(a: ByteImage, b: ByteImage, mask: Uint8Array, opts: MaskedPsnrOptions = {}): MaskedError {
  if (!(a instanceof Uint8Array || a instanceof Uint8ClampedArray)) throw new TypeError('a must be a Uint8Array');
  if (!(b instanceof Uint8Array || b instanceof Uint8ClampedArray)) throw new TypeError('b must be a Uint8Array');
  if (a.length !== b.length) throw new TypeError(`b.length (${b.length}) must equal a.length (${a.length})`);
  const channels = opts.channels ?? 3;
  if (channels !== 3 && channels !== 4) {
    throw new TypeError(`opts.channels, when provided, must be 3 or 4 (got ${String(opts.channels)})`);
  }
  const threshold = opts.threshold ?? MASK_THRESHOLD;
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > 255) {
    throw new TypeError(`opts.threshold, when provided, must be an integer in [1, 255] (got ${String(opts.threshold)})`);
  }
  if (a.length === 0 || a.length % channels !== 0) {
    throw new TypeError(`a.length (${a.length}) must be a positive multiple of opts.channels (${channels})`);
  }
  const pixels = a.length / channels;
  if (!(mask instanceof Uint8Array) || mask.length !== pixels) {
    throw new TypeError(`mask must be a Uint8Array of one byte per pixel (${pixels}), got ${mask instanceof Uint8Array ? mask.length : typeof mask}`);
  }
  let sum = 0;
  let count = 0;
  for (let p = 0; p < pixels; p++) {
    if (mask[p] < threshold) continue;
    const i = p * channels;
    const d0 = a[i] - b[i];
    const d1 = a[i + 1] - b[i + 1];
    const d2 = a[i + 2] - b[i + 2];
    sum += d0 * d0 + d1 * d1 + d2 * d2;
    count++;
  }
  if (count === 0) return { mse: NaN, psnr: NaN, pixels: 0 };
  const mse = sum / (3 * count);
  return { mse, psnr: mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse), pixels: count };
}

/**
 * PSNR-CENTER in dB (see the module doc); `Infinity` when the images agree on the object region.
 *
 * @param mask one byte per pixel, white = object.
 * @throws TypeError on mismatched inputs; RangeError when the mask selects no pixel.
 */
export function psnrCenter(a: ByteImage, b: ByteImage, mask: Uint8Array, opts: MaskedPsnrOptions = {}): number {
  const r = maskedError(a, b, mask, opts);
  if (r.pixels === 0) {
    throw new RangeError(`mask selects no pixel (no value >= ${opts.threshold ?? MASK_THRESHOLD}); PSNR-CENTER needs an object region`);
  }
  return r.psnr;
}
