/** Training settings (Instant-NGP's schedule, with the paper's MSE loss, eq. 7). */

export interface TrainConfig {
  /** Optimizer steps (upper bound when a time budget is set). */
  steps: number;
  /** Target samples per step; the number of rays adapts so that the march yields about this many. */
  samplesPerStep: number;
  /** Rays in the first step (then adapted). */
  initialRays: number;
  /** Upper bound of rays per step. */
  maxRays: number;
  /** Peak learning rate of Adam for every parameter group (Instant-NGP: 1e-2). */
  lr: number;
  /** Linear warm-up of the learning rate over this many steps. */
  warmupSteps: number;
  /** Step decay: the learning rate is multiplied by `decayFactor` at each of these fractions of `steps`. */
  decayAt: number[];
  decayFactor: number;
  /** L2 weight decay on the MLP weights (Instant-NGP: 1e-6). */
  mlpL2: number;
  /** Random seed (initialisation, ray sampling). */
  seed: number;
  /**
   * The rate term of eq. 24-26 (loss = MSE + λ·estimated bits per parameter); absent = MSE only. Needs
   * a binarized grid (FieldConfig.grid.binarize).
   */
  rate?: RateConfig;
  /**
   * λ_m of the mask loss (NeuS's): λ_m·BCE(1 − T, a) per ray against the frame's alpha a, beside the
   * MSE. It removes the faint fog the MSE tolerates in front of the background (render/composite/
   * composite.wgsl). Absent or 0 = off; ignored for frames without alpha.
   */
  maskWeight?: number;
  /**
   * λ_d of Mip-NeRF 360's distortion loss (eq. 15) per ray, distances in unit-box units: pulls each
   * ray's weights into one short interval, so surfaces become sharp instead of a haze over several cells
   * (fewer occupied cells after pruning, fewer samples to render). Absent or 0 = off.
   */
  distWeight?: number;
  /**
   * Visibility pruning of the occupancy grid before coding; absent = none. Over a window of training
   * rays the largest compositing weight T·α of each cell is recorded; at `at` the cells that never
   * reached `minWeight` (occluded insides, faint fog) are emptied and the grid is frozen, and the
   * remaining steps fine-tune the field on the pruned grid. Fewer occupied cells cost fewer bits in the
   * OCCUPANCY section, activate fewer grid entries, and leave fewer samples to render.
   */
  prune?: PruneConfig;
}

/** When and how hard to prune the occupancy grid (see {@link TrainConfig.prune}). */
export interface PruneConfig {
  /** Fraction of training at which the grid is pruned and frozen (0 < at < 1). */
  at: number;
  /** Fraction of training, just before `at`, over which visibility is recorded (0 < window ≤ at). */
  window: number;
  /** ε: a cell stays occupied iff some recorded ray gave it a weight T·α ≥ ε. */
  minWeight: number;
}

/** Settings of the training-time rate estimate (docs/CONTEXT-MODEL.md §5). */
export interface RateConfig {
  /** λ of eq. 26: weight of the estimated bits per parameter against the MSE (paper: 1e-3 … 8e-3). */
  lambda: number;
  /** S: grid entries drawn per step to estimate the bits, split evenly over the levels (CNC: 150k-200k). */
  samples: number;
  /** Steps between refreshes of the projected voxel feature (PV, eq. 28-30) from the current grid. */
  projectionInterval: number;
  /** First step that adds the rate term (lets the occupancy grid settle first). */
  startStep: number;
}

/** Rate settings per preset (λ is chosen per encode). */
export const RATE_PRESETS = Object.freeze({
  paper: Object.freeze({ lambda: 2e-3, samples: 1 << 17, projectionInterval: 100, startStep: 256 }),
  cpu: Object.freeze({ lambda: 2e-3, samples: 1 << 15, projectionInterval: 200, startStep: 64 }),
} satisfies Record<string, RateConfig>);

/**
 * Visibility pruning per preset, used by the encoder (training alone does not prune). ε = 1e-3:
 * measured on apple.mp4 (docs/TRAINING.md, "Visibility pruning"). Both presets also train with the
 * distortion loss (λ_d = 0.01), which is what makes the surfaces sharp enough to prune.
 */
export const PRUNE_PRESETS = Object.freeze({
  paper: Object.freeze({ at: 0.9, window: 0.2, minWeight: 1e-3 }),
  cpu: Object.freeze({ at: 0.8, window: 0.3, minWeight: 1e-3 }),
} satisfies Record<string, PruneConfig>);

export const TRAIN_PRESETS = Object.freeze({
  /**
   * Instant-NGP / CNC practice on a GPU, 20k steps. 2^16 kept samples per step (Instant-NGP: 2^18): with
   * width-160 MLPs a larger batch's activations exceed WebGPU's 128 MiB storage binding.
   */
  paper: Object.freeze({ steps: 20000, samplesPerStep: 1 << 16, initialRays: 4096, maxRays: 1 << 16, lr: 1e-2, warmupSteps: 100, decayAt: [0.5, 0.75, 0.9], decayFactor: 0.33, mlpL2: 1e-6, distWeight: 0.01, seed: 1 }),
  /** Sized for a 2-core CPU (lavapipe): small batches, many cheap steps. */
  cpu: Object.freeze({ steps: 3000, samplesPerStep: 1 << 15, initialRays: 1024, maxRays: 1 << 14, lr: 1e-2, warmupSteps: 50, decayAt: [0.6, 0.8, 0.9], decayFactor: 0.33, mlpL2: 1e-6, distWeight: 0.01, seed: 1 }),
} satisfies Record<string, TrainConfig>);

/**
 * Learning rate at `step` (0-based): linear warm-up over `warmupSteps`, then a step decay at the
 * fractions `decayAt` of training, where `progress` ∈ [0, 1] is the fraction done (steps or, under a
 * wall-clock budget, whichever of steps and time is further along).
 */
export function learningRate(c: Pick<TrainConfig, 'lr' | 'warmupSteps' | 'decayAt' | 'decayFactor'>, step: number, progress: number): number {
  let lr = c.lr * Math.min(1, (step + 1) / Math.max(1, c.warmupSteps));
  for (const f of c.decayAt) if (progress >= f) lr *= c.decayFactor;
  return lr;
}

export function validateTrainConfig(c: TrainConfig, name = 'train'): TrainConfig {
  const pos = (v: number, p: string) => {
    if (!(Number.isFinite(v) && v > 0)) throw new TypeError(`${name}.${p} must be a positive number (got ${v})`);
  };
  pos(c.steps, 'steps');
  pos(c.samplesPerStep, 'samplesPerStep');
  pos(c.initialRays, 'initialRays');
  pos(c.maxRays, 'maxRays');
  pos(c.lr, 'lr');
  if (!Number.isInteger(c.steps)) throw new TypeError(`${name}.steps must be an integer (got ${c.steps})`);
  if (c.decayAt.some((f) => !(f > 0 && f < 1))) throw new TypeError(`${name}.decayAt entries must be fractions in (0, 1)`);
  if (c.rate) {
    if (!(Number.isFinite(c.rate.lambda) && c.rate.lambda >= 0)) throw new TypeError(`${name}.rate.lambda must be a number ≥ 0 (got ${c.rate.lambda})`);
    if (!Number.isInteger(c.rate.samples) || c.rate.samples < 64) throw new TypeError(`${name}.rate.samples must be an integer ≥ 64 (got ${c.rate.samples})`);
    if (!Number.isInteger(c.rate.projectionInterval) || c.rate.projectionInterval < 1) throw new TypeError(`${name}.rate.projectionInterval must be a positive integer`);
    if (!Number.isInteger(c.rate.startStep) || c.rate.startStep < 0) throw new TypeError(`${name}.rate.startStep must be a non-negative integer`);
  }
  if (c.maskWeight !== undefined && !(Number.isFinite(c.maskWeight) && c.maskWeight >= 0)) throw new TypeError(`${name}.maskWeight must be a number ≥ 0 (got ${c.maskWeight})`);
  if (c.distWeight !== undefined && !(Number.isFinite(c.distWeight) && c.distWeight >= 0)) throw new TypeError(`${name}.distWeight must be a number ≥ 0 (got ${c.distWeight})`);
  if (c.prune) {
    const { at, window, minWeight } = c.prune;
    if (!(at > 0 && at < 1)) throw new TypeError(`${name}.prune.at must be a fraction in (0, 1) (got ${at})`);
    if (!(window > 0 && window <= at)) throw new TypeError(`${name}.prune.window must be in (0, prune.at] (got ${window})`);
    if (!(minWeight > 0 && minWeight < 1)) throw new TypeError(`${name}.prune.minWeight must be in (0, 1) (got ${minWeight})`);
  }
  return c;
}
