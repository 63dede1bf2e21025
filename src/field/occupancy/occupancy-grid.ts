/**
 * The occupancy grid (the paper's eq. 15, Instant-NGP's density grid): G³ cells over the unit box
 * holding an exponential moving maximum of the optical thickness σ·dt, and the bitfield the ray marcher
 * reads. Updated every `interval` steps: all cells during warm-up, then a quarter of the cells
 * (half uniformly random, half among occupied cells).
 */
import { Kernel, wgsl, type Batch } from '../../gpu/kernel.ts';
import type { BufferPool } from '../../gpu/buffers.ts';
import { readF32, readU32, write } from '../../gpu/buffers.ts';
import type { Intrinsics } from '../../data/camera.ts';

const k = (name: string, file: string, bindings: readonly (readonly [string, 'storage' | 'read-only-storage'])[], params: readonly (readonly [string, 'u32' | 'f32'])[]) =>
  new Kernel({ name, source: wgsl(import.meta.url, file), bindings, params });

export const occPointsKernel = k('occ-points', './occ-points.wgsl',
  [['occupancy', 'read-only-storage'], ['points', 'storage'], ['cells', 'storage']],
  [['count', 'u32'], ['grid', 'u32'], ['warmup', 'u32'], ['first', 'u32'], ['seed', 'u32']]);
export const occSplatKernel = k('occ-splat', './occ-splat.wgsl',
  [['cells', 'read-only-storage'], ['density', 'read-only-storage'], ['fresh', 'storage']],
  [['count', 'u32'], ['densStride', 'u32'], ['dt', 'f32']]);
export const occDecayKernel = k('occ-decay', './occ-decay.wgsl',
  [['values', 'storage'], ['fresh', 'read-only-storage'], ['partial', 'storage']],
  [['count', 'u32'], ['cells', 'u32'], ['chunk', 'u32'], ['decay', 'f32']]);
export const occBitsKernel = k('occ-bits', './occ-bits.wgsl',
  [['values', 'read-only-storage'], ['partial', 'read-only-storage'], ['occupancy', 'storage']],
  [['count', 'u32'], ['partials', 'u32'], ['threshold', 'f32']]);
export const occVisibilityKernel = k('occ-visibility', './occ-visibility.wgsl',
  [['rayRange', 'read-only-storage'], ['density', 'read-only-storage'], ['samples', 'read-only-storage'], ['visibility', 'storage']],
  [['count', 'u32'], ['densStride', 'u32'], ['grid', 'u32'], ['dt', 'f32'], ['minTransmittance', 'f32']]);

/** Occupancy-grid settings. */
export interface OccupancyOptions {
  /** Cells per axis (paper: 128). */
  resolution: number;
  /** EMA decay of eq. 15 (paper / Instant-NGP: 0.95). */
  decay: number;
  /** Optical-thickness threshold; a cell is occupied if above min(threshold, mean) (0.01). */
  threshold: number;
  /** Steps between updates (16). */
  interval: number;
  /** Steps during which every cell is refreshed (256). */
  warmupSteps: number;
}

export const OCCUPANCY_DEFAULTS: Readonly<OccupancyOptions> = Object.freeze({ resolution: 128, decay: 0.95, threshold: 0.01, interval: 16, warmupSteps: 256 });

/** Evaluates raw density s at `n` points; returns the buffer and stride (in floats) of s. */
export type DensityFn = (batch: Batch, points: GPUBuffer, n: number) => { buffer: GPUBuffer; stride: number };

const CHUNK = 16384;

export class OccupancyGrid {
  readonly cells: number;
  /** EMA of σ·dt per cell; −1 marks cells no training camera sees. */
  readonly values: GPUBuffer;
  /** One bit per cell, what the marcher reads. */
  readonly bits: GPUBuffer;
  private readonly fresh: GPUBuffer;
  private readonly partial: GPUBuffer;
  private readonly points: GPUBuffer;
  private readonly cellIds: GPUBuffer;
  /** Points evaluated per update (a quarter of the cells, at most). */
  readonly pointsPerUpdate: number;
  private updates = 0;
  /** Max compositing weight T·α per cell over the rays recorded since {@link clearVisibility} (lazy). */
  private vis: GPUBuffer | undefined;
  /**
   * True once the grid was pruned by visibility ({@link prune}): the bitfield is final, and
   * {@link update} must not run again (the trainer stops calling it).
   */
  frozen = false;

  constructor(readonly pool: BufferPool, readonly opts: OccupancyOptions = OCCUPANCY_DEFAULTS, maxPoints = 1 << 18) {
    const g = opts.resolution;
    if (!Number.isInteger(g) || g < 8 || g % 4 !== 0) throw new TypeError(`occupancy.resolution must be a multiple of 4 ≥ 8, got ${g}`);
    this.cells = g ** 3;
    this.pointsPerUpdate = Math.min(maxPoints, this.cells / 4);
    this.values = pool.storage('occupancy-values', this.cells * 4);
    this.bits = pool.storage('occupancy-bits', this.cells / 8);
    this.fresh = pool.storage('occupancy-fresh', this.cells * 4);
    this.partial = pool.storage('occupancy-partial', Math.ceil(this.cells / CHUNK) * 8);
    this.points = pool.storage('occupancy-points', this.pointsPerUpdate * 16);
    this.cellIds = pool.storage('occupancy-cells', this.pointsPerUpdate * 4);
    this.reset();
  }

  /** Before the first update: every cell that a camera sees (all when `seen` is omitted) occupied. */
  reset(seen?: Uint8Array): void {
    const v = new Float32Array(this.cells);
    if (seen) for (let i = 0; i < this.cells; i++) if (!seen[i]) v[i] = -1;
    write(this.pool.ctx, this.values, v);
    const bits = new Uint32Array(this.cells / 32);
    for (let i = 0; i < this.cells; i++) if (v[i]! >= 0) bits[i >> 5]! |= 1 << (i & 31);
    write(this.pool.ctx, this.bits, bits);
    this.updates = 0;
  }

  /** Restores saved cell values and derives the bitfield as occ-bits.wgsl does (d > min(threshold, mean)). */
  setValues(values: Float32Array): void {
    if (values.length !== this.cells) throw new RangeError(`occupancy values: got ${values.length}, the grid has ${this.cells} cells`);
    write(this.pool.ctx, this.values, values);
    write(this.pool.ctx, this.bits, occupancyBitsFromValues(values, this.opts.threshold));
  }

  /**
   * Sets the bitfield alone (a decoded file stores only the bits): occupied cells get value 1, the
   * others 0, so the grid must not be updated afterwards.
   */
  setBits(bits: Uint32Array): void {
    if (bits.length !== this.cells / 32) throw new RangeError(`occupancy bits: got ${bits.length} words, the grid needs ${this.cells / 32}`);
    const v = new Float32Array(this.cells);
    for (let i = 0; i < this.cells; i++) v[i] = (bits[i >> 5]! >>> (i & 31)) & 1;
    write(this.pool.ctx, this.values, v);
    write(this.pool.ctx, this.bits, bits);
  }

  /** The visibility buffer (G³ f32 bit patterns, max weight per cell), created zeroed on first use. */
  get visibility(): GPUBuffer {
    this.vis ??= this.pool.storage('occupancy-visibility', this.cells * 4);
    return this.vis;
  }

  /** Starts a new visibility window: every cell's max weight back to 0. */
  clearVisibility(batch: Batch): void {
    batch.clear(this.visibility);
  }

  /**
   * Records the compositing weight of every marched sample of `rays` rays into {@link visibility}
   * (occ-visibility.wgsl). `density` holds the raw s of each sample at `i·densStride`.
   */
  recordVisibility(batch: Batch, b: { rayRange: GPUBuffer; density: GPUBuffer; samples: GPUBuffer }, rays: number, densStride: number, dt: number, minTransmittance: number): void {
    occVisibilityKernel.dispatch(batch, { ...b, visibility: this.visibility },
      { count: rays, densStride, grid: this.opts.resolution, dt, minTransmittance });
  }

  /** The recorded max weight T·α of each cell. */
  async readVisibility(): Promise<Float32Array> {
    return readF32(this.pool.ctx, this.visibility);
  }

  /**
   * Visibility pruning: keeps only the occupied cells whose max weight reached `minWeight`, then
   * freezes the grid (values 1 kept, −1 dropped, so {@link occupancyBitsFromValues} of the saved
   * values gives the same bits). Returns the occupied cells before and after.
   */
  async prune(minWeight: number, visibility?: Float32Array): Promise<{ before: number; after: number }> {
    const vis = visibility ?? (await this.readVisibility());
    const bits = await readU32(this.pool.ctx, this.bits);
    const { values, bits: kept, before, after } = pruneByVisibility(bits, vis, minWeight);
    write(this.pool.ctx, this.values, values);
    write(this.pool.ctx, this.bits, kept);
    this.frozen = true;
    return { before, after };
  }

  /**
   * Records one update. `step` decides warm-up; `dt` is the march step (the optical thickness is per step).
   * The caller's `density` evaluates the field at the chosen points.
   */
  update(batch: Batch, step: number, dt: number, seed: number, density: DensityFn): void {
    if (this.frozen) throw new Error('internal error: the occupancy grid was pruned and frozen; it must not be updated');
    const g = this.opts.resolution;
    const warm = step < this.opts.warmupSteps;
    const rounds = warm ? Math.ceil(this.cells / this.pointsPerUpdate) : 1;
    batch.clear(this.fresh);
    for (let r = 0; r < rounds; r++) {
      const n = this.pointsPerUpdate;
      occPointsKernel.dispatch(batch, { occupancy: this.bits, points: this.points, cells: this.cellIds },
        { count: n, grid: g, warmup: warm ? 1 : 0, first: r * n, seed: (seed + r * 7919) >>> 0 });
      const d = density(batch, this.points, n);
      occSplatKernel.dispatch(batch, { cells: this.cellIds, density: d.buffer, fresh: this.fresh }, { count: n, densStride: d.stride, dt });
    }
    const partials = Math.ceil(this.cells / CHUNK);
    occDecayKernel.dispatch(batch, { values: this.values, fresh: this.fresh, partial: this.partial },
      { count: partials, cells: this.cells, chunk: CHUNK, decay: this.opts.decay });
    occBitsKernel.dispatch(batch, { values: this.values, partial: this.partial, occupancy: this.bits },
      { count: this.cells / 32, partials, threshold: this.opts.threshold });
    this.updates++;
  }
}

/**
 * The pruned grid of {@link OccupancyGrid.prune}: a cell stays occupied iff its bit is set and its max
 * weight is at least `minWeight`. The values are 1 for kept cells and −1 for the rest (like unseen
 * cells: never occupied, outside the mean), so the bits derived from them are exactly the kept ones.
 */
export function pruneByVisibility(bits: Uint32Array, visibility: Float32Array, minWeight: number): { values: Float32Array; bits: Uint32Array; before: number; after: number } {
  if (!(minWeight > 0)) throw new RangeError(`prune: minWeight must be > 0 (got ${minWeight})`);
  const cells = visibility.length;
  if (bits.length !== cells / 32) throw new RangeError(`prune: ${bits.length} bit words for ${cells} cells`);
  const values = new Float32Array(cells).fill(-1);
  const kept = new Uint32Array(bits.length);
  let before = 0;
  let after = 0;
  for (let i = 0; i < cells; i++) {
    if (((bits[i >> 5]! >>> (i & 31)) & 1) === 0) continue;
    before++;
    if (visibility[i]! >= minWeight) {
      values[i] = 1;
      kept[i >> 5]! |= 1 << (i & 31);
      after++;
    }
  }
  return { values, bits: kept, before, after };
}

/**
 * The bitfield of saved cell values, as occ-bits.wgsl derives it: a cell is occupied when its value
 * exceeds min(threshold, mean of the seen cells' values); cells marked −1 (unseen) never are.
 */
export function occupancyBitsFromValues(values: Float32Array, threshold: number): Uint32Array {
  let sum = 0;
  let n = 0;
  for (const v of values) if (v >= 0) { sum += v; n++; }
  const thr = Math.min(threshold, sum / Math.max(n, 1));
  const bits = new Uint32Array(Math.ceil(values.length / 32));
  values.forEach((v, i) => { if (v > thr) bits[i >> 5]! |= 1 << (i & 31); });
  return bits;
}

/**
 * Marks the cells whose centre no training camera sees (in front of it, inside its image), as
 * Instant-NGP does, so the field cannot grow floaters where nothing constrains it.
 */
export function seenCells(resolution: number, intr: Intrinsics, c2ws: Float64Array[]): Uint8Array {
  const g = resolution;
  const seen = new Uint8Array(g ** 3);
  for (const m of c2ws) {
    // world → camera: R^T (p − o); the camera looks along −z.
    const ox = m[3]!, oy = m[7]!, oz = m[11]!;
    for (let z = 0; z < g; z++) {
      const pz = (z + 0.5) / g - oz;
      for (let y = 0; y < g; y++) {
        const py = (y + 0.5) / g - oy;
        const base = g * (y + g * z);
        for (let x = 0; x < g; x++) {
          const px = (x + 0.5) / g - ox;
          const cz = -(m[2]! * px + m[6]! * py + m[10]! * pz);
          if (cz <= 1e-6) continue;
          const cx = m[0]! * px + m[4]! * py + m[8]! * pz;
          const cy = -(m[1]! * px + m[5]! * py + m[9]! * pz);
          const u = (intr.fx * cx) / cz + intr.cx;
          const v = (intr.fy * cy) / cz + intr.cy;
          if (u >= 0 && v >= 0 && u < intr.width && v < intr.height) seen[base + x] = 1;
        }
      }
    }
  }
  return seen;
}
