/**
 * npm run bench:rd-fp — rate-distortion of FP-mode encoding: for each λ × d_f, `reliquary encode`
 * (file size, bpp, held-out PSNR/SSIM of the decoded file, per-section bytes, peak memory, largest GPU
 * buffer), then `reliquary decode` of the file (time, memory); plus the same architecture trained
 * without compression (`reliquary train`, real-valued features, no rate term) as the float32 reference.
 * Each run is its own process, so its peak memory is its own.
 *
 * Options: --datasets sample[,fox]  --lambdas 1e-3,2e-3,4e-3,8e-3  --df 1,2  --steps 800 (or --minutes M)
 *          --preset cpu
 * A step budget (default) makes the figures independent of machine load; --minutes trains for a wall-clock
 * budget instead.
 * The synthetic sample is rendered into out/bench-sample; fox (../shared/data/fox, downscale 4) is meant
 * for a GPU machine. Writes bench/results/rd-fp-<adapter>-<date>.json and prints a table.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve, join } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const datasets = arg('datasets', 'sample').split(',');
const lambdas = arg('lambdas', '1e-3,2e-3,4e-3,8e-3').split(',').map(Number);
const dfs = arg('df', '1,2').split(',').map(Number);
const minutes = arg('minutes', '');
const steps = arg('steps', '800');
const preset = arg('preset', 'cpu');
const cli = join(root, 'bin/reliquary.js');

function run(args: string[]): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`reliquary ${args.join(' ')} exited with ${r.status}`);
  const last = r.stdout.trim().split('\n').pop();
  return last ? JSON.parse(last) : {};
}

const sources: Record<string, { path: string; downscale: number }> = {
  fox: { path: resolve(root, '../shared/data/fox'), downscale: 4 },
  sample: { path: join(root, 'out/bench-sample'), downscale: 1 },
};
if (datasets.includes('sample') && !existsSync(join(sources.sample!.path, 'transforms.json'))) run(['sample', '--out', sources.sample!.path]);

const rows: Record<string, unknown>[] = [];
const results = join(root, 'bench/results');
let adapter = 'unknown';
for (const name of datasets) {
  const src = sources[name];
  if (!src) throw new Error(`unknown dataset ${name} (fox, sample)`);
  if (!existsSync(src.path)) {
    console.error(`skipping ${name}: ${src.path} not found`);
    continue;
  }
  const budget = minutes ? ['--max-minutes', minutes, '--steps', '1000000'] : ['--steps', steps];
  const common = ['--preset', preset, '--downscale', String(src.downscale), ...budget];
  for (const df of dfs) {
    const out = join(root, 'out/bench-rd', `${name}-df${df}-float32`);
    const t = run(['train', src.path, '--out', out, '--df', String(df), ...common, '--json']);
    adapter = t.adapter ?? adapter;
    const row = { dataset: name, df, lambda: null, compressed: false, bytes: t.float32Bytes, bpp: t.float32Bpp, psnr: t.heldOutPsnr, ssim: t.heldOutSsim, steps: t.steps, encodePeakRssMiB: t.peakRssMiB };
    rows.push(row);
    console.error(JSON.stringify(row));
    for (const lambda of lambdas) {
      const file = join(root, 'out/bench-rd', `${name}-df${df}-l${lambda}.rlq`);
      const e = run(['encode', src.path, '-o', file, '--lambda', String(lambda), '--df', String(df), ...common, '--json']);
      const d = run(['decode', file, '-o', join(root, 'out/bench-rd', `${name}-df${df}-l${lambda}.mp4`), '--json']);
      const r = {
        dataset: name, df, lambda, compressed: true, bytes: e.bytes, bpp: e.bpp, psnr: e.quality.decoded.psnr, ssim: e.quality.decoded.ssim,
        psnrBeforeMlpQuantization: e.quality.trained.psnr, steps: e.train.steps, float32Bytes: e.float32Bytes,
        sections: Object.fromEntries(e.sections.map((s: { name: string; bytes: number }) => [s.name, s.bytes])),
        seconds: { ...e.seconds, decode: d.seconds.decode, render: d.seconds.render },
        encodePeakRssMiB: e.peakRssMiB, encodeLargestGpuBuffer: e.largestGpuBuffer, decodePeakRssMiB: d.peakRssMiB, decodeLargestGpuBuffer: d.largestGpuBuffer,
        frames: e.frames, width: e.width, height: e.height,
      };
      rows.push(r);
      console.error(JSON.stringify(r));
    }
  }
}
const slug = String(adapter).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
mkdirSync(join(root, 'bench/results'), { recursive: true });
const file = join(root, 'bench/results', `rd-fp-${slug}-${new Date().toISOString().slice(0, 10)}.json`);
writeFileSync(file, JSON.stringify({ command: `npm run bench:rd-fp -- ${process.argv.slice(2).join(' ')}`.trim(), machine: `${process.platform} ${process.arch}, ${cpus().length} cores`, adapter, preset, budget: minutes ? `${minutes} min` : `${steps} steps`, rows }, null, 2) + '\n');
console.log('| dataset | d_f | λ | bytes | bpp | held-out PSNR | SSIM | steps | float32 / file | encode RSS MiB | decode RSS MiB |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows as Record<string, any>[]) { // eslint-disable-line @typescript-eslint/no-explicit-any
  const ratio = r.compressed ? (r.float32Bytes / r.bytes).toFixed(1) : '1';
  console.log(`| ${r.dataset} | ${r.df} | ${r.lambda ?? 'float32'} | ${r.bytes} | ${r.bpp?.toPrecision(3)} | ${r.psnr.toFixed(2)} | ${r.ssim.toFixed(4)} | ${r.steps} | ${ratio} | ${r.encodePeakRssMiB} | ${r.decodePeakRssMiB ?? '-'} |`);
}
console.log(`written ${file}`);
