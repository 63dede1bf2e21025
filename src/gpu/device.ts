/**
 * Device acquisition: Dawn (npm package `webgpu`) in Node, `navigator.gpu` in a browser.
 *
 * A real GPU adapter is preferred; Mesa lavapipe (llvmpipe, a CPU Vulkan driver) is the fallback that
 * every CI machine has. Uncaptured GPU errors are collected and turned into exceptions by
 * {@link GpuContext.check}, so a validation error never passes silently.
 */
import { GpuError } from './errors.ts';

/** What we report about an adapter (a subset of GPUAdapterInfo that every backend fills). */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for CPU implementations (lavapipe/llvmpipe, SwiftShader, WARP). */
  isSoftware: boolean;
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
}

/** Options for {@link acquireGpu}. */
export interface GpuOptions {
  /** Refuse software adapters (lavapipe). Default false: fall back to them. */
  requireHardware?: boolean;
  /** Print the adapter once to stderr when acquired. Default false (the CLI turns it on). */
  announce?: boolean;
  /** Extra Dawn toggles for Node, e.g. `['enable-dawn-features=...']`. */
  dawnOptions?: string[];
}

/** A device plus what kernels need to know about it. Dispose with {@link GpuContext.destroy}. */
export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapter: AdapterSummary;
  readonly features: ReadonlySet<string>;
  readonly limits: GPUSupportedLimits;
  /** Whether compute passes can carry `timestampWrites`. */
  readonly hasTimestamps: boolean;
  /** Waits for queued work and throws a GpuError if any uncaptured error happened since the last check. */
  check(): Promise<void>;
  /** Idempotent. */
  destroy(): void;
}

type GpuEntry = { gpu: GPU; globals?: Record<string, unknown> };
let nodeGpu: Promise<GpuEntry> | undefined;

async function getGpu(dawnOptions: string[]): Promise<GpuEntry> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu && typeof (globalThis as { window?: unknown }).window !== 'undefined') return { gpu: nav.gpu };
  nodeGpu ??= (async () => {
    let mod: { create(o: string[]): GPU; globals: Record<string, unknown> };
    try {
      mod = (await import('webgpu')) as unknown as typeof mod;
    } catch (e) {
      throw new GpuError(
        'The npm package `webgpu` (Dawn) could not be loaded; run `npm ci` in the project folder. ' +
          `(${(e as Error).message})`,
        { cause: e },
      );
    }
    // The WebGPU constants (GPUBufferUsage, GPUMapMode, ...) are globals in a browser; install them in Node.
    for (const [k, v] of Object.entries(mod.globals)) {
      if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    }
    return { gpu: mod.create(dawnOptions), globals: mod.globals };
  })();
  return nodeGpu;
}

function summarize(a: GPUAdapter): AdapterSummary {
  const i = a.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const text = `${i.vendor} ${i.architecture} ${i.device} ${i.description}`.toLowerCase();
  const isSoftware =
    (a as { isFallbackAdapter?: boolean }).isFallbackAdapter === true ||
    /llvmpipe|lavapipe|swiftshader|software|warp/.test(text);
  return {
    vendor: i.vendor,
    architecture: i.architecture,
    device: i.device,
    description: i.description,
    isSoftware,
    subgroupMinSize: i.subgroupMinSize,
    subgroupMaxSize: i.subgroupMaxSize,
  };
}

/** A one-line name for logs and benchmark records, e.g. `NVIDIA H100 (vulkan)` or `llvmpipe (software)`. */
export function adapterName(a: AdapterSummary): string {
  const name = a.description || a.device || a.vendor || 'unknown adapter';
  return a.isSoftware ? `${name} [software]` : name;
}

/** Every adapter we can reach: the high-performance one and the fallback one (Dawn has no enumeration). */
export async function listAdapters(opts: GpuOptions = {}): Promise<{ summary: AdapterSummary; features: string[]; limits: Record<string, number> }[]> {
  const { gpu } = await getGpu(opts.dawnOptions ?? []);
  const seen = new Map<string, { summary: AdapterSummary; features: string[]; limits: Record<string, number> }>();
  for (const o of [{ powerPreference: 'high-performance' }, { powerPreference: 'low-power' }, { forceFallbackAdapter: true }] as GPURequestAdapterOptions[]) {
    const a = await gpu.requestAdapter(o);
    if (!a) continue;
    const s = summarize(a);
    const key = `${s.vendor}|${s.device}|${s.description}`;
    if (seen.has(key)) continue;
    const limits: Record<string, number> = {};
    for (const k in a.limits) {
      const v = (a.limits as unknown as Record<string, unknown>)[k];
      if (typeof v === 'number') limits[k] = v;
    }
    seen.set(key, { summary: s, features: [...a.features].sort(), limits });
  }
  return [...seen.values()];
}

const WANTED_FEATURES: GPUFeatureName[] = ['timestamp-query', 'subgroups' as GPUFeatureName, 'shader-f16'];

/**
 * Acquires a device: the high-performance adapter when it is a real GPU, else any adapter, else a
 * GpuError that says what to install.
 */
export async function acquireGpu(opts: GpuOptions = {}): Promise<GpuContext> {
  const { gpu } = await getGpu(opts.dawnOptions ?? []);
  let adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter || summarize(adapter).isSoftware) {
    adapter = (await gpu.requestAdapter()) ?? adapter ?? (await gpu.requestAdapter({ forceFallbackAdapter: true }));
  }
  if (!adapter) {
    throw new GpuError(
      'No WebGPU adapter found. On Debian install a Vulkan driver: for a CPU-only machine Mesa lavapipe from ' +
        'bookworm-backports (`apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1`, or run ' +
        '`make bootstrap`); for an NVIDIA GPU the driver with its Vulkan ICD.',
    );
  }
  const summary = summarize(adapter);
  if (opts.requireHardware && summary.isSoftware) {
    throw new GpuError(`Only a software adapter (${adapterName(summary)}) is available, and a hardware GPU was required.`);
  }
  const features = WANTED_FEATURES.filter((f) => adapter.features.has(f));
  // Ask for the adapter's own maxima for the limits our kernels lean on (large storage buffers).
  const al = adapter.limits;
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: al.maxStorageBufferBindingSize,
    maxBufferSize: al.maxBufferSize,
    maxStorageBuffersPerShaderStage: Math.min(al.maxStorageBuffersPerShaderStage, 10),
    maxComputeWorkgroupStorageSize: al.maxComputeWorkgroupStorageSize,
  };
  const device = await adapter.requestDevice({ label: 'reliquary', requiredFeatures: features, requiredLimits });
  const errors: string[] = [];
  device.addEventListener('uncapturederror', (ev) => {
    errors.push((ev as GPUUncapturedErrorEvent).error.message);
  });
  let lost: string | undefined;
  void device.lost.then((info) => {
    if (info.reason !== 'destroyed') lost = info.message;
  });
  let destroyed = false;
  if (opts.announce) process.stderr.write(`reliquary: GPU adapter: ${adapterName(summary)}\n`);
  return {
    device,
    adapter: summary,
    features: new Set(features),
    limits: device.limits,
    hasTimestamps: features.includes('timestamp-query'),
    async check() {
      await device.queue.onSubmittedWorkDone();
      if (lost) throw new GpuError(`The GPU device was lost: ${lost}`);
      if (errors.length) {
        const all = errors.splice(0);
        throw new GpuError(`GPU error${all.length > 1 ? `s (${all.length})` : ''}: ${all.join('\n')}`);
      }
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      device.destroy();
    },
  };
}
