/**
 * Per-frame clean-up of a segmentation model's soft alpha into the object mask of Zhang & Chen 2025,
 * Sect. 3.3 (one central object per frame):
 *
 *  1. threshold: object where alpha ≥ `threshold` (default 128, the convention of `src/background`);
 *  2. largest connected component (8-connected) of the object pixels; other blobs are dropped;
 *  3. hole filling: background regions (4-connected, the dual of 8-connected objects) that do not touch
 *     the frame border and are at most `maxHoleFraction` of the object's area become object. Larger
 *     enclosed regions are kept as background: at 5 % of the object (the default) they are more likely
 *     a real opening (a handle, a ring) than a model error such as a specular highlight;
 *  4. the soft alpha is made consistent with the mask: 255 in filled holes, its own value in the
 *     object, and outside the object only in a band of `edgeBand` px around it (reached through pixels
 *     with alpha > 0), so anti-aliased edges stay soft while the halo of dropped blobs becomes 0.
 *
 * Masks are `width·height` bytes, 0 (background) or 255 (object), rows top to bottom.
 */

/** Options of {@link postprocessAlpha}; every field optional. */
export interface PostprocessOptions {
  /** Alpha (0…255) at or above which a pixel is object; integer in [1, 255], default 128. */
  threshold?: number;
  /** Keep only the largest 8-connected object component; default true. */
  largestComponent?: boolean;
  /** Fill enclosed background regions (holes); default true. */
  fillHoles?: boolean;
  /** Largest hole filled, as a fraction of the object's area (in [0, 1]); default 0.05. */
  maxHoleFraction?: number;
  /** Width in px (integer in [0, 64]) of the band outside the mask where the soft alpha is kept; default 4. */
  edgeBand?: number;
}

/** {@link PostprocessOptions} with defaults applied. */
export type ResolvedPostprocessOptions = Required<PostprocessOptions>;

/** Defaults of {@link PostprocessOptions}. */
export const POSTPROCESS_DEFAULTS: Readonly<ResolvedPostprocessOptions> = Object.freeze({
  threshold: 128,
  largestComponent: true,
  fillHoles: true,
  maxHoleFraction: 0.05,
  edgeBand: 4,
});

/** What {@link postprocessAlpha} returns. */
export interface PostprocessResult {
  /** The binary object mask, 0 or 255 per pixel. */
  mask: Uint8Array;
  /** The soft alpha made consistent with `mask` (see the module doc), 0…255. */
  alpha: Uint8Array;
  /** Number of object pixels in `mask`. */
  area: number;
  /** Number of 8-connected object components before step 2. */
  components: number;
  /** Number of pixels that hole filling turned into object. */
  filledPixels: number;
}

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Validates {@link PostprocessOptions} (prefix names the field's path), throwing a `TypeError` naming the first bad field. */
export function resolvePostprocessOptions(opts: PostprocessOptions = {}, prefix = 'options.'): ResolvedPostprocessOptions {
  if (typeof opts !== 'object' || opts === null) throw new TypeError(`${prefix.replace(/\.$/, '')} must be an object`);
  const o = { ...POSTPROCESS_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) };
  if (!Number.isInteger(o.threshold) || o.threshold < 1 || o.threshold > 255) {
    throw new TypeError(`${prefix}threshold, when provided, must be an integer in [1, 255] (got ${describe(opts.threshold)})`);
  }
  for (const key of ['largestComponent', 'fillHoles'] as const) {
    if (typeof o[key] !== 'boolean') throw new TypeError(`${prefix}${key}, when provided, must be a boolean (got ${describe(opts[key])})`);
  }
  if (typeof o.maxHoleFraction !== 'number' || !(o.maxHoleFraction >= 0 && o.maxHoleFraction <= 1)) {
    throw new TypeError(`${prefix}maxHoleFraction, when provided, must be a number in [0, 1] (got ${describe(opts.maxHoleFraction)})`);
  }
  if (!Number.isInteger(o.edgeBand) || o.edgeBand < 0 || o.edgeBand > 64) {
    throw new TypeError(`${prefix}edgeBand, when provided, must be an integer in [0, 64] (got ${describe(opts.edgeBand)})`);
  }
  return o as ResolvedPostprocessOptions;
}

function checkPlane(name: string, a: Uint8Array, width: number, height: number): void {
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new TypeError(`width and height must be integers ≥ 1 (got ${width}x${height})`);
  }
  if (!(a instanceof Uint8Array) || a.length !== width * height) {
    throw new TypeError(`${name} must be a Uint8Array of width·height = ${width * height} bytes`);
  }
}

/** Binary mask (0/255) of the pixels with alpha ≥ threshold. */
export function thresholdAlpha(alpha: Uint8Array, threshold: number): Uint8Array {
  const out = new Uint8Array(alpha.length);
  for (let i = 0; i < alpha.length; i++) out[i] = alpha[i]! >= threshold ? 255 : 0;
  return out;
}

/**
 * Labels the connected components of the pixels where `inside(p)` holds, 8- or 4-connected.
 * Returns the label per pixel (0 = not inside, 1… = component) and each component's size
 * (`sizes[label]`, `sizes[0]` unused).
 */
function labelComponents(
  width: number,
  height: number,
  inside: (p: number) => boolean,
  connectivity: 4 | 8,
): { labels: Int32Array; sizes: number[] } {
  const n = width * height;
  const labels = new Int32Array(n);
  const queue = new Int32Array(n);
  const sizes = [0];
  for (let seed = 0; seed < n; seed++) {
    if (labels[seed] !== 0 || !inside(seed)) continue;
    const label = sizes.length;
    let head = 0;
    let tail = 0;
    queue[tail++] = seed;
    labels[seed] = label;
    while (head < tail) {
      const p = queue[head++]!;
      const x = p % width;
      const y = (p - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          if (dx === 0 && dy === 0) continue;
          if (connectivity === 4 && dx !== 0 && dy !== 0) continue;
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const q = yy * width + xx;
          if (labels[q] === 0 && inside(q)) {
            labels[q] = label;
            queue[tail++] = q;
          }
        }
      }
    }
    sizes.push(tail);
  }
  return { labels, sizes };
}

/**
 * Keeps the largest 8-connected component of a binary mask (non-zero = object); ties go to the
 * component found first in raster order. Returns the new 0/255 mask and the component count.
 */
export function keepLargestComponent(mask: Uint8Array, width: number, height: number): { mask: Uint8Array; components: number } {
  checkPlane('mask', mask, width, height);
  const { labels, sizes } = labelComponents(width, height, (p) => mask[p] !== 0, 8);
  const out = new Uint8Array(mask.length);
  if (sizes.length === 1) return { mask: out, components: 0 };
  let best = 1;
  for (let l = 2; l < sizes.length; l++) if (sizes[l]! > sizes[best]!) best = l;
  for (let p = 0; p < out.length; p++) out[p] = labels[p] === best ? 255 : 0;
  return { mask: out, components: sizes.length - 1 };
}

/**
 * Fills the holes of a binary mask: 4-connected background regions that do not touch the frame
 * border and have at most `maxHoleArea` pixels. Returns the new 0/255 mask and the pixels filled.
 */
export function fillHoles(mask: Uint8Array, width: number, height: number, maxHoleArea = Infinity): { mask: Uint8Array; filledPixels: number } {
  checkPlane('mask', mask, width, height);
  const { labels, sizes } = labelComponents(width, height, (p) => mask[p] === 0, 4);
  // Regions touching the border are the outside, not holes.
  const outside = new Uint8Array(sizes.length);
  for (let x = 0; x < width; x++) {
    outside[labels[x]!] = 1;
    outside[labels[(height - 1) * width + x]!] = 1;
  }
  for (let y = 0; y < height; y++) {
    outside[labels[y * width]!] = 1;
    outside[labels[y * width + width - 1]!] = 1;
  }
  const out = new Uint8Array(mask.length);
  let filled = 0;
  for (let p = 0; p < out.length; p++) {
    const l = labels[p]!;
    if (l === 0) out[p] = 255;
    else if (!outside[l] && sizes[l]! <= maxHoleArea) {
      out[p] = 255;
      filled++;
    }
  }
  return { mask: out, filledPixels: filled };
}

/**
 * Makes a soft alpha consistent with a binary mask (step 4 of the module doc): 255 where the mask is
 * set and the alpha is below `threshold` (filled holes), the alpha itself elsewhere in the mask, the
 * alpha within `edgeBand` 8-connected steps outside the mask through pixels with 0 < alpha <
 * threshold, and 0 everywhere else.
 */
export function refineAlpha(alpha: Uint8Array, mask: Uint8Array, width: number, height: number, threshold: number, edgeBand: number): Uint8Array {
  checkPlane('alpha', alpha, width, height);
  checkPlane('mask', mask, width, height);
  const n = width * height;
  const out = new Uint8Array(n);
  const dist = new Uint8Array(n).fill(255);
  const queue = new Int32Array(n);
  let tail = 0;
  for (let p = 0; p < n; p++) {
    if (mask[p] !== 0) {
      out[p] = alpha[p]! >= threshold ? alpha[p]! : 255;
      dist[p] = 0;
      if (edgeBand > 0) queue[tail++] = p;
    }
  }
  let head = 0;
  while (head < tail) {
    const p = queue[head++]!;
    const d = dist[p]! + 1;
    if (d > edgeBand) continue;
    const x = p % width;
    const y = (p - x) / width;
    for (let dy = -1; dy <= 1; dy++) {
      const yy = y + dy;
      if (yy < 0 || yy >= height) continue;
      for (let dx = -1; dx <= 1; dx++) {
        const xx = x + dx;
        if (xx < 0 || xx >= width || (dx === 0 && dy === 0)) continue;
        const q = yy * width + xx;
        const a = alpha[q]!;
        if (dist[q]! > d && a > 0 && a < threshold) {
          dist[q] = d;
          out[q] = a;
          queue[tail++] = q;
        }
      }
    }
  }
  return out;
}

/**
 * Runs steps 1-4 of the module doc on one frame's soft alpha.
 * @throws TypeError for bad options or an alpha of the wrong size.
 */
export function postprocessAlpha(alpha: Uint8Array, width: number, height: number, opts: PostprocessOptions = {}): PostprocessResult {
  const o = resolvePostprocessOptions(opts);
  checkPlane('alpha', alpha, width, height);
  let mask = thresholdAlpha(alpha, o.threshold);
  let components = -1;
  if (o.largestComponent) {
    const r = keepLargestComponent(mask, width, height);
    mask = r.mask;
    components = r.components;
  } else {
    components = labelComponents(width, height, (p) => mask[p] !== 0, 8).sizes.length - 1;
  }
  let area = 0;
  for (let p = 0; p < mask.length; p++) if (mask[p] !== 0) area++;
  let filledPixels = 0;
  if (o.fillHoles && area > 0) {
    const r = fillHoles(mask, width, height, Math.floor(o.maxHoleFraction * area));
    mask = r.mask;
    filledPixels = r.filledPixels;
    area += filledPixels;
  }
  return { mask, alpha: refineAlpha(alpha, mask, width, height, o.threshold, o.edgeBand), area, components, filledPixels };
}

/** Intersection over union of two binary masks (non-zero = object); 1 when both are empty. */
export function maskIoU(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new TypeError(`masks must have the same size (got ${a.length} and ${b.length} bytes)`);
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] !== 0;
    const y = b[i] !== 0;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : inter / union;
}
