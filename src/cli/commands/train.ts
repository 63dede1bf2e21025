import cliProgress from 'cli-progress';
import { trainModel } from '../../pipeline/train-model.ts';

export interface TrainFlags {
  out: string; preset: string; steps?: number; downscale: number; maxMinutes?: number; samplesPerStep?: number;
  evalFrames?: number; seed?: number; df?: number; resume?: boolean; profile?: boolean; json?: boolean;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '-';
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

export async function runTrain(dataset: string, f: TrainFlags): Promise<void> {
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write('\nreliquary train: stopping after this step and writing a checkpoint (Ctrl-C again to abort)\n');
  };
  process.on('SIGINT', onSigint);
  const bar = new cliProgress.SingleBar({
    format: 'train |{bar}| {value}/{total} loss {loss} PSNR {psnr} dB | {sps} samples/s | ETA {left}',
    stream: process.stderr, hideCursor: true, etaBuffer: 50, noTTYOutput: true, notTTYSchedule: 15000,
  }, cliProgress.Presets.shades_classic);
  try {
    const r = await trainModel({
      dataset, out: f.out, preset: f.preset, steps: f.steps, downscale: f.downscale, maxMinutes: f.maxMinutes, samplesPerStep: f.samplesPerStep,
      evalFrames: f.evalFrames, seed: f.seed, featuresPerLevel: f.df, resume: f.resume, profile: f.profile,
      shouldStop: () => stop,
      onStart: (s) => {
        process.stderr.write(`reliquary: GPU adapter: ${s.adapter}\nreliquary train: ${s.trainFrames} training / ${s.testFrames} held-out frames of ${s.width}x${s.height}\n`);
        bar.start(s.totalSteps, s.startStep, { loss: '-', psnr: '-', sps: '-', left: '-' });
      },
      onStep: (s) => {
        // Time left: the step budget at the current pace, or the wall-clock budget if that ends first.
        const bySteps = ((s.totalSteps - s.step) * s.elapsed) / Math.max(1, s.step - s.startStep);
        const left = Math.min(bySteps, f.maxMinutes !== undefined ? f.maxMinutes * 60 - s.wallSeconds : Infinity);
        bar.update(s.step, { loss: s.loss.toExponential(2), psnr: s.psnr.toFixed(2), sps: Math.round(s.samplesPerSecond).toLocaleString('en'), left: formatSeconds(left) });
      },
    });
    bar.stop();
    process.stderr.write(`reliquary train: ${r.steps} steps in ${r.seconds.toFixed(0)} s (${Math.round(r.samplesPerSecond).toLocaleString('en')} samples/s); held-out PSNR ${r.eval.psnr.toFixed(2)} dB, SSIM ${r.eval.ssim.toFixed(4)} over ${r.eval.frames} frames → ${r.checkpoint}\n`);
    if (r.profile) for (const p of r.profile) process.stderr.write(`  ${p.kernel.padEnd(24)} ${p.ms.toFixed(1).padStart(10)} ms ${String(p.calls).padStart(8)} calls\n`);
    if (f.json) process.stdout.write(JSON.stringify({
      heldOutPsnr: r.eval.psnr, heldOutSsim: r.eval.ssim, evalFrames: r.eval.frames, steps: r.steps, samplesPerSecond: r.samplesPerSecond,
      stepsPerSecond: r.stepsPerSecond, seconds: r.seconds, adapter: r.adapter, checkpoint: r.checkpoint,
      float32Bytes: r.float32Bytes, float32Bpp: (8 * r.float32Bytes) / (r.video.frames * r.video.width * r.video.height),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    }) + '\n');
  } finally {
    bar.stop();
    process.off('SIGINT', onSigint);
  }
}
