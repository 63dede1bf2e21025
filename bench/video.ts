/**
 * npm run bench:video — the whole video pipeline on a real video, as a user runs it:
 * `reliquary encode VIDEO --mode pc` (segmentation, COLMAP, background stream, training, coding),
 * `reliquary decode`, `reliquary compare` against the source with the segmentation's masks
 * (PSNR-CENTER), and x264 on the same video at the CRF whose bpp comes closest to Reliquary's.
 * Each command runs in its own process, so each peak memory is its own.
 *
 * Options: --video ../shared/data/apple-orbit/apple.mp4  --mode pc|fp  --steps N (default: the
 *          preset's)  --minutes M  --lambda 2e-3  --df 2  --bg-crf 45  --bg-gop 60  --x264-gop 25
 *          --work out/bench-video (cached frames, masks, poses: a rerun skips them)
 * Writes bench/results/video-<name>-<adapter>-<date>.json and prints a table.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const video = resolve(arg('video', join(root, '../shared/data/apple-orbit/apple.mp4')));
const mode = arg('mode', 'pc');
const steps = arg('steps', '');
const minutes = arg('minutes', '');
const lambda = arg('lambda', '2e-3');
const df = arg('df', '2');
const bgCrf = arg('bg-crf', '45');
const bgGop = arg('bg-gop', '60');
const x264Gop = arg('x264-gop', '25');
const name = basename(video, extname(video));
const work = resolve(arg('work', join(root, 'out/bench-video', name)));
const cli = join(root, 'bin/reliquary.js');
mkdirSync(work, { recursive: true });

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Runs `reliquary ARGS --json`; returns its JSON, wall seconds and the child's peak RSS. */
function reliquary(args: string[]): { json: Json; seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args, '--json'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`reliquary ${args.join(' ')} exited with ${r.status}`);
  return { json: JSON.parse(r.stdout.trim().split('\n').pop()!) as Json, seconds: (performance.now() - t0) / 1000 };
}

const rlq = join(work, `${name}-${mode}.rlq`);
const budget = [...(steps ? ['--steps', steps] : []), ...(minutes ? ['--max-minutes', minutes] : [])];
const enc = reliquary(['encode', video, '-o', rlq, '--mode', mode, '--lambda', lambda, '--df', df, '--bg-crf', bgCrf, '--bg-gop', bgGop, '--work', join(work, 'work'), ...budget]);
const decodedPath = join(work, `${name}-${mode}-decoded.mp4`);
const dec = reliquary(['decode', rlq, '-o', decodedPath]);
const masks = join(work, 'work', 'capture', 'colmap-masks');
const cmp = reliquary(['compare', video, decodedPath, '--mask', masks, '--bytes', rlq]);

// x264 on the same video: the CRF whose bpp is closest to Reliquary's (bpp falls as CRF rises).
const pixels = enc.json.width * enc.json.height * enc.json.frames;
const x264Cache = new Map<number, { bytes: number; path: string }>();
function x264(crf: number): { bytes: number; path: string } {
  const hit = x264Cache.get(crf);
  if (hit) return hit;
  const path = join(work, `${name}-x264-crf${crf}.mp4`);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', video, '-an', '-c:v', 'libx264', '-preset', 'medium', '-crf', String(crf), '-g', x264Gop, '-pix_fmt', 'yuv420p', path]);
  const v = { bytes: statSync(path).size, path };
  x264Cache.set(crf, v);
  return v;
}
const target = enc.json.bytes as number;
let lo = 0;
let hi = 51;
while (hi - lo > 1) {
  const mid = (lo + hi) >> 1;
  if (x264(mid).bytes > target) lo = mid;
  else hi = mid;
}
const anchors: Json[] = [];
for (const crf of [lo, hi]) {
  const a = x264(crf);
  const c = reliquary(['compare', video, a.path, '--mask', masks, '--bytes', a.path]).json;
  anchors.push({ codec: 'x264', crf, gop: Number(x264Gop), bytes: a.bytes, bpp: (a.bytes * 8) / pixels, psnr: c.psnr.mean, psnrCenter: c.psnrCenter?.mean ?? null, ssim: c.ssim.mean, msssim: c.msssim.mean });
}

const result = {
  bench: 'video', date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown' },
  adapter: enc.json.train?.adapter ?? dec.json.adapter ?? 'unknown', video, mode, lambda: Number(lambda), df: Number(df),
  background: { codec: 'x264', crf: Number(bgCrf), gop: Number(bgGop) },
  source: { width: enc.json.width, height: enc.json.height, frames: enc.json.frames },
  encode: { wallSeconds: enc.seconds, stageSeconds: enc.json.seconds, cachedStages: enc.json.cachedStages, steps: enc.json.train?.steps, peakRssMiB: enc.json.peakRssMiB, largestGpuBuffer: enc.json.largestGpuBuffer },
  file: { bytes: enc.json.bytes, bpp: enc.json.bpp, sections: enc.json.sections },
  decode: { wallSeconds: dec.seconds, seconds: dec.json.seconds, peakRssMiB: dec.json.peakRssMiB },
  reliquary: { psnr: cmp.json.psnr.mean, psnrCenter: cmp.json.psnrCenter?.mean ?? null, ssim: cmp.json.ssim.mean, msssim: cmp.json.msssim.mean, bpp: cmp.json.bpp },
  anchors,
};
const adapterSlug = String(result.adapter).split(/[^A-Za-z0-9]+/)[0]!.toLowerCase() || 'unknown';
const outFile = join(root, 'bench/results', `video-${name}-${mode}-${adapterSlug}-${result.date.slice(0, 10)}.json`);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');

const f = (x: number | null, d = 2) => (x === null || !Number.isFinite(x) ? '-' : x.toFixed(d));
console.log(`\n${video}: ${result.source.frames} frames of ${result.source.width}x${result.source.height}; ${result.adapter}`);
console.log(`stage seconds: ${Object.entries(enc.json.seconds).map(([k, v]) => `${k} ${f(v as number, 1)}`).join(', ')}; encode peak ${result.encode.peakRssMiB} MiB, decode ${f(dec.seconds, 1)} s, peak ${result.decode.peakRssMiB} MiB`);
console.log('| codec | bytes | bpp | PSNR | PSNR-CENTER | SSIM | MS-SSIM |\n|---|---|---|---|---|---|---|');
console.log(`| Reliquary ${mode.toUpperCase()} λ=${lambda} d_f=${df} | ${result.file.bytes} | ${f(result.file.bpp, 4)} | ${f(result.reliquary.psnr)} | ${f(result.reliquary.psnrCenter)} | ${f(result.reliquary.ssim, 4)} | ${f(result.reliquary.msssim, 4)} |`);
for (const a of anchors) console.log(`| x264 CRF ${a.crf} GOP ${a.gop} | ${a.bytes} | ${f(a.bpp, 4)} | ${f(a.psnr)} | ${f(a.psnrCenter)} | ${f(a.ssim, 4)} | ${f(a.msssim, 4)} |`);
console.log(`wrote ${outFile}`);
