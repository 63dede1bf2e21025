/**
 * The field's small MLPs on the GPU (launcher of mlp-fwd.wgsl, mlp-bwd.wgsl and mlp-wgrad.wgsl).
 *
 * {@link Mlp} owns a network's parameters and gradient (flat f32 buffers in the layout of
 * mlp-config.ts) and the scratch buffers of one training step, sized for a maximum batch:
 * - `forward` evaluates the network on `n` rows of an input view into an output view; with
 *   `train: true` it also stores each hidden layer's activations ([layer][n][W]) for `backward`;
 * - `backward` takes dL/dy, computes every hidden layer's δ (mlp-bwd), optionally dL/dx, and
 *   ACCUMULATES dL/dW, dL/db into `grad` (mlp-wgrad, one dispatch per layer). The caller zeroes
 *   `grad` between steps (the Adam kernel does, or {@link Mlp.zeroGrad}).
 *
 * Why the forward/backward kernels are specialized per network: on Mesa lavapipe (llvmpipe), which
 * runs each invocation as a lane of an 8-wide SIMD vector, a private array read at a run-time index
 * and a storage read at a non-constant address both cost one scalar load per lane. The fast form is a
 * dot product unrolled over constant indices, with weights shared between lanes through
 * subgroupBroadcast (see the header of mlp-fwd.wgsl). WGSL cannot size private arrays with pipeline
 * overrides nor unroll loops, so the launcher substitutes the `const` sizes and generates the
 * unrolled layer loops ({@link generateForwardLayers}, {@link generateBackwardLayers}); each variant
 * is its own Kernel whose name carries the shape and flags, so the pipeline cache key (name +
 * constants) tells variants apart. mlp-wgrad.wgsl takes every size as a uniform and needs no
 * generated code.
 */
import { GpuError } from '../../gpu/errors.ts';
import { Kernel, wgsl, type Batch, type KernelSpec } from '../../gpu/kernel.ts';
import { BufferPool, readF32, write } from '../../gpu/buffers.ts';
import type { GpuContext } from '../../gpu/device.ts';
import { initMlp, mlpLayerOffsets, mlpParamCount, validateMlpConfig, type MlpConfig, type MlpLayer } from './mlp-config.ts';

/** A strided view of an f32 buffer: row n starts at float `offset + n·stride`. */
export interface MlpView {
  /** The buffer (needs STORAGE usage). */
  buffer: GPUBuffer;
  /** Floats between consecutive rows (≥ the row width). */
  stride: number;
  /** Float index of row 0. */
  offset: number;
}

/** Construction options of {@link Mlp} (all optional). */
export interface MlpOptions {
  /** Label prefix of the buffers (default `mlp`). */
  label?: string;
  /** Seed of {@link initMlp} (default 1); ignored when `params` is given. */
  seed?: number;
  /** Initial parameters (length {@link mlpParamCount}); default `initMlp(config, seed)`. */
  params?: Float32Array;
  /**
   * Use the subgroup-broadcast kernels. Default: when the device has subgroups of exactly 8 lanes
   * (lavapipe on AVX2), where they are several times faster; hardware GPUs use the plain kernels.
   */
  subgroups?: boolean;
  /** Workgroup size of all three kernels, a multiple of 8 (default 64; tests use 8 to force the 2-D split). */
  workgroupSize?: number;
  /** Samples per wgrad chunk, rounded up to a multiple of 8 (default: chosen to fill the device). */
  wgradChunk?: number;
}

const FWD_BINDINGS = [
  ['weights', 'read-only-storage'],
  ['input', 'read-only-storage'],
  ['output', 'storage'],
  ['acts', 'storage'],
] as const;
const FWD_PARAMS = [
  ['count', 'u32'],
  ['inStride', 'u32'],
  ['inOffset', 'u32'],
  ['outStride', 'u32'],
  ['outOffset', 'u32'],
  ['batchStride', 'u32'],
] as const;
const BWD_BINDINGS = [
  ['weights', 'read-only-storage'],
  ['acts', 'read-only-storage'],
  ['dOut', 'read-only-storage'],
  ['deltas', 'storage'],
  ['dIn', 'storage'],
] as const;
const BWD_PARAMS = [
  ['count', 'u32'],
  ['dOutStride', 'u32'],
  ['dOutOffset', 'u32'],
  ['dInStride', 'u32'],
  ['dInOffset', 'u32'],
  ['batchStride', 'u32'],
] as const;
const WGRAD_BINDINGS = [
  ['xsrc', 'read-only-storage'],
  ['dsrc', 'read-only-storage'],
  ['grad', 'storage'],
] as const;
const WGRAD_PARAMS = [
  ['count', 'u32'],
  ['n', 'u32'],
  ['inDim', 'u32'],
  ['outDim', 'u32'],
  ['xStride', 'u32'],
  ['xOffset', 'u32'],
  ['dStride', 'u32'],
  ['dOffset', 'u32'],
  ['paramOffset', 'u32'],
  ['colGroups', 'u32'],
  ['rowTiles', 'u32'],
  ['chunk', 'u32'],
] as const;

type Names<T extends readonly (readonly [string, string])[]> = T[number][0];
export type MlpFwdKernel = Kernel<Names<typeof FWD_BINDINGS>, Names<typeof FWD_PARAMS>>;
export type MlpBwdKernel = Kernel<Names<typeof BWD_BINDINGS>, Names<typeof BWD_PARAMS>>;
export type MlpWgradKernel = Kernel<Names<typeof WGRAD_BINDINGS>, Names<typeof WGRAD_PARAMS>>;

const FWD_SOURCE = wgsl(import.meta.url, './mlp-fwd.wgsl');
const BWD_SOURCE = wgsl(import.meta.url, './mlp-bwd.wgsl');
const WGRAD_SOURCE = wgsl(import.meta.url, './mlp-wgrad.wgsl');

/** Samples per forward/backward invocation (the vec4 components). */
const SAMPLES_PER_INVOCATION = 4;

/**
 * Specializes a WGSL template: replaces each `const NAME: u32 = …u;` line named in `consts`, keeps
 * the lines of `//!if FLAG` / `//!else` / `//!endif` blocks whose condition holds (flags not given
 * are false), and replaces each `//!generate NAME` line with `generated[NAME]`. Throws when a named
 * constant or generated block has no place in the source.
 */
export function specializeWgsl(
  source: string,
  opts: { consts?: Record<string, number>; flags?: Record<string, boolean>; generated?: Record<string, string> },
): string {
  let s = source;
  for (const [name, v] of Object.entries(opts.consts ?? {})) {
    const re = new RegExp(`^const ${name}: u32 = \\d+u;`, 'm');
    if (!re.test(s)) throw new Error(`specializeWgsl: the source has no line 'const ${name}: u32 = …u;'`);
    s = s.replace(re, `const ${name}: u32 = ${v >>> 0}u;`);
  }
  const out: string[] = [];
  const stack: { parent: boolean; cond: boolean; inElse: boolean }[] = [];
  let keep = true;
  const used = new Set<string>();
  for (const line of s.split('\n')) {
    const m = /^\s*\/\/!(if|else|endif|generate)\b\s*(\w*)\s*$/.exec(line);
    if (!m) {
      if (keep) out.push(line);
      continue;
    }
    const [, verb, arg] = m;
    if (verb === 'if') {
      const cond = opts.flags?.[arg!] === true;
      stack.push({ parent: keep, cond, inElse: false });
      keep = keep && cond;
    } else if (verb === 'else') {
      const top = stack.at(-1);
      if (!top || top.inElse) throw new Error('specializeWgsl: //!else without //!if');
      top.inElse = true;
      keep = top.parent && !top.cond;
    } else if (verb === 'endif') {
      const top = stack.pop();
      if (!top) throw new Error('specializeWgsl: //!endif without //!if');
      keep = top.parent;
    } else if (keep) {
      const g = opts.generated?.[arg!];
      if (g === undefined) throw new Error(`specializeWgsl: nothing given for //!generate ${arg}`);
      used.add(arg!);
      out.push(g);
    }
  }
  if (stack.length) throw new Error('specializeWgsl: //!if without //!endif');
  for (const name of Object.keys(opts.generated ?? {})) {
    if (!used.has(name)) throw new Error(`specializeWgsl: the source has no line '//!generate ${name}'`);
  }
  return out.join('\n');
}

/**
 * Lines adding Σ_{idx < n} W[base + idx·stride] · src[idx] to the vec4 `acc`, unrolled in blocks of 8
 * (with subgroups: one fetch per lane and block, then 8 broadcasts). `base` is a WGSL u32 expression.
 */
function emitDot(lines: string[], indent: string, acc: string, src: string, n: number, base: string, stride: number, subgroups: boolean): void {
  for (let c = 0; c < n; c += 8) {
    const m = Math.min(8, n - c);
    if (subgroups) {
      lines.push(`${indent}{ let wv = wfetch(${base} + ${c * stride}u, ${stride}u, ${m}u);`);
      for (let r = 0; r < m; r++) lines.push(`${indent}  ${acc} = fma(vec4f(subgroupBroadcast(wv, ${r}u)), ${src}[${c + r}], ${acc});`);
      lines.push(`${indent}}`);
    } else {
      for (let r = 0; r < m; r++) lines.push(`${indent}${acc} = fma(vec4f(weights[${base} + ${(c + r) * stride}u]), ${src}[${c + r}], ${acc});`);
    }
  }
}

/** The `//!generate layers` body of mlp-fwd.wgsl: one loop per layer over its outputs. */
export function generateForwardLayers(config: MlpConfig, opts: { train: boolean; subgroups: boolean }): string {
  const lines: string[] = [];
  let src = 'x';
  mlpLayerOffsets(config).forEach((l, k) => {
    lines.push(`  // layer ${k}: ${l.in} -> ${l.out}${l.relu ? ', ReLU' : ', linear'}`);
    lines.push(`  for (var j = zero; j < ${l.out}u; j++) {`);
    lines.push(`    var a = vec4f(weights[${l.biasOffset}u + j]);`);
    emitDot(lines, '    ', 'a', src, l.in, `${l.weightOffset}u + j * ${l.in}u`, 1, opts.subgroups);
    if (l.relu) {
      const dst = k % 2 === 0 ? 'h0' : 'h1';
      lines.push(`    let y = max(a, vec4f(0.0));`);
      lines.push(`    ${dst}[j] = y;`);
      if (opts.train) lines.push(`    storeAct(${k}u, j, y);`);
      src = dst;
    } else {
      lines.push(`    storeOutput(j, a);`);
    }
    lines.push('  }');
  });
  return lines.join('\n');
}

/** The `//!generate layers` body of mlp-bwd.wgsl: δ of each hidden layer from the top, then dL/dx. */
export function generateBackwardLayers(config: MlpConfig, opts: { dIn: boolean; subgroups: boolean }): string {
  const layers = mlpLayerOffsets(config);
  const lines: string[] = [];
  let src = 'g0';
  for (let k = config.hiddenLayers - 1; k >= 0; k--) {
    const up = layers[k + 1]!;
    const dst = src === 'g0' ? 'g1' : 'g0';
    lines.push(`  // δ of hidden layer ${k} = relu'(a_${k}) * W_${k + 1}^T δ_${k + 1}`);
    lines.push(`  for (var i = zero; i < ${up.in}u; i++) {`);
    lines.push('    var s = vec4f(0.0);');
    emitDot(lines, '    ', 's', src, up.out, `${up.weightOffset}u + i`, up.in, opts.subgroups);
    lines.push(`    let d = select(vec4f(0.0), s, loadAct(${k}u, i) > vec4f(0.0));`);
    lines.push(`    ${dst}[i] = d;`);
    lines.push(`    storeDelta(${k}u, i, d);`);
    lines.push('  }');
    src = dst;
  }
  if (opts.dIn) {
    const l0 = layers[0]!;
    lines.push('  // dL/dx = W_0^T δ_0');
    lines.push(`  for (var i = zero; i < ${l0.in}u; i++) {`);
    lines.push('    var s = vec4f(0.0);');
    emitDot(lines, '    ', 's', src, l0.out, `${l0.weightOffset}u + i`, l0.in, opts.subgroups);
    lines.push('    storeDIn(i, s);');
    lines.push('  }');
  }
  return lines.join('\n');
}

function shapeTag(c: MlpConfig): string {
  return `${c.inputDim}-${c.width}x${c.hiddenLayers}-${c.outputDim}`;
}

const kernelCache = new Map<string, Kernel<string, string>>();
function cached<K extends Kernel<string, string>>(name: string, make: () => K): K {
  let k = kernelCache.get(name);
  if (!k) kernelCache.set(name, (k = make()));
  return k as K;
}

/** Compile-time choices shared by a network's kernels. */
export interface MlpKernelOptions {
  /** Subgroup-broadcast variant (see {@link MlpOptions.subgroups}). */
  subgroups: boolean;
  /** Workgroup size, a multiple of 8. */
  workgroupSize: number;
}

/** The forward kernel of `config` (TRAIN: also stores activations). Kernels are shared per variant. */
export function mlpForwardKernel(config: MlpConfig, train: boolean, o: MlpKernelOptions): MlpFwdKernel {
  validateMlpConfig(config);
  const name = `mlp-fwd[${shapeTag(config)}${train ? ',train' : ''}${o.subgroups ? ',sg' : ''}]`;
  return cached(`${name}|${o.workgroupSize}`, () => {
    const source = specializeWgsl(FWD_SOURCE, {
      consts: { IN: config.inputDim, WIDTH: config.width, OUT: config.outputDim },
      flags: { SUBGROUPS: o.subgroups },
      generated: { layers: generateForwardLayers(config, { train, subgroups: o.subgroups }) },
    });
    return new Kernel({ name, source, bindings: FWD_BINDINGS, params: FWD_PARAMS, constants: { WG: o.workgroupSize } });
  });
}

/** The δ/dInput kernel of `config` (DIN: also writes dL/dx). */
export function mlpBackwardKernel(config: MlpConfig, dIn: boolean, o: MlpKernelOptions): MlpBwdKernel {
  validateMlpConfig(config);
  const name = `mlp-bwd[${shapeTag(config)}${dIn ? ',din' : ''}${o.subgroups ? ',sg' : ''}]`;
  return cached(`${name}|${o.workgroupSize}`, () => {
    const source = specializeWgsl(BWD_SOURCE, {
      consts: { IN: config.inputDim, WIDTH: config.width, OUT: config.outputDim, GMAX: Math.max(config.outputDim, config.width) },
      flags: { SUBGROUPS: o.subgroups },
      generated: { layers: generateBackwardLayers(config, { dIn, subgroups: o.subgroups }) },
    });
    return new Kernel({ name, source, bindings: BWD_BINDINGS, params: BWD_PARAMS, constants: { WG: o.workgroupSize } });
  });
}

/** The weight-gradient kernel (one for every network shape). */
export function mlpWgradKernel(o: MlpKernelOptions): MlpWgradKernel {
  const name = `mlp-wgrad${o.subgroups ? '[sg]' : ''}`;
  return cached(`${name}|${o.workgroupSize}`, () => {
    const source = specializeWgsl(WGRAD_SOURCE, { flags: { SUBGROUPS: o.subgroups } });
    return new Kernel({ name, source, bindings: WGRAD_BINDINGS, params: WGRAD_PARAMS, constants: { WG: o.workgroupSize } });
  });
}

/** Every kernel spec a network of this shape uses (for source/declaration checks). */
export function mlpKernelSpecs(config: MlpConfig, o: MlpKernelOptions): KernelSpec<string, string>[] {
  return [
    mlpForwardKernel(config, false, o).spec,
    mlpForwardKernel(config, true, o).spec,
    mlpBackwardKernel(config, false, o).spec,
    mlpBackwardKernel(config, true, o).spec,
    mlpWgradKernel(o).spec,
  ];
}

/** Whether the device runs the subgroup kernels well: subgroups of exactly 8 lanes (lavapipe, AVX2). */
export function prefersSubgroupMlp(ctx: GpuContext): boolean {
  return ctx.features.has('subgroups') && ctx.adapter.subgroupMinSize === 8 && ctx.adapter.subgroupMaxSize === 8;
}

function checkView(what: string, v: MlpView, width: number, n: number): void {
  if (!v || typeof v !== 'object' || !v.buffer) throw new TypeError(`${what}.buffer must be a GPUBuffer`);
  if (!Number.isInteger(v.stride) || v.stride < width) throw new TypeError(`${what}.stride must be an integer ≥ ${width} (the row width), got ${v.stride}`);
  if (!Number.isInteger(v.offset) || v.offset < 0) throw new TypeError(`${what}.offset must be a non-negative integer, got ${v.offset}`);
  if (n > 0) {
    const needed = (v.offset + (n - 1) * v.stride + width) * 4;
    if (needed > v.buffer.size) {
      throw new RangeError(`${what}: ${n} rows of ${width} floats at offset ${v.offset}, stride ${v.stride} need ${needed} bytes; the buffer has ${v.buffer.size}`);
    }
    if (v.offset + (n - 1) * v.stride + width > 0xffffffff) throw new RangeError(`${what}: float indices exceed 2^32`);
  }
}

/** A small MLP with its parameters, gradient and training scratch on one device. */
export class Mlp {
  /** The network's shape (frozen copy). */
  readonly config: Readonly<MlpConfig>;
  /** Layers with their parameter offsets. */
  readonly layers: readonly MlpLayer[];
  /** Number of f32 parameters. */
  readonly paramCount: number;
  /** Largest n accepted. */
  readonly maxBatch: number;
  /** Parameters, f32 [paramCount]. */
  readonly params: GPUBuffer;
  /** Gradient accumulator, f32 [paramCount] (written as u32 bit patterns by float atomics). */
  readonly grad: GPUBuffer;
  /** Whether the subgroup-broadcast kernels are used. */
  readonly subgroups: boolean;
  /** Workgroup size of the kernels. */
  readonly workgroupSize: number;
  private readonly pool: BufferPool;
  private readonly acts: GPUBuffer;
  private readonly deltas: GPUBuffer;
  private readonly dummy: GPUBuffer;
  private readonly label: string;
  private readonly wgradChunk: number | undefined;
  private trained: { input: MlpView; n: number } | undefined;
  private destroyed = false;

  /**
   * `maxBatch` is the largest `n` any call will pass; it sizes the activation and δ scratch buffers.
   * A string for `options` is shorthand for `{ label }`.
   */
  constructor(readonly ctx: GpuContext, config: MlpConfig, maxBatch: number, options: MlpOptions | string = {}) {
    validateMlpConfig(config, 'config');
    if (typeof options === 'string') options = { label: options };
    if (!options || typeof options !== 'object') throw new TypeError('options, when provided, must be an object or a label string');
    const { label = 'mlp', seed = 1, workgroupSize = 64 } = options;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new TypeError(`maxBatch must be a positive integer, got ${String(maxBatch)}`);
    if (!Number.isInteger(seed)) throw new TypeError(`options.seed, when provided, must be an integer, got ${String(seed)}`);
    if (!Number.isInteger(workgroupSize) || workgroupSize < 8 || workgroupSize % 8 !== 0 || workgroupSize > ctx.limits.maxComputeInvocationsPerWorkgroup) {
      throw new TypeError(`options.workgroupSize, when provided, must be a multiple of 8 in [8, ${ctx.limits.maxComputeInvocationsPerWorkgroup}], got ${String(workgroupSize)}`);
    }
    if (options.wgradChunk !== undefined && (!Number.isInteger(options.wgradChunk) || options.wgradChunk < 1)) {
      throw new TypeError(`options.wgradChunk, when provided, must be a positive integer, got ${String(options.wgradChunk)}`);
    }
    if (options.subgroups && !ctx.features.has('subgroups')) throw new TypeError('options.subgroups is true but the device has no subgroups feature');
    this.config = Object.freeze({ ...config });
    this.layers = Object.freeze(mlpLayerOffsets(config));
    this.paramCount = mlpParamCount(config);
    this.maxBatch = maxBatch;
    this.label = label;
    this.subgroups = options.subgroups ?? prefersSubgroupMlp(ctx);
    this.workgroupSize = workgroupSize;
    this.wgradChunk = options.wgradChunk === undefined ? undefined : Math.ceil(options.wgradChunk / 8) * 8;

    // Scratch: activations and δ of the hidden layers, [layer][maxBatch][W] each.
    const scratchFloats = config.hiddenLayers * maxBatch * config.width;
    const limit = ctx.limits.maxStorageBufferBindingSize;
    if (scratchFloats * 4 > limit) {
      const fits = Math.floor(limit / (4 * config.hiddenLayers * config.width));
      throw new GpuError(
        `${label}: maxBatch ${maxBatch} needs ${((scratchFloats * 4) / 2 ** 20).toFixed(1)} MiB for each of the activation and δ ` +
          `buffers (hiddenLayers·maxBatch·width floats), more than this device's largest storage binding ` +
          `(${(limit / 2 ** 20).toFixed(0)} MiB); at most ${fits} samples per step fit with this network.`,
      );
    }
    const init = options.params ?? initMlp(config, seed);
    if (init.length !== this.paramCount) throw new TypeError(`options.params must hold ${this.paramCount} floats, got ${init.length}`);
    this.pool = new BufferPool(ctx);
    this.params = this.pool.upload(`${label}-params`, init);
    this.grad = this.pool.storage(`${label}-grad`, this.paramCount * 4);
    this.acts = this.pool.storage(`${label}-acts`, scratchFloats * 4);
    this.deltas = this.pool.storage(`${label}-deltas`, scratchFloats * 4);
    this.dummy = this.pool.storage(`${label}-unused`, 16);
  }

  private get kernelOptions(): MlpKernelOptions {
    return { subgroups: this.subgroups, workgroupSize: this.workgroupSize };
  }

  private checkN(what: string, n: number): void {
    if (this.destroyed) throw new GpuError(`${this.label}: used after destroy()`);
    if (!Number.isInteger(n) || n < 0 || n > this.maxBatch) throw new RangeError(`${what}: n must be an integer in [0, maxBatch = ${this.maxBatch}], got ${n}`);
  }

  /**
   * Records y = MLP(x) for rows 0 … n−1 of `input` into `output` (only the outputDim floats of each
   * row are written). With `train` (`{ train: true }` or `true`), also stores the activations that {@link backward} needs; the
   * input rows must then stay unchanged until that backward has run.
   */
  forward(batch: Batch, input: MlpView, output: MlpView, n: number, opts: { train?: boolean } | boolean = {}): void {
    this.checkN('forward', n);
    checkView('forward input', input, this.config.inputDim, n);
    checkView('forward output', output, this.config.outputDim, n);
    if (input.buffer === output.buffer) throw new TypeError('forward: input and output must be different buffers');
    const train = typeof opts === 'boolean' ? opts : opts.train === true;
    if (train) this.trained = { input: { ...input }, n };
    if (n === 0) return;
    mlpForwardKernel(this.config, train, this.kernelOptions).dispatch(
      batch,
      { weights: this.params, input: input.buffer, output: output.buffer, acts: train ? this.acts : this.dummy },
      { count: n, inStride: input.stride, inOffset: input.offset, outStride: output.stride, outOffset: output.offset, batchStride: this.maxBatch },
      Math.ceil(n / SAMPLES_PER_INVOCATION),
    );
  }

  /**
   * Records the backward pass for the last `forward(…, { train: true })` (same n): writes dL/dx into
   * `dInput` unless it is null, and adds dL/dW, dL/db into {@link grad}. `dOutput` holds dL/dy rows.
   * `dInput` must not share a buffer with `dOutput` (WebGPU forbids a buffer being read-only and
   * writable in one dispatch).
   */
  backward(batch: Batch, dOutput: MlpView, n: number, dInput: MlpView | null): void {
    this.checkN('backward', n);
    if (!this.trained || this.trained.n !== n) {
      throw new GpuError(`${this.label}: backward(n = ${n}) needs a forward(…, { train: true }) of the same n first`);
    }
    checkView('backward dOutput', dOutput, this.config.outputDim, n);
    if (dInput) {
      checkView('backward dInput', dInput, this.config.inputDim, n);
      if (dInput.buffer === dOutput.buffer) throw new TypeError('backward: dInput and dOutput must be different buffers');
    }
    if (n === 0) return;
    const ko = this.kernelOptions;
    const { width, hiddenLayers } = this.config;
    if (hiddenLayers > 0 || dInput) {
      mlpBackwardKernel(this.config, dInput !== null, ko).dispatch(
        batch,
        { weights: this.params, acts: this.acts, dOut: dOutput.buffer, deltas: this.deltas, dIn: dInput ? dInput.buffer : this.dummy },
        {
          count: n, dOutStride: dOutput.stride, dOutOffset: dOutput.offset,
          dInStride: dInput?.stride ?? 0, dInOffset: dInput?.offset ?? 0, batchStride: this.maxBatch,
        },
        Math.ceil(n / SAMPLES_PER_INVOCATION),
      );
    }
    const wgrad = mlpWgradKernel(ko);
    const input = this.trained.input;
    this.layers.forEach((l, k) => {
      const x: MlpView = k === 0 ? input : { buffer: this.acts, stride: width, offset: (k - 1) * this.maxBatch * width };
      const d: MlpView = k === hiddenLayers ? dOutput : { buffer: this.deltas, stride: width, offset: k * this.maxBatch * width };
      const colGroups = Math.ceil(l.in / 32);
      const rowTiles = Math.ceil(l.out / 8);
      // The kernel walks whole chunks (a uniform trip count), so a chunk never exceeds n rounded up to 8.
      const chunk = Math.min(this.wgradChunk ?? this.autoChunk(n, colGroups * rowTiles), Math.ceil(n / 8) * 8);
      const chunks = Math.ceil(n / chunk);
      const lanes = 8 * colGroups * rowTiles * chunks;
      wgrad.dispatch(
        batch,
        { xsrc: x.buffer, dsrc: d.buffer, grad: this.grad },
        {
          count: lanes, n, inDim: l.in, outDim: l.out, xStride: x.stride, xOffset: x.offset, dStride: d.stride, dOffset: d.offset,
          paramOffset: l.weightOffset, colGroups, rowTiles, chunk,
        },
      );
    });
  }

  /**
   * Samples per wgrad chunk: enough groups of 8 lanes to keep the device busy (a CPU adapter runs a
   * few SIMD threads, a GPU wants tens of thousands of lanes), and no smaller than needed, since
   * every chunk costs one atomic add per weight.
   */
  private autoChunk(n: number, tiles: number): number {
    const targetLanes = this.ctx.adapter.isSoftware ? 4096 : 65536;
    const chunks = Math.max(1, Math.min(Math.ceil(n / 8), Math.round(targetLanes / (8 * tiles))));
    return Math.ceil(n / chunks / 8) * 8;
  }

  /** Replaces the parameters with `initMlp(config, seed)`. */
  init(seed: number): void {
    if (!Number.isInteger(seed)) throw new TypeError(`init: seed must be an integer, got ${String(seed)}`);
    this.writeParams(initMlp(this.config, seed));
  }

  /** Records zeroing of the gradient. */
  zeroGrad(batch: Batch): void {
    batch.clear(this.grad);
  }

  /** Copies the parameters back to the host. */
  async readParams(): Promise<Float32Array> {
    return readF32(this.ctx, this.params, this.paramCount);
  }

  /** Copies the accumulated gradient back to the host. */
  async readGrad(): Promise<Float32Array> {
    return readF32(this.ctx, this.grad, this.paramCount);
  }

  /** Replaces the parameters (length {@link paramCount}). */
  writeParams(data: Float32Array): void {
    if (this.destroyed) throw new GpuError(`${this.label}: used after destroy()`);
    if (data.length !== this.paramCount) throw new RangeError(`writeParams: expected ${this.paramCount} floats, got ${data.length}`);
    write(this.ctx, this.params, data);
  }

  /** Frees the buffers (idempotent). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.trained = undefined;
    this.pool.destroy();
  }
}
