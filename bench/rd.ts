/**
 * npm run bench:rd — `reliquary bench rd --quick` on the real orbit (`../shared/data/apple-orbit/apple.mp4`)
 * and on the synthetic sample video (rendered by `reliquary sample` into out/bench-sample, with its
 * own masks and poses), each report in out/bench-rd-<name>/, and a copy of each `results.json` in
 * bench/results/rd-quick-<name>-<adapter>-<date>.json. `--full` runs the paper's grid instead (for a
 * GPU machine). Name runs to do only those: `npm run bench:rd -- apple`. Reports resume from their caches.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'bin/reliquary.js');
const full = process.argv.includes('--full');
const reliquary = (args: string[]) => {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`reliquary ${args.join(' ')} exited with ${r.status}`);
};
const sample = join(root, 'out/bench-sample');
const runs = [
  // COLMAP on the object alone finds no initial pair on the 360 px cut of apple.mp4: whole-frame features.
  { name: 'apple', args: [resolve(root, '../shared/data/apple-orbit/apple.mp4'), '--pose-features', 'all'] },
  { name: 'sample', args: [join(sample, 'video.mp4'), '--frame-step', '1', '--masks', join(sample, 'masks'), '--poses', join(sample, 'transforms.json')] },
];
mkdirSync(join(root, 'bench/results'), { recursive: true });
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
for (const r of runs.filter((x) => only.length === 0 || only.includes(x.name))) {
  if (r.name === 'sample' && !existsSync(join(sample, 'video.mp4'))) reliquary(['sample', '--out', sample]);
  const out = join(root, `out/bench-rd-${r.name}${full ? '-full' : ''}`);
  reliquary(['bench', 'rd', ...r.args, '-o', out, ...(full ? [] : ['--quick'])]);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { date: string; machine: { adapter: string } };
  const adapter = results.machine.adapter.split(/[^A-Za-z0-9]+/)[0]!.toLowerCase() || 'unknown';
  const dest = join(root, 'bench/results', `rd-${full ? 'full' : 'quick'}-${r.name}-${adapter}-${results.date.slice(0, 10)}.json`);
  copyFileSync(join(out, 'results.json'), dest);
  console.log(`wrote ${dest}`);
}
