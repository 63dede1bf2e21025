/**
 * Peak signal-to-noise ratio on the RGB channels of interleaved images.
 *
 * Value ranges: `Uint8Array` / `Uint8ClampedArray` pixels are 0..255 (peak 255); `Float32Array`
 * pixels are 0..1 (peak 1), used as given (not clamped). The alpha channel of 4-channel data is
 * ignored. `PSNR = 10·log10(peak² / MSE)` with the MSE averaged over the R, G and B samples of
 * the (optionally masked) pixels, accumulated in float64.
 */

/** 8-bit image data (values 0..255). */
export type ByteImage = Uint8Array | Uint8ClampedArray;

/** Options of {@link psnr} and {@link mse}. */
export interface PsnrOptions {
  /** Interleaved channels per pixel, 3 (RGB) or 4 (RGBA, alpha ignored); default 4. */
  channels?: 3 | 4;
  /**
   * Per-pixel weights, one byte per pixel (`length = pixels`): weight = mask / 255, so a 0/255
   * mask selects pixels and a soft (e.g. downscaled) mask weights edge pixels partially.
   */
  mask?: Uint8Array;
}

function check(a: ArrayLike<number>, b: ArrayLike<number>, opts: PsnrOptions): { channels: number; pixels: number } {
  const floatA = a instanceof Float32Array;
  const floatB = b instanceof Float32Array;
  const byteA = a instanceof Uint8Array || a instanceof Uint8ClampedArray;
  const byteB = b instanceof Uint8Array || b instanceof Uint8ClampedArray;
  if (!(floatA || byteA)) throw new TypeError('a must be a Uint8Array, Uint8ClampedArray or Float32Array');
  if (!(floatB || byteB)) throw new TypeError('b must be a Uint8Array, Uint8ClampedArray or Float32Array');
  if (floatA !== floatB) throw new TypeError('a and b must both be 8-bit (0..255) or both Float32Array (0..1)');
  if (a.length !== b.length) throw new TypeError(`b.length (${b.length}) must equal a.length (${a.length})`);
  const channels = opts.channels ?? 4;
  if (channels !== 3 && channels !== 4) {
    throw new TypeError(`opts.channels, when provided, must be 3 or 4 (got ${String(opts.channels)})`);
  }
  if (a.length === 0 || a.length % channels !== 0) {
    throw new TypeError(`a.length (${a.length}) must be a positive multiple of opts.channels (${channels})`);
  }
  const pixels = a.length / channels;
  if (opts.mask !== undefined && (!(opts.mask instanceof Uint8Array) || opts.mask.length !== pixels)) {
    throw new TypeError(`opts.mask, when provided, must be a Uint8Array of one byte per pixel (${pixels})`);
  }
  return { channels, pixels };
}

/**
 * Mean squared error over the RGB samples, in the data's own units (0..255² for bytes, 0..1 for
 * floats). @throws TypeError on mismatched inputs; RangeError when `opts.mask` is all zero.
 */
export function mse(a: ByteImage, b: ByteImage, opts?: PsnrOptions): number;
export function mse(a: Float32Array, b: Float32Array, opts?: PsnrOptions): number;
export function mse(a: ByteImage | Float32Array, b: ByteImage | Float32Array, opts: PsnrOptions = {}): number {
  const { channels, pixels } = check(a, b, opts);
  const mask = opts.mask;
  let sum = 0;
  let weight = 0;
  for (let p = 0; p < pixels; p++) {
    const w = mask === undefined ? 1 : mask[p] / 255;
    if (w === 0) continue;
    const i = p * channels;
    const d0 = a[i] - b[i];
    const d1 = a[i + 1] - b[i + 1];
    const d2 = a[i + 2] - b[i + 2];
    sum += w * (d0 * d0 + d1 * d1 + d2 * d2);
    weight += w;
  }
  if (weight === 0) throw new RangeError('opts.mask selects no pixels (all zero)');
  return sum / (3 * weight);
}

/**
 * PSNR in dB over the RGB channels (see the module doc for value ranges); `Infinity` when the
 * images are identical (on the masked pixels).
 * @throws TypeError on mismatched inputs; RangeError when `opts.mask` is all zero.
 */
export function psnr(a: ByteImage, b: ByteImage, opts?: PsnrOptions): number;
export function psnr(a: Float32Array, b: Float32Array, opts?: PsnrOptions): number;
export function psnr(a: ByteImage | Float32Array, b: ByteImage | Float32Array, opts: PsnrOptions = {}): number {
  const e = mse(a as Float32Array, b as Float32Array, opts);
  const peak = a instanceof Float32Array ? 1 : 255;
  return e === 0 ? Infinity : 10 * Math.log10((peak * peak) / e);
}
