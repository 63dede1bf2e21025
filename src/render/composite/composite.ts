/** Volume rendering forward/backward and the MSE loss (launcher of composite.wgsl). */
import { Kernel, wgsl } from '../../gpu/kernel.ts';

export const compositeKernel = new Kernel({
  name: 'composite',
  source: wgsl(import.meta.url, './composite.wgsl'),
  bindings: [
    ['rays', 'storage'], ['rayRange', 'read-only-storage'], ['density', 'read-only-storage'], ['rgb', 'read-only-storage'],
    ['dRgb', 'storage'], ['dDensity', 'storage'], ['rayOut', 'storage'], ['samples', 'read-only-storage'],
  ],
  params: [['count', 'u32'], ['mode', 'u32'], ['densStride', 'u32'], ['numRays', 'f32'], ['minTransmittance', 'f32'], ['dt', 'f32'], ['maskWeight', 'f32'], ['distWeight', 'f32']],
} as const);

/** Composite modes. */
export const COMPOSITE_TRAIN = 0;
export const COMPOSITE_RENDER = 1;
export const COMPOSITE_RENDER_INCREMENTAL = 2;

export const compactKernel = new Kernel({
  name: 'compact',
  source: wgsl(import.meta.url, './compact.wgsl'),
  bindings: [
    ['rayRange', 'read-only-storage'], ['density', 'read-only-storage'], ['samples', 'read-only-storage'], ['sampleDirs', 'read-only-storage'],
    ['outSamples', 'storage'], ['outDirs', 'storage'], ['outRange', 'storage'], ['counter', 'storage'],
  ],
  params: [['count', 'u32'], ['densStride', 'u32'], ['capacity', 'u32'], ['dt', 'f32'], ['minTransmittance', 'f32']],
} as const);
