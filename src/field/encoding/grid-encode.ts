/**
 * The multi-resolution 3-D/2-D hybrid grid encoding on the GPU (launcher of grid-encode.wgsl and
 * grid-encode-bwd.wgsl; float64 twin in grid-encode.ref.ts; layout conventions in grid-config.ts).
 *
 * {@link GridEncoding} owns the parameter table θ (one flat f32 buffer), its gradient (f32, accumulated
 * by the backward, zeroed by the caller or the optimizer) and the per-level metadata buffer.
 * Positions are `array<vec4<f32>>` (xyz in the unit cube, w ignored); features are N × D, sample-major.
 */
import { Kernel, wgsl, type Batch, type BufferBinding, type KernelSpec } from '../../gpu/kernel.ts';
import { createStorage, readF32, write } from '../../gpu/buffers.ts';
import { GpuError } from '../../gpu/errors.ts';
import type { GpuContext } from '../../gpu/device.ts';
import { gridLayout, type GridEncodingConfig, type GridLayout } from './grid-config.ts';

type FwdBinding = 'positions' | 'levels' | 'table' | 'features';
type BwdBinding = 'positions' | 'levels' | 'table' | 'd_features' | 'grad';
type GridParam = 'count' | 'samples' | 'dim';
type BwdParam = GridParam | 'groups';

const PARAMS = [
  ['count', 'u32'],
  ['samples', 'u32'],
  ['dim', 'u32'],
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

/** Backward kernel: atomic scatter-add of w · dL/dfeatures into dL/dθ. */
export const gridEncodeBackwardSpec: KernelSpec<BwdBinding, BwdParam> = {
  name: 'grid-encode-bwd',
  source: wgsl(import.meta.url, './grid-encode-bwd.wgsl'),
  bindings: [
    ['positions', 'read-only-storage'],
    ['levels', 'read-only-storage'],
    ['table', 'read-only-storage'],
    ['d_features', 'read-only-storage'],
    ['grad', 'storage'],
  ],
  params: [...PARAMS, ['groups', 'u32']],
};

/**
 * Backward with a subgroup pre-reduction (needs the `subgroups` feature): lanes of a subgroup that hit
 * the same entry sum their gradients before one atomic add.
 */
export const gridEncodeBackwardSubgroupSpec: KernelSpec<BwdBinding, GridParam> = {
  ...gridEncodeBackwardSpec,
  params: PARAMS,
  name: 'grid-encode-bwd-sg',
  source: wgsl(import.meta.url, './grid-encode-bwd-sg.wgsl'),
};

/** Samples per backward invocation (grid-encode-bwd.wgsl's `override RUN`, read from the source). */
export const BACKWARD_RUN = Number(/override\s+RUN\s*:\s*u32\s*=\s*(\d+)/.exec(gridEncodeBackwardSpec.source)![1]);

/** Every kernel spec of this module (for source/declaration checks). */
export const gridEncodeSpecs: readonly KernelSpec<string, string>[] = [gridEncodeForwardSpec, gridEncodeBackwardSpec, gridEncodeBackwardSubgroupSpec];

/** How the backward scatter-adds: plain per-lane atomics, or subgroup pre-reduction first. */
export type GridBackwardVariant = 'atomic' | 'subgroup';

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
/** The kernel of `spec` specialised for F features per level (pipelines are cached by constants). */
function kernelFor<B extends string, P extends string>(spec: KernelSpec<B, P>, F: number): Kernel<B, P> {
  const key = `${spec.name}|${F}`;
  let k = kernels.get(key);
  if (!k) kernels.set(key, (k = new Kernel({ ...spec, constants: { ...spec.constants, F } }) as Kernel<string, string>));
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
   * Backward variant (default 'auto': 'subgroup' when the device has the `subgroups` feature, else
   * 'atomic'). @throws GpuError when 'subgroup' is asked for on a device without the feature.
   */
  backward?: GridBackwardVariant | 'auto';
}

/**
 * A trainable grid encoding on one device. Not thread-safe across batches that run concurrently
 * (none do in WebGPU: the queue orders them).
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
  /** The backward variant in use. */
  readonly backwardVariant: GridBackwardVariant;
  private lastPositions: BufferBinding | undefined;
  private destroyed = false;

  /** @throws TypeError naming the config field when `config` is invalid. */
  constructor(readonly ctx: GpuContext, config: GridEncodingConfig, opts: GridEncodingOptions = {}) {
    this.layout = gridLayout(config.hash, config.planes);
    const hasSubgroups = ctx.features.has('subgroups');
    const want = opts.backward ?? 'auto';
    if (want === 'subgroup' && !hasSubgroups) throw new GpuError("GridEncoding: backward 'subgroup' needs the device feature `subgroups`, which this adapter lacks");
    this.backwardVariant = want === 'auto' ? (hasSubgroups ? 'subgroup' : 'atomic') : want;
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

  /** Fills θ uniformly in [−1e-4, 1e-4] (Instant-NGP's initialisation) from a seeded PRNG (mulberry32). */
  init(seed: number): void {
    this.alive();
    const data = new Float32Array(this.paramCount);
    let a = seed >>> 0;
    for (let i = 0; i < data.length; i++) {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      data[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2e-4 - 1e-4;
    }
    write(this.ctx, this.params, data);
  }

  /**
   * Records the forward pass for `n` samples: `out` (≥ n·D f32) ← features of `positions` (≥ n vec4).
   * Remembers `positions` for a later {@link backward} that does not name them.
   */
  forward(batch: Batch, positions: BufferBinding, out: BufferBinding, n: number): void {
    this.checkLaunch(n, positions, out, 'out');
    this.lastPositions = positions;
    const L = this.layout.levels.length;
    kernelFor(gridEncodeForwardSpec, this.layout.featuresPerLevel).dispatch(
      batch,
      { positions, levels: this.levelBuffer, table: this.params, features: out },
      { count: n * L, samples: n, dim: this.outputDim },
    );
  }

  /**
   * Records the backward pass: grad += dL/dθ for upstream gradient `dOut` (≥ n·D f32) at `positions`
   * (default: those of the last {@link forward}). Accumulates; does not clear {@link grad}.
   */
  backward(batch: Batch, dOut: BufferBinding, n: number, positions: BufferBinding | undefined = this.lastPositions): void {
    if (!positions) throw new GpuError('GridEncoding.backward: no positions given and no forward recorded before');
    this.checkLaunch(n, positions, dOut, 'dOut');
    const L = this.layout.levels.length;
    const F = this.layout.featuresPerLevel;
    const bindings = { positions, levels: this.levelBuffer, table: this.params, d_features: dOut, grad: this.grad };
    if (this.backwardVariant === 'subgroup') {
      kernelFor(gridEncodeBackwardSubgroupSpec, F).dispatch(batch, bindings, { count: n * L, samples: n, dim: this.outputDim });
      return;
    }
    const groups = Math.ceil(n / BACKWARD_RUN);
    kernelFor(gridEncodeBackwardSpec, F).dispatch(batch, bindings, { count: groups * L, samples: n, dim: this.outputDim, groups });
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
