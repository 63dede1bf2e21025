/**
 * Renders a decoded `.rlq` field (src/codec/field-file.ts) at its stored poses: the decoder's render loop,
 * shared by `decode` and by the encoder's verification, so both render the file's content the same way.
 */
import type { GpuContext } from '../gpu/device.ts';
import type { Intrinsics } from '../data/camera.ts';
import { fieldFromParts } from '../field/load-model.ts';
import { ViewRenderer, toRgba8 } from '../render/render-view.ts';
import type { FieldPayload } from '../codec/field-file.ts';
import { psnr } from '../metrics/psnr.ts';
import { ssim } from '../metrics/ssim.ts';

/** Mean quality over rendered frames. */
export interface Quality {
  psnr: number;
  ssim: number;
  frames: number;
}

export interface RenderDecodedOptions {
  /** Frame indices (into the stored poses) to render. */
  indices: number[];
  /** Camera (the stored one, or resized for another output size). */
  intrinsics: Intrinsics;
  /** Background colour in [0,1]³ under the object (FP mode). */
  background: [number, number, number];
  /** Ground truth RGBA (not premultiplied) of frame i, when known: composited on the same background. */
  targets?(i: number): Uint8Array | undefined;
  /** Receives each frame as 8-bit RGBA, alpha = the object's opacity. */
  onFrame?(i: number, rgba: Uint8Array, done: number, total: number): Promise<void> | void;
  /** Render scratch size (samples per chunk). */
  maxSamples?: number;
}

/**
 * Renders the frames `indices` of a decoded field one at a time (8-bit RGBA; the colour is the object's
 * over `background`, alpha its opacity). The GPU objects live as long as the iteration.
 */
export async function* renderFrames(
  ctx: GpuContext,
  decoded: FieldPayload,
  o: Pick<RenderDecodedOptions, 'indices' | 'intrinsics' | 'background' | 'maxSamples'>,
): AsyncGenerator<{ index: number; rgba: Uint8Array }> {
  const model = fieldFromParts(ctx, {
    field: decoded.config.field, theta: decoded.theta, density: decoded.density, color: decoded.color, occupancy: decoded.occupancy,
  }, o.maxSamples);
  const renderer = new ViewRenderer(model.field, model.occupancy, decoded.config.field.march);
  try {
    for (const i of o.indices) {
      const c2w = decoded.c2w[i];
      if (!c2w) throw new RangeError(`frame ${i} does not exist (the file holds ${decoded.c2w.length})`);
      yield { index: i, rgba: toRgba8(await renderer.render(c2w, o.intrinsics, o.background)) };
    }
  } finally {
    renderer.destroy();
    model.destroy();
  }
}

export async function renderDecoded(ctx: GpuContext, decoded: FieldPayload, o: RenderDecodedOptions): Promise<Quality> {
  const { width, height } = o.intrinsics;
  let sumP = 0;
  let sumS = 0;
  let measured = 0;
  let k = 0;
  for await (const { index: i, rgba } of renderFrames(ctx, decoded, o)) {
    const t = o.targets?.(i);
    if (t) {
      if (t.length !== rgba.length) throw new RangeError(`ground truth of frame ${i} has ${t.length / 4} pixels; the render has ${width * height}`);
      const ref = new Uint8Array(t.length);
      const opaque = new Uint8Array(rgba);
      for (let p = 0; p < t.length; p += 4) {
        const a = t[p + 3]! / 255;
        for (let c = 0; c < 3; c++) ref[p + c] = Math.round(t[p + c]! * a + 255 * o.background[c]! * (1 - a));
        ref[p + 3] = 255;
        opaque[p + 3] = 255;
      }
      sumP += psnr(opaque, ref, { channels: 4 });
      sumS += ssim(opaque, ref, width, height, 4);
      measured++;
    }
    await o.onFrame?.(i, rgba, ++k, o.indices.length);
  }
  return { psnr: measured ? sumP / measured : NaN, ssim: measured ? sumS / measured : NaN, frames: measured };
}
