import { renderModel } from '../../pipeline/render-model.ts';

export async function runRender(model: string, f: { poses: string; out: string; downscale: number; fps: number; json?: boolean }): Promise<void> {
  const r = await renderModel({
    model, poses: f.poses, out: f.out, downscale: f.downscale, fps: f.fps,
    onFrame: (i, n) => {
      if (process.stderr.isTTY) process.stderr.write(`\rreliquary render: frame ${i}/${n}`);
      else if (i === n || i % 16 === 0) process.stderr.write(`reliquary render: frame ${i}/${n}\n`);
    },
  });
  process.stderr.write(`\nreliquary render: ${r.frames} frames of ${r.width}x${r.height} in ${r.seconds.toFixed(1)} s on ${r.adapter} → ${f.out}\n`);
  if (r.quality) process.stderr.write(`reliquary render: PSNR ${r.quality.psnr.toFixed(2)} dB, SSIM ${r.quality.ssim.toFixed(4)} against the ground-truth frames\n`);
  if (f.json) process.stdout.write(JSON.stringify(r) + '\n');
}
