/**
 * Ray generation and occupancy-skipping ray marching (launchers of rays.wgsl and march.wgsl).
 * Rays live in one buffer of 64-byte records (origin+tmin, dir+tmax, target rgba, background).
 */
import { Kernel, wgsl, type Batch } from '../../gpu/kernel.ts';
import type { BufferPool } from '../../gpu/buffers.ts';
import type { Intrinsics } from '../../data/camera.ts';

export const RAY_BYTES = 64;

export const raysKernel = new Kernel({
  name: 'rays',
  source: wgsl(import.meta.url, './rays.wgsl'),
  bindings: [['c2w', 'read-only-storage'], ['images', 'texture-2d-array'], ['rays', 'storage']],
  params: [
    ['count', 'u32'], ['mode', 'u32'], ['seed', 'u32'], ['numFrames', 'u32'], ['frame', 'u32'], ['firstPixel', 'u32'],
    ['width', 'u32'], ['height', 'u32'], ['fx', 'f32'], ['fy', 'f32'], ['cx', 'f32'], ['cy', 'f32'],
    ['k1', 'f32'], ['k2', 'f32'], ['p1', 'f32'], ['p2', 'f32'], ['bgR', 'f32'], ['bgG', 'f32'], ['bgB', 'f32'],
  ],
} as const);

export const marchKernel = new Kernel({
  name: 'march',
  source: wgsl(import.meta.url, './march.wgsl'),
  bindings: [
    ['rays', 'storage'], ['occupancy', 'read-only-storage'], ['samples', 'storage'],
    ['sampleDirs', 'storage'], ['rayRange', 'storage'], ['counter', 'storage'],
  ],
  params: [
    ['count', 'u32'], ['capacity', 'u32'], ['maxPerRay', 'u32'], ['grid', 'u32'], ['dt', 'f32'], ['jitter', 'u32'], ['seed', 'u32'],
    ['resume', 'u32'], ['minTransmittance', 'f32'],
  ],
} as const);

/** Packs 3x4 camera-to-world matrices (unit-box coordinates) as f32 rows for rays.wgsl. */
export function packCameras(c2ws: Float64Array[]): Float32Array {
  const out = new Float32Array(c2ws.length * 12);
  c2ws.forEach((m, i) => out.set(m.subarray(0, 12), i * 12));
  return out;
}

/** Uploads RGBA8 frames as a 2-D array texture (one layer per frame) that rays.wgsl samples targets from. */
export function uploadFrames(pool: BufferPool, width: number, height: number, frames: Uint8Array[]): GPUTexture {
  const { device } = pool.ctx;
  const layers = Math.max(1, frames.length);
  if (layers > device.limits.maxTextureArrayLayers) {
    throw new RangeError(`${frames.length} training frames exceed this device's ${device.limits.maxTextureArrayLayers} texture layers; subsample the frames`);
  }
  const tex = device.createTexture({
    label: 'training-frames',
    size: [width, height, layers],
    format: 'rgba8unorm',
    usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST,
  });
  frames.forEach((f, i) => {
    device.queue.writeTexture({ texture: tex, origin: [0, 0, i] }, f as Uint8Array<ArrayBuffer>, { bytesPerRow: width * 4, rowsPerImage: height }, [width, height, 1]);
  });
  return tex;
}

/** Settings of the marcher. */
export interface MarchOptions {
  /** Fixed step along the ray in unit-box units (√3/1024 by default, Instant-NGP's for a unit cube). */
  dt: number;
  /** At most this many samples per ray (1024). */
  maxSamplesPerRay: number;
  /** Transmittance under which compositing stops (1e-4). */
  minTransmittance: number;
}

export const MARCH_DEFAULTS: Readonly<MarchOptions> = Object.freeze({ dt: Math.sqrt(3) / 1024, maxSamplesPerRay: 1024, minTransmittance: 1e-4 });

/** Buffers for one batch of rays and their compacted samples. */
export class RayBatch {
  readonly rays: GPUBuffer;
  readonly samples: GPUBuffer;
  readonly sampleDirs: GPUBuffer;
  readonly rayRange: GPUBuffer;
  readonly counter: GPUBuffer;
  constructor(pool: BufferPool, readonly maxRays: number, readonly capacity: number) {
    this.rays = pool.storage('rays', maxRays * RAY_BYTES);
    this.samples = pool.storage('samples', capacity * 16);
    this.sampleDirs = pool.storage('sample-dirs', capacity * 16);
    this.rayRange = pool.storage('ray-range', maxRays * 8);
    this.counter = pool.storage('sample-counter', 16);
  }

  /**
   * Records the march of `numRays` rays; afterwards counter[0] holds the samples reserved, counter[1]
   * those requested. With `resume.perRound`, rays continue where the previous round stopped and emit at
   * most that many samples each (incremental rendering).
   */
  march(batch: Batch, numRays: number, occupancy: GPUBuffer, grid: number, opts: MarchOptions, jitterSeed: number | null, resume?: { perRound: number }): void {
    batch.clear(this.counter);
    marchKernel.dispatch(batch, {
      rays: this.rays, occupancy, samples: this.samples, sampleDirs: this.sampleDirs, rayRange: this.rayRange, counter: this.counter,
    }, {
      count: numRays, capacity: this.capacity, maxPerRay: resume ? resume.perRound : opts.maxSamplesPerRay, grid, dt: opts.dt,
      jitter: jitterSeed === null ? 0 : 1, seed: jitterSeed ?? 0, resume: resume ? 1 : 0, minTransmittance: opts.minTransmittance,
    });
  }
}

/** Uniform fields of rays.wgsl for a camera. */
export function cameraParams(intr: Intrinsics) {
  return { width: intr.width, height: intr.height, fx: intr.fx, fy: intr.fy, cx: intr.cx, cy: intr.cy, k1: intr.k1, k2: intr.k2, p1: intr.p1, p2: intr.p2 };
}
