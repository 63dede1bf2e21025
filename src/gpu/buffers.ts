/** Buffer creation, upload and read-back helpers. Every buffer is labelled. */
import { GpuError } from './errors.ts';
import type { GpuContext } from './device.ts';

/** Usage for buffers kernels read and write and the host uploads to and reads back. */
export const STORAGE = 0x80 /* STORAGE */ | 0x08 /* COPY_DST */ | 0x04; /* COPY_SRC */

/**
 * The largest storage buffer created since the last {@link resetBufferStats} (process-wide): what the
 * benchmarks report against WebGPU's default limits (binding ≤ 128 MiB, buffer ≤ 256 MiB).
 */
export const bufferStats = { largestBytes: 0, largestLabel: '' };

/** Restarts {@link bufferStats}. */
export function resetBufferStats(): void {
  bufferStats.largestBytes = 0;
  bufferStats.largestLabel = '';
}

/** Creates a storage buffer of `bytes` (rounded up to 4), checked against the device's binding limit. */
export function createStorage(ctx: GpuContext, label: string, bytes: number): GPUBuffer {
  const size = Math.max(16, Math.ceil(bytes / 4) * 4);
  if (size > ctx.limits.maxStorageBufferBindingSize) {
    throw new GpuError(
      `${label}: ${(size / 2 ** 20).toFixed(1)} MiB exceeds this device's largest storage binding ` +
        `(${(ctx.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB); use a smaller preset or fewer samples per step.`,
    );
  }
  if (size > bufferStats.largestBytes) {
    bufferStats.largestBytes = size;
    bufferStats.largestLabel = label;
  }
  return ctx.device.createBuffer({ label, size, usage: STORAGE });
}

/** Creates a storage buffer holding `data`. */
export function upload(ctx: GpuContext, label: string, data: ArrayBufferView): GPUBuffer {
  const buf = createStorage(ctx, label, data.byteLength);
  write(ctx, buf, data);
  return buf;
}

/** Writes `data` into `buf` at `offset` (padding the copy to 4 bytes). */
export function write(ctx: GpuContext, buf: GPUBuffer, data: ArrayBufferView, offset = 0): void {
  const bytes = new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength % 4 === 0) ctx.device.queue.writeBuffer(buf, offset, bytes);
  else {
    const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
    padded.set(bytes);
    ctx.device.queue.writeBuffer(buf, offset, padded);
  }
}

/** Copies `bytes` of `buf` from `offset` back to the host. */
export async function readBack(ctx: GpuContext, buf: GPUBuffer, bytes = buf.size, offset = 0): Promise<ArrayBuffer> {
  const size = Math.ceil(bytes / 4) * 4;
  const staging = ctx.device.createBuffer({ label: `${buf.label}-readback`, size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = ctx.device.createCommandEncoder({ label: 'readback' });
  enc.copyBufferToBuffer(buf, offset, staging, 0, size);
  ctx.device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = staging.getMappedRange().slice(0, bytes);
  staging.unmap();
  staging.destroy();
  return out;
}

export async function readF32(ctx: GpuContext, buf: GPUBuffer, count?: number): Promise<Float32Array> {
  return new Float32Array(await readBack(ctx, buf, (count ?? buf.size / 4) * 4));
}

export async function readU32(ctx: GpuContext, buf: GPUBuffer, count?: number): Promise<Uint32Array> {
  return new Uint32Array(await readBack(ctx, buf, (count ?? buf.size / 4) * 4));
}

/** Owns a set of buffers and destroys them together (idempotent). */
export class BufferPool {
  private readonly buffers = new Set<GPUBuffer>();
  constructor(readonly ctx: GpuContext) {}
  storage(label: string, bytes: number): GPUBuffer {
    const b = createStorage(this.ctx, label, bytes);
    this.buffers.add(b);
    return b;
  }
  upload(label: string, data: ArrayBufferView): GPUBuffer {
    const b = upload(this.ctx, label, data);
    this.buffers.add(b);
    return b;
  }
  destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers.clear();
  }
}
