/** Spherical-harmonics (degree 4) encoding of view directions (launcher of sh-encode.wgsl). */
import { Kernel, wgsl, type Batch } from '../../gpu/kernel.ts';
import type { GpuContext } from '../../gpu/device.ts';

export const shEncodeKernel = new Kernel({
  name: 'sh-encode',
  source: wgsl(import.meta.url, './sh-encode.wgsl'),
  bindings: [['dirs', 'read-only-storage'], ['out', 'storage']],
  params: [['count', 'u32'], ['outStride', 'u32'], ['outOffset', 'u32']],
} as const);

/** Number of coefficients written per direction. */
export const SH_DEGREE4_COEFFS = 16;

export class ShEncoding {
  constructor(readonly ctx: GpuContext) {}
  /** Records: out[i·stride + offset + k] ← Y_k(dirs[i]), k < 16. */
  forward(batch: Batch, dirs: GPUBuffer, out: { buffer: GPUBuffer; stride: number; offset: number }, n: number): void {
    if (out.stride < out.offset + SH_DEGREE4_COEFFS) throw new RangeError(`sh-encode: a row of ${out.stride} floats cannot hold 16 coefficients at offset ${out.offset}`);
    shEncodeKernel.dispatch(batch, { dirs, out: out.buffer }, { count: n, outStride: out.stride, outOffset: out.offset });
  }
  /** Owns no buffers; present for symmetry with the other field components. */
  destroy(): void {}
}
