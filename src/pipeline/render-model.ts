/**
 * Rendering as a library call: a trained model, a transforms.json of poses (any intrinsics and size),
 * PNG frames or an mp4; and, when the poses file's images exist, PSNR/SSIM against them.
 */
import { join, dirname, basename } from 'node:path';
import { mkdirSync } from 'node:fs';
import sharp from 'sharp';
import { acquireGpu, adapterName, type GpuContext } from '../gpu/device.ts';
import { loadPoses, loadPosedDataset } from '../data/transforms.ts';
import { poseToWorld, poseToUnit } from '../data/unit-box.ts';
import { loadModel } from '../field/load-model.ts';
import { ViewRenderer, toRgba8 } from '../render/render-view.ts';
import { writeVideo } from '../video/ffmpeg.ts';
import { psnr } from '../metrics/psnr.ts';
import { ssim } from '../metrics/ssim.ts';

export interface RenderModelOptions {
  /** Model folder (holding model.ckpt) or the checkpoint file. */
  model: string;
  /** transforms.json with the poses to render (interpreted in the same world as the training data). */
  poses: string;
  /** A folder for PNG frames, or a path ending in .mp4. */
  out: string;
  downscale?: number;
  /** Background colour (default black). */
  background?: [number, number, number];
  fps?: number;
  gpu?: GpuContext;
  onFrame?(i: number, total: number): void;
}

export interface RenderModelResult {
  adapter: string;
  frames: number;
  width: number;
  height: number;
  seconds: number;
  /** Against the poses file's images (composited on the same background) when they exist. */
  quality?: { psnr: number; ssim: number; frames: number };
}

export async function renderModel(o: RenderModelOptions): Promise<RenderModelResult> {
  const ckpt = o.model.endsWith('.ckpt') ? o.model : join(o.model, 'model.ckpt');
  const ctx = o.gpu ?? (await acquireGpu());
  const model = loadModel(ctx, ckpt);
  const renderer = new ViewRenderer(model.field, model.occupancy, model.header.field.march);
  const t0 = performance.now();
  try {
    const poses = await loadPoses(o.poses, { downscale: o.downscale ?? 1 });
    // The poses file was normalized on its own; map its poses into the model's unit box via world space.
    const c2ws = poses.c2w.map((m) => poseToUnit(poseToWorld(m, poses.worldToUnit), model.header.dataset.worldToUnit));
    const intr = poses.intrinsics;
    const bg = o.background ?? [0, 0, 0];
    let targets: Uint8Array[] | undefined;
    try {
      const ds = await loadPosedDataset(o.poses, { downscale: o.downscale ?? 1, holdoutEvery: 0 });
      if (ds.frames.length === c2ws.length) targets = ds.frames.map((f) => f.rgba);
    } catch {
      targets = undefined; // no ground-truth images next to the poses: render only
    }
    const frames: Uint8Array[] = [];
    const toMp4 = o.out.toLowerCase().endsWith('.mp4');
    if (!toMp4) mkdirSync(o.out, { recursive: true });
    else mkdirSync(dirname(o.out), { recursive: true });
    let sumP = 0;
    let sumS = 0;
    for (let i = 0; i < c2ws.length; i++) {
      const rgba = toRgba8(await renderer.render(c2ws[i]!, intr, bg));
      for (let p = 3; p < rgba.length; p += 4) rgba[p] = 255;
      if (targets) {
        const t = targets[i]!;
        const ref = new Uint8Array(t.length);
        for (let p = 0; p < t.length; p += 4) {
          const a = t[p + 3]! / 255;
          for (let c = 0; c < 3; c++) ref[p + c] = Math.round(t[p + c]! * a + 255 * bg[c]! * (1 - a));
          ref[p + 3] = 255;
        }
        sumP += psnr(rgba, ref, { channels: 4 });
        sumS += ssim(rgba, ref, intr.width, intr.height, 4);
      }
      if (toMp4) frames.push(rgba);
      else await sharp(rgba, { raw: { width: intr.width, height: intr.height, channels: 4 } }).removeAlpha().png().toFile(join(o.out, `${basename(poses.names[i] ?? `frame_${i}`).replace(/\.[^.]+$/, '')}.png`));
      o.onFrame?.(i + 1, c2ws.length);
    }
    if (toMp4) await writeVideo(o.out, frames, { width: intr.width, height: intr.height, fps: o.fps ?? 24, pixFmtIn: 'rgba' });
    return {
      adapter: adapterName(ctx.adapter), frames: c2ws.length, width: intr.width, height: intr.height, seconds: (performance.now() - t0) / 1000,
      quality: targets ? { psnr: sumP / c2ws.length, ssim: sumS / c2ws.length, frames: c2ws.length } : undefined,
    };
  } finally {
    renderer.destroy();
    model.destroy();
    if (!o.gpu) ctx.destroy();
  }
}
