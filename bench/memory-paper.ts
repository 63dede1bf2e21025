/**
 * npm run bench:memory-paper — encode and decode with the paper preset (3-D L=12, N 16…512, T=2^19;
 * planes L2=4, N 128…1024, T=2^17; MLP width 160; 2^16 samples/step; rate samples 2^17) for a few
 * steps, to measure what the memory limits are about: peak host memory of encode and decode
 * (each in its own process) and the largest GPU buffer, against WebGPU's default limits (binding
 * ≤ 128 MiB, buffer ≤ 256 MiB). Quality is not the point here (a handful of steps).
 * Options: --steps 40 (the rate term starts at step 8). Writes bench/results/memory-paper-<date>.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const steps = Number(arg('steps', '40'));
const sample = join(root, 'out/bench-sample');
const out = join(root, 'out/bench-memory');
mkdirSync(out, { recursive: true });

if (process.argv.includes('--child-encode')) {
  const { encodeDataset } = await import('../src/pipeline/encode.ts');
  const r = await encodeDataset({
    dataset: sample, out: join(out, 'paper.rlq'), preset: 'paper', steps, lambda: 2e-3, evalFrames: 2,
    configure: (p) => {
      p.field.occupancy.warmupSteps = 8;
      p.train.rate = { ...p.train.rate!, startStep: 8, projectionInterval: 16 };
    },
  });
  process.stdout.write(JSON.stringify({ bytes: r.bytes, sections: r.sections, seconds: r.seconds, peakRssMiB: r.peakRssMiB, largestGpuBuffer: r.largestGpuBuffer, psnr: r.quality.decoded.psnr, steps: r.train.steps, adapter: r.train.adapter }) + '\n');
} else {
  const node = (args: string[]) => {
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited with ${r.status}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  };
  if (!existsSync(join(sample, 'transforms.json'))) node([join(root, 'bin/reliquary.js'), 'sample', '--out', sample]);
  const encode = node(['--import', 'tsx', join(root, 'bench/memory-paper.ts'), '--child-encode', '--steps', String(steps)]);
  const decode = node([join(root, 'bin/reliquary.js'), 'decode', join(out, 'paper.rlq'), '-o', join(out, 'frames'), '--frames', '4', '--json']);
  const result = {
    command: `npm run bench:memory-paper -- --steps ${steps}`, machine: `${process.platform} ${process.arch}, ${cpus().length} cores`,
    adapter: encode.adapter, dataset: 'out/bench-sample (synthetic, 64 frames of 256x256)', encode, decode,
    webgpuDefaults: { maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 256 * 2 ** 20 },
  };
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const file = join(root, 'bench/results', `memory-paper-${new Date().toISOString().slice(0, 10)}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
  console.log(`written ${file}`);
}
