/** Exit codes of the CLI, one per error domain, and the message shown for each. */
import { GpuError } from '../gpu/errors.ts';
import { DatasetError } from '../data/dataset-error.ts';
import { FfmpegError } from '../video/errors.ts';
import { CheckpointError } from '../train/checkpoint.ts';
import { BitstreamError } from '../codec/errors.ts';
import { SegmentationError } from '../segment/errors.ts';
import { PoseError } from '../poses/errors.ts';

export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2, gpu: 3, dataset: 4, ffmpeg: 5, checkpoint: 6, bitstream: 7, segmentation: 8, poses: 9, interrupted: 130 });

export function exitCodeFor(e: unknown): number {
  if (e instanceof GpuError) return EXIT.gpu;
  if (e instanceof DatasetError) return EXIT.dataset;
  if (e instanceof FfmpegError) return EXIT.ffmpeg;
  if (e instanceof CheckpointError) return EXIT.checkpoint;
  if (e instanceof BitstreamError) return EXIT.bitstream;
  if (e instanceof SegmentationError) return EXIT.segmentation;
  if (e instanceof PoseError) return EXIT.poses;
  if (e instanceof TypeError && /must be/.test(e.message)) return EXIT.usage;
  return EXIT.failure;
}

export function describeError(e: unknown): string {
  if (e instanceof Error) {
    const extra = e instanceof FfmpegError && e.stderrTail ? `\n${e.stderrTail}` : '';
    return `${e.message}${extra}${process.env.RELIQUARY_DEBUG ? `\n${e.stack}` : ''}`;
  }
  return String(e);
}
