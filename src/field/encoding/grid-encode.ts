/**
 * The multi-resolution 3-D/2-D hybrid grid encoding on the GPU (launcher of grid-encode.wgsl and
 * grid-encode-bwd.wgsl; float64 twin in grid-encode.ref.ts; layout conventions in grid-config.ts).
 *
 * {@link GridEncoding} owns the parameter table θ (one flat f32 buffer), its gradient (f32, accumulated
 * by the backward, zeroed by the caller or the optimizer) and the per-level metadata buffer.
 * Positions are `array<vec4<f32>>` (xyz in the unit cube, w ignored); features are N × D, sample-major.
 *
 * With `config.binarize` (BiRF, eq. 16 and 20-21) the grid reads sgn θ ∈ {−1, +1} and trains θ through
 * the straight-through estimator masked to |θ| ≤ 1; those kernels are separate pipeline variants
 * ({@link gridEncodeBinarySpecs}), so the default (real-valued) kernels are compiled from exactly the
 * same source as without the option.
 */
import { Kernel, wgsl, type Batch, type BufferBinding, type KernelSpec } from '../../gpu/kernel.ts';
import { createStorage, readF32, write } from '../../gpu/buffers.ts';
import { GpuError } from '../../gpu/errors.ts';
import type { GpuContext } from '../../gpu/device.ts';
import { gridLayout, validateGridConfig, type GridEncodingConfig, type GridLayout } from './grid-config.ts';
import { mulberry32 } from '../../util/mulberry32.ts';

type FwdBinding = 'positions' | 'levels' | 'table' | 'features';
type BwdBinding = 'positions' | 'levels' | 'table' | 'd_features' | 'grad';
type GridParam = 'count' | 'samples' | 'dim' | 'groups';

/** Both kernels: count = levels·groups invocations, samples = N, dim = D, groups = ceil(N / RUN). */
const PARAMS = [
  ['count', 'u32'],
  ['samples', 'u32'],
  ['dim', 'u32'],
  ['groups', 'u32'],
] as const;

/** Forward kernel: features[n·D + out_off + f] = Σ w · read_feature(θ index). */
export const gridEncodeForwardSpec: KernelSpec<FwdBinding, GridParam> = {
  name: 'grid-encode',
  source: wgsl(import.meta.url, './grid-encode.wgsl'),
  bindings: [
    ['positions', 'read-only-storage'],
    ['levels', 'read-only-storage'],
    ['table', 'read-only-storage'],
    ['features', 'storage'],
  ],
  params: PARAMS,
};

/** Backward kernel: scatter-add of w · dL/dfeatures into dL/dθ, pre-reduced per run, atomic. */
export const gridEncodeBackwardSpec: KernelSpec<BwdBinding, GridParam> = {
  name: 'grid-encode-bwd',
  source: wgsl(import.meta.url, './grid-encode-bwd.wgsl'),
  bindings: [
    ['positions', 'read-only-storage'],
    ['levels', 'read-only-storage'],
    ['table', 'read-only-storage'],
    ['d_features', 'read-only-storage'],
    ['grad', 'storage'],
  ],
  params: PARAMS,
};

/** The default (real-valued) kernel specs of this module (for source/declaration checks). */
export const gridEncodeSpecs: readonly KernelSpec<string, string>[] = [gridEncodeForwardSpec, gridEncodeBackwardSpec];

/**
 * The binarized read_feature / feature_grad (BiRF, eq. 16; Zhang & Chen 2025 eq. 20-21), replacing the
 * real-valued ones of feature-read.wgsl in the binarized kernel variants:
 * - read_feature(i) = sgn θ[i] = +1 when θ[i] ≥ 0 (−0 included), else −1 (NaN included);
 * - feature_grad(i, g) = g when |θ[i]| ≤ 1, else 0: the straight-through estimator masked to |θ| ≤ 1
 *   (the gradient of the hard-tanh clamp(θ, −1, 1)), linear in g as feature-read.wgsl requires.
 * A text substitution rather than a WGSL `override BINARIZE: bool`, so that the default kernels keep
 * their exact source and nothing in them reads θ in the backward. The float64 twin is
 * binarizeFeature / binaryFeatureGrad in grid-encode.ref.ts.
 */
export const BINARY_FEATURE_READ: Readonly<Record<'read_feature' | 'feature_grad', string>> = Object.freeze({
  read_feature: `fn read_feature(index: u32) -> f32 {
  return select(-1.0, 1.0, table[index] >= 0.0);
}`,
  feature_grad: `fn feature_grad(index: u32, g: f32) -> f32 {
  return select(0.0, g, abs(table[index]) <= 1.0);
}`,
});

/**
 * `spec` with feature-read.wgsl's functions replaced by {@link BINARY_FEATURE_READ} and `-binary`
 * appended to its name (the name is part of the pipeline cache key and the profiler's key).
 * @throws GpuError when the source does not define each function exactly once.
 */
function binarizedSpec<B extends string, P extends string>(spec: KernelSpec<B, P>): KernelSpec<B, P> {
  let source = spec.source;
  for (const [fn, replacement] of Object.entries(BINARY_FEATURE_READ)) {
    const re = new RegExp(`\\bfn\\s+${fn}\\s*\\([^)]*\\)[^{]*\\{[^}]*\\}`, 'g');
    const hits = source.match(re)?.length ?? 0;
    if (hits !== 1) throw new GpuError(`${spec.name}: expected one definition of ${fn} (feature-read.wgsl) to binarize, found ${hits}`);
    source = source.replace(re, () => replacement);
  }
  return { ...spec, name: `${spec.name}-binary`, source };
}

/** Forward kernel reading sgn θ (pipeline 'grid-encode-binary'). */
export const gridEncodeBinaryForwardSpec: KernelSpec<FwdBinding, GridParam> = binarizedSpec(gridEncodeForwardSpec);
/** Backward kernel with the masked straight-through estimator (pipeline 'grid-encode-bwd-binary'). */
export const gridEncodeBinaryBackwardSpec: KernelSpec<BwdBinding, GridParam> = binarizedSpec(gridEncodeBackwardSpec);
/** The binarized kernel specs (for source/declaration checks). */
export const gridEncodeBinarySpecs: readonly KernelSpec<string, string>[] = [gridEncodeBinaryForwardSpec, gridEncodeBinaryBackwardSpec];

/**
 * The sign bit of every parameter, 1 where θ ≥ 0 (feature +1, −0 included), 0 elsewhere (feature −1,
 * NaN included): one byte per f32 of θ, in θ's order (level, entry, feature), for the bitstream writer.
 * The same rule as the binarized kernels and binarizeFeature (grid-encode.ref.ts). (A GPU that flushes
 * subnormals to zero reads a negative subnormal θ as −0, i.e. +1, where this says 0; Adam's updates
 * of order 1e-3 make such θ practically absent.)
 */
export function binaryFeatureBits(theta: ArrayLike<number>): Uint8Array {
  const bits = new Uint8Array(theta.length);
  for (let i = 0; i < bits.length; i++) bits[i] = theta[i]! >= 0 ? 1 : 0;
  return bits;
}

function overrideDefault(source: string, name: string): number {
  const m = new RegExp(`override\\s+${name}\\s*:\\s*u32\\s*=\\s*(\\d+)`).exec(source);
  if (!m) throw new GpuError(`grid-encode: the WGSL declares no override ${name}`);
  return Number(m[1]);
}

/**
 * Samples per invocation (the kernels' `override RUN`) on software adapters: the WGSL default,
 * measured best on lavapipe (bench/grid-encode.ts).
 */
export const SOFTWARE_RUN = overrideDefault(gridEncodeForwardSpec.source, 'RUN');
/**
 * Samples per invocation on hardware GPUs: smaller, to keep tens of thousands of threads in flight
 * and the position loads nearly coalesced. An unmeasured choice (no GPU was available).
 */
export const HARDWARE_RUN = 4;

/** Fields of WGSL `struct Level` (grid-level.wgsl), in order; each a u32. */
export const LEVEL_FIELDS = ['res', 'dims', 'axis0', 'axis1', 'hashed', 'mask', 'param_off', 'out_off'] as const;

/** The level-metadata buffer contents: one struct Level (LEVEL_FIELDS.length u32) per level. */
export function levelMetadata(layout: GridLayout): Uint32Array {
  const W = LEVEL_FIELDS.length;
  const out = new Uint32Array(layout.levels.length * W);
  layout.levels.forEach((l, i) => {
    const fields: Record<(typeof LEVEL_FIELDS)[number], number> = {
      res: l.resolution,
      dims: l.dims,
      axis0: l.axes[0]!,
      axis1: l.axes[1]!,
      hashed: l.dense ? 0 : 1,
      mask: l.dense ? 0 : l.entries - 1,
      param_off: l.paramOffset,
      out_off: l.featureOffset,
    };
    LEVEL_FIELDS.forEach((k, j) => (out[i * W + j] = fields[k]));
  });
  return out;
}

const kernels = new Map<string, Kernel<string, string>>();
/** The kernel of `spec` specialised for F features per level and RUN samples per invocation. */
function kernelFor<B extends string, P extends string>(spec: KernelSpec<B, P>, F: number, RUN: number): Kernel<B, P> {
  const key = `${spec.name}|${F}|${RUN}`;
  let k = kernels.get(key);
  if (!k) kernels.set(key, (k = new Kernel({ ...spec, constants: { ...spec.constants, F, RUN } }) as Kernel<string, string>));
  return k as unknown as Kernel<B, P>;
}

/** Bytes a binding spans (its size, or the buffer's size past its offset). */
function bindingBytes(b: BufferBinding): number {
  if ('buffer' in b) return b.size ?? b.buffer.size - (b.offset ?? 0);
  return b.size;
}

/** Options of {@link GridEncoding}. */
export interface GridEncodingOptions {
  /** Label prefix of the owned buffers (default 'grid'). */
  label?: string;
  /**
   * Consecutive samples one invocation handles at one level (the kernels' RUN, 1..256). Default
   * {@link SOFTWARE_RUN} on CPU adapters, {@link HARDWARE_RUN} on GPUs. Results do not depend on it
   * beyond f32 summation order in the backward.
   */
  samplesPerInvocation?: number;
}

/**
 * A trainable grid encoding on one device: `forward` and `backward` record kernels into a Batch;
 * Adam (src/train/adam) can update {@link params} from {@link grad} directly (AdamGroup zeroes the
 * gradient after each step).
 */
export class GridEncoding {
  /** The resolved layout (levels, offsets, D). */
  readonly layout: GridLayout;
  /** θ: paramCount f32. */
  readonly params: GPUBuffer;
  /** dL/dθ: paramCount f32, accumulated by {@link backward}; zeroed at creation, then by the caller. */
  readonly grad: GPUBuffer;
  /** One struct Level per level (see {@link levelMetadata}). */
  readonly levelBuffer: GPUBuffer;
  /** Samples per invocation (the kernels' RUN). */
  readonly samplesPerInvocation: number;
  /** Whether the features are sgn θ (config.binarize; see {@link GridEncodingConfig.binarize}). */
  readonly binarize: boolean;
  private readonly forwardSpec: KernelSpec<FwdBinding, GridParam>;
  private readonly backwardSpec: KernelSpec<BwdBinding, GridParam>;
  private lastPositions: BufferBinding | undefined;
  private destroyed = false;

  /** @throws TypeError naming the config field when `config` is invalid. */
  constructor(readonly ctx: GpuContext, config: GridEncodingConfig, opts: GridEncodingOptions = {}) {
    this.binarize = validateGridConfig(config).binarize;
    this.layout = gridLayout(config.hash, config.planes);
    this.forwardSpec = this.binarize ? gridEncodeBinaryForwardSpec : gridEncodeForwardSpec;
    this.backwardSpec = this.binarize ? gridEncodeBinaryBackwardSpec : gridEncodeBackwardSpec;
    const run = opts.samplesPerInvocation ?? (ctx.adapter.isSoftware ? SOFTWARE_RUN : HARDWARE_RUN);
    if (!Number.isInteger(run) || run < 1 || run > 256) throw new TypeError(`opts.samplesPerInvocation must be an integer in [1, 256] (got ${run})`);
    this.samplesPerInvocation = run;
    const label = opts.label ?? 'grid';
    const bytes = this.layout.paramCount * 4;
    this.params = createStorage(ctx, `${label}-params`, bytes);
    try {
      this.grad = createStorage(ctx, `${label}-grad`, bytes);
    } catch (e) {
      this.params.destroy();
      throw e;
    }
    this.levelBuffer = createStorage(ctx, `${label}-levels`, this.layout.levels.length * LEVEL_FIELDS.length * 4);
    write(ctx, this.levelBuffer, levelMetadata(this.layout));
  }

  /** Number of f32 parameters in θ. */
  get paramCount(): number {
    return this.layout.paramCount;
  }

  /** D, the features per sample. */
  get outputDim(): number {
    return this.layout.outputDim;
  }

  /**
   * Fills θ uniformly in [−1e-4, 1e-4] (Instant-NGP's initialisation) from a seeded PRNG (mulberry32).
   * The same when binarized: the features then start as random ±1 (each sign with probability ½), and
   * every |θ| ≪ 1 keeps the straight-through mask open, so any sign can flip within the first Adam
   * steps (BiRF likewise starts from latents near zero).
   */
  init(seed: number): void {
    this.alive();
    const data = new Float32Array(this.paramCount);
    const random = mulberry32(seed);
    for (let i = 0; i < data.length; i++) data[i] = random() * 2e-4 - 1e-4;
    write(this.ctx, this.params, data);
  }

  /**
   * Records the forward pass for `n` samples: `out` (≥ n·D f32) ← features of `positions` (≥ n vec4).
   * Remembers `positions` for a later {@link backward} that does not name them.
   */
  forward(batch: Batch, positions: BufferBinding, out: BufferBinding, n: number): void {
    this.checkLaunch(n, positions, out, 'out');
    this.lastPositions = positions;
    kernelFor(this.forwardSpec, this.layout.featuresPerLevel, this.samplesPerInvocation).dispatch(
      batch,
      { positions, levels: this.levelBuffer, table: this.params, features: out },
      this.launchParams(n),
    );
  }

  /**
   * Records the backward pass: grad += dL/dθ for upstream gradient `dOut` (≥ n·D f32) at `positions`
   * (default: those of the last {@link forward}). Accumulates; does not clear {@link grad}.
   */
  backward(batch: Batch, dOut: BufferBinding, n: number, positions: BufferBinding | undefined = this.lastPositions): void {
    if (!positions) throw new GpuError('GridEncoding.backward: no positions given and no forward recorded before');
    this.checkLaunch(n, positions, dOut, 'dOut');
    kernelFor(this.backwardSpec, this.layout.featuresPerLevel, this.samplesPerInvocation).dispatch(
      batch,
      { positions, levels: this.levelBuffer, table: this.params, d_features: dOut, grad: this.grad },
      this.launchParams(n),
    );
  }

  /** Records a zero-fill of {@link grad}. */
  zeroGrad(batch: Batch): void {
    this.alive();
    batch.clear(this.grad);
  }

  /** θ, read back (for checkpoints and the bitstream writer). */
  async readParams(): Promise<Float32Array> {
    this.alive();
    return readF32(this.ctx, this.params, this.paramCount);
  }

  /**
   * The binary features sgn θ as bits, one byte per parameter in θ's order (1 = +1, 0 = −1; see
   * {@link binaryFeatureBits}), for the bitstream writer.
   * @throws GpuError when the grid is not binarized (its features are θ, not sgn θ).
   */
  async readBinaryFeatures(): Promise<Uint8Array> {
    this.alive();
    if (!this.binarize) throw new GpuError('GridEncoding.readBinaryFeatures: the grid is not binarized (config.binarize is false)');
    return binaryFeatureBits(await this.readParams());
  }

  /** dL/dθ, read back. */
  async readGrad(): Promise<Float32Array> {
    this.alive();
    return readF32(this.ctx, this.grad, this.paramCount);
  }

  /** Replaces θ (e.g. from a checkpoint). @throws RangeError when the length is not paramCount. */
  writeParams(data: Float32Array): void {
    this.alive();
    if (data.length !== this.paramCount) throw new RangeError(`GridEncoding.writeParams: got ${data.length} values, the grid has ${this.paramCount}`);
    write(this.ctx, this.params, data);
  }

  /** Frees the owned buffers (idempotent). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.params.destroy();
    this.grad.destroy();
    this.levelBuffer.destroy();
  }

  private launchParams(n: number): Record<GridParam, number> {
    const groups = Math.ceil(n / this.samplesPerInvocation);
    return { count: groups * this.layout.levels.length, samples: n, dim: this.outputDim, groups };
  }

  private alive(): void {
    if (this.destroyed) throw new GpuError('GridEncoding used after destroy()');
  }

  private checkLaunch(n: number, positions: BufferBinding, rows: BufferBinding, rowsName: string): void {
    this.alive();
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`GridEncoding: n must be a non-negative integer (got ${n})`);
    const L = this.layout.levels.length;
    if (n * L > 0xffffffff || n * this.outputDim > 0xffffffff) throw new RangeError(`GridEncoding: n = ${n} samples is too many for one launch`);
    if (bindingBytes(positions) < n * 16) throw new RangeError(`GridEncoding: positions hold ${bindingBytes(positions)} bytes, ${n} samples need ${n * 16}`);
    if (bindingBytes(rows) < n * this.outputDim * 4) {
      throw new RangeError(`GridEncoding: ${rowsName} holds ${bindingBytes(rows)} bytes, ${n} samples × D = ${this.outputDim} need ${n * this.outputDim * 4}`);
    }
  }
}
