/**
 * The field's small MLPs on the GPU (launcher of mlp-fwd.wgsl, mlp-bwd.wgsl and mlp-wgrad.wgsl; float64
 * twin in mlp.ref.ts; shapes and parameter layout in mlp-config.ts).
 *
 * {@link Mlp} owns a network's parameters and gradient (flat f32 buffers in the layout of
 * mlp-config.ts) and the scratch buffers of one training step, sized for a maximum batch:
 * - `forward` evaluates the network on `n` rows of an input view into an output view; with
 *   `train: true` it also keeps the hidden activations and a copy of the input for `backward`;
 * - `backward` takes dL/dy, computes every hidden layer's δ and optionally dL/dx (mlp-bwd), then
 *   ACCUMULATES dL/dW, dL/db into `grad` (mlp-wgrad, one dispatch per layer, no per-sample atomics).
 *   The caller zeroes `grad` between steps (the Adam kernel does, or {@link Mlp.zeroGrad}).
 * Scratch data is kept in "quads": one vec4 holds one unit of 4 consecutive samples, which is how the
 * forward and backward kernels hold them (4 samples per invocation) and what lets every scratch access
 * move 4 floats (see the WGSL headers).
 *
 * Why the forward/backward kernels are specialized per network: on Mesa lavapipe (llvmpipe), which
 * runs each invocation as a lane of an 8-wide SIMD vector, a private array accessed at a run-time
 * index and a storage access at a non-constant address both cost a loop over the lanes. The fast form
 * is a dot product unrolled over constant indices, with weights shared between lanes through
 * subgroupBroadcast (see the header of mlp-fwd.wgsl). WGSL cannot size private arrays with pipeline
 * overrides nor unroll loops, so the launcher substitutes the `const` sizes and generates the
 * unrolled layer loops ({@link generateForwardLayers}, {@link generateBackwardLayers}); each variant
 * is its own Kernel whose name carries the shape and flags, so the pipeline cache key (name +
 * constants) tells variants apart. mlp-wgrad.wgsl takes every size as a uniform and needs no
 * generated code. Measured on lavapipe (2 cores, N = 65536, density 48→64→16): forward 4.8 µs/sample
 * for the plain loop form, ~0.45 with this form; bench/mlp.ts has the current numbers.
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
  ['inputQuads', 'storage'],
] as const;
const FWD_PARAMS = [
  ['count', 'u32'],
  ['inStride', 'u32'],
  ['inOffset', 'u32'],
  ['outStride', 'u32'],
  ['outOffset', 'u32'],
  ['quadStride', 'u32'],
] as const;
const BWD_BINDINGS = [
  ['weights', 'read-only-storage'],
  ['acts', 'read-only-storage'],
  ['dOut', 'read-only-storage'],
  ['deltas', 'storage'],
  ['dOutQuads', 'storage'],
  ['dIn', 'storage'],
] as const;
const BWD_PARAMS = [
  ['count', 'u32'],
  ['dOutStride', 'u32'],
  ['dOutOffset', 'u32'],
  ['dInStride', 'u32'],
  ['dInOffset', 'u32'],
  ['quadStride', 'u32'],
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
  ['xOffset', 'u32'],
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
 * Lines adding Σ_{idx < n} W[base + idx·stride] · src[idx] to the vec4 `acc` ("dot form": the sum
 * runs over the unrolled index), in blocks of 8 (with subgroups: one fetch per lane and block, then 8
 * broadcasts). `base` is a WGSL u32 expression.
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

/**
 * Lines adding W[base + idx·stride] · v to acc[idx] for every idx < n ("axpy form": the unrolled index
 * runs over the outputs), in blocks of 8 like {@link emitDot}.
 */
function emitAxpy(lines: string[], indent: string, acc: string, v: string, n: number, base: string, stride: number, subgroups: boolean): void {
  for (let c = 0; c < n; c += 8) {
    const m = Math.min(8, n - c);
    if (subgroups) {
      lines.push(`${indent}{ let wv = wfetch(${base} + ${c * stride}u, ${stride}u, ${m}u);`);
      for (let r = 0; r < m; r++) lines.push(`${indent}  ${acc}[${c + r}] = fma(vec4f(subgroupBroadcast(wv, ${r}u)), ${v}, ${acc}[${c + r}]);`);
      lines.push(`${indent}}`);
    } else {
      for (let r = 0; r < m; r++) lines.push(`${indent}${acc}[${c + r}] = fma(vec4f(weights[${base} + ${(c + r) * stride}u]), ${v}, ${acc}[${c + r}]);`);
    }
  }
}

/*
 * Both generators never write a private array at a run-time index (on lavapipe such a write is a
 * masked scatter over the 8 lanes; writing every unit of every layer that way cost a third of the
 * forward pass). The first layer runs a loop over its units j, each a dot product over the complete
 * input x; as soon as unit j is known, its contribution is added to every unit of the next layer
 * ("axpy form"), whose accumulator array is indexed only by constants in that loop. Each following
 * layer is then a loop over the units of the previous accumulator (read at a run-time index: a gather,
 * but once per unit), which finishes them (ReLU, stores) and adds each into the next accumulator. The
 * run-time reads also keep the accumulators in memory rather than in hundreds of SSA registers, which
 * made LLVM's compile take 10-20 s. The backward pass chains the transposed products the same way.
 */

/** The `//!generate layers` body of mlp-fwd.wgsl (reads `x`, ends in storeOutput calls). */
export function generateForwardLayers(config: MlpConfig, opts: { train: boolean; subgroups: boolean }): string {
  const layers = mlpLayerOffsets(config);
  const sg = opts.subgroups;
  const lines: string[] = [];
  const l0 = layers[0]!;
  if (!l0.relu) {
    lines.push(`  // the only layer: ${l0.in} -> ${l0.out}, linear`);
    lines.push(`  for (var j = zero; j < ${l0.out}u; j++) {`);
    lines.push(`    var a = vec4f(weights[${l0.biasOffset}u + j]);`);
    emitDot(lines, '    ', 'a', 'x', l0.in, `${l0.weightOffset}u + j * ${l0.in}u`, 1, sg);
    lines.push('    storeOutput(j, a);');
    lines.push('  }');
    return lines.join('\n');
  }
  // Accumulator of layer k (its pre-activations), initialised with the biases.
  const declare = (k: number): string => {
    const l = layers[k]!;
    lines.push(`  var acc${k}: array<vec4f, ${l.out}>;`);
    for (let m = 0; m < l.out; m++) lines.push(`  acc${k}[${m}] = vec4f(weights[${l.biasOffset + m}u]);`);
    return `acc${k}`;
  };
  lines.push(`  // layer 0: ${l0.in} -> ${l0.out}, ReLU; each unit is added at once into layer 1`);
  let acc = declare(1);
  lines.push(`  for (var j = zero; j < ${l0.out}u; j++) {`);
  lines.push(`    var a = vec4f(weights[${l0.biasOffset}u + j]);`);
  emitDot(lines, '    ', 'a', 'x', l0.in, `${l0.weightOffset}u + j * ${l0.in}u`, 1, sg);
  lines.push('    let h = max(a, vec4f(0.0));');
  if (opts.train) lines.push('    storeAct(0u, j, h);');
  emitAxpy(lines, '    ', acc, 'h', layers[1]!.out, `${layers[1]!.weightOffset}u + j`, layers[1]!.in, sg);
  lines.push('  }');
  for (let k = 1; k < layers.length - 1; k++) {
    const next = layers[k + 1]!;
    lines.push(`  // layer ${k}: ReLU of its accumulator; each unit is added at once into layer ${k + 1}`);
    const nextAcc = declare(k + 1);
    lines.push(`  for (var j = zero; j < ${layers[k]!.out}u; j++) {`);
    lines.push(`    let h = max(${acc}[j], vec4f(0.0));`);
    if (opts.train) lines.push(`    storeAct(${k}u, j, h);`);
    emitAxpy(lines, '    ', nextAcc, 'h', next.out, `${next.weightOffset}u + j`, next.in, sg);
    lines.push('  }');
    acc = nextAcc;
  }
  lines.push(`  // layer ${layers.length - 1} (output, linear)`);
  lines.push(`  for (var m = zero; m < ${config.outputDim}u; m++) { storeOutput(m, ${acc}[m]); }`);
  return lines.join('\n');
}

/**
 * The `//!generate layers` body of mlp-bwd.wgsl: starting from `g0` = δ of the output layer, stage s
 * (s = L … 1) forms v = W_sᵀ δ_s and stores δ_(s−1) = relu'(a_(s−1)) ⊙ v; with dIn, stage 0 writes
 * W_0ᵀ δ_0 to dIn.
 */
export function generateBackwardLayers(config: MlpConfig, opts: { dIn: boolean; subgroups: boolean }): string {
  const layers = mlpLayerOffsets(config);
  const sg = opts.subgroups;
  const lines: string[] = [];
  const last = opts.dIn ? 0 : 1;
  const L = config.hiddenLayers;
  if (L < last) return '  // nothing to do: no hidden layer and no dL/dx';
  // Stage L: a dot product over δ_L = g0 per unit i of its input.
  const lL = layers[L]!;
  lines.push(L === 0 ? '  // dL/dx = W_0^T δ_0' : `  // δ_${L - 1} = relu'(a_${L - 1}) * W_${L}^T δ_${L}`);
  let acc = '';
  if (L - 1 >= last) {
    acc = `acc${L - 1}`;
    lines.push(`  var ${acc}: array<vec4f, ${layers[L - 1]!.in}>;   // W_${L - 1}^T δ_${L - 1}, filled unit by unit`);
  }
  lines.push(`  for (var i = zero; i < ${lL.in}u; i++) {`);
  lines.push('    var v = vec4f(0.0);');
  emitDot(lines, '    ', 'v', 'g0', lL.out, `${lL.weightOffset}u + i`, lL.in, sg);
  if (L === 0) {
    lines.push('    storeDIn(i, v);');
  } else {
    lines.push(`    v = select(vec4f(0.0), v, loadAct(${L - 1}u, i) > vec4f(0.0));`);
    lines.push(`    storeDelta(${L - 1}u, i, v);`);
    if (acc) emitAxpy(lines, '    ', acc, 'v', layers[L - 1]!.in, `${layers[L - 1]!.weightOffset}u + i * ${layers[L - 1]!.in}u`, 1, sg);
  }
  lines.push('  }');
  // Stages L−1 … last: finish the accumulator unit by unit, adding each into the next stage's.
  for (let s = L - 1; s >= last; s--) {
    const l = layers[s]!;
    let next = '';
    if (s - 1 >= last) {
      next = `acc${s - 1}`;
      lines.push(`  var ${next}: array<vec4f, ${layers[s - 1]!.in}>;`);
    }
    lines.push(s === 0 ? '  // dL/dx = W_0^T δ_0' : `  // δ_${s - 1} = relu'(a_${s - 1}) * W_${s}^T δ_${s}`);
    lines.push(`  for (var p = zero; p < ${l.in}u; p++) {`);
    if (s === 0) {
      lines.push(`    storeDIn(p, ${acc}[p]);`);
    } else {
      lines.push(`    let v = select(vec4f(0.0), ${acc}[p], loadAct(${s - 1}u, p) > vec4f(0.0));`);
      lines.push(`    storeDelta(${s - 1}u, p, v);`);
      if (next) emitAxpy(lines, '    ', next, 'v', layers[s - 1]!.in, `${layers[s - 1]!.weightOffset}u + p * ${layers[s - 1]!.in}u`, 1, sg);
    }
    lines.push('  }');
    acc = next;
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
      flags: { SUBGROUPS: o.subgroups, TRAIN: train },
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
      consts: { IN: config.inputDim, WIDTH: config.width, OUT: config.outputDim },
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
  /** Quads (groups of 4 samples) per layer in the scratch buffers: ⌈maxBatch/4⌉. */
  private readonly quads: number;
  private readonly acts: GPUBuffer;
  private readonly inputQuads: GPUBuffer;
  private readonly deltas: GPUBuffer;
  private readonly dOutQuads: GPUBuffer;
  /** Stand-ins bound where a variant does not use a binding (two: writable bindings may not alias). */
  private readonly dummy: GPUBuffer;
  private readonly dummy2: GPUBuffer;
  private readonly label: string;
  private readonly wgradChunk: number | undefined;
  /** n of the last training forward (backward needs one of the same n). */
  private trainedN: number | undefined;
  private destroyed = false;

  /**
   * `maxBatch` is the largest `n` any call will pass; it sizes the scratch buffers of a training
   * step: the hidden activations and δ (hiddenLayers·width floats per sample each) and copies of the
   * input and of dL/dy, all in the quad layout of mlp-fwd.wgsl. A string for `options` is shorthand
   * for `{ label }`. Throws a GpuError when a scratch buffer would exceed the device's largest
   * storage binding, naming the largest maxBatch that fits.
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

    // Scratch, in quads of 4 samples (vec4 per unit): the hidden activations and δ ([layer][quad][W]),
    // and copies of the input ([quad][inputDim]) and of dL/dy ([quad][outputDim]).
    this.quads = Math.ceil(maxBatch / 4);
    const perQuad = { hidden: config.hiddenLayers * config.width, input: config.inputDim, output: config.outputDim };
    const widest = Math.max(perQuad.hidden, perQuad.input, perQuad.output);
    const limit = ctx.limits.maxStorageBufferBindingSize;
    if (this.quads * widest * 16 > limit) {
      const fits = 4 * Math.floor(limit / (16 * widest));
      throw new GpuError(
        `${label}: maxBatch ${maxBatch} needs a ${((this.quads * widest * 16) / 2 ** 20).toFixed(1)} MiB scratch buffer ` +
          `(${widest} floats per sample), more than this device's largest storage binding ` +
          `(${(limit / 2 ** 20).toFixed(0)} MiB); at most ${fits} samples per step fit with this network.`,
      );
    }
    const init = options.params ?? initMlp(config, seed);
    if (init.length !== this.paramCount) throw new TypeError(`options.params must hold ${this.paramCount} floats, got ${init.length}`);
    this.pool = new BufferPool(ctx);
    this.params = this.pool.upload(`${label}-params`, init);
    this.grad = this.pool.storage(`${label}-grad`, this.paramCount * 4);
    this.acts = this.pool.storage(`${label}-acts`, this.quads * perQuad.hidden * 16);
    this.inputQuads = this.pool.storage(`${label}-input-copy`, this.quads * perQuad.input * 16);
    this.deltas = this.pool.storage(`${label}-deltas`, this.quads * perQuad.hidden * 16);
    this.dOutQuads = this.pool.storage(`${label}-doutput-copy`, this.quads * perQuad.output * 16);
    this.dummy = this.pool.storage(`${label}-unused`, 16);
    this.dummy2 = this.pool.storage(`${label}-unused-2`, 16);
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
   * row are written). With `train` (`{ train: true }` or `true`), also stores what {@link backward}
   * needs (the hidden activations and a copy of the input rows).
   */
  forward(batch: Batch, input: MlpView, output: MlpView, n: number, opts: { train?: boolean } | boolean = {}): void {
    this.checkN('forward', n);
    checkView('forward input', input, this.config.inputDim, n);
    checkView('forward output', output, this.config.outputDim, n);
    if (input.buffer === output.buffer) throw new TypeError('forward: input and output must be different buffers');
    const train = typeof opts === 'boolean' ? opts : opts.train === true;
    if (train) this.trainedN = n;
    if (n === 0) return;
    mlpForwardKernel(this.config, train, this.kernelOptions).dispatch(
      batch,
      {
        weights: this.params, input: input.buffer, output: output.buffer,
        acts: train ? this.acts : this.dummy, inputQuads: train ? this.inputQuads : this.dummy2,
      },
      { count: n, inStride: input.stride, inOffset: input.offset, outStride: output.stride, outOffset: output.offset, quadStride: this.quads },
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
    if (this.trainedN !== n) {
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
    // δ of the hidden layers, the quad copy of dL/dy and (optionally) dL/dx.
    mlpBackwardKernel(this.config, dInput !== null, ko).dispatch(
      batch,
      {
        weights: this.params, acts: this.acts, dOut: dOutput.buffer, deltas: this.deltas, dOutQuads: this.dOutQuads,
        dIn: dInput ? dInput.buffer : this.dummy,
      },
      {
        count: n, dOutStride: dOutput.stride, dOutOffset: dOutput.offset,
        dInStride: dInput?.stride ?? 0, dInOffset: dInput?.offset ?? 0, quadStride: this.quads,
      },
      Math.ceil(n / SAMPLES_PER_INVOCATION),
    );
    // dW, db of every layer from its input and δ (both in the quad layout; offsets in vec4 units).
    const wgrad = mlpWgradKernel(ko);
    this.layers.forEach((l, k) => {
      const x = k === 0 ? { buffer: this.inputQuads, offset: 0 } : { buffer: this.acts, offset: (k - 1) * this.quads * width };
      const d = k === hiddenLayers ? { buffer: this.dOutQuads, offset: 0 } : { buffer: this.deltas, offset: k * this.quads * width };
      const colGroups = Math.ceil(l.in / 16);
      const rowTiles = Math.ceil(l.out / 16);
      // The kernel walks whole chunks (a uniform trip count), so a chunk never exceeds n rounded up to 8.
      const chunk = Math.min(this.wgradChunk ?? this.autoChunk(n, colGroups * rowTiles), Math.ceil(n / 8) * 8);
      const chunks = Math.ceil(n / chunk);
      const lanes = 8 * colGroups * rowTiles * chunks;
      wgrad.dispatch(
        batch,
        { xsrc: x.buffer, dsrc: d.buffer, grad: this.grad },
        {
          count: lanes, n, inDim: l.in, outDim: l.out, xOffset: x.offset, dOffset: d.offset,
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
    this.trainedN = undefined;
    this.pool.destroy();
  }
}
