/**
 * Compute-kernel launching.
 *
 * A kernel is a WGSL file beside its TypeScript launcher. The launcher declares, once, the kernel's
 * bindings (group 0, binding i = i-th entry) and the fields of its `Params` uniform; the WGSL must
 * declare the same (a test checks every kernel with {@link checkKernelSource}). Pipelines are cached per
 * device and per compile-time constants (the cache key holds only what changes the compiled code, as
 * onnxruntime-web's program descriptors do). Workgroup sizes come from the WGSL (`override WG: u32 = 64;`),
 * never typed twice.
 *
 * Every kernel uses a one-dimensional logical index over `Params.count` invocations; launches larger
 * than 65,535 workgroups are split over the y dimension, and WGSL recovers the index with
 * `let i = gid.x + gid.y * nwg.x * WG;`.
 */
import { readFileSync } from 'node:fs';
import { GpuError } from './errors.ts';
import type { GpuContext } from './device.ts';

/** How a kernel sees a buffer. */
export type BindingKind = 'storage' | 'read-only-storage' | 'uniform' | 'texture-2d-array';

/** Scalar type of a `Params` field. */
export type ParamType = 'u32' | 'i32' | 'f32';

/** A kernel's static description. `B` names its buffer bindings, `P` its uniform fields. */
export interface KernelSpec<B extends string, P extends string> {
  /** Label for the pipeline and its bind groups; also the profiler's key. */
  name: string;
  /** WGSL source. */
  source: string;
  /** Entry point (default `main`). */
  entryPoint?: string;
  /** Buffers bound at group 0, binding 0..n-1 in this order; the `Params` uniform comes last. */
  bindings: readonly (readonly [B, BindingKind])[];
  /** Fields of the WGSL `struct Params`, in order; every field is a 4-byte scalar. `count` is required. */
  params: readonly (readonly [P, ParamType])[];
  /** Pipeline-overridable constants (WGSL `override`), part of the cache key. */
  constants?: Record<string, number>;
}

/**
 * Reads a WGSL file that sits beside the module given by `base` (pass `import.meta.url`). A line
 * `//!include "relative/path.wgsl"` is replaced by that file (paths relative to the including file),
 * which is how kernels share helpers such as the float atomic add; each file is included once.
 */
export function wgsl(base: string, file: string, seen = new Set<string>()): string {
  const url = new URL(file, base);
  seen.add(url.href);
  return readFileSync(url, 'utf8').replace(/^\/\/!include\s+"([^"]+)"\s*$/gm, (_, inc: string) => {
    const u = new URL(inc, url);
    return seen.has(u.href) ? '' : wgsl(u.href, u.href, seen);
  });
}

/** The workgroup size a WGSL source declares with `override WG: u32 = N;` (or 64 if absent). */
export function workgroupSizeOf(source: string, constants?: Record<string, number>): number {
  if (constants?.WG !== undefined) return constants.WG;
  const m = /override\s+WG\s*:\s*u32\s*=\s*(\d+)\s*u?\s*;/.exec(source);
  return m ? Number(m[1]) : 64;
}

/**
 * Checks that a WGSL source declares the bindings and the Params struct its launcher says it has.
 * Returns a list of problems (empty when consistent).
 */
export function checkKernelSource(spec: KernelSpec<string, string>): string[] {
  const problems: string[] = [];
  const src = spec.source.replace(/\/\/[^\n]*/g, '');
  const decls = [...src.matchAll(/@group\(0\)\s*@binding\((\d+)\)\s*var(?:<([^>]*)>)?\s+(\w+)\s*:\s*([^;]+);/g)];
  const byIndex = new Map(decls.map((d) => [Number(d[1]), { space: (d[2] ?? '').replace(/\s/g, ''), name: d[3], type: d[4] }]));
  spec.bindings.forEach(([name, kind], i) => {
    const d = byIndex.get(i);
    if (!d) return problems.push(`binding ${i} (${name}) is not declared in WGSL`);
    if (d.name !== name) problems.push(`binding ${i} is named ${d.name} in WGSL, ${name} in TS`);
    const want = kind === 'storage' ? 'storage,read_write' : kind === 'read-only-storage' ? 'storage,read' : kind === 'uniform' ? 'uniform' : '';
    const space = d.space === 'storage' ? 'storage,read' : d.space;
    if (kind !== 'texture-2d-array' && space !== want) problems.push(`binding ${i} (${name}) is var<${d.space}> in WGSL, ${kind} in TS`);
    return undefined;
  });
  const pIndex = spec.bindings.length;
  const pd = byIndex.get(pIndex);
  if (!pd || pd.space !== 'uniform' || pd.name !== 'params') problems.push(`binding ${pIndex} must be var<uniform> params: Params`);
  if (byIndex.size !== pIndex + 1) problems.push(`WGSL declares ${byIndex.size} bindings, TS ${pIndex + 1}`);
  const struct = /struct\s+Params\s*\{([^}]*)\}/.exec(src);
  if (!struct) problems.push('no struct Params');
  else {
    const fields = [...struct[1]!.matchAll(/(\w+)\s*:\s*(\w+)/g)].map((m) => `${m[1]}:${m[2]}`);
    const want = spec.params.map(([n, t]) => `${n}:${t}`);
    if (fields.join(',') !== want.join(',')) problems.push(`struct Params is {${fields.join(', ')}} in WGSL, {${want.join(', ')}} in TS`);
  }
  if (!spec.params.some(([n]) => n === 'count')) problems.push('Params has no count field');
  return problems;
}

interface Compiled {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  wg: number;
}
const cache = new WeakMap<GPUDevice, Map<string, Compiled>>();

/** A buffer or a sub-range of one. */
export type BufferBinding = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

/** Uniform slots for one batch of dispatches; each dispatch gets its own 256-byte-aligned slot. */
class UniformArena {
  private readonly buffer: GPUBuffer;
  private readonly host: Uint8Array<ArrayBuffer>;
  private used = 0;
  constructor(device: GPUDevice, readonly capacity: number) {
    this.buffer = device.createBuffer({ label: 'uniform-arena', size: capacity, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.host = new Uint8Array(capacity);
  }
  fits(bytes: number): boolean {
    return this.used + Math.max(16, Math.ceil(bytes / 16) * 16) <= this.capacity;
  }
  alloc(bytes: Uint8Array): { buffer: GPUBuffer; offset: number; size: number } {
    const size = Math.max(16, Math.ceil(bytes.byteLength / 16) * 16);
    if (this.used + size > this.capacity) throw new GpuError(`uniform arena full (${this.capacity} bytes): too many dispatches in one batch`);
    const offset = this.used;
    this.host.set(bytes, offset);
    this.used = Math.ceil((offset + size) / 256) * 256;
    return { buffer: this.buffer, offset, size };
  }
  flush(queue: GPUQueue): void {
    if (this.used) queue.writeBuffer(this.buffer, 0, this.host, 0, this.used);
    this.used = 0;
  }
  destroy(): void {
    this.buffer.destroy();
  }
}

/** Per-kernel GPU time, filled by batches that profile. */
export class Profiler {
  readonly totals = new Map<string, { ns: number; calls: number }>();
  add(name: string, ns: number): void {
    const t = this.totals.get(name) ?? { ns: 0, calls: 0 };
    t.ns += ns;
    t.calls += 1;
    this.totals.set(name, t);
  }
  /** Rows sorted by total time, in milliseconds. */
  table(): { kernel: string; ms: number; calls: number }[] {
    return [...this.totals.entries()].map(([kernel, t]) => ({ kernel, ms: t.ns / 1e6, calls: t.calls })).sort((a, b) => b.ms - a.ms);
  }
}

/**
 * One command encoder's worth of work: dispatches share one compute pass (WebGPU makes each dispatch
 * see the writes of the previous ones), copies and clears end it. With a profiler and timestamp
 * support, every dispatch gets its own pass and timestamp pair.
 */
export class Batch {
  readonly encoder: GPUCommandEncoder;
  private pass: GPUComputePassEncoder | undefined;
  private readonly arenas: UniformArena[] = [];
  private readonly stamps: string[] = [];
  private querySet: GPUQuerySet | undefined;
  private static readonly MAX_STAMPS = 256;

  constructor(readonly ctx: GpuContext, label: string, readonly profiler?: Profiler) {
    this.encoder = ctx.device.createCommandEncoder({ label });
    if (profiler && ctx.hasTimestamps) {
      this.querySet = ctx.device.createQuerySet({ label: `${label}-timestamps`, type: 'timestamp', count: 2 * Batch.MAX_STAMPS });
    }
  }

  /** The open compute pass (opened on demand). */
  computePass(name: string): GPUComputePassEncoder {
    if (this.querySet && this.stamps.length < Batch.MAX_STAMPS) {
      this.endPass();
      const i = this.stamps.length;
      this.stamps.push(name);
      this.pass = this.encoder.beginComputePass({
        label: name,
        timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
      });
      return this.pass;
    }
    this.pass ??= this.encoder.beginComputePass({ label: 'compute' });
    return this.pass;
  }

  /** A uniform slot holding `bytes` (arenas of 64 KiB are added as dispatches accumulate). */
  uniform(bytes: Uint8Array): { buffer: GPUBuffer; offset: number; size: number } {
    let arena = this.arenas[this.arenas.length - 1];
    if (!arena || !arena.fits(bytes.byteLength)) {
      arena = new UniformArena(this.ctx.device, 1 << 16);
      this.arenas.push(arena);
    }
    return arena.alloc(bytes);
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = undefined;
  }

  /** Zero-fills a buffer (or a range). */
  clear(buffer: GPUBuffer, offset = 0, size?: number): void {
    this.endPass();
    this.encoder.clearBuffer(buffer, offset, size);
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number): void {
    this.endPass();
    this.encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, size);
  }

  /** Submits the work; with profiling, waits for the timestamps and adds them to the profiler. */
  async submit(): Promise<void> {
    this.endPass();
    const { device } = this.ctx;
    let resolve: GPUBuffer | undefined;
    let read: GPUBuffer | undefined;
    if (this.querySet && this.stamps.length) {
      const bytes = 16 * this.stamps.length;
      resolve = device.createBuffer({ label: 'timestamps-resolve', size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
      read = device.createBuffer({ label: 'timestamps-read', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      this.encoder.resolveQuerySet(this.querySet, 0, 2 * this.stamps.length, resolve, 0);
      this.encoder.copyBufferToBuffer(resolve, 0, read, 0, bytes);
    }
    for (const a of this.arenas) a.flush(device.queue);
    device.queue.submit([this.encoder.finish()]);
    for (const a of this.arenas) a.destroy();
    if (read && resolve && this.profiler) {
      await read.mapAsync(GPUMapMode.READ);
      const t = new BigInt64Array(read.getMappedRange());
      this.stamps.forEach((name, i) => this.profiler!.add(name, Number(t[2 * i + 1]! - t[2 * i]!)));
      read.unmap();
      read.destroy();
      resolve.destroy();
      this.querySet!.destroy();
    }
  }
}

/** A compiled-on-demand compute kernel. */
export class Kernel<B extends string, P extends string> {
  readonly wg: number;
  private readonly paramOffset: Map<string, { index: number; type: ParamType }>;
  constructor(readonly spec: KernelSpec<B, P>) {
    this.wg = workgroupSizeOf(spec.source, spec.constants);
    this.paramOffset = new Map(spec.params.map(([n, t], index) => [n, { index, type: t }]));
  }

  private compiled(device: GPUDevice): Compiled {
    let perDevice = cache.get(device);
    if (!perDevice) cache.set(device, (perDevice = new Map()));
    const key = `${this.spec.name}|${JSON.stringify(this.spec.constants ?? {})}`;
    let c = perDevice.get(key);
    if (c) return c;
    const entries: GPUBindGroupLayoutEntry[] = this.spec.bindings.map(([, kind], binding) =>
      kind === 'texture-2d-array'
        ? { binding, visibility: GPUShaderStage.COMPUTE, texture: { sampleType: 'float', viewDimension: '2d-array' } }
        : {
            binding,
            visibility: GPUShaderStage.COMPUTE,
            buffer: { type: kind === 'read-only-storage' ? 'read-only-storage' : kind === 'uniform' ? 'uniform' : 'storage' },
          },
    );
    entries.push({ binding: entries.length, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } });
    const layout = device.createBindGroupLayout({ label: `${this.spec.name}-bgl`, entries });
    const module = device.createShaderModule({ label: this.spec.name, code: this.spec.source });
    const pipeline = device.createComputePipeline({
      label: this.spec.name,
      layout: device.createPipelineLayout({ label: `${this.spec.name}-layout`, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: this.spec.entryPoint ?? 'main', constants: this.spec.constants },
    });
    c = { pipeline, layout, wg: this.wg };
    perDevice.set(key, c);
    return c;
  }

  /** Encodes the uniform struct: every field a 4-byte scalar, in declaration order. */
  encodeParams(params: Record<P, number>): Uint8Array {
    const buf = new ArrayBuffer(Math.max(16, this.spec.params.length * 4));
    const dv = new DataView(buf);
    for (const [name, { index, type }] of this.paramOffset) {
      const v = (params as Record<string, number>)[name];
      if (v === undefined || !Number.isFinite(v)) throw new GpuError(`${this.spec.name}: parameter ${name} is ${v}`);
      if (type === 'f32') dv.setFloat32(index * 4, v, true);
      else if (type === 'u32') dv.setUint32(index * 4, v >>> 0, true);
      else dv.setInt32(index * 4, v | 0, true);
    }
    return new Uint8Array(buf);
  }

  /**
   * Records one launch of `params.count` invocations (or `invocations` when given: kernels that loop
   * internally may launch fewer threads than `count`).
   */
  dispatch(batch: Batch, bindings: Record<B, BufferBinding | GPUTextureView>, params: Record<P, number>, invocations?: number): void {
    const n = invocations ?? (params as Record<string, number>).count!;
    if (n <= 0) return;
    const { device } = batch.ctx;
    const c = this.compiled(device);
    const entries: GPUBindGroupEntry[] = this.spec.bindings.map(([name, kind], binding) => {
      const b = (bindings as Record<string, BufferBinding | GPUTextureView>)[name];
      if (!b) throw new GpuError(`${this.spec.name}: binding ${name} is missing`);
      if (kind === 'texture-2d-array') return { binding, resource: b as GPUTextureView };
      return { binding, resource: 'buffer' in b ? b : { buffer: b as GPUBuffer } };
    });
    entries.push({ binding: entries.length, resource: batch.uniform(this.encodeParams(params)) });
    const group = device.createBindGroup({ label: `${this.spec.name}-bg`, layout: c.layout, entries });
    const pass = batch.computePass(this.spec.name);
    pass.setPipeline(c.pipeline);
    pass.setBindGroup(0, group);
    const groups = Math.ceil(n / c.wg);
    const maxX = device.limits.maxComputeWorkgroupsPerDimension;
    if (groups <= maxX) pass.dispatchWorkgroups(groups);
    else pass.dispatchWorkgroups(maxX, Math.ceil(groups / maxX));
  }
}
