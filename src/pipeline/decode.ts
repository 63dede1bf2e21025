/**
 * `reliquary decode` as a library call: read a `.rlq` file, rebuild the field from its sections alone,
 * and render every stored pose (at the stored size or any other: the field is resolution-agnostic) to
 * an mp4 or to PNG frames (RGBA: the object's opacity in alpha, FP mode).
 */
import { mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { acquireGpu, adapterName, type GpuContext } from '../gpu/device.ts';
import { bufferStats, resetBufferStats } from '../gpu/buffers.ts';
import { resizeIntrinsics } from '../data/camera.ts';
import { decodeFieldFile } from '../codec/field-file.ts';
import { writeVideo } from '../video/ffmpeg.ts';
import { renderDecoded } from './render-decoded.ts';

export interface DecodeOptions {
  /** The `.rlq` file. */
  input: string;
  /** A path ending in .mp4, or a folder for PNG frames. */
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
    throw new Error(`cannot read ${o.input}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const decoded = decodeFieldFile(bytes);
  const tDecode = (performance.now() - t0) / 1000;
  const v = decoded.config.video;
  const size = o.size ?? { width: v.width, height: v.height };
  const intr = size.width === decoded.intrinsics.width && size.height === decoded.intrinsics.height ? decoded.intrinsics : resizeIntrinsics(decoded.intrinsics, size.width, size.height);
  const n = Math.min(o.frames ?? v.frames, v.frames);
  const indices = Array.from({ length: n }, (_, i) => i);
  const toMp4 = o.out.toLowerCase().endsWith('.mp4');
  mkdirSync(toMp4 ? dirname(o.out) || '.' : o.out, { recursive: true });
  const ctx = o.gpu ?? (await acquireGpu());
  resetBufferStats();
  const t1 = performance.now();
  try {
    o.onStart?.({ frames: n, width: size.width, height: size.height, adapter: adapterName(ctx.adapter), decodeSeconds: tDecode });
    const bg = o.background ?? [0, 0, 0];
    const frames: Uint8Array[] = [];
    await renderDecoded(ctx, decoded, {
      indices, intrinsics: intr, background: bg,
      async onFrame(i, rgba, done, total) {
        if (toMp4) frames.push(rgba);
        else await sharp(rgba, { raw: { width: size.width, height: size.height, channels: 4 } }).png().toFile(join(o.out, `frame_${String(i).padStart(5, '0')}.png`));
        o.onFrame?.(done, total);
      },
    });
    if (toMp4) {
      const tmp = join(dirname(o.out) || '.', `.${process.pid}-${Date.now()}.partial.mp4`);
      try {
        await writeVideo(tmp, frames, { width: size.width, height: size.height, fps: v.fps, pixFmtIn: 'rgba' });
        renameSync(tmp, o.out);
      } finally {
        rmSync(tmp, { force: true });
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
