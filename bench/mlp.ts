/**
 * MLP throughput: µs per sample of the forward pass (inference and training variants) and of the
 * backward pass (δ + dInput, then the weight gradients), for the density MLP (48 → 64 → 16) and the
 * colour MLP (32 → 64 → 64 → 3) of the CPU preset.
 *
 *   node --import tsx bench/mlp.ts [--n 65536] [--reps 5] [--subgroups auto|on|off] [--wg 64]
 *                                  [--chunk auto|samples] [--only density|color] [--out file.json]
 *
 * Prints one JSON record per network, tagged with the adapter (compare timings only on the same
 * adapter). Times are the minimum over `reps` runs of submit → onSubmittedWorkDone, after one warm-up
 * run that also compiles the pipelines; `kernels` splits the last profiled run by kernel when the
 * device has timestamp queries.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { acquireGpu, adapterName } from '../src/gpu/device.ts';
import { Batch, Profiler } from '../src/gpu/kernel.ts';
import { BufferPool } from '../src/gpu/buffers.ts';
import { Mlp, prefersSubgroupMlp } from '../src/field/network/mlp.ts';
import type { MlpConfig } from '../src/field/network/mlp-config.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '65536' },
    reps: { type: 'string', default: '5' },
    subgroups: { type: 'string', default: 'auto' },
    wg: { type: 'string', default: '64' },
    chunk: { type: 'string', default: 'auto' },
    only: { type: 'string' },
    out: { type: 'string' },
  },
});
const n = Number(values.n);
const reps = Number(values.reps);

const NETWORKS: { name: string; config: MlpConfig }[] = [
  { name: 'density', config: { inputDim: 48, width: 64, hiddenLayers: 1, outputDim: 16 } },
  { name: 'color', config: { inputDim: 32, width: 64, hiddenLayers: 2, outputDim: 3 } },
];

const ctx = await acquireGpu();
const subgroups = values.subgroups === 'auto' ? prefersSubgroupMlp(ctx) : values.subgroups === 'on';
const records: unknown[] = [];

const workgroupSize = Number(values.wg);
const wgradChunk = values.chunk === 'auto' ? undefined : Number(values.chunk);

for (const { name, config } of NETWORKS.filter((w) => !values.only || w.name === values.only)) {
  const pool = new BufferPool(ctx);
  const mlp = new Mlp(ctx, config, n, { label: name, subgroups, workgroupSize, wgradChunk });
  const fill = (len: number) => Float32Array.from({ length: len }, (_, i) => Math.sin(i * 12.9898) * 0.5);
  const input = { buffer: pool.upload(`${name}-in`, fill(n * config.inputDim)), stride: config.inputDim, offset: 0 };
  const output = { buffer: pool.storage(`${name}-out`, n * config.outputDim * 4), stride: config.outputDim, offset: 0 };
  const dOut = { buffer: pool.upload(`${name}-dout`, fill(n * config.outputDim)), stride: config.outputDim, offset: 0 };
  const dIn = { buffer: pool.storage(`${name}-din`, n * config.inputDim * 4), stride: config.inputDim, offset: 0 };

  const phases: Record<string, (b: Batch) => void> = {
    forward: (b) => mlp.forward(b, input, output, n),
    forwardTrain: (b) => mlp.forward(b, input, output, n, { train: true }),
    backward: (b) => mlp.backward(b, dOut, n, dIn),
    backwardNoDInput: (b) => mlp.backward(b, dOut, n, null),
  };
  const us: Record<string, number> = {};
  const kernels: Record<string, Record<string, number>> = {};
  for (const [phase, record] of Object.entries(phases)) {
    let best = Infinity;
    for (let r = 0; r <= reps; r++) {
      const b = new Batch(ctx, `${name}-${phase}`);
      record(b);
      const t0 = performance.now();
      await b.submit();
      await ctx.device.queue.onSubmittedWorkDone();
      if (r > 0) best = Math.min(best, performance.now() - t0);
    }
    us[phase] = (best * 1000) / n;
    if (ctx.hasTimestamps) {
      const profiler = new Profiler();
      const b = new Batch(ctx, `${name}-${phase}-profile`, profiler);
      record(b);
      await b.submit();
      kernels[phase] = Object.fromEntries(profiler.table().map((row) => [row.kernel, +((row.ms * 1000) / n).toFixed(4)]));
    }
  }
  await ctx.check();
  const rec = {
    bench: 'mlp',
    network: name,
    config,
    n,
    subgroups,
    workgroupSize,
    wgradChunk: wgradChunk ?? 'auto',
    adapter: adapterName(ctx.adapter),
    usPerSample: Object.fromEntries(Object.entries(us).map(([k, v]) => [k, +v.toFixed(4)])),
    kernelsUsPerSample: kernels,
  };
  records.push(rec);
  console.log(JSON.stringify(rec));
  mlp.destroy();
  pool.destroy();
}
if (values.out) writeFileSync(values.out, JSON.stringify(records, null, 2) + '\n');
ctx.destroy();
