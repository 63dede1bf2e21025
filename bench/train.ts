/**
 * npm run bench:train — held-out quality against wall-clock budget, per dataset, on this machine's adapter.
 *   fox (../shared/data/fox) at downscale 4, and the synthetic sample (rendered into out/bench-sample).
 * Each run is a separate `reliquary train --json` process, so its peak memory is its own.
 * Options: --budgets 2,5,10 (minutes)  --datasets fox,sample  --preset cpu
 * Writes bench/results/train-<adapter>-<date>.json and prints a table.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve, join } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const budgets = arg('budgets', '2,5,10').split(',').map(Number);
const datasets = arg('datasets', 'fox,sample').split(',');
const preset = arg('preset', 'cpu');
const cli = join(root, 'bin/reliquary.js');

function run(args: string[]): string {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`reliquary ${args.join(' ')} exited with ${r.status}`);
  return r.stdout;
}

const sources: Record<string, { path: string; downscale: number }> = {
  fox: { path: resolve(root, '../shared/data/fox'), downscale: 4 },
  sample: { path: join(root, 'out/bench-sample'), downscale: 1 },
};
if (datasets.includes('sample') && !existsSync(join(sources.sample!.path, 'transforms.json'))) run(['sample', '--out', sources.sample!.path]);

const rows: Record<string, unknown>[] = [];
for (const name of datasets) {
  const src = sources[name];
  if (!src) throw new Error(`unknown dataset ${name} (fox, sample)`);
  if (!existsSync(src.path)) {
    console.error(`skipping ${name}: ${src.path} not found`);
    continue;
  }
  for (const minutes of budgets) {
    const out = join(root, 'out/bench-train', `${name}-${minutes}min`);
    const r = JSON.parse(run(['train', src.path, '--out', out, '--preset', preset, '--downscale', String(src.downscale), '--max-minutes', String(minutes), '--steps', '1000000', '--json']).trim().split('\n').pop()!);
    const row = { dataset: name, downscale: src.downscale, preset, budgetMinutes: minutes, ...r };
    rows.push(row);
    console.error(JSON.stringify(row));
  }
}
const adapter = String(rows[0]?.adapter ?? 'unknown');
const slug = adapter.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
mkdirSync(join(root, 'bench/results'), { recursive: true });
const file = join(root, 'bench/results', `train-${slug}-${new Date().toISOString().slice(0, 10)}.json`);
writeFileSync(file, JSON.stringify({ command: 'npm run bench:train', machine: `${process.platform} ${process.arch}, ${(await import('node:os')).cpus().length} cores`, adapter, rows }, null, 2) + '\n');
console.log('| dataset | budget | steps | held-out PSNR | SSIM | samples/s | steps/s | peak RSS MiB |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows as Record<string, any>[]) { // eslint-disable-line @typescript-eslint/no-explicit-any
  console.log(`| ${r.dataset} | ${r.budgetMinutes} min | ${r.steps} | ${r.heldOutPsnr.toFixed(2)} | ${r.heldOutSsim.toFixed(4)} | ${Math.round(r.samplesPerSecond)} | ${r.stepsPerSecond.toFixed(2)} | ${r.peakRssMiB} |`);
}
console.log(`written ${file}`);
