/**
 * Throughput of the grid encoding (forward and backward), in µs per sample, on the CPU preset
 * (3-D L=16, F=2, T=2^17, N 16…1024; planes L2=2, N 64…256, T=2^15) at N = 65,536 samples.
 *
 * Two sample distributions: `uniform` (independent positions in the unit cube: no two neighbouring
 * invocations share a cell, the worst case for caches and pre-reduction) and `rays` (1024 rays of 64
 * consecutive samples 1/512 apart, the order a NeRF trainer produces). Prints one row per case and a
 * JSON record tagged with the adapter; compare timings only on the same adapter. Each timing is the
 * best of `reps` runs, as wall clock from recording to queue idle, and as this process's CPU time
 * (user + system, which on lavapipe includes its worker threads; divide by the core count for an
 * ideal wall time): on a shared machine the CPU time is the steadier of the two.
 *
 * Usage: node --import tsx bench/grid-encode.ts [--n 65536] [--reps 5] [--run 1,32 (samples per invocation to compare;
 * default 1 and the adapter's default)]
 */
import { acquireGpu, adapterName } from '../src/gpu/device.ts';
import { Batch } from '../src/gpu/kernel.ts';
import { BufferPool } from '../src/gpu/buffers.ts';
import { GRID_PRESETS } from '../src/field/encoding/grid-config.ts';
import { GridEncoding } from '../src/field/encoding/grid-encode.ts';
import { mulberry32 as prng } from '../src/util/mulberry32.ts';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}


function samples(kind: 'uniform' | 'rays', n: number): Float32Array {
  const r = prng(7);
  const p = new Float32Array(4 * n);
  if (kind === 'uniform') {
    for (let i = 0; i < n; i++) for (let d = 0; d < 3; d++) p[4 * i + d] = r();
    return p;
  }
  const perRay = 64;
  const step = 1 / 512;
  for (let i = 0; i < n; i += perRay) {
    const o = [0.2 + 0.6 * r(), 0.2 + 0.6 * r(), 0.2 + 0.6 * r()];
    const z = 2 * r() - 1;
    const phi = 2 * Math.PI * r();
    const s = Math.sqrt(1 - z * z);
    const dir = [s * Math.cos(phi), s * Math.sin(phi), z];
    for (let j = 0; j < perRay && i + j < n; j++) for (let d = 0; d < 3; d++) p[4 * (i + j) + d] = o[d]! + (j - perRay / 2) * step * dir[d]!;
  }
  return p;
}

async function main(): Promise<void> {
  const n = arg('n', 65536);
  const reps = arg('reps', 5);
  const ctx = await acquireGpu();
  const pool = new BufferPool(ctx);
  // Samples per invocation to compare: 1 (one invocation per sample and level) and the default.
  const runIdx = process.argv.indexOf('--run');
  const runs: (number | undefined)[] = runIdx >= 0 ? process.argv[runIdx + 1]!.split(',').map(Number) : [1, undefined];
  const grids = runs.map((samplesPerInvocation) => new GridEncoding(ctx, GRID_PRESETS.cpu, { samplesPerInvocation, label: 'bench-grid' }));
  for (const g of grids) g.init(1);
  const D = grids[0]!.outputDim;
  const out = pool.storage('bench-features', n * D * 4);
  const dOut = pool.upload('bench-d-features', new Float32Array(n * D).map((_, i) => ((i * 2654435761) % 1000) / 1000 - 0.5));
  /** Best-of-reps wall time and process CPU time (lavapipe's worker threads count), in µs per sample. */
  const time = async (record: (b: Batch) => void): Promise<{ wall: number; cpu: number }> => {
    const b0 = new Batch(ctx, 'bench-warmup');
    record(b0);
    await b0.submit();
    await ctx.check();
    let wall = Infinity;
    let cpu = Infinity;
    for (let k = 0; k < reps; k++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const b = new Batch(ctx, 'bench');
      record(b);
      await b.submit();
      await ctx.check();
      const c = process.cpuUsage(c0);
      // The minimum, not the median: on a shared CPU other processes only ever add time.
      wall = Math.min(wall, performance.now() - t0);
      cpu = Math.min(cpu, (c.user + c.system) / 1000);
    }
    return { wall: (wall * 1000) / n, cpu: (cpu * 1000) / n };
  };
  const rows: Record<string, number | string>[] = [];
  const grid = grids[0]!;
  console.log(
    `adapter: ${adapterName(ctx.adapter)}; preset cpu: D = ${D}, ${grid.paramCount} parameters, ${grid.layout.levels.length} levels; ` +
      `N = ${n}, best of ${reps}`,
  );
  for (const kind of ['uniform', 'rays'] as const) {
    const pos = pool.upload(`bench-positions-${kind}`, samples(kind, n));
    for (const g of grids) {
      const fwd = await time((b) => g.forward(b, pos, out, n));
      const bwd = await time((b) => g.backward(b, dOut, n, pos));
      rows.push({
        samples: kind, samplesPerInvocation: g.samplesPerInvocation,
        forward_us_per_sample: +fwd.wall.toFixed(4), forward_cpu_us_per_sample: +fwd.cpu.toFixed(4),
        backward_us_per_sample: +bwd.wall.toFixed(4), backward_cpu_us_per_sample: +bwd.cpu.toFixed(4),
      });
      console.log(
        `${kind.padEnd(8)} run ${String(g.samplesPerInvocation).padStart(3)}: forward ${fwd.wall.toFixed(3)} µs/sample (cpu ${fwd.cpu.toFixed(3)})` +
          `   backward ${bwd.wall.toFixed(3)} µs/sample (cpu ${bwd.cpu.toFixed(3)})`,
      );
    }
  }
  console.log(JSON.stringify({ bench: 'grid-encode', adapter: adapterName(ctx.adapter), preset: 'cpu', n, rows }));
  for (const g of grids) g.destroy();
  pool.destroy();
  ctx.destroy();
}

await main();
