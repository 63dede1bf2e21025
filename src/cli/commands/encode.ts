import cliProgress from 'cli-progress';
import { encodeDataset } from '../../pipeline/encode.ts';
import type { PresetName } from '../../presets.ts';

export interface EncodeFlags {
  out: string; mode: 'fp' | 'pc'; lambda: number; df: number; preset: PresetName; maxMinutes?: number; steps?: number; prune?: number;
  downscale: number; fps?: number; holdout?: number; trainFrames?: number; seed?: number; evalFrames?: number; resume?: boolean; json?: boolean; work?: string;
  model: string; masks?: string; poses?: string; poseFeatures?: 'object' | 'all'; poseOverlap: number;
  bgCodec: 'x264' | 'x265' | 'av1'; bgCrf: number; bgGop: number;
}

export async function runEncode(dataset: string, f: EncodeFlags): Promise<void> {
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write('\nreliquary encode: stopping training after this step; the file is written from what was trained (Ctrl-C again to abort)\n');
  };
  process.on('SIGINT', onSigint);
  const bar = new cliProgress.SingleBar({
    format: 'train |{bar}| {value}/{total} PSNR {psnr} dB | {bits} bits/param | {sps} samples/s',
    stream: process.stderr, hideCursor: true, noTTYOutput: true, notTTYSchedule: 15000,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  let stopped = false;
  // The bar runs only during training; video front-end stages come before it starts.
  const stopBar = () => {
    if (started && !stopped) {
      bar.stop();
      stopped = true;
    }
  };
  try {
    const r = await encodeDataset({
      dataset, out: f.out, mode: f.mode, preset: f.preset, lambda: f.lambda, featuresPerLevel: f.df, maxMinutes: f.maxMinutes, steps: f.steps, prune: f.prune,
      downscale: f.downscale, fps: f.fps, holdoutEvery: f.holdout, maxTrainFrames: f.trainFrames, seed: f.seed, evalFrames: f.evalFrames, resume: f.resume, workDir: f.work,
      segmentation: { model: f.model, masks: f.masks },
      poses: { file: f.poses, features: f.poseFeatures, overlap: f.poseOverlap },
      background: { codec: f.bgCodec, crf: f.bgCrf, gop: f.bgGop },
      shouldStop: () => stop,
      onStage: (stage, detail) => {
        stopBar();
        process.stderr.write(`reliquary encode: ${stage}: ${detail}\n`);
      },
      onStep: (s) => {
        if (!started && !stopped) {
          started = true;
          bar.start(s.totalSteps, s.step, { psnr: '-', bits: '-', sps: '-' });
        }
        bar.update(s.step, { psnr: s.psnr.toFixed(2), bits: Number.isFinite(s.bitsPerParam) ? s.bitsPerParam.toFixed(3) : '-', sps: Math.round(s.samplesPerSecond).toLocaleString('en') });
      },
    });
    stopBar();
    const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
    process.stderr.write(
      `reliquary encode: ${r.out}: ${r.bytes} bytes (${kb(r.bytes)}), ${r.bpp.toPrecision(3)} bpp over ${r.frames} frames of ${r.width}x${r.height}; ` +
        `float32 field ${kb(r.float32Bytes)} → ${(r.float32Bytes / r.bytes).toFixed(1)}× smaller\n` +
        `reliquary encode: ${r.quality.views} views: PSNR ${r.quality.decoded.psnr.toFixed(2)} dB, SSIM ${r.quality.decoded.ssim.toFixed(4)} as decoded ` +
        (Number.isFinite(r.quality.trained.psnr) ? `(${r.quality.trained.psnr.toFixed(2)} dB before quantizing the MLPs) ` : '') +
        `over ${r.quality.decoded.frames} frames\n`,
    );
    const pr = r.train.pruned;
    if (pr) {
      process.stderr.write(`reliquary encode: occupancy pruned by visibility at step ${pr.step}: ${pr.before.toLocaleString('en')} → ${pr.after.toLocaleString('en')} occupied cells (${pr.rays.toLocaleString('en')} rays recorded)\n`);
    }
    const stageTimes = Object.entries(r.seconds)
      .filter(([, v]) => v !== undefined && Number.isFinite(v))
      .map(([k, v]) => `${k} ${v!.toFixed(1)} s${r.cachedStages.includes(k) ? ' (cached)' : ''}`);
    process.stderr.write(`reliquary encode: stage times: ${stageTimes.join(', ')}; peak memory ${r.peakRssMiB} MiB\n`);
    for (const s of r.sections) process.stderr.write(`  ${s.name.padEnd(16)} ${String(s.bytes).padStart(9)} bytes\n`);
    if (f.json) process.stdout.write(JSON.stringify(r) + '\n');
  } finally {
    stopBar();
    process.off('SIGINT', onSigint);
  }
}
