/**
 * The PC-mode background preprocessing of Zhang & Chen 2025, Sect. 3.3: replace the object region
 * of a frame with the video's dominant mean colour C̄ (see `mean-colour.ts`, eq. 17) and soften the
 * silhouette with a Gaussian blur, giving the "pseudo-static sequence with low entropy" that the
 * H.264 encoder codes cheaply (flat DC-predicted blocks, no sharp edge to spend bits on).
 *
 * ## Regions (all distances Euclidean, between pixel centres)
 *
 * - Object O: pixels with mask alpha ≥ 128 (the complement of eq. 17's background M_B).
 * - Filled region F: the pixels within `dilate` px of O (O dilated by a disc; `dilate` = 0 gives O),
 *   so that soft, colour-bled edge pixels just outside the mask are replaced too.
 * - Signed edge distance s(p): for p ∉ F, (distance to the nearest pixel of F) − ½; for p ∈ F,
 *   (distance to the nearest pixel of the image not in F) − ½. Two neighbours across the boundary
 *   both have s = ½; the image border is not a boundary.
 * - Edge band B: pixels with s(p) < edgeBand / 2, i.e. a band `edgeBand` px wide centred on the
 *   boundary of F (edgeBand/2 px on each side).
 *
 * ## Output
 *
 *     filled(p) = C̄ for p ∈ F, the input colour otherwise
 *     w(p)      = 1 − s(p) / (edgeBand / 2) for p ∈ B, 0 elsewhere        (1 at the boundary, 0 at the band's edge)
 *     out(p)    = round(w · G_σ * filled + (1 − w) · filled)
 *
 * with G_σ a separable Gaussian of standard deviation σ (default edgeBand / 2), radius ⌈3σ⌉, edge
 * pixels repeated at the image border. The blur is only blended in inside B, with a weight that
 * falls to 0 at the band's edge, so every pixel outside B keeps its filled value exactly: background
 * pixels away from the object are untouched, and pixels deep inside F are exactly C̄. The blur is
 * evaluated only where B needs it (its bounding box), so the cost is proportional to the band.
 */
import { BACKGROUND_ALPHA_THRESHOLD, frameChannels, type Rgb } from './mean-colour.ts';

/** Default width in px of the blurred edge band. */
export const DEFAULT_EDGE_BAND = 8;
/** Default dilation in px of the object region before filling. */
export const DEFAULT_DILATE = 2;
/** Largest `edgeBand`, `dilate` and `sigma` accepted (they are stored as u8 / bounded f32). */
export const MAX_FILL_PARAM = 255;

/** Options of {@link fillObjectRegion}. */
export interface FillOptions {
  /** Frame width in pixels. */
  width: number;
  /** Frame height in pixels. */
  height: number;
  /** Radius in px (integer 0…255) by which the object region (alpha ≥ 128) is dilated before filling; default 2. */
  dilate?: number;
  /** Width in px (integer 0…255) of the blurred band around the filled region's boundary; default 8; 0 disables the blur. */
  edgeBand?: number;
  /** Standard deviation in px of the Gaussian edge blur (0…255); default edgeBand / 2; 0 disables the blur. */
  sigma?: number;
}

/** {@link FillOptions} with defaults applied. */
export interface ResolvedFillOptions {
  width: number;
  height: number;
  dilate: number;
  edgeBand: number;
  sigma: number;
}

/** Validates {@link FillOptions} and applies the defaults. @throws TypeError naming the bad field. */
export function resolveFillOptions(opts: FillOptions): ResolvedFillOptions {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('options must be an object');
  const { width, height } = opts;
  if (!Number.isInteger(width) || width < 1 || width > 16384 || !Number.isInteger(height) || height < 1 || height > 16384) {
    throw new TypeError(`options.width and options.height must be integers in [1, 16384] (got ${String(width)}x${String(height)})`);
  }
  const dilate = opts.dilate ?? DEFAULT_DILATE;
  if (!Number.isInteger(dilate) || dilate < 0 || dilate > MAX_FILL_PARAM) {
    throw new TypeError(`options.dilate, when provided, must be an integer in [0, ${MAX_FILL_PARAM}] px (got ${String(opts.dilate)})`);
  }
  const edgeBand = opts.edgeBand ?? DEFAULT_EDGE_BAND;
  if (!Number.isInteger(edgeBand) || edgeBand < 0 || edgeBand > MAX_FILL_PARAM) {
    throw new TypeError(`options.edgeBand, when provided, must be an integer in [0, ${MAX_FILL_PARAM}] px (got ${String(opts.edgeBand)})`);
  }
  const sigma = opts.sigma ?? edgeBand / 2;
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma < 0 || sigma > MAX_FILL_PARAM) {
    throw new TypeError(`options.sigma, when provided, must be a number in [0, ${MAX_FILL_PARAM}] px (got ${String(opts.sigma)})`);
  }
  return { width, height, dilate, edgeBand, sigma: Math.fround(sigma) };
}

const INF = 1e20;

/**
 * Exact squared Euclidean distance transform (Felzenszwalb & Huttenlocher 2012): for each pixel, the
 * squared distance to the nearest pixel with `seed[p] !== 0`, or ≥ 1e20 when there is none.
 */
export function squaredDistanceTransform(seed: Uint8Array, width: number, height: number): Float64Array {
  const d = new Float64Array(width * height);
  for (let p = 0; p < d.length; p++) d[p] = seed[p] !== 0 ? 0 : INF;
  const len = Math.max(width, height);
  const f = new Float64Array(len);
  const out = new Float64Array(len);
  const v = new Int32Array(len);
  const z = new Float64Array(len + 1);
  const pass = (n: number): void => {
    let k = 0;
    v[0] = 0;
    z[0] = -Infinity;
    z[1] = Infinity;
    for (let q = 1; q < n; q++) {
      let s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
      while (s <= z[k]) {
        k--;
        s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
      }
      k++;
      v[k] = q;
      z[k] = s;
      z[k + 1] = Infinity;
    }
    k = 0;
    for (let q = 0; q < n; q++) {
      while (z[k + 1] < q) k++;
      const dq = q - v[k];
      out[q] = dq * dq + f[v[k]];
    }
  };
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) f[y] = d[y * width + x];
    pass(height);
    for (let y = 0; y < height; y++) d[y * width + x] = out[y];
  }
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) f[x] = d[row + x];
    pass(width);
    for (let x = 0; x < width; x++) d[row + x] = Math.min(out[x], INF);
  }
  return d;
}

/** The filled region F and the blend weights w of the edge band (module doc). */
export interface FillRegions {
  /** 1 for pixels of F (replaced by the fill colour), 0 elsewhere; one byte per pixel. */
  filled: Uint8Array;
  /** w(p) in (0, 1] inside the edge band B, 0 outside; one float per pixel. */
  weight: Float32Array;
  /** Bounding box of B (inclusive), or null when B is empty. */
  band: { x0: number; y0: number; x1: number; y1: number } | null;
}

/**
 * Computes F (alpha ≥ 128 dilated by `dilate`) and the band weights of the module doc from a mask.
 * @throws TypeError for bad options or a mask of the wrong size.
 */
export function fillRegions(mask: Uint8Array, opts: FillOptions): FillRegions {
  const o = resolveFillOptions(opts);
  const { width, height } = o;
  const n = width * height;
  if (!(mask instanceof Uint8Array) || mask.length !== n) {
    throw new TypeError(`mask must be a Uint8Array of width·height = ${n} alpha bytes (object = high)`);
  }
  const filled = new Uint8Array(n);
  let any = false;
  for (let p = 0; p < n; p++) {
    if (mask[p] >= BACKGROUND_ALPHA_THRESHOLD) {
      filled[p] = 1;
      any = true;
    }
  }
  if (any && o.dilate > 0) {
    const d2 = squaredDistanceTransform(filled, width, height);
    const r2 = o.dilate * o.dilate;
    for (let p = 0; p < n; p++) if (d2[p] <= r2) filled[p] = 1;
  }
  const weight = new Float32Array(n);
  const half = o.edgeBand / 2;
  if (!any || half === 0 || o.sigma === 0) return { filled, weight, band: null };
  const outside = new Uint8Array(n);
  let anyOutside = false;
  for (let p = 0; p < n; p++) {
    if (filled[p] === 0) {
      outside[p] = 1;
      anyOutside = true;
    }
  }
  if (!anyOutside) return { filled, weight, band: null };
  const toF = squaredDistanceTransform(filled, width, height);
  const toOutside = squaredDistanceTransform(outside, width, height);
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const s = Math.sqrt(filled[p] !== 0 ? toOutside[p] : toF[p]) - 0.5;
      if (s < half) {
        weight[p] = 1 - s / half;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return { filled, weight, band: x1 < 0 ? null : { x0, y0, x1, y1 } };
}

/** Normalized 1-D Gaussian taps k[0…2R], R = ⌈3σ⌉. */
export function gaussianKernel(sigma: number): Float64Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let j = -r; j <= r; j++) {
    const v = Math.exp(-(j * j) / (2 * sigma * sigma));
    k[j + r] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/**
 * Fills the object region of one frame with `fill` and blurs the edge band (module doc).
 *
 * @param pixels the frame, RGB (`width·height·3` bytes) or RGBA (`·4`, alpha ignored), rows top to bottom.
 * @param mask the object's alpha, `width·height` bytes, object = high (≥ 128 is object).
 * @param fill the fill colour C̄, integers 0…255 (see `DominantColour`).
 * @returns a new RGB24 frame, `width·height·3` bytes.
 * @throws TypeError for bad options, sizes or fill colour.
 */
export function fillObjectRegion(pixels: Uint8Array, mask: Uint8Array, fill: Rgb, opts: FillOptions): Uint8Array {
  const o = resolveFillOptions(opts);
  const { width, height } = o;
  const ch = frameChannels(pixels, mask, width, height);
  if (!Array.isArray(fill) || fill.length !== 3 || fill.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) {
    throw new TypeError(`fill must be three integers in [0, 255] (got ${JSON.stringify(fill)})`);
  }
  const n = width * height;
  const { filled, weight, band } = fillRegions(mask, o);
  const out = new Uint8Array(3 * n);
  for (let p = 0; p < n; p++) {
    const src = p * ch;
    const dst = 3 * p;
    if (filled[p] !== 0) {
      out[dst] = fill[0];
      out[dst + 1] = fill[1];
      out[dst + 2] = fill[2];
    } else {
      out[dst] = pixels[src];
      out[dst + 1] = pixels[src + 1];
      out[dst + 2] = pixels[src + 2];
    }
  }
  if (band === null) return out;

  // Horizontal pass over the band's columns, on the rows the vertical pass will read.
  const k = gaussianKernel(o.sigma);
  const r = (k.length - 1) / 2;
  const bw = band.x1 - band.x0 + 1;
  const ry0 = Math.max(0, band.y0 - r);
  const ry1 = Math.min(height - 1, band.y1 + r);
  const tmp = new Float32Array(3 * bw * (ry1 - ry0 + 1));
  for (let y = ry0; y <= ry1; y++) {
    const row = y * width;
    for (let x = band.x0; x <= band.x1; x++) {
      let a = 0;
      let b = 0;
      let c = 0;
      for (let j = -r; j <= r; j++) {
        const xx = x + j < 0 ? 0 : x + j >= width ? width - 1 : x + j;
        const q = 3 * (row + xx);
        const kj = k[j + r];
        a += kj * out[q];
        b += kj * out[q + 1];
        c += kj * out[q + 2];
      }
      const t = 3 * ((y - ry0) * bw + (x - band.x0));
      tmp[t] = a;
      tmp[t + 1] = b;
      tmp[t + 2] = c;
    }
  }
  // Vertical pass and blend at the band's pixels only. It reads `tmp` and, at p itself, the filled
  // value out[p] before overwriting it, so writing in place is safe.
  for (let y = band.y0; y <= band.y1; y++) {
    for (let x = band.x0; x <= band.x1; x++) {
      const p = y * width + x;
      const w = weight[p];
      if (w === 0) continue;
      let a = 0;
      let b = 0;
      let c = 0;
      for (let j = -r; j <= r; j++) {
        const yy = y + j < 0 ? 0 : y + j >= height ? height - 1 : y + j;
        const t = 3 * ((yy - ry0) * bw + (x - band.x0));
        const kj = k[j + r];
        a += kj * tmp[t];
        b += kj * tmp[t + 1];
        c += kj * tmp[t + 2];
      }
      const q = 3 * p;
      out[q] = Math.round(w * a + (1 - w) * out[q]);
      out[q + 1] = Math.round(w * b + (1 - w) * out[q + 1]);
      out[q + 2] = Math.round(w * c + (1 - w) * out[q + 2]);
    }
  }
  return out;
}
