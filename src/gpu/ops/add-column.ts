/** Launcher of add-column.wgsl: dst[i·stride + offset] += src[i]. */
import { Kernel, wgsl } from '../kernel.ts';

export const addColumnKernel = new Kernel({
  name: 'add-column',
  source: wgsl(import.meta.url, './add-column.wgsl'),
  bindings: [['src', 'read-only-storage'], ['dst', 'storage']],
  params: [['count', 'u32'], ['stride', 'u32'], ['offset', 'u32']],
} as const);
