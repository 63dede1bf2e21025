/** Adam optimizer over one flat f32 parameter buffer (launcher of adam.wgsl). */
import { Kernel, wgsl, type Batch } from '../../gpu/kernel.ts';
import type { BufferPool } from '../../gpu/buffers.ts';

export const adamKernel = new Kernel({
  name: 'adam',
  source: wgsl(import.meta.url, './adam.wgsl'),
  bindings: [
    ['theta', 'storage'],
    ['grad', 'storage'],
    ['m', 'storage'],
    ['v', 'storage'],
  ],
  params: [
    ['count', 'u32'],
    ['lr', 'f32'],
    ['beta1', 'f32'],
    ['beta2', 'f32'],
    ['eps', 'f32'],
    ['c1', 'f32'],
    ['c2', 'f32'],
    ['gradScale', 'f32'],
    ['l2', 'f32'],
    ['sparse', 'u32'],
  ],
} as const);

/** Adam hyper-parameters (Instant-NGP's defaults). */
export interface AdamOptions {
  /** β1, default 0.9. */
  beta1: number;
  /** β2, default 0.99. */
  beta2: number;
  /** ε, default 1e-15 (Instant-NGP): tiny so rarely-touched hash entries still move. */
  eps: number;
  /** L2 regularization added to the gradient, default 0. */
  l2: number;
  /** Skip entries whose gradient is exactly zero (lazy Adam; for hash tables). Default false. */
  sparse: boolean;
}

export const ADAM_DEFAULTS: Readonly<AdamOptions> = Object.freeze({ beta1: 0.9, beta2: 0.99, eps: 1e-15, l2: 0, sparse: false });

/** One parameter group: θ, its gradient accumulator and the two moment buffers. */
export class AdamGroup {
  readonly m: GPUBuffer;
  readonly v: GPUBuffer;
  step = 0;
  constructor(pool: BufferPool, readonly name: string, readonly theta: GPUBuffer, readonly grad: GPUBuffer, readonly count: number, readonly opts: AdamOptions = ADAM_DEFAULTS) {
    this.m = pool.storage(`${name}-adam-m`, count * 4);
    this.v = pool.storage(`${name}-adam-v`, count * 4);
    pool.ctx.device.queue.writeBuffer(this.m, 0, new Float32Array(count));
    pool.ctx.device.queue.writeBuffer(this.v, 0, new Float32Array(count));
  }
  /** Records one update with learning rate `lr`; `gradScale` multiplies the raw gradient (e.g. 1/batch). */
  update(batch: Batch, lr: number, gradScale = 1): void {
    this.step += 1;
    const { beta1, beta2, eps, l2, sparse } = this.opts;
    adamKernel.dispatch(
      batch,
      { theta: this.theta, grad: this.grad, m: this.m, v: this.v },
      { count: this.count, lr, beta1, beta2, eps, c1: 1 - beta1 ** this.step, c2: 1 - beta2 ** this.step, gradScale, l2, sparse: sparse ? 1 : 0 },
    );
  }
}
