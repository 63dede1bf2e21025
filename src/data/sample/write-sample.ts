/**
 * `writeSample`: renders the synthetic static-object capture and writes it as a dataset folder:
 *
 * ```
 * OUT/images/frame_0000.png   RGB, object + background
 * OUT/masks/frame_0000.png    8-bit grey object alpha (255 = object), anti-aliased
 * OUT/transforms.json         instant-ngp format, z-up, aabb_scale 1
 * OUT/video.mp4               H.264 of the RGB frames (unless options.video is false)
 * OUT/sample.json             the resolved options (without onProgress)
 * ```
 *
 * An odd width or height is padded by one black column/row in `video.mp4` only (yuv420p needs
 * even sizes); the PNGs and transforms.json keep the exact size.
 *
 * Frames are rendered one at a time on the calling thread and streamed to PNG (sharp, whose
 * encoding runs on libuv's thread pool) and to ffmpeg, so memory stays at a few frames.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { writeVideo } from '../../video/ffmpeg.ts';
import { orbitPoses, sampleIntrinsics } from './camera-path.ts';
import { resolveSampleOptions, type SampleOptions } from './options.ts';
import { renderFrame } from './render.ts';
import { buildTransforms, imagePath, maskPath } from './transforms.ts';

/** What {@link writeSample} produced. */
export interface SampleSummary {
  /** The output folder. */
  out: string;
  /** Number of frames written. */
  frames: number;
  /** Image width, pixels. */
  width: number;
  /** Image height, pixels. */
  height: number;
  /** Wall-clock time of the whole call, seconds. */
  seconds: number;
}

/** Most PNG encodes allowed in flight before rendering waits for them. */
const MAX_PENDING_WRITES = 8;

async function writeJson(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}

function writePng(path: string, pixels: Uint8Array, width: number, height: number, channels: 1 | 3): Promise<unknown> {
  const img = sharp(pixels, { raw: { width, height, channels } });
  return (channels === 1 ? img.toColourspace('b-w') : img).png({ compressionLevel: 6 }).toFile(path);
}

/**
 * Renders the synthetic sample described by `opts` (see `SampleOptions` for every field and
 * default) into `opts.out`.
 *
 * @throws TypeError for invalid options (naming the field).
 * @throws FfmpegError when `video.mp4` cannot be encoded.
 */
export async function writeSample(opts: SampleOptions): Promise<SampleSummary> {
  const start = performance.now();
  const o = resolveSampleOptions(opts);
  await mkdir(join(o.out, 'images'), { recursive: true });
  await mkdir(join(o.out, 'masks'), { recursive: true });
  const intr = sampleIntrinsics(o);
  const poses = orbitPoses(o);

  // PNG encodes run on sharp's thread pool while the next frame renders; failures are collected.
  const pending = new Set<Promise<void>>();
  const failures: unknown[] = [];
  const track = (p: Promise<unknown>): void => {
    const tracked: Promise<void> = p.then(
      () => {},
      (err: unknown) => {
        failures.push(err);
      },
    ).finally(() => pending.delete(tracked));
    pending.add(tracked);
  };
  async function* frames(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < o.frames; i++) {
      const { rgb, mask } = renderFrame(intr, poses[i]!, o.samplesPerPixel, o.seed, i);
      track(writePng(join(o.out, imagePath(i)), rgb, o.width, o.height, 3));
      track(writePng(join(o.out, maskPath(i)), mask, o.width, o.height, 1));
      while (pending.size > MAX_PENDING_WRITES) await Promise.race(pending);
      if (failures.length > 0) throw failures[0];
      o.onProgress?.(i + 1, o.frames);
      yield rgb;
    }
  }

  try {
    if (o.video) {
      await writeVideo(join(o.out, 'video.mp4'), frames(), { width: o.width, height: o.height, fps: o.fps, crf: o.crf });
    } else {
      for await (const _ of frames()) void _;
    }
  } finally {
    await Promise.all(pending);
  }
  if (failures.length > 0) throw failures[0];

  await writeJson(join(o.out, 'transforms.json'), buildTransforms(intr, poses));
  const { onProgress: _progress, ...saved } = o;
  await writeJson(join(o.out, 'sample.json'), { generator: 'reliquary sample', ...saved });
  return { out: o.out, frames: o.frames, width: o.width, height: o.height, seconds: (performance.now() - start) / 1000 };
}
