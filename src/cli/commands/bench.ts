/**
 * `reliquary bench rd VIDEO -o REPORT [--quick]`: the paper's rate-distortion experiments against
 * x264, x265 and SVT-AV1 (src/benchmark/rd-runner.ts), written as an HTML report with results.json
 * and results.csv. Progress lines go to stderr; the BD table to stdout.
 */
import { runRdBench } from '../../benchmark/rd-runner.ts';
import type { AnchorCodec } from '../../benchmark/anchors.ts';
import type { RdExperiment } from '../../benchmark/rd-results.ts';
import { cloneGrid, FULL_GRID, QUICK_GRID } from '../../benchmark/rd-grid.ts';
import type { PresetName } from '../../presets.ts';

/** Flags of `reliquary bench rd`, as commander parses them. */
export interface BenchRdFlags {
  out: string;
  quick?: boolean;
  experiments: string;
  anchors: string;
  steps?: number;
  frameStep?: number;
  shortSide?: number;
  preset: PresetName;
  model: string;
  masks?: string;
  poses?: string;
  poseFeatures?: 'object' | 'all';
  lpips?: string;
  panelFrame?: number;
  json?: boolean;
}

export const BENCH_RD_HELP = `
FP (paper Fig. 3): Reliquary over λ × d_f against x264/x265/SVT-AV1 on the object-only video.
PC (paper Fig. 4): one field (λ 0.008, d_f 2) with the background stream over GOP × CRF, against
the anchors on the full video. Every anchor curve is extended (more CRFs) until its PSNR-CENTER
range covers Reliquary's, so BD-rate / BD-PSNR are computed on an overlap, never extrapolated.
--quick: at most 60 frames at a 360 px short side, 2 FP fields of 1000 steps, 3 CRFs per anchor: for a CPU.
The full grid is the paper's (8 fields of the preset's steps at the source size): for a GPU machine.
Points are cached in REPORT/cache: rerun the same command to resume an interrupted sweep.`;

function list<T extends string>(v: string, allowed: readonly T[], flag: string): T[] {
  const xs = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const x of xs) if (!allowed.includes(x as T)) throw new TypeError(`${flag} must be a comma-separated list of ${allowed.join(', ')} (got ${x})`);
  return xs as T[];
}

export async function runBenchRd(video: string, f: BenchRdFlags): Promise<void> {
  const grid = cloneGrid(f.quick ? QUICK_GRID : FULL_GRID);
  if (f.steps !== undefined) grid.steps = f.steps;
  if (f.frameStep !== undefined) {
    grid.frameStep = f.frameStep;
    grid.maxFrames = null;
  }
  if (f.shortSide !== undefined) grid.maxShortSide = f.shortSide === 0 ? null : f.shortSide;
  const t0 = performance.now();
  const r = await runRdBench({
    video, out: f.out, grid, quick: f.quick,
    experiments: list<RdExperiment>(f.experiments, ['fp', 'pc'], '--experiments'),
    anchors: list<AnchorCodec>(f.anchors, ['x264', 'x265', 'av1'], '--anchors'),
    preset: f.preset, segmentation: { model: f.model, masks: f.masks }, poses: { file: f.poses, features: f.poseFeatures },
    lpips: f.lpips, panelFrame: f.panelFrame,
    onLog: (line) => process.stderr.write(`reliquary bench: ${line}\n`),
  });
  const minutes = ((performance.now() - t0) / 60000).toFixed(1);
  process.stderr.write(`reliquary bench: ${r.results.points.length} points (${r.computed.length} computed, the rest cached) in ${minutes} min; report ${f.out}/index.html\n`);
  const pct = (x: number | null) => (x === null ? '—' : `${x >= 0 ? '+' : ''}${x.toFixed(1)} %`);
  const db = (x: number | null) => (x === null ? '—' : `${x >= 0 ? '+' : ''}${x.toFixed(2)} dB`);
  const rows = r.results.bd.map((b) => `| ${b.experiment.toUpperCase()} | ${b.curve} | ${b.anchor} | ${b.metric === 'psnr' ? 'PSNR' : 'PSNR-CENTER'} | ${pct(b.bdRate)} | ${db(b.bdQuality)} | ${b.note ?? ''} |`);
  const table = ['| mode | Reliquary curve | anchor | metric | BD-rate | BD-PSNR | note |', '|---|---|---|---|---|---|---|', ...rows].join('\n') + '\n';
  if (f.json) {
    process.stderr.write(table);
    process.stdout.write(JSON.stringify(r.results) + '\n');
  } else {
    process.stdout.write(table);
  }
}
