/**
 * The training-time rate term of eq. 24-26: an estimate of the bits the grid's binary features would
 * cost under the coder's context models (docs/CONTEXT-MODEL.md §5, approximating §1-3), and its
 * gradients, so that the loss can be MSE + λ·(estimated bits per parameter).
 *
 * Each {@link RateEstimator.record} records, into the caller's Batch:
 * 1. rate-freq.wgsl: the 1-bits of every level over all its entries → v_+ per level, and the occupied
 *    cells per block of the occupancy bitfield (their prefix sums let a row draw an occupied cell
 *    uniformly and exactly);
 * 2. rate-context.wgsl: S rows, S_l = floor(S / levels) per level in contiguous blocks in layout order
 *    (3-D levels, then xy, xz, yz of each plane level). A row draws an occupied cell, a uniform point
 *    in it, the level cell containing the point and one of its corners → the vertex and its entry
 *    (the grid's hashing), and writes the context row of that vertex: η_c's for 3-D levels ≥ L_C,
 *    η_dim's for planes (with the projected voxel feature PV from {@link RateEstimator.setProjection});
 *    the coarse 3-D levels (< L_C) are coded with v_+ alone and need no model row;
 * 3. the two context MLPs' training forward;
 * 4. rate-loss.wgsl: the bits of every row's entry (eq. 25), dL/dz into the MLPs' dOutput, the
 *    straight-through dL/dθ scattered (atomically) into the grid's gradient, the per-level estimate
 *    B_l = E_l/S_l·Σ_rows bits;
 * 5. the MLPs' backward: their gradients (cleared at the start of record()) hold dL/dW, dL/db for the
 *    caller's optimizer.
 * The loss is λ·B/(F·ΣE) with B = Σ_l B_l: every row of level l carries the weight w_l = λ·E_l/(S_l·F·ΣE).
 * Hashed entries are treated like dense ones (one vertex per row; §3.4's averaging is a coding-time detail).
 *
 * The float64 twin of every kernel is in rate.ref.ts.
 */
import { Kernel, wgsl, type Batch, type KernelSpec } from '../../gpu/kernel.ts';
import { BufferPool, readBack, write } from '../../gpu/buffers.ts';
import { GpuError } from '../../gpu/errors.ts';
import type { GpuContext } from '../../gpu/device.ts';
import type { GridLayout } from '../../field/encoding/grid-config.ts';
import { levelMetadata } from '../../field/encoding/grid-encode.ts';
import { Mlp } from '../../field/network/mlp.ts';
import { CONTEXT_LEVELS, PROB_EPS, contextMlpConfig } from '../../codec/grid/context-config.ts';
import { rateStepSeed } from './rate.ref.ts';

/** Options of {@link RateEstimator}. */
export interface RateOptions {
  /**
   * S: rows drawn per step, split evenly over the levels (floor(S / levels) each; CNC draws 150k-200k
   * entries). At least one per level; bounded by the context MLPs' scratch buffers (the Mlp
   * constructor names the largest that fits) and the storage binding limit.
   */
  samples: number;
  /** Label prefix of the owned buffers (default 'rate'). */
  label?: string;
}

/** θ parameters one workgroup of rate-freq counts (a multiple of its workgroup size). */
export const FREQ_CHUNK = 8192;
/** Occupancy words (32 cells each) per block of the occupied-cell prefix sums (the WGSL's override BLOCK_WORDS). */
export const OCC_BLOCK_WORDS = 64;
/** Largest level resolution the row sampler's u32 fixed-point arithmetic supports (rate-context.wgsl). */
export const RATE_MAX_RESOLUTION = 1 << 15;
/** Largest occupancy resolution G the row sampler supports. */
export const RATE_MAX_GRID = 1 << 10;
/** |z| beyond which p = sigmoid z is clamped to [ε, 1 − ε] (ε = PROB_EPS): ln((1 − ε)/ε). */
export const RATE_ZMAX = Math.log((1 - PROB_EPS) / PROB_EPS);

/** How rows, model rows and buffers are laid out (everything the kernels' Params are made of). */
export interface RatePlan {
  /** F. */
  F: number;
  /** Levels in layout order (L 3-D levels + 3·L2 planes). */
  nLevels: number;
  /** L. */
  levels3: number;
  /** First level with an η_c row: min(L_C, L). */
  ctxFirst: number;
  /** S_l, rows per level. */
  rowsPerLevel: number;
  /** nLevels·S_l. */
  rows: number;
  /** η_c rows: (L − ctxFirst)·S_l. */
  levelRows: number;
  /** η_dim rows: 3·L2·S_l. */
  dimRows: number;
  /** Occupancy resolution G. */
  grid: number;
  /** G³/32. */
  words: number;
  /** ceil(words / OCC_BLOCK_WORDS). */
  blocks: number;
  /** N*, the finest 3-D resolution. */
  nStar: number;
  /** Floats of one plane's projection: (N*+1)²·F. */
  projectionFloats: number;
  /** First float of the η_dim rows in the inputs buffer: levelRows·(3F+1). */
  dimInputOffset: number;
  /** First float of the η_dim logits: levelRows·F. */
  dimLogitOffset: number;
  /** u32 words of the stats buffer: 3·nLevels + blocks + 1 (layout in rate-freq.wgsl). */
  statsWords: number;
}

/**
 * The plan for `layout`, an occupancy grid of G³ cells and S samples.
 * @throws TypeError saying which argument to change.
 */
export function ratePlan(layout: GridLayout, occupancyResolution: number, samples: number): RatePlan {
  const G = occupancyResolution;
  if (!Number.isInteger(G) || G < 4 || G % 4 !== 0 || G > RATE_MAX_GRID) {
    throw new TypeError(`occupancyResolution must be a multiple of 4 in [4, ${RATE_MAX_GRID}] (got ${G})`);
  }
  const nLevels = layout.levels.length;
  if (!Number.isInteger(samples) || samples < nLevels) {
    throw new TypeError(`opts.samples must be an integer ≥ the number of grid levels (${nLevels}), got ${samples}`);
  }
  const tooFine = layout.levels.find((l) => l.resolution > RATE_MAX_RESOLUTION);
  if (tooFine) {
    throw new TypeError(`the rate estimate supports level resolutions up to ${RATE_MAX_RESOLUTION}; level ${tooFine.kind} ${tooFine.level} has ${tooFine.resolution} (lower nMax)`);
  }
  const F = layout.featuresPerLevel;
  const levels3 = layout.hash.levels;
  const ctxFirst = Math.min(CONTEXT_LEVELS, levels3);
  const S = Math.floor(samples / nLevels);
  const words = G ** 3 / 32;
  const nStar = layout.levels[levels3 - 1]!.resolution;
  const levelRows = (levels3 - ctxFirst) * S;
  const blocks = Math.ceil(words / OCC_BLOCK_WORDS);
  return {
    F, nLevels, levels3, ctxFirst, rowsPerLevel: S, rows: nLevels * S, levelRows, dimRows: (nLevels - levels3) * S,
    grid: G, words, blocks, nStar, projectionFloats: (nStar + 1) ** 2 * F,
    dimInputOffset: levelRows * (3 * F + 1), dimLogitOffset: levelRows * F, statsWords: 3 * nLevels + blocks + 1,
  };
}

/** Per level (w_l/λ, E_l/S_l) as f32 pairs: the rows' weight without λ and the scale of the level estimate. */
export function rateLevelWeights(layout: GridLayout, plan: RatePlan): Float32Array {
  const out = new Float32Array(2 * plan.nLevels);
  layout.levels.forEach((l, i) => {
    out[2 * i] = l.entries / (plan.rowsPerLevel * plan.F * layout.entryCount);
    out[2 * i + 1] = l.entries / plan.rowsPerLevel;
  });
  return out;
}

type Spec<B extends string, P extends string> = KernelSpec<B, P>;

const FREQ_BINDINGS = [['levels', 'read-only-storage'], ['theta', 'read-only-storage'], ['occupancy', 'read-only-storage'], ['stats', 'storage']] as const;
const FREQ_PARAMS = [['count', 'u32'], ['thetaChunks', 'u32'], ['chunk', 'u32'], ['paramCount', 'u32'], ['nLevels', 'u32'], ['blocks', 'u32'], ['words', 'u32']] as const;
const CONTEXT_BINDINGS = [
  ['levels', 'read-only-storage'], ['theta', 'read-only-storage'], ['occupancy', 'read-only-storage'], ['stats', 'read-only-storage'],
  ['projection', 'read-only-storage'], ['inputs', 'storage'], ['rows', 'storage'],
] as const;
const CONTEXT_PARAMS = [
  ['count', 'u32'], ['rowsPerLevel', 'u32'], ['nLevels', 'u32'], ['levels3', 'u32'], ['ctxFirst', 'u32'], ['grid', 'u32'],
  ['blocks', 'u32'], ['nStar', 'u32'], ['dimOffset', 'u32'], ['seed', 'u32'],
] as const;
const LOSS_BINDINGS = [
  ['theta', 'read-only-storage'], ['rows', 'read-only-storage'], ['weights', 'read-only-storage'], ['logits', 'read-only-storage'],
  ['stats', 'storage'], ['dlogits', 'storage'], ['grad', 'storage'], ['rowBits', 'storage'],
] as const;
const LOSS_PARAMS = [
  ['count', 'u32'], ['rowsPerLevel', 'u32'], ['nLevels', 'u32'], ['levels3', 'u32'], ['ctxFirst', 'u32'], ['dimOffset', 'u32'],
  ['lambda', 'f32'], ['zmax', 'f32'],
] as const;
type N<T extends readonly (readonly [string, string])[]> = T[number][0];

const FREQ_SOURCE = wgsl(import.meta.url, './rate-freq.wgsl');
const LOSS_SOURCE = wgsl(import.meta.url, './rate-loss.wgsl');

/** Counts the ones per level and the occupied cells per block (rate-freq.wgsl, entry count_main). */
export const rateFreqSpec: Spec<N<typeof FREQ_BINDINGS>, N<typeof FREQ_PARAMS>> = {
  name: 'rate-freq', source: FREQ_SOURCE, entryPoint: 'count_main', bindings: FREQ_BINDINGS, params: FREQ_PARAMS,
};
/** v_+ per level and the block prefix sums (rate-freq.wgsl, entry finalize_main, one invocation). */
export const rateFinalizeSpec: Spec<N<typeof FREQ_BINDINGS>, N<typeof FREQ_PARAMS>> = {
  name: 'rate-freq-finalize', source: FREQ_SOURCE, entryPoint: 'finalize_main', bindings: FREQ_BINDINGS, params: FREQ_PARAMS,
};
/** Draws the rows and writes the context input rows (rate-context.wgsl). */
export const rateContextSpec: Spec<N<typeof CONTEXT_BINDINGS>, N<typeof CONTEXT_PARAMS>> = {
  name: 'rate-context', source: wgsl(import.meta.url, './rate-context.wgsl'), bindings: CONTEXT_BINDINGS, params: CONTEXT_PARAMS,
};
/** Bits, dL/dz and dL/dθ per row (rate-loss.wgsl, entry main). */
export const rateLossSpec: Spec<N<typeof LOSS_BINDINGS>, N<typeof LOSS_PARAMS>> = {
  name: 'rate-loss', source: LOSS_SOURCE, entryPoint: 'main', bindings: LOSS_BINDINGS, params: LOSS_PARAMS,
};
/** Per-level estimate (rate-loss.wgsl, entry reduce_main, one invocation per level). */
export const rateReduceSpec: Spec<N<typeof LOSS_BINDINGS>, N<typeof LOSS_PARAMS>> = {
  name: 'rate-reduce', source: LOSS_SOURCE, entryPoint: 'reduce_main', bindings: LOSS_BINDINGS, params: LOSS_PARAMS,
};
/** Every kernel spec of this module (for the WGSL/launcher declaration check). */
export const rateSpecs: readonly KernelSpec<string, string>[] = [rateFreqSpec, rateFinalizeSpec, rateContextSpec, rateLossSpec, rateReduceSpec];

const kernelCache = new Map<string, Kernel<string, string>>();
/** `spec` compiled for F features per level (the freq kernels take no F) and the occupancy block size. */
export function rateKernel<B extends string, P extends string>(spec: KernelSpec<B, P>, F: number): Kernel<B, P> {
  const constants: Record<string, number> =
    spec === rateFreqSpec || spec === rateFinalizeSpec ? { BLOCK_WORDS: OCC_BLOCK_WORDS }
      : spec === rateContextSpec ? { F, BLOCK_WORDS: OCC_BLOCK_WORDS }
        : { F };
  const key = `${spec.name}|${JSON.stringify(constants)}`;
  let k = kernelCache.get(key);
  if (!k) kernelCache.set(key, (k = new Kernel({ ...spec, constants }) as Kernel<string, string>));
  return k as unknown as Kernel<B, P>;
}

/** Params of rate-loss.wgsl (both entries) for a plan and λ. */
export function rateLossParams(plan: RatePlan, lambda: number): Record<N<typeof LOSS_PARAMS>, number> {
  return {
    count: plan.rows, rowsPerLevel: plan.rowsPerLevel, nLevels: plan.nLevels, levels3: plan.levels3, ctxFirst: plan.ctxFirst,
    dimOffset: plan.dimLogitOffset, lambda, zmax: RATE_ZMAX,
  };
}

/** The planes' projected voxel features PV (§3.3): (N*+1)²·F floats each, at (A + B·(N*+1))·F + d. */
export interface RateProjection {
  xy: Float32Array;
  xz: Float32Array;
  yz: Float32Array;
}

/** What one record() reads and writes. */
export interface RateRecordArgs {
  /** θ, the grid's f32 parameters (layout.paramCount). */
  theta: GPUBuffer;
  /** dL/dθ (f32, layout.paramCount): the rate gradient is ADDED (atomically). */
  grad: GPUBuffer;
  /** The occupancy bitfield, G³ bits (bit i = x + G·(y + G·z)). */
  occupancy: GPUBuffer;
  /** λ of eq. 26 (≥ 0). */
  lambda: number;
  /** Training step: with the constructor's seed, decides the rows drawn. */
  step: number;
}

/** The estimate of the last record(). */
export interface RateStats {
  /** B / (F·ΣE_l): estimated bits per grid parameter (the loss adds λ times this). */
  bitsPerParam: number;
  /** B_l = E_l/S_l·Σ_rows bits, per level in layout order. */
  perLevel: Float64Array;
}

/** The rate estimate's kernels, context models and buffers for one grid layout (see the file comment). */
export class RateEstimator {
  readonly plan: RatePlan;
  /** η_c (3F+1 → 32 → 32 → F), maxBatch = its rows per step. Its grad is cleared by every record(). */
  readonly level: Mlp;
  /** η_dim (4F+1 → 32 → 32 → F) when the layout has planes. Its grad is cleared by every record(). */
  readonly dim: Mlp | null;
  /**
   * The owned buffers (read them for debugging and tests): `stats` (rate-freq.wgsl layout), `levels`
   * (struct Level per level), `weights` ({@link rateLevelWeights}), `projection` (3 planes of PV),
   * `inputs` (η_c rows, then η_dim rows at plan.dimInputOffset), `logits`/`dlogits` (MLP outputs and
   * their gradient, η_dim at plan.dimLogitOffset), `rows` (θ index of each row's entry, feature 0),
   * `rowBits` (Σ_d bits per row).
   */
  readonly buffers: Readonly<Record<'stats' | 'levels' | 'weights' | 'projection' | 'inputs' | 'logits' | 'dlogits' | 'rows' | 'rowBits', GPUBuffer>>;
  private readonly pool: BufferPool;
  private recorded = false;
  private destroyed = false;

  /**
   * @param occupancyResolution G of the occupancy grid whose bits record() reads.
   * @param seed seeds the rows drawn (with the step) and the MLPs' initialisation (η_c: seed, η_dim: seed + 1).
   * @throws TypeError for invalid arguments, GpuError when a buffer exceeds the device's limits.
   */
  constructor(readonly ctx: GpuContext, readonly layout: GridLayout, occupancyResolution: number, opts: RateOptions, readonly seed = 1) {
    if (!opts || typeof opts !== 'object') throw new TypeError('opts must be an object { samples }');
    if (!Number.isInteger(seed)) throw new TypeError(`seed must be an integer, got ${seed}`);
    this.plan = ratePlan(layout, occupancyResolution, opts.samples);
    const p = this.plan;
    const F = p.F;
    const label = opts.label ?? 'rate';
    this.pool = new BufferPool(ctx);
    try {
      const hasPlanes = p.dimRows > 0;
      this.buffers = Object.freeze({
        stats: this.pool.storage(`${label}-stats`, p.statsWords * 4),
        levels: this.pool.upload(`${label}-levels`, levelMetadata(layout)),
        weights: this.pool.upload(`${label}-weights`, rateLevelWeights(layout, p)),
        projection: this.pool.storage(`${label}-projection`, hasPlanes ? 3 * p.projectionFloats * 4 : 16),
        inputs: this.pool.storage(`${label}-inputs`, (p.dimInputOffset + p.dimRows * (4 * F + 1)) * 4),
        logits: this.pool.storage(`${label}-logits`, (p.levelRows + p.dimRows) * F * 4),
        dlogits: this.pool.storage(`${label}-dlogits`, (p.levelRows + p.dimRows) * F * 4),
        rows: this.pool.storage(`${label}-rows`, p.rows * 4),
        rowBits: this.pool.storage(`${label}-row-bits`, p.rows * 4),
      });
      // PV = 0 until setProjection(); the stats start defined so that readStats() before a record is not garbage.
      if (hasPlanes) write(ctx, this.buffers.projection, new Float32Array(3 * p.projectionFloats));
      write(ctx, this.buffers.stats, new Uint32Array(p.statsWords));
      this.level = new Mlp(ctx, contextMlpConfig('level', F), Math.max(1, p.levelRows), { label: `${label}-eta-c`, seed });
      this.dim = hasPlanes ? new Mlp(ctx, contextMlpConfig('dim', F), p.dimRows, { label: `${label}-eta-dim`, seed: seed + 1 }) : null;
    } catch (e) {
      this.pool.destroy();
      (this as { level?: Mlp }).level?.destroy();
      throw e;
    }
  }

  /**
   * Uploads the planes' projected voxel features (§3.3), computed by the caller from the current grid
   * (refresh periodically); before the first call PV = 0.
   * @throws TypeError when the layout has no planes or an array does not hold (N*+1)²·F floats.
   */
  setProjection(pv: RateProjection): void {
    this.alive();
    if (!this.dim) throw new TypeError('setProjection: the layout has no planes, so there is no projected voxel feature to set');
    const n = this.plan.projectionFloats;
    (['xy', 'xz', 'yz'] as const).forEach((k, i) => {
      const a = pv?.[k];
      if (!(a instanceof Float32Array) || a.length !== n) {
        throw new TypeError(`setProjection: pv.${k} must be a Float32Array of (N*+1)²·F = ${n} floats (N* = ${this.plan.nStar}), got ${a instanceof Float32Array ? a.length : typeof a}`);
      }
      write(this.ctx, this.buffers.projection, a, i * n * 4);
    });
  }

  /** Records the whole estimate (file comment, steps 1-5) into `batch`. */
  record(batch: Batch, a: RateRecordArgs): void {
    this.alive();
    const p = this.plan;
    const L = this.layout;
    if (!Number.isFinite(a.lambda) || a.lambda < 0) throw new TypeError(`record: lambda must be a finite number ≥ 0, got ${a.lambda}`);
    if (!Number.isInteger(a.step) || a.step < 0) throw new TypeError(`record: step must be a non-negative integer, got ${a.step}`);
    if (a.theta.size < L.paramCount * 4) throw new TypeError(`record: theta has ${a.theta.size} bytes, the grid's ${L.paramCount} parameters need ${L.paramCount * 4}`);
    if (a.grad.size < L.paramCount * 4) throw new TypeError(`record: grad has ${a.grad.size} bytes, the grid's ${L.paramCount} parameters need ${L.paramCount * 4}`);
    if (a.occupancy.size < p.words * 4) throw new TypeError(`record: occupancy has ${a.occupancy.size} bytes, a ${p.grid}³ bitfield needs ${p.words * 4}`);
    const F = p.F;
    const b = this.buffers;
    batch.clear(b.stats);
    this.level.zeroGrad(batch);
    this.dim?.zeroGrad(batch);

    const thetaChunks = Math.ceil(L.paramCount / FREQ_CHUNK) * rateKernel(rateFreqSpec, F).wg;
    const freqParams = { count: thetaChunks + p.blocks, thetaChunks, chunk: FREQ_CHUNK, paramCount: L.paramCount, nLevels: p.nLevels, blocks: p.blocks, words: p.words };
    const freqBind = { levels: b.levels, theta: a.theta, occupancy: a.occupancy, stats: b.stats };
    rateKernel(rateFreqSpec, F).dispatch(batch, freqBind, freqParams);
    rateKernel(rateFinalizeSpec, F).dispatch(batch, freqBind, freqParams, 1);

    rateKernel(rateContextSpec, F).dispatch(
      batch,
      { levels: b.levels, theta: a.theta, occupancy: a.occupancy, stats: b.stats, projection: b.projection, inputs: b.inputs, rows: b.rows },
      {
        count: p.rows, rowsPerLevel: p.rowsPerLevel, nLevels: p.nLevels, levels3: p.levels3, ctxFirst: p.ctxFirst, grid: p.grid,
        blocks: p.blocks, nStar: p.nStar, dimOffset: p.dimInputOffset, seed: rateStepSeed(this.seed, a.step),
      },
    );

    const lv = { in: { buffer: b.inputs, stride: 3 * F + 1, offset: 0 }, out: { buffer: b.logits, stride: F, offset: 0 }, d: { buffer: b.dlogits, stride: F, offset: 0 } };
    const dv = {
      in: { buffer: b.inputs, stride: 4 * F + 1, offset: p.dimInputOffset },
      out: { buffer: b.logits, stride: F, offset: p.dimLogitOffset },
      d: { buffer: b.dlogits, stride: F, offset: p.dimLogitOffset },
    };
    if (p.levelRows) this.level.forward(batch, lv.in, lv.out, p.levelRows, { train: true });
    if (this.dim) this.dim.forward(batch, dv.in, dv.out, p.dimRows, { train: true });

    const lossBind = { theta: a.theta, rows: b.rows, weights: b.weights, logits: b.logits, stats: b.stats, dlogits: b.dlogits, grad: a.grad, rowBits: b.rowBits };
    const lossParams = rateLossParams(p, a.lambda);
    rateKernel(rateLossSpec, F).dispatch(batch, lossBind, lossParams);
    rateKernel(rateReduceSpec, F).dispatch(batch, lossBind, lossParams, p.nLevels);

    if (p.levelRows) this.level.backward(batch, lv.d, p.levelRows, null);
    if (this.dim) this.dim.backward(batch, dv.d, p.dimRows, null);
    this.recorded = true;
  }

  /**
   * The estimate of the last recorded (and submitted) record(): per-level bits B_l and B/(F·ΣE).
   * @throws GpuError when no record() was made.
   */
  async readStats(): Promise<RateStats> {
    this.alive();
    if (!this.recorded) throw new GpuError('RateEstimator.readStats: call record() (and submit its batch) first');
    const n = this.plan.nLevels;
    const perLevel = Float64Array.from(new Float32Array(await readBack(this.ctx, this.buffers.stats, n * 4, 2 * n * 4)));
    const total = perLevel.reduce((s, v) => s + v, 0);
    return { bitsPerParam: total / this.layout.paramCount, perLevel };
  }

  /** Frees the buffers and the MLPs (idempotent). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pool.destroy();
    this.level.destroy();
    this.dim?.destroy();
  }

  private alive(): void {
    if (this.destroyed) throw new GpuError('RateEstimator: used after destroy()');
  }
}
