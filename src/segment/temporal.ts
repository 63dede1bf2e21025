/**
 * Temporal consistency of the per-frame soft alpha: a per-pixel median over a sliding window of
 * neighbouring frames, applied before thresholding (`postprocess.ts`).
 *
 * ## Why a median
 * In a video of a static object seen by a slowly moving camera the true alpha of a pixel changes
 * little from frame to frame, while a segmentation model's failures are short: one frame loses part
 * of the object or picks up a background blob. A median over 2r + 1 frames removes any such failure
 * lasting at most r frames at every pixel, yet, unlike a mean or an EMA, does not smear a correct
 * edge that moves steadily (the median of a monotone sequence is its middle value, i.e. the current
 * frame), and needs no tuned rejection threshold as an IoU test between frames would. The price is a
 * latency of r frames and a buffer of 2r + 1 alphas, so memory stays bounded.
 *
 * ## Edges of the sequence
 * Windows are truncated at both ends (frame 0 sees frames 0…r); when the window holds an even number
 * of frames the median is the rounded mean of the two middle values. With r = 1 a one-frame failure
 * on the first or last frame is thus halved rather than removed. r = 0 turns the filter off.
 */

/** Options of {@link TemporalMedian}; every field optional. */
export interface TemporalOptions {
  /** r: window half-width in frames (integer in [0, 4]); the window is 2r + 1 frames; default 1. */
  radius?: number;
}

/** Defaults of {@link TemporalOptions}. */
export const TEMPORAL_DEFAULTS: Readonly<Required<TemporalOptions>> = Object.freeze({ radius: 1 });

/** The largest window half-width accepted. */
export const TEMPORAL_MAX_RADIUS = 4;

/** One filtered frame: its alpha and the value that was pushed with it. */
export interface TemporalOutput<T> {
  /** The filtered alpha, 0…255, a new array. */
  alpha: Uint8Array;
  /** What was pushed with this frame. */
  item: T;
}

/** Validates {@link TemporalOptions}, throwing a `TypeError` naming the field. */
export function resolveTemporalOptions(opts: TemporalOptions = {}, prefix = 'options.'): Required<TemporalOptions> {
  if (typeof opts !== 'object' || opts === null) throw new TypeError(`${prefix.replace(/\.$/, '')} must be an object`);
  const radius = opts.radius ?? TEMPORAL_DEFAULTS.radius;
  if (!Number.isInteger(radius) || radius < 0 || radius > TEMPORAL_MAX_RADIUS) {
    throw new TypeError(`${prefix}radius, when provided, must be an integer in [0, ${TEMPORAL_MAX_RADIUS}] (got ${String(opts.radius)})`);
  }
  return { radius };
}

/**
 * Median of `count` alphas (count ≤ 2·4 + 1) at every pixel; for an even count the rounded mean of
 * the two middle values.
 */
export function medianOfAlphas(alphas: readonly Uint8Array[]): Uint8Array {
  const k = alphas.length;
  if (k === 0) throw new TypeError('alphas must hold at least one alpha');
  const n = alphas[0]!.length;
  for (const a of alphas) if (a.length !== n) throw new TypeError('alphas must all have the same size');
  const out = new Uint8Array(n);
  if (k === 1) {
    out.set(alphas[0]!);
    return out;
  }
  if (k === 2) {
    const [a, b] = alphas as [Uint8Array, Uint8Array];
    for (let i = 0; i < n; i++) out[i] = (a[i]! + b[i]! + 1) >> 1;
    return out;
  }
  if (k === 3) {
    const [a, b, c] = alphas as [Uint8Array, Uint8Array, Uint8Array];
    for (let i = 0; i < n; i++) {
      const x = a[i]!;
      const y = b[i]!;
      const z = c[i]!;
      out[i] = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    }
    return out;
  }
  const v = new Uint8Array(k);
  const mid = k >> 1;
  for (let i = 0; i < n; i++) {
    // Insertion sort of k ≤ 9 values.
    for (let j = 0; j < k; j++) {
      const x = alphas[j]![i]!;
      let m = j;
      while (m > 0 && v[m - 1]! > x) {
        v[m] = v[m - 1]!;
        m--;
      }
      v[m] = x;
    }
    out[i] = k % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]! + 1) >> 1;
  }
  return out;
}

/**
 * A streaming temporal median (see the module doc). Push frames in order with {@link push}; each call
 * returns the frames whose window is complete (none for the first r pushes, then one per push), and
 * {@link flush} returns the last r frames at the end. At most 2r + 1 alphas are held.
 */
export class TemporalMedian<T> {
  /** r, the window half-width. */
  readonly radius: number;
  /** Buffered frames: alphas and items with their frame indices. */
  private readonly buf: { index: number; alpha: Uint8Array; item: T }[] = [];
  /** Index of the next frame pushed. */
  private pushed = 0;
  /** Index of the next frame to emit. */
  private emitted = 0;
  private size = -1;

  constructor(opts: TemporalOptions = {}) {
    this.radius = resolveTemporalOptions(opts).radius;
  }

  /**
   * Adds the next frame's alpha (not copied; do not modify it afterwards).
   * @throws TypeError when the alpha's size differs from the first frame's.
   */
  push(alpha: Uint8Array, item: T): TemporalOutput<T>[] {
    if (!(alpha instanceof Uint8Array)) throw new TypeError('alpha must be a Uint8Array');
    if (this.size < 0) this.size = alpha.length;
    else if (alpha.length !== this.size) {
      throw new TypeError(`alpha of frame ${this.pushed} has ${alpha.length} bytes, the first frame's had ${this.size}; all frames must have one size`);
    }
    this.buf.push({ index: this.pushed++, alpha, item });
    const out: TemporalOutput<T>[] = [];
    while (this.emitted + this.radius < this.pushed) out.push(this.emit(this.pushed - 1));
    return out;
  }

  /** Returns the frames still waiting for their window (call once, after the last push). */
  flush(): TemporalOutput<T>[] {
    const out: TemporalOutput<T>[] = [];
    while (this.emitted < this.pushed) out.push(this.emit(this.pushed - 1));
    return out;
  }

  /** Emits frame `this.emitted`, with the window truncated at `last`, and drops what no window needs. */
  private emit(last: number): TemporalOutput<T> {
    const i = this.emitted++;
    const lo = Math.max(0, i - this.radius);
    const hi = Math.min(last, i + this.radius);
    const window = this.buf.filter((f) => f.index >= lo && f.index <= hi).map((f) => f.alpha);
    const self = this.buf.find((f) => f.index === i)!;
    const alpha = medianOfAlphas(window);
    // Frame i + 1 needs frames from i + 1 − r on.
    while (this.buf.length > 0 && this.buf[0]!.index < i + 1 - this.radius) this.buf.shift();
    return { alpha, item: self.item };
  }
}
