/**
 * Options of the synthetic sample capture (`writeSample` in write-sample.ts): every field with its
 * default, and the validator that turns a partial {@link SampleOptions} into a complete
 * {@link ResolvedSampleOptions} or throws a `TypeError` naming the bad field.
 */

/** Progress report: `frame` frames of `frames` have been rendered and written. */
export type SampleProgress = (frame: number, frames: number) => void;

/** Options of `writeSample`. Only `out` is required; the defaults are in {@link SAMPLE_DEFAULTS}. */
export interface SampleOptions {
  /** Output folder (created if missing; existing files with the same names are overwritten). */
  out: string;
  /** Number of frames on the orbit, default 64 (integer in [1, 10000]). */
  frames?: number;
  /** Image width in pixels, default 256 (integer in [8, 4096]). */
  width?: number;
  /** Image height in pixels, default 256 (integer in [8, 4096]). */
  height?: number;
  /** Frame rate of `video.mp4`, default 24 (finite, in (0, 240]). */
  fps?: number;
  /**
   * Rays per pixel for anti-aliasing, default 4 (integer in [1, 64]). A perfect square n² uses an
   * n×n jittered grid; any other count uses n-rooks (Latin-square) jitter; 1 samples the pixel centre.
   */
  samplesPerPixel?: number;
  /** Seed of the pixel jitter and of the printed glyph patterns, default 1 (integer in [0, 2³²)). */
  seed?: number;
  /** Horizontal field of view in degrees (`camera_angle_x`), default 60 (in [10, 120]). */
  fovDeg?: number;
  /** Distance of every camera from the world origin (the object centre), default 4 (in [2, 20]). */
  distance?: number;
  /** Mean camera elevation above the horizontal plane in degrees, default 20. */
  elevationDeg?: number;
  /**
   * Amplitude in degrees of the elevation bobbing (one sine period per orbit), default 8. The
   * elevation `elevationDeg ± elevationSwingDeg` must stay within [-10, 80].
   */
  elevationSwingDeg?: number;
  /** Azimuth swept by the orbit in degrees, default 360 (non-zero, in [-720, 720]; negative = clockwise). */
  orbitDeg?: number;
  /** Azimuth of the first camera in degrees (0 = on the +x axis), default 0. */
  startAzimuthDeg?: number;
  /** Write `video.mp4` (H.264 of the RGB frames), default true. */
  video?: boolean;
  /** CRF of `video.mp4` (0 … 51), default 18. */
  crf?: number;
  /** Called after each frame is rendered and written; not saved to `sample.json`. */
  onProgress?: SampleProgress;
}

/** {@link SampleOptions} with every default filled in. */
export interface ResolvedSampleOptions {
  out: string;
  frames: number;
  width: number;
  height: number;
  fps: number;
  samplesPerPixel: number;
  seed: number;
  fovDeg: number;
  distance: number;
  elevationDeg: number;
  elevationSwingDeg: number;
  orbitDeg: number;
  startAzimuthDeg: number;
  video: boolean;
  crf: number;
  onProgress: SampleProgress | undefined;
}

/** The defaults of every optional {@link SampleOptions} field. */
export const SAMPLE_DEFAULTS: Readonly<Omit<ResolvedSampleOptions, 'out' | 'onProgress'>> = Object.freeze({
  frames: 64,
  width: 256,
  height: 256,
  fps: 24,
  samplesPerPixel: 4,
  seed: 1,
  fovDeg: 60,
  distance: 4,
  elevationDeg: 20,
  elevationSwingDeg: 8,
  orbitDeg: 360,
  startAzimuthDeg: 0,
  video: true,
  crf: 18,
});

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function intIn(opts: SampleOptions, key: keyof SampleOptions, lo: number, hi: number): number {
  const v = opts[key] ?? SAMPLE_DEFAULTS[key as keyof typeof SAMPLE_DEFAULTS];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new TypeError(`options.${key}, when provided, must be an integer in [${lo}, ${hi}] (got ${show(opts[key])})`);
  }
  return v;
}

function numIn(opts: SampleOptions, key: keyof SampleOptions, lo: number, hi: number, openLo = false): number {
  const v = opts[key] ?? SAMPLE_DEFAULTS[key as keyof typeof SAMPLE_DEFAULTS];
  if (typeof v !== 'number' || !Number.isFinite(v) || v > hi || (openLo ? v <= lo : v < lo)) {
    const range = `${openLo ? '(' : '['}${lo}, ${hi}]`;
    throw new TypeError(`options.${key}, when provided, must be a finite number in ${range} (got ${show(opts[key])})`);
  }
  return v;
}

/** Fills in defaults and validates, throwing a `TypeError` that names the first bad field. */
export function resolveSampleOptions(opts: SampleOptions): ResolvedSampleOptions {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('options must be an object');
  if (typeof opts.out !== 'string' || opts.out.length === 0) {
    throw new TypeError(`options.out must be a non-empty string (got ${show(opts.out)})`);
  }
  const resolved: ResolvedSampleOptions = {
    out: opts.out,
    frames: intIn(opts, 'frames', 1, 10000),
    width: intIn(opts, 'width', 8, 4096),
    height: intIn(opts, 'height', 8, 4096),
    fps: numIn(opts, 'fps', 0, 240, true),
    samplesPerPixel: intIn(opts, 'samplesPerPixel', 1, 64),
    seed: intIn(opts, 'seed', 0, 0xffffffff),
    fovDeg: numIn(opts, 'fovDeg', 10, 120),
    distance: numIn(opts, 'distance', 2, 20),
    elevationDeg: numIn(opts, 'elevationDeg', -10, 80),
    elevationSwingDeg: numIn(opts, 'elevationSwingDeg', 0, 45),
    orbitDeg: numIn(opts, 'orbitDeg', -720, 720),
    startAzimuthDeg: numIn(opts, 'startAzimuthDeg', -360, 360),
    video: opts.video ?? SAMPLE_DEFAULTS.video,
    crf: numIn(opts, 'crf', 0, 51),
    onProgress: opts.onProgress,
  };
  if (resolved.orbitDeg === 0) throw new TypeError('options.orbitDeg, when provided, must not be 0');
  const lowest = resolved.elevationDeg - resolved.elevationSwingDeg;
  const highest = resolved.elevationDeg + resolved.elevationSwingDeg;
  if (lowest < -10 || highest > 80) {
    throw new TypeError(
      `options.elevationDeg ± options.elevationSwingDeg must stay within [-10, 80] (got ${lowest} … ${highest})`,
    );
  }
  if (typeof resolved.video !== 'boolean') {
    throw new TypeError(`options.video, when provided, must be a boolean (got ${show(opts.video)})`);
  }
  if (resolved.onProgress !== undefined && typeof resolved.onProgress !== 'function') {
    throw new TypeError('options.onProgress, when provided, must be a function');
  }
  return resolved;
}
