/**
 * The "mean colour space normalization" statistics of the PC-mode background (Zhang & Chen 2025,
 * Sect. 3.3): the spatial mean colour of each frame's background region (eq. 17) and the dominant
 * ("most frequently occurring") mean over the video, the colour that later replaces the object.
 *
 * ## Eq. 17, the per-frame background mean
 *
 *     C̄_i = (1 / |M_B^i|) · Σ_{(x,y) ∈ M_B^i} I_i(x, y)
 *
 * The background mask M_B^i is the set of pixels whose object alpha is below
 * {@link BACKGROUND_ALPHA_THRESHOLD} (alpha < 128 on the 0…255 scale, object = high): a pixel is
 * background when it is more background than object. Soft edge pixels with alpha < 128 count fully
 * (the paper's mask is binary). The sum is taken over the frame's original RGB values, in float64.
 * A frame whose every pixel has alpha ≥ 128 has no background; its mean is `null`.
 *
 * ## The dominant mean (the paper's "most frequently occurring colour" C̄)
 *
 * Means are first rounded to integers (round half up), the 8-bit values BACKGROUND_META stores.
 * They are then binned in a 2^15-bin histogram, 5 bits per channel:
 * `bin = (R >> 3) << 10 | (G >> 3) << 5 | (B >> 3)`. The winning bin is the most populated one (ties:
 * the lowest bin index); the fill colour is the per-channel average of the rounded means in that bin,
 * rounded half up. Frames without background (`null`) do not vote. When no frame votes, the fill
 * colour is {@link DEFAULT_FILL_COLOUR} (mid grey).
 */

/** An RGB colour, each channel on the 0…255 scale (float for means, integer for fill colours). */
export type Rgb = readonly [number, number, number];

/** A pixel belongs to the background region M_B when its object alpha is below this (0…255 scale). */
export const BACKGROUND_ALPHA_THRESHOLD = 128;

/** Fill colour when no frame has any background pixel. */
export const DEFAULT_FILL_COLOUR: Rgb = Object.freeze([128, 128, 128] as const);

/** Bits per channel of the dominant-colour histogram. */
export const DOMINANT_BITS = 5;

/**
 * Checks a frame's `pixels` (RGB, `width·height·3` bytes, or RGBA, `·4`, alpha ignored) and `mask`
 * (`width·height` bytes) and returns the channel count.
 * @throws TypeError naming the bad argument.
 */
export function frameChannels(pixels: Uint8Array, mask: Uint8Array, width: number, height: number): 3 | 4 {
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new TypeError(`width and height must be positive integers (got ${String(width)}x${String(height)})`);
  }
  const n = width * height;
  if (!(mask instanceof Uint8Array) || mask.length !== n) {
    throw new TypeError(`mask must be a Uint8Array of width·height = ${n} alpha bytes (object = high)`);
  }
  if (!(pixels instanceof Uint8Array) || (pixels.length !== 3 * n && pixels.length !== 4 * n)) {
    throw new TypeError(`pixels must be a Uint8Array of ${3 * n} (RGB) or ${4 * n} (RGBA) bytes for ${width}x${height}`);
  }
  return pixels.length === 3 * n ? 3 : 4;
}

/**
 * Eq. 17: the mean RGB over the pixels with mask alpha < {@link BACKGROUND_ALPHA_THRESHOLD}, as
 * floats, or `null` when the frame has no such pixel.
 * @throws TypeError when the sizes do not match (see {@link frameChannels}).
 */
export function backgroundMeanColour(pixels: Uint8Array, mask: Uint8Array, width: number, height: number): Rgb | null {
  const ch = frameChannels(pixels, mask, width, height);
  let r = 0;
  let g = 0;
  let b = 0;
  let count = 0;
  for (let p = 0, o = 0; p < mask.length; p++, o += ch) {
    if (mask[p] >= BACKGROUND_ALPHA_THRESHOLD) continue;
    r += pixels[o];
    g += pixels[o + 1];
    b += pixels[o + 2];
    count++;
  }
  return count === 0 ? null : [r / count, g / count, b / count];
}

/** Rounds a mean to the integer colour stored in BACKGROUND_META (round half up, clamped to 0…255). */
export function roundColour(c: Rgb): Rgb {
  const q = (v: number): number => Math.min(255, Math.max(0, Math.floor(v + 0.5)));
  return [q(c[0]), q(c[1]), q(c[2])];
}

/** The 15-bit histogram bin of an integer colour (5 bits per channel, R most significant). */
export function dominantBin(c: Rgb): number {
  const s = 8 - DOMINANT_BITS;
  return ((c[0] >> s) << (2 * DOMINANT_BITS)) | ((c[1] >> s) << DOMINANT_BITS) | (c[2] >> s);
}

/**
 * Accumulates per-frame means one at a time (bounded memory: one histogram of 2^15 bins) and gives
 * the dominant colour of the module doc.
 */
export class DominantColour {
  private readonly counts = new Uint32Array(1 << (3 * DOMINANT_BITS));
  private readonly sums = new Float64Array(3 << (3 * DOMINANT_BITS));
  private votes = 0;

  /** Adds one frame's mean (eq. 17); `null` (no background) is ignored. Returns the rounded mean, or null. */
  add(mean: Rgb | null): Rgb | null {
    if (mean === null) return null;
    for (const v of mean) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`a mean colour channel must be a finite number (got ${String(v)})`);
    }
    const c = roundColour(mean);
    const bin = dominantBin(c);
    this.counts[bin]++;
    this.sums[3 * bin] += c[0];
    this.sums[3 * bin + 1] += c[1];
    this.sums[3 * bin + 2] += c[2];
    this.votes++;
    return c;
  }

  /** Number of frames that voted (had a background). */
  get frames(): number {
    return this.votes;
  }

  /** The fill colour: the rounded average of the rounded means in the most populated bin (lowest index on ties). */
  result(): Rgb {
    if (this.votes === 0) return DEFAULT_FILL_COLOUR;
    let best = 0;
    for (let bin = 1; bin < this.counts.length; bin++) if (this.counts[bin] > this.counts[best]) best = bin;
    const n = this.counts[best];
    return roundColour([this.sums[3 * best] / n, this.sums[3 * best + 1] / n, this.sums[3 * best + 2] / n]);
  }
}

/** The dominant colour of a list of per-frame means (`null` entries do not vote); see the module doc. */
export function dominantColour(means: Iterable<Rgb | null>): Rgb {
  const acc = new DominantColour();
  for (const m of means) acc.add(m);
  return acc.result();
}
