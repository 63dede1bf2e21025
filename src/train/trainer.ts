/**
 * The training loop (Instant-NGP's, with the paper's MSE loss): each step samples random rays from the
 * training frames against a random background colour, marches them through the occupancy grid, runs the
 * field forward and backward, and updates every parameter group with Adam. The number of rays adapts
 * so each step carries about `samplesPerStep` samples; the occupancy grid is refreshed every 16 steps.
 */
import type { GpuContext } from '../gpu/device.ts';
import { adapterName } from '../gpu/device.ts';
import { Batch, Profiler } from '../gpu/kernel.ts';
import { BufferPool, readF32, readU32, upload, write } from '../gpu/buffers.ts';
import type { PosedDataset } from '../data/transforms.ts';
import { Field } from '../field/field.ts';
import type { FieldConfig } from '../field/field-config.ts';
import { OccupancyGrid, seenCells } from '../field/occupancy/occupancy-grid.ts';
import { raysKernel, RayBatch, packCameras, uploadFrames, cameraParams } from '../render/march/march.ts';
import { compositeKernel, compactKernel, COMPOSITE_TRAIN } from '../render/composite/composite.ts';
import { ViewRenderer, toRgba8 } from '../render/render-view.ts';
import { AdamGroup, ADAM_DEFAULTS } from './adam/adam.ts';
import { RateEstimator } from './rate/rate.ts';
import { gridLayout } from '../field/encoding/grid-config.ts';
import { projectedVoxelFeatures } from '../codec/grid/projection.ts';
import { learningRate, validateTrainConfig, type TrainConfig } from './train-config.ts';
import { writeCheckpoint, readCheckpoint } from './checkpoint.ts';
import { psnr as psnrOf } from '../metrics/psnr.ts';
import { ssim as ssimOf } from '../metrics/ssim.ts';

/** What one step reports. */
export interface StepStats {
  step: number;
  /** Mean squared error over the step's rays (colours in [0, 1]). */
  loss: number;
  /** −10·log10(loss). */
  psnr: number;
  rays: number;
  samples: number;
  lr: number;
}

/** Held-out quality. */
export interface EvalResult {
  psnr: number;
  ssim: number;
  frames: number;
  /** Per frame. */
  perFrame: { name: string; psnr: number; ssim: number }[];
}

/** The march may produce this many times the kept samples per step (a density query runs on all). */
const MARCH_FACTOR = 4;

/** Header stored in a checkpoint. */
export interface CheckpointHeader {
  format: 'reliquary-model';
  version: 1;
  field: FieldConfig;
  train: TrainConfig;
  step: number;
  rays: number;
  adamSteps: number;
  dataset: { source: string; intrinsics: PosedDataset['intrinsics']; worldToUnit: PosedDataset['worldToUnit']; hasAlpha: boolean };
  /** Seconds of training so far (for samples/s across resumes). */
  seconds: number;
  samples: number;
  /** Set once the occupancy grid was pruned by visibility (TrainConfig.prune) and frozen. */
  pruned?: PruneStats;
  /** Set when the checkpoint holds a visibility window in progress (tensor `occupancy-visibility`): its rays so far. */
  visibilityRays?: number;
}

/** What visibility pruning did (TrainConfig.prune). */
export interface PruneStats {
  /** Step at which the grid was pruned (the steps after it fine-tune on the pruned grid). */
  step: number;
  /** Occupied cells before and after. */
  before: number;
  after: number;
  /** Rays whose samples were recorded in the visibility window. */
  rays: number;
}

export class Trainer {
  readonly field: Field;
  readonly occupancy: OccupancyGrid;
  readonly profiler: Profiler | undefined;
  private readonly pool: BufferPool;
  private readonly rayBatch: RayBatch;
  /** The samples each ray keeps (those before its transmittance falls under 1e-4), contiguous per ray. */
  private readonly kept: { samples: GPUBuffer; dirs: GPUBuffer; range: GPUBuffer; counter: GPUBuffer; capacity: number };
  /** Density-MLP outputs of every marched sample (for compaction). */
  private readonly densAll: GPUBuffer;
  private readonly rayOut: GPUBuffer;
  private readonly c2w: GPUBuffer;
  private readonly frames: GPUTextureView;
  private readonly groups: AdamGroup[];
  step = 0;
  rays: number;
  /** Training seconds and samples accumulated (including earlier runs when resumed). */
  seconds = 0;
  samples = 0;
  private renderer: ViewRenderer | undefined;
  /** The rate term's estimator (eq. 24-26) and its context models, when `config.rate` is set. */
  readonly rate: RateEstimator | undefined;
  /** Bits per parameter estimated at the last step with the rate term. */
  lastBitsPerParam = NaN;
  /** λ_m of the mask loss in use: config.maskWeight when the frames have alpha, else 0. */
  readonly maskWeight: number;
  /** Rays recorded in the current visibility window (TrainConfig.prune), or undefined outside one. */
  private visibilityRays: number | undefined;
  /** Set when the occupancy grid was pruned (TrainConfig.prune). */
  pruned: PruneStats | undefined;

  constructor(readonly ctx: GpuContext, readonly data: PosedDataset, readonly fieldConfig: FieldConfig, readonly config: TrainConfig, opts: { profile?: boolean } = {}) {
    validateTrainConfig(config);
    if (data.train.length === 0) throw new RangeError('the dataset has no training frames');
    this.pool = new BufferPool(ctx);
    const cap = Math.ceil(config.samplesPerStep / 16) * 16;
    // The scratch buffers also serve evaluation renders, which want larger chunks than a training step.
    this.field = new Field(ctx, fieldConfig, Math.max(cap, 1 << 16));
    this.field.init(config.seed);
    this.occupancy = new OccupancyGrid(this.pool, fieldConfig.occupancy, cap);
    // The march may yield MARCH_FACTOR× the kept samples; only a density query runs on the surplus.
    const marchCap = MARCH_FACTOR * cap;
    this.densAll = this.pool.storage('density-all', marchCap * fieldConfig.network.densityOutputs * 4);
    this.kept = {
      samples: this.pool.storage('kept-samples', cap * 16), dirs: this.pool.storage('kept-dirs', cap * 16),
      range: this.pool.storage('kept-range', config.maxRays * 8), counter: this.pool.storage('kept-counter', 16), capacity: cap,
    };
    const trainC2w = data.train.map((i) => data.frames[i]!.c2w);
    this.occupancy.reset(seenCells(fieldConfig.occupancy.resolution, data.intrinsics, trainC2w));
    this.rayBatch = new RayBatch(this.pool, config.maxRays, marchCap);
    this.rayOut = this.pool.storage('ray-loss', config.maxRays * 16);
    this.c2w = upload(ctx, 'train-c2w', packCameras(trainC2w));
    const { width, height } = data.intrinsics;
    this.frames = uploadFrames(this.pool, width, height, data.train.map((i) => data.frames[i]!.rgba)).createView({ label: 'train-frames', dimension: '2d-array' });
    const mlp = { ...ADAM_DEFAULTS, l2: config.mlpL2 };
    const f = this.field;
    this.groups = [
      new AdamGroup(this.pool, 'grid', f.grid.params, f.grid.grad, f.grid.paramCount, { ...ADAM_DEFAULTS, sparse: true }),
      new AdamGroup(this.pool, 'density-mlp', f.density.params, f.density.grad, f.density.paramCount, mlp),
      new AdamGroup(this.pool, 'color-mlp', f.color.params, f.color.grad, f.color.paramCount, mlp),
    ];
    if (config.rate) {
      if (!fieldConfig.grid.binarize) throw new TypeError('train.rate needs a binarized grid (field.grid.binarize = true)');
      const rate = new RateEstimator(ctx, gridLayout(fieldConfig.grid.hash, fieldConfig.grid.planes), fieldConfig.occupancy.resolution, { samples: config.rate.samples }, config.seed);
      this.rate = rate;
      this.groups.push(new AdamGroup(this.pool, 'context-level', rate.level.params, rate.level.grad, rate.level.paramCount, ADAM_DEFAULTS));
      if (rate.dim) this.groups.push(new AdamGroup(this.pool, 'context-dim', rate.dim.params, rate.dim.grad, rate.dim.paramCount, ADAM_DEFAULTS));
    }
    this.maskWeight = data.hasAlpha ? (config.maskWeight ?? 0) : 0;
    this.rays = config.initialRays;
    this.profiler = opts.profile ? new Profiler() : undefined;
  }

  get adapter(): string {
    return adapterName(this.ctx.adapter);
  }

  /** One optimisation step; `progress` ∈ [0, 1] drives the learning-rate decay (default step/steps). */
  async trainStep(progress = this.step / this.config.steps): Promise<StepStats> {
    const t0 = performance.now();
    const { ctx, config, field, occupancy } = this;
    const march = this.fieldConfig.march;
    const R = this.rays;
    const seed = (config.seed * 7919 + this.step * 104729) >>> 0;
    const a = new Batch(ctx, 'train-rays', this.profiler);
    raysKernel.dispatch(a, { c2w: this.c2w, images: this.frames, rays: this.rayBatch.rays },
      { count: R, mode: 0, seed, numFrames: this.data.train.length, frame: 0, firstPixel: 0, ...cameraParams(this.data.intrinsics), bgR: 0, bgG: 0, bgB: 0 });
    this.rayBatch.march(a, R, occupancy.bits, occupancy.opts.resolution, march, seed ^ 0x9e3779b9);
    await a.submit();
    const [reserved, requested] = await readU32(ctx, this.rayBatch.counter, 2);
    const nAll = Math.min(reserved!, this.rayBatch.capacity);
    const lr = learningRate(config, this.step, progress);
    const rateOn = this.rate !== undefined && config.rate !== undefined && this.step >= config.rate.startStep;
    if (rateOn && (this.step - config.rate!.startStep) % config.rate!.projectionInterval === 0) await this.refreshProjection();

    // Compaction: one density query over every marched sample, then keep per ray the samples before
    // its transmittance falls under the threshold (Instant-NGP's compacted training samples).
    const c = new Batch(ctx, 'train-compact', this.profiler);
    const dOut = this.fieldConfig.network.densityOutputs;
    if (nAll > 0) field.queryDensityAll(c, this.rayBatch.samples, nAll, this.densAll);
    // Visibility pruning (TrainConfig.prune): record the weights of this step's rays during the window.
    const prune = config.prune;
    const pruneNow = prune !== undefined && !occupancy.frozen && progress >= prune.at;
    if (prune && !occupancy.frozen && progress >= prune.at - prune.window) {
      if (this.visibilityRays === undefined) {
        occupancy.clearVisibility(c);
        this.visibilityRays = 0;
      }
      occupancy.recordVisibility(c, { rayRange: this.rayBatch.rayRange, density: this.densAll, samples: this.rayBatch.samples }, R, dOut, march.dt, march.minTransmittance);
      this.visibilityRays += R;
    }
    c.clear(this.kept.counter);
    compactKernel.dispatch(c, {
      rayRange: this.rayBatch.rayRange, density: this.densAll, samples: this.rayBatch.samples, sampleDirs: this.rayBatch.sampleDirs,
      outSamples: this.kept.samples, outDirs: this.kept.dirs, outRange: this.kept.range, counter: this.kept.counter,
    }, { count: R, densStride: dOut, capacity: this.kept.capacity, dt: march.dt, minTransmittance: march.minTransmittance });
    await c.submit();
    const [keptReserved, keptRequested] = await readU32(ctx, this.kept.counter, 2);
    const n = Math.min(keptReserved!, this.kept.capacity);

    const b = new Batch(ctx, 'train-step', this.profiler);
    if (n > 0) field.forward(b, this.kept.samples, this.kept.dirs, n, true);
    b.clear(field.dRgb, 0, Math.ceil((n * 3 * 4) / 16) * 16 || undefined);
    b.clear(field.dDensity, 0, Math.ceil((n * 4) / 16) * 16 || undefined);
    compositeKernel.dispatch(b, {
      rays: this.rayBatch.rays, rayRange: this.kept.range, density: field.colIn, rgb: field.rgb, dRgb: field.dRgb, dDensity: field.dDensity, rayOut: this.rayOut, samples: this.kept.samples,
    }, { count: R, mode: COMPOSITE_TRAIN, densStride: field.colStride, numRays: R, minTransmittance: march.minTransmittance, dt: march.dt, maskWeight: this.maskWeight, distWeight: config.distWeight ?? 0 });
    if (n > 0) field.backward(b, n);
    if (rateOn) this.rate!.record(b, { theta: field.grid.params, grad: field.grid.grad, occupancy: occupancy.bits, lambda: config.rate!.lambda, step: this.step });
    for (const g of this.groups) if (rateOn || !g.name.startsWith('context-')) g.update(b, lr);
    if (!occupancy.frozen && !pruneNow && this.step % occupancy.opts.interval === 0) {
      occupancy.update(b, this.step, march.dt, seed ^ 0x5bd1e995, (bb, pts, m) => field.queryDensity(bb, pts, m));
    }
    await b.submit();
    if (pruneNow) {
      const { before, after } = await occupancy.prune(prune.minWeight);
      this.pruned = { step: this.step + 1, before, after, rays: this.visibilityRays ?? 0 };
      this.visibilityRays = undefined;
    }
    if (rateOn) this.lastBitsPerParam = (await this.rate!.readStats()).bitsPerParam;
    const out = await readF32(ctx, this.rayOut, R * 4);
    let loss = 0;
    for (let i = 0; i < R; i++) loss += out[4 * i]!;
    loss /= R;
    // Instant-NGP's adaptation: scale the ray count by target / measured kept samples, in multiples of 64,
    // without letting the march overflow its own capacity.
    const byKept = (R * config.samplesPerStep * 0.9) / Math.max(keptRequested!, 1);
    const byMarch = (R * this.rayBatch.capacity * 0.9) / Math.max(requested!, 1);
    const next = Math.round(Math.min(byKept, byMarch) / 64) * 64;
    this.rays = Math.max(64, Math.min(config.maxRays, next));
    this.step++;
    this.samples += n;
    this.seconds += (performance.now() - t0) / 1000;
    if (!Number.isFinite(loss)) throw new Error(`training diverged at step ${this.step} (loss ${loss}); try a lower learning rate`);
    return { step: this.step, loss, psnr: -10 * Math.log10(Math.max(loss, 1e-12)), rays: R, samples: n, lr };
  }

  /**
   * Recomputes the projected voxel feature (eq. 28-30) of the current grid on the CPU, exactly as the
   * coder will (docs/CONTEXT-MODEL.md §3.3), and hands it to the rate estimator.
   */
  private async refreshProjection(): Promise<void> {
    if (!this.rate || gridLayout(this.fieldConfig.grid.hash, this.fieldConfig.grid.planes).planes.levels === 0) return;
    const theta = await this.field.grid.readParams();
    const bits = await readU32(this.ctx, this.occupancy.bits, this.occupancy.cells / 32);
    this.rate.setProjection(projectedVoxelFeatures(gridLayout(this.fieldConfig.grid.hash, this.fieldConfig.grid.planes), theta, bits, this.fieldConfig.occupancy.resolution));
  }

  /** The context models' parameters (η_c, η_dim), when training with the rate term. */
  async readContextModels(): Promise<{ level: Float32Array; dim: Float32Array | null } | undefined> {
    if (!this.rate) return undefined;
    return { level: await this.rate.level.readParams(), dim: this.rate.dim ? await this.rate.dim.readParams() : null };
  }

  /** Renders frames (default: the held-out split) over black and compares with their targets. */
  async evaluate(indices = this.data.test, limit = Infinity): Promise<EvalResult> {
    this.renderer ??= new ViewRenderer(this.field, this.occupancy, this.fieldConfig.march);
    const intr = this.data.intrinsics;
    const perFrame: EvalResult['perFrame'] = [];
    for (const i of indices.slice(0, limit)) {
      const frame = this.data.frames[i]!;
      const img = toRgba8(await this.renderer.render(frame.c2w, intr, [0, 0, 0]));
      const target = new Uint8Array(frame.rgba.length);
      for (let p = 0; p < target.length; p += 4) {
        const a = frame.rgba[p + 3]! / 255;
        for (let c = 0; c < 3; c++) target[p + c] = Math.round(frame.rgba[p + c]! * a);
        target[p + 3] = 255;
      }
      perFrame.push({ name: frame.name, psnr: psnrOf(img, target, { channels: 4 }), ssim: ssimOf(img, target, intr.width, intr.height, 4) });
    }
    const mean = (k: 'psnr' | 'ssim') => perFrame.reduce((s, f) => s + f[k], 0) / Math.max(1, perFrame.length);
    return { psnr: mean('psnr'), ssim: mean('ssim'), frames: perFrame.length, perFrame };
  }

  /** Writes a checkpoint atomically (weights, occupancy, Adam state). */
  async save(path: string): Promise<void> {
    const tensors = await this.field.readParams();
    tensors.set('occupancy', await readF32(this.ctx, this.occupancy.values));
    if (this.visibilityRays !== undefined) tensors.set('occupancy-visibility', await this.occupancy.readVisibility());
    const cm = await this.readContextModels();
    if (cm) {
      tensors.set('context-level', cm.level);
      if (cm.dim) tensors.set('context-dim', cm.dim);
    }
    for (const g of this.groups) {
      tensors.set(`${g.name}.adam-m`, await readF32(this.ctx, g.m, g.count));
      tensors.set(`${g.name}.adam-v`, await readF32(this.ctx, g.v, g.count));
    }
    const header: CheckpointHeader = {
      format: 'reliquary-model', version: 1, field: this.fieldConfig, train: this.config, step: this.step, rays: this.rays,
      adamSteps: this.groups[0]!.step, seconds: this.seconds, samples: this.samples,
      ...(this.pruned ? { pruned: this.pruned } : {}), ...(this.visibilityRays !== undefined ? { visibilityRays: this.visibilityRays } : {}),
      dataset: { source: this.data.source, intrinsics: this.data.intrinsics, worldToUnit: this.data.worldToUnit, hasAlpha: this.data.hasAlpha },
    };
    writeCheckpoint(path, header, tensors);
  }

  /** Restores a checkpoint written by {@link save} for the same configuration. */
  load(path: string): CheckpointHeader {
    const { header, tensors } = readCheckpoint<CheckpointHeader>(path);
    if (JSON.stringify(header.field) !== JSON.stringify(this.fieldConfig)) {
      throw new Error(`${path} was trained with a different field configuration; use the same --preset or start without --resume`);
    }
    this.field.writeParams(tensors);
    const occ = tensors.get('occupancy');
    if (occ) this.occupancy.setValues(occ);
    if (header.pruned) {
      // The saved values of a pruned grid are 1 (kept) / −1 (dropped): setValues restored its bits.
      this.occupancy.frozen = true;
      this.pruned = header.pruned;
    }
    const vis = tensors.get('occupancy-visibility');
    if (header.visibilityRays !== undefined && vis) {
      write(this.ctx, this.occupancy.visibility, vis);
      this.visibilityRays = header.visibilityRays;
    }
    const cl = tensors.get('context-level');
    if (this.rate && cl) this.rate.level.writeParams(cl);
    const cd = tensors.get('context-dim');
    if (this.rate?.dim && cd) this.rate.dim.writeParams(cd);
    for (const g of this.groups) {
      const m = tensors.get(`${g.name}.adam-m`);
      const v = tensors.get(`${g.name}.adam-v`);
      if (m && v) {
        write(this.ctx, g.m, m);
        write(this.ctx, g.v, v);
      }
      g.step = header.adamSteps;
    }
    this.step = header.step;
    this.rays = header.rays;
    this.seconds = header.seconds;
    this.samples = header.samples;
    return header;
  }

  destroy(): void {
    this.renderer?.destroy();
    this.rate?.destroy();
    this.field.destroy();
    this.pool.destroy();
  }
}
