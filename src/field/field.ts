/**
 * The radiance field on the GPU: grid encoding → density MLP → (σ logit, geometry feature);
 * [density outputs, SH(view dir)] → colour MLP → RGB logits. Owns the scratch buffers of one batch of
 * samples and exposes forward/backward over a sample batch and the density query the occupancy grid uses.
 *
 * Buffers per sample (row-major, sample-major):
 *   feats   [N × D]          grid features (3-D levels, then planes)
 *   colIn   [N × (16 + 16)]  density outputs (column 0 is σ's logit s) then SH coefficients
 *   rgb     [N × 3]          colour logits z
 *   dFeats, dColIn, dRgb, dDensity: their gradients.
 */
import type { GpuContext } from '../gpu/device.ts';
import { BufferPool } from '../gpu/buffers.ts';
import type { Batch } from '../gpu/kernel.ts';
import { GridEncoding } from './encoding/grid-encode.ts';
import { ShEncoding } from './encoding/sh-encode.ts';
import { Mlp } from './network/mlp.ts';
import { addColumnKernel } from '../gpu/ops/add-column.ts';
import { colorInputDim, validateFieldConfig, type FieldConfig } from './field-config.ts';

/** A view of a row-major matrix inside a buffer (in floats). */
export interface View {
  buffer: GPUBuffer;
  stride: number;
  offset: number;
}

export class Field {
  readonly grid: GridEncoding;
  readonly density: Mlp;
  readonly color: Mlp;
  readonly sh: ShEncoding;
  readonly pool: BufferPool;
  readonly feats: GPUBuffer;
  readonly colIn: GPUBuffer;
  readonly rgb: GPUBuffer;
  readonly dFeats: GPUBuffer;
  readonly dColIn: GPUBuffer;
  readonly dRgb: GPUBuffer;
  readonly dDensity: GPUBuffer;
  readonly colStride: number;
  private destroyed = false;

  /** `maxSamples` sizes the scratch buffers: the most samples one forward/backward may carry. */
  constructor(readonly ctx: GpuContext, readonly config: FieldConfig, readonly maxSamples: number) {
    validateFieldConfig(config);
    // Chunked queries bind sub-ranges of sample buffers (16 B per sample) at 256-byte-aligned offsets.
    if (!Number.isInteger(maxSamples) || maxSamples < 16 || maxSamples % 16 !== 0) throw new RangeError(`Field: maxSamples must be a multiple of 16 (got ${maxSamples})`);
    this.pool = new BufferPool(ctx);
    const net = config.network;
    this.grid = new GridEncoding(ctx, config.grid);
    const D = this.grid.outputDim;
    this.colStride = colorInputDim(net);
    this.density = new Mlp(ctx, { inputDim: D, width: net.densityWidth, hiddenLayers: net.densityHiddenLayers, outputDim: net.densityOutputs }, maxSamples, 'density-mlp');
    this.color = new Mlp(ctx, { inputDim: this.colStride, width: net.colorWidth, hiddenLayers: net.colorHiddenLayers, outputDim: 3 }, maxSamples, 'color-mlp');
    this.sh = new ShEncoding(ctx);
    const f = 4 * maxSamples;
    this.feats = this.pool.storage('feats', f * D);
    this.colIn = this.pool.storage('color-input', f * this.colStride);
    this.rgb = this.pool.storage('rgb-logits', f * 3);
    this.dFeats = this.pool.storage('d-feats', f * D);
    this.dColIn = this.pool.storage('d-color-input', f * this.colStride);
    this.dRgb = this.pool.storage('d-rgb', f * 3);
    this.dDensity = this.pool.storage('d-density', f);
  }

  /** Initialises every parameter (grid uniform ±1e-4, MLPs He-uniform) from `seed`. */
  init(seed: number): void {
    this.grid.init(seed);
    this.density.init(seed + 1);
    this.color.init(seed + 2);
  }

  /** Where the raw density s of sample i sits after {@link forward} or {@link queryDensity}. */
  get densityView(): View {
    return { buffer: this.colIn, stride: this.colStride, offset: 0 };
  }

  private check(n: number): void {
    if (n > this.maxSamples) throw new RangeError(`Field: ${n} samples exceed the ${this.maxSamples} this field was sized for`);
  }

  /** Records the forward pass of `n` samples (positions xyz·dt and directions as vec4). */
  forward(batch: Batch, positions: GPUBuffer, dirs: GPUBuffer, n: number, train: boolean): void {
    this.check(n);
    const D = this.grid.outputDim;
    const dOut = this.config.network.densityOutputs;
    this.grid.forward(batch, positions, this.feats, n);
    this.density.forward(batch, { buffer: this.feats, stride: D, offset: 0 }, { buffer: this.colIn, stride: this.colStride, offset: 0 }, n, train);
    this.sh.forward(batch, dirs, { buffer: this.colIn, stride: this.colStride, offset: dOut }, n);
    this.color.forward(batch, { buffer: this.colIn, stride: this.colStride, offset: 0 }, { buffer: this.rgb, stride: 3, offset: 0 }, n, train);
  }

  /** Records the backward pass from dRgb (colour logits) and dDensity (σ logit), accumulating parameter gradients. */
  backward(batch: Batch, n: number): void {
    this.check(n);
    const D = this.grid.outputDim;
    this.color.backward(batch, { buffer: this.dRgb, stride: 3, offset: 0 }, n, { buffer: this.dColIn, stride: this.colStride, offset: 0 });
    addColumnKernel.dispatch(batch, { src: this.dDensity, dst: this.dColIn }, { count: n, stride: this.colStride, offset: 0 });
    this.density.backward(batch, { buffer: this.dColIn, stride: this.colStride, offset: 0 }, n, { buffer: this.dFeats, stride: D, offset: 0 });
    this.grid.backward(batch, this.dFeats, n);
  }

  /** Records the density-only query (grid + density MLP) used by the occupancy grid; returns where s is. */
  queryDensity(batch: Batch, points: GPUBuffer, n: number): View {
    this.check(n);
    const D = this.grid.outputDim;
    this.grid.forward(batch, points, this.feats, n);
    this.density.forward(batch, { buffer: this.feats, stride: D, offset: 0 }, { buffer: this.colIn, stride: this.colStride, offset: 0 }, n, false);
    return this.densityView;
  }

  /**
   * Records density-MLP outputs for `n` samples into `out` (n × densityOutputs floats; s in column 0),
   * in chunks of {@link maxSamples}, so `n` may exceed the scratch size (the training step queries every
   * marched sample before compaction).
   */
  queryDensityAll(batch: Batch, positions: GPUBuffer, n: number, out: GPUBuffer): void {
    const D = this.grid.outputDim;
    const k = this.config.network.densityOutputs;
    for (let start = 0; start < n; start += this.maxSamples) {
      const m = Math.min(this.maxSamples, n - start);
      this.grid.forward(batch, { buffer: positions, offset: start * 16, size: m * 16 }, this.feats, m);
      this.density.forward(batch, { buffer: this.feats, stride: D, offset: 0 }, { buffer: out, stride: k, offset: start * k }, m, false);
    }
  }

  /** Parameter tensors by name, for checkpoints. */
  async readParams(): Promise<Map<string, Float32Array>> {
    return new Map([
      ['grid', await this.grid.readParams()],
      ['density-mlp', await this.density.readParams()],
      ['color-mlp', await this.color.readParams()],
    ]);
  }

  writeParams(t: Map<string, Float32Array>): void {
    for (const [name, part] of [['grid', this.grid], ['density-mlp', this.density], ['color-mlp', this.color]] as const) {
      const v = t.get(name);
      if (!v) throw new RangeError(`checkpoint has no tensor ${name}`);
      part.writeParams(v);
    }
  }

  get paramCount(): number {
    return this.grid.paramCount + this.density.paramCount + this.color.paramCount;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.grid.destroy();
    this.density.destroy();
    this.color.destroy();
    this.sh.destroy();
    this.pool.destroy();
  }
}
