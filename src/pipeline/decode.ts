/**
 * `reliquary decode` as a library call: read a `.rlq` file, rebuild the field from its sections alone,
 * and render every stored pose (at the stored size or any other: the field is resolution-agnostic) to
 * an mp4 or to PNG frames (RGBA: the object's opacity in alpha, FP mode).
 */
import { readFileSync } from 'node:fs';
import { DatasetError } from '../data/dataset-error.ts';
import { prepareOutput } from './output-target.ts';
import { join } from 'node:path';
import sharp from 'sharp';
import { acquireGpu, adapterName, type GpuContext } from '../gpu/device.ts';
import { bufferStats, resetBufferStats } from '../gpu/buffers.ts';
import { resizeIntrinsics } from '../data/camera.ts';
import { decodeFieldFile } from '../codec/field-file.ts';
import { writeVideo } from '../video/ffmpeg.ts';
import { renderFrames } from './render-decoded.ts';
import { SectionType } from '../codec/container/sections.ts';
import { BitstreamError } from '../codec/errors.ts';
import { decodeBackgroundMeta, type BackgroundMeta } from '../codec/background/background-meta.ts';
import { decodeBackgroundStream } from '../background/background-stream.ts';
import { compositeOverBackground } from '../background/composite.ts';

export interface DecodeOptions {
  /** The `.rlq` file. */
  input: string;
  /** A path ending in .mp4, or a folder for PNG frames (FP: RGBA with the object's opacity; PC: RGB, the full scene). */
  out: string;
  /** Output size (default: the stored video's). The principal point and focal lengths scale with it. */
  size?: { width: number; height: number };
  /** Background under the object in [0,1]³ (default black). */
  background?: [number, number, number];
  /** Render only the first n frames (default all). */
  frames?: number;
  gpu?: GpuContext;
  onStart?(info: { frames: number; width: number; height: number; adapter: string; decodeSeconds: number }): void;
  onFrame?(done: number, total: number): void;
}

export interface DecodeResult {
  out: string;
  frames: number;
  width: number;
  height: number;
  fps: number;
  adapter: string;
  /** Bitstream decoding (entropy decoding, dequantization), then rendering, in seconds. */
  seconds: { decode: number; render: number };
  peakRssMiB: number;
  largestGpuBuffer: { bytes: number; label: string };
}

export async function decodeFile(o: DecodeOptions): Promise<DecodeResult> {
  const t0 = performance.now();
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(o.input);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DatasetError(`cannot read ${o.input} (${code ?? (e as Error).message})${code === 'ENOENT' ? '; check the path of the .rlq file' : ''}`, { path: o.input });
  }
  const decoded = decodeFieldFile(bytes);
  const tDecode = (performance.now() - t0) / 1000;
  const v = decoded.config.video;
  const size = o.size ?? { width: v.width, height: v.height };
  const intr = size.width === decoded.intrinsics.width && size.height === decoded.intrinsics.height ? decoded.intrinsics : resizeIntrinsics(decoded.intrinsics, size.width, size.height);
  const n = Math.min(o.frames ?? v.frames, v.frames);
  const indices = Array.from({ length: n }, (_, i) => i);
  const toMp4 = o.out.toLowerCase().endsWith('.mp4');
  prepareOutput(o.out, toMp4 ? 'file' : 'folder', toMp4 ? 'the decoded video' : 'the decoded frames folder');
  const ctx = o.gpu ?? (await acquireGpu());
  resetBufferStats();
  const t1 = performance.now();
  const pc = decoded.file.mode === 'pc';
  try {
    o.onStart?.({ frames: n, width: size.width, height: size.height, adapter: adapterName(ctx.adapter), decodeSeconds: tDecode });
    const bg = o.background ?? [0, 0, 0];
    // PC mode: the background stream, decoded one frame at a time alongside the renders (decoder step 3).
    let backgrounds: AsyncGenerator<Uint8Array> | undefined;
    let meta: BackgroundMeta | undefined;
    if (pc) {
      const section = (name: 'BACKGROUND_VIDEO' | 'BACKGROUND_META') => decoded.file.sections.find((s) => s.type === SectionType[name])!.payload;
      meta = decodeBackgroundMeta(section('BACKGROUND_META'));
      if (meta.frameCount !== v.frames) throw new BitstreamError(`section BACKGROUND_META holds ${meta.frameCount} frames; CONFIG declares ${v.frames}`, 'BACKGROUND_META');
      backgrounds = decodeBackgroundStream(section('BACKGROUND_VIDEO'), meta);
    }
    const renders = renderFrames(ctx, decoded, { indices, intrinsics: intr, background: pc ? [0, 0, 0] : bg });
    let done = 0;
    /** Output frames: RGBA (FP: alpha = opacity) or RGB (PC: composited over the decoded background). */
    async function* outputs(): AsyncGenerator<Uint8Array> {
      try {
        for await (const { rgba } of renders) {
          let frame: Uint8Array = rgba;
          if (backgrounds && meta) {
            const next = await backgrounds.next();
            if (next.done) throw new BitstreamError('section BACKGROUND_VIDEO ended before the last frame', 'BACKGROUND_VIDEO');
            let back = next.value;
            if (meta.width !== size.width || meta.height !== size.height) {
              back = new Uint8Array(await sharp(back, { raw: { width: meta.width, height: meta.height, channels: 3 } }).resize(size.width, size.height, { fit: 'fill' }).raw().toBuffer());
            }
            // The object was rendered over black, so its colour is premultiplied by its opacity.
            frame = compositeOverBackground(rgba, back, { alpha: 'premultiplied' });
          }
          yield frame;
          o.onFrame?.(++done, n);
        }
      } finally {
        await backgrounds?.return(undefined);
      }
    }
    const channels = pc ? 3 : 4;
    if (toMp4) {
      await writeVideo(o.out, outputs(), { width: size.width, height: size.height, fps: v.fps, pixFmtIn: pc ? 'rgb24' : 'rgba' });
    } else {
      let i = 0;
      // PNG alpha is straight (not premultiplied): an FP frame rendered over black is divided by its
      // opacity, so that any viewer compositing it over black shows the render. Over another colour
      // (`background`) the composite is the picture, stored opaque.
      const overBlack = !pc && bg[0] === 0 && bg[1] === 0 && bg[2] === 0;
      for await (const frame of outputs()) {
        const png = pc ? frame : overBlack ? unpremultiply(frame) : dropAlpha(frame);
        await sharp(png, { raw: { width: size.width, height: size.height, channels: pc || overBlack ? channels : 3 } }).png().toFile(join(o.out, `frame_${String(i++).padStart(5, '0')}.png`));
      }
    }
    return {
      out: o.out, frames: n, width: size.width, height: size.height, fps: v.fps, adapter: adapterName(ctx.adapter),
      seconds: { decode: tDecode, render: (performance.now() - t1) / 1000 },
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      largestGpuBuffer: { bytes: bufferStats.largestBytes, label: bufferStats.largestLabel },
    };
  } finally {
    if (!o.gpu) ctx.destroy();
  }
}

/** Straight-alpha RGBA from RGBA whose colour was rendered over black (premultiplied by its alpha). */
export function unpremultiply(rgba: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgba.length);
  for (let p = 0; p < rgba.length; p += 4) {
    const a = rgba[p + 3]!;
    out[p + 3] = a;
    if (a === 0) continue;
    for (let c = 0; c < 3; c++) out[p + c] = Math.min(255, Math.round((rgba[p + c]! * 255) / a));
  }
  return out;
}

/** RGB of an RGBA frame. */
function dropAlpha(rgba: Uint8Array): Uint8Array {
  const out = new Uint8Array((rgba.length / 4) * 3);
  for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
    out[q] = rgba[p]!;
    out[q + 1] = rgba[p + 1]!;
    out[q + 2] = rgba[p + 2]!;
  }
  return out;
}
