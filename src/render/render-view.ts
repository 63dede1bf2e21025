/**
 * Renders whole images from a trained field: rays for every pixel in chunks, occupancy marching,
 * the field's forward pass and compositing over a constant background. Chunks adapt so that their
 * samples fit the field's scratch buffers; a chunk that overflows is retried with fewer rays.
 */
import type { Batch } from '../gpu/kernel.ts';
import { Batch as GpuBatch } from '../gpu/kernel.ts';
import { BufferPool, readF32, readU32 } from '../gpu/buffers.ts';
import type { Field } from '../field/field.ts';
import type { OccupancyGrid } from '../field/occupancy/occupancy-grid.ts';
import type { Intrinsics } from '../data/camera.ts';
import { raysKernel, RayBatch, packCameras, uploadFrames, cameraParams, type MarchOptions } from './march/march.ts';
import { compositeKernel, COMPOSITE_RENDER, COMPOSITE_RENDER_INCREMENTAL } from './composite/composite.ts';

export class ViewRenderer {
  private readonly pool: BufferPool;
  private readonly rays: RayBatch;
  private readonly out: GPUBuffer;
  private readonly c2w: GPUBuffer;
  private readonly dummy: GPUTextureView;
  private chunk: number;

  constructor(readonly field: Field, readonly occupancy: OccupancyGrid, readonly march: MarchOptions, readonly maxRays = 1 << 15) {
    this.pool = new BufferPool(field.ctx);
    this.rays = new RayBatch(this.pool, maxRays, field.maxSamples);
    this.out = this.pool.storage('render-rgba', maxRays * 16);
    this.c2w = this.pool.storage('render-c2w', 48);
    this.dummy = uploadFrames(this.pool, 1, 1, [new Uint8Array(4)]).createView({ label: 'no-targets', dimension: '2d-array' });
    this.chunk = Math.min(maxRays, Math.max(256, field.maxSamples >> 5));
  }

  /**
   * RGBA floats (colour composited over `bg`, alpha = 1 − transmittance), row-major, width·height·4.
   * Incremental (default, as Instant-NGP's inference): rays advance `perRound` samples per round and stop
   * once opaque, so samples behind surfaces are never evaluated. One-shot: every sample of every ray in
   * one pass (the training path; used by tests to check the incremental one).
   */
  async render(c2w: Float64Array, intr: Intrinsics, bg: [number, number, number] = [0, 0, 0], opts: { incremental?: boolean; perRound?: number } = {}): Promise<Float32Array> {
    const ctx = this.field.ctx;
    ctx.device.queue.writeBuffer(this.c2w, 0, packCameras([c2w]) as Float32Array<ArrayBuffer>);
    const total = intr.width * intr.height;
    const image = new Float32Array(total * 4);
    const incremental = opts.incremental ?? true;
    const perRound = opts.perRound ?? 16;
    let first = 0;
    while (first < total) {
      const n = incremental ? Math.min(this.maxRays, Math.floor(this.rays.capacity / perRound), total - first) : Math.min(this.chunk, total - first);
      const a = new GpuBatch(ctx, 'render-rays');
      raysKernel.dispatch(a, { c2w: this.c2w, images: this.dummy, rays: this.rays.rays },
        { count: n, mode: 1, seed: 0, numFrames: 1, frame: 0, firstPixel: first, ...cameraParams(intr), bgR: bg[0], bgG: bg[1], bgB: bg[2] });
      if (incremental) {
        await a.submit();
        await this.renderIncremental(n, perRound);
        const rays = await readF32(ctx, this.rays.rays, n * 16);
        for (let r = 0; r < n; r++) {
          const T = rays[16 * r + 11]!;
          for (let c = 0; c < 3; c++) image[4 * (first + r) + c] = rays[16 * r + 8 + c]! + T * bg[c]!;
          image[4 * (first + r) + 3] = 1 - T;
        }
        first += n;
        continue;
      }
      this.rays.march(a, n, this.occupancy.bits, this.occupancy.opts.resolution, this.march, null);
      await a.submit();
      const [reserved] = await readU32(ctx, this.rays.counter, 1);
      if (reserved! > this.rays.capacity) {
        if (n <= 1) throw new RangeError(`one ray needs more than ${this.rays.capacity} samples`);
        this.chunk = Math.max(1, Math.floor(n / 2));
        continue;
      }
      const b = new GpuBatch(ctx, 'render-shade');
      this.shade(b, n, reserved!, COMPOSITE_RENDER);
      await b.submit();
      image.set(await readF32(ctx, this.out, n * 4), first * 4);
      first += n;
      // Grow the chunk toward what fills the scratch buffers (with 25% headroom).
      const perRay = Math.max(1, reserved! / n);
      this.chunk = Math.min(this.maxRays, Math.max(64, Math.floor((0.75 * this.rays.capacity) / perRay)));
    }
    return image;
  }

  /** Rounds of march → shade until no ray has samples left (each ray emits ≤ perRound per round). */
  private async renderIncremental(n: number, perRound: number): Promise<void> {
    const ctx = this.field.ctx;
    const rounds = Math.ceil(this.march.maxSamplesPerRay / perRound);
    for (let round = 0; round < rounds; round++) {
      const a = new GpuBatch(ctx, 'render-march');
      this.rays.march(a, n, this.occupancy.bits, this.occupancy.opts.resolution, this.march, null, { perRound });
      await a.submit();
      const [reserved, requested] = await readU32(ctx, this.rays.counter, 2);
      if (requested === 0) return;
      const b = new GpuBatch(ctx, 'render-shade');
      this.shade(b, n, Math.min(reserved!, this.rays.capacity), COMPOSITE_RENDER_INCREMENTAL);
      await b.submit();
    }
  }

  private shade(batch: Batch, numRays: number, numSamples: number, mode: number): void {
    const f = this.field;
    if (numSamples > 0) f.forward(batch, this.rays.samples, this.rays.sampleDirs, numSamples, false);
    compositeKernel.dispatch(batch, {
      rays: this.rays.rays, rayRange: this.rays.rayRange, density: f.colIn, rgb: f.rgb, dRgb: f.dRgb, dDensity: f.dDensity, rayOut: this.out, samples: this.rays.samples,
    }, { count: numRays, mode, densStride: f.colStride, numRays, minTransmittance: this.march.minTransmittance, dt: this.march.dt, maskWeight: 0, distWeight: 0 });
  }

  destroy(): void {
    this.pool.destroy();
  }
}

/** Converts rendered floats to 8-bit RGBA (alpha from the render). */
export function toRgba8(img: Float32Array): Uint8Array {
  const out = new Uint8Array(img.length);
  for (let i = 0; i < img.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(img[i]! * 255)));
  return out;
}
