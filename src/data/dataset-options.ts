/**
 * Options of `loadPosedDataset` / `loadPoses`, their defaults, and the validator that turns a
 * partial option object into a resolved one (throwing a `TypeError` that names the field).
 */

/** Resampling kernels offered for downscaling (a subset of sharp's `kernel` names). */
export type DownscaleKernel = 'mitchell' | 'cubic' | 'linear' | 'lanczos3';

/** Options of `loadPoses`: everything that changes intrinsics or the world → unit-box mapping. */
export interface PoseOptions {
  /**
   * Integer image downscale factor K ≥ 1 (default 1). Images become `round(w/K) × round(h/K)`
   * and intrinsics scale by the exact resulting ratio (fx/K, cx/K, … when K divides the size).
   */
  downscale?: number;
  /**
   * Half-size, in world units, of the cube mapped onto the unit box [0,1]³ (optional). Overrides
   * `aabb_scale` (instant-ngp files: the cube stays centred on the point that ngp maps to 0.5) or
   * the 0.6 × median-camera-distance heuristic (nerfstudio files).
   */
  boxHalfSize?: number;
}

/** Options of `loadPosedDataset`. */
export interface DatasetOptions extends PoseOptions {
  /**
   * Hold-out period N (default 8): frames whose index (after sorting by file path) satisfies
   * `i % N === 0` form the test split, as in mip-NeRF / instant-ngp evaluations. 0 = no hold-out.
   */
  holdoutEvery?: number;
  /** Number of images decoded at once (default 4; sharp runs them on libuv's thread pool). */
  concurrency?: number;
  /**
   * Downscale resampling kernel (default 'cubic', Catmull-Rom: on fox at K = 4 it is the closest of
   * sharp's kernels to the exact 4x4 box average, 48–50 dB PSNR, against 45–46 dB for 'mitchell').
   */
  kernel?: DownscaleKernel;
}

/** {@link DatasetOptions} with every default filled in. */
export interface ResolvedDatasetOptions {
  /** See {@link PoseOptions.downscale}. */
  downscale: number;
  /** See {@link PoseOptions.boxHalfSize}; undefined = use the file's convention. */
  boxHalfSize: number | undefined;
  /** See {@link DatasetOptions.holdoutEvery}. */
  holdoutEvery: number;
  /** See {@link DatasetOptions.concurrency}. */
  concurrency: number;
  /** See {@link DatasetOptions.kernel}. */
  kernel: DownscaleKernel;
}

/** Default values of {@link DatasetOptions}. */
export const DEFAULT_DATASET_OPTIONS: Readonly<ResolvedDatasetOptions> = Object.freeze({
  downscale: 1,
  boxHalfSize: undefined,
  holdoutEvery: 8,
  concurrency: 4,
  kernel: 'cubic',
});

const KERNELS: readonly DownscaleKernel[] = ['mitchell', 'cubic', 'linear', 'lanczos3'];

function isInt(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min;
}

/**
 * Validates `opts` and fills in defaults.
 * @param name how the option object is called in error messages (default 'opts').
 * @throws TypeError naming the offending field, e.g. `opts.downscale, when provided, must be …`.
 */
export function resolveDatasetOptions(opts: DatasetOptions = {}, name = 'opts'): ResolvedDatasetOptions {
  if (opts === null || typeof opts !== 'object') {
    throw new TypeError(`${name} must be an object (got ${opts === null ? 'null' : typeof opts})`);
  }
  const r: ResolvedDatasetOptions = { ...DEFAULT_DATASET_OPTIONS };
  if (opts.downscale !== undefined) {
    if (!isInt(opts.downscale, 1)) {
      throw new TypeError(`${name}.downscale, when provided, must be an integer >= 1 (got ${String(opts.downscale)})`);
    }
    r.downscale = opts.downscale;
  }
  if (opts.boxHalfSize !== undefined) {
    if (typeof opts.boxHalfSize !== 'number' || !Number.isFinite(opts.boxHalfSize) || opts.boxHalfSize <= 0) {
      throw new TypeError(`${name}.boxHalfSize, when provided, must be a finite number > 0 (got ${String(opts.boxHalfSize)})`);
    }
    r.boxHalfSize = opts.boxHalfSize;
  }
  if (opts.holdoutEvery !== undefined) {
    if (!isInt(opts.holdoutEvery, 0)) {
      throw new TypeError(`${name}.holdoutEvery, when provided, must be an integer >= 0 (got ${String(opts.holdoutEvery)})`);
    }
    r.holdoutEvery = opts.holdoutEvery;
  }
  if (opts.concurrency !== undefined) {
    if (!isInt(opts.concurrency, 1)) {
      throw new TypeError(`${name}.concurrency, when provided, must be an integer >= 1 (got ${String(opts.concurrency)})`);
    }
    r.concurrency = opts.concurrency;
  }
  if (opts.kernel !== undefined) {
    if (!KERNELS.includes(opts.kernel)) {
      throw new TypeError(`${name}.kernel, when provided, must be one of ${KERNELS.join(', ')} (got ${String(opts.kernel)})`);
    }
    r.kernel = opts.kernel;
  }
  return r;
}
