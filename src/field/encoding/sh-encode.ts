/**
 * Spherical-harmonics encoding of view directions (launcher of sh-encode.wgsl; float64 twin in
 * sh-encode.ref.ts): 16 coefficients per sample written into a strided view, typically the columns
 * after the density outputs in the colour MLP's input rows. Directions are `array<vec4<f32>>` (xyz a
 * unit vector, w ignored). No backward: directions are not learned.
 */
import { Kernel, wgsl, type Batch } from '../../gpu/kernel.ts';
import type { GpuContext } from '../../gpu/device.ts';
import { SH_COEFFICIENTS } from './sh-encode.ref.ts';

export { SH_COEFFICIENTS };

/** The kernel: one invocation per sample. */
export const shEncodeKernel = new Kernel({
  name: 'sh-encode',
  source: wgsl(import.meta.url, './sh-encode.wgsl'),
  bindings: [
    ['dirs', 'read-only-storage'],
    ['output', 'storage'],
  ],
  params: [
    ['count', 'u32'],
    ['outStride', 'u32'],
    ['outOffset', 'u32'],
  ],
} as const);

/** Where the coefficients go: row n starts at float `offset + n·stride` of `buffer`. */
export interface ShOutputView {
  /** Destination buffer (STORAGE usage); must differ from the directions' buffer. */
  buffer: GPUBuffer;
  /** Floats between consecutive rows, ≥ 16. */
  stride: number;
  /** Float index of row 0's first coefficient. */
  offset: number;
}

/** The SH encoding of view directions (stateless; holds no buffers). */
export class ShEncoding {
  /** Coefficients per direction. */
  readonly outputDim = SH_COEFFICIENTS;
  constructor(readonly ctx: GpuContext) {}

  /** Records Y_0 … Y_15 of directions 0 … n−1 into `out`. Checks the views before recording. */
  forward(batch: Batch, dirs: GPUBuffer, out: ShOutputView, n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`sh-encode: n must be a non-negative integer, got ${n}`);
    if (!Number.isInteger(out.stride) || out.stride < SH_COEFFICIENTS) throw new TypeError(`sh-encode: out.stride must be an integer ≥ ${SH_COEFFICIENTS}, got ${out.stride}`);
    if (!Number.isInteger(out.offset) || out.offset < 0) throw new TypeError(`sh-encode: out.offset must be a non-negative integer, got ${out.offset}`);
    if (out.buffer === dirs) throw new TypeError('sh-encode: dirs and out.buffer must be different buffers');
    if (n === 0) return;
    if (dirs.size < n * 16) throw new RangeError(`sh-encode: ${n} directions need ${n * 16} bytes; dirs has ${dirs.size}`);
    const needed = (out.offset + (n - 1) * out.stride + SH_COEFFICIENTS) * 4;
    if (needed > out.buffer.size) throw new RangeError(`sh-encode: ${n} rows at offset ${out.offset}, stride ${out.stride} need ${needed} bytes; out.buffer has ${out.buffer.size}`);
    shEncodeKernel.dispatch(batch, { dirs, output: out.buffer }, { count: n, outStride: out.stride, outOffset: out.offset });
  }

  /** Nothing to free; present so owners can dispose every component alike. */
  destroy(): void {}
}
