/** Exit codes of the CLI, one per error domain, and the message shown for each. */
import { GpuError } from '../gpu/errors.ts';
import { DatasetError } from '../data/dataset-error.ts';
import { FfmpegError, FfmpegNotFoundError, NoFramesError, NotAVideoError } from '../video/errors.ts';
import { CheckpointError } from '../train/checkpoint.ts';
import { BitstreamError } from '../codec/errors.ts';
import { NoObjectError, SegmentationError } from '../segment/errors.ts';
import { ColmapNotFoundError, PoseError } from '../poses/errors.ts';
import { OutputError } from '../pipeline/output-target.ts';

/**
 * The exit codes, documented in the README. Specific failures a user can act on get their own code
 * (a script can tell "not a video" from "COLMAP failed"); the rest map to their domain's code.
 */
export const EXIT = Object.freeze({
  ok: 0,
  /** Any other error. */
  failure: 1,
  /** Bad flags or option values. */
  usage: 2,
  /** No usable WebGPU adapter, or a GPU failure. */
  gpu: 3,
  /** An unreadable or inconsistent dataset, frame folder or input file. */
  dataset: 4,
  /** ffmpeg or ffprobe failed. */
  ffmpeg: 5,
  /** A training checkpoint cannot be used. */
  checkpoint: 6,
  /** A damaged or unsupported .rlq file. */
  bitstream: 7,
  /** The segmentation model cannot be loaded or run. */
  segmentation: 8,
  /** COLMAP failed, or registered too few frames (the message names them). */
  poses: 9,
  /** The input is not a video ffmpeg can read. */
  notAVideo: 10,
  /** The video decodes to zero frames. */
  noFrames: 11,
  /** No object was found in most frames. */
  noObject: 12,
  /** A required program (ffmpeg, ffprobe, COLMAP) is not installed. */
  missingTool: 13,
  /** The output cannot be written. */
  output: 14,
  /** Stopped with Ctrl-C. */
  interrupted: 130,
});

export function exitCodeFor(e: unknown): number {
  // Specific cases first: they are subclasses of the domain errors below.
  if (e instanceof NotAVideoError) return EXIT.notAVideo;
  if (e instanceof NoFramesError) return EXIT.noFrames;
  if (e instanceof NoObjectError) return EXIT.noObject;
  if (e instanceof FfmpegNotFoundError || e instanceof ColmapNotFoundError) return EXIT.missingTool;
  if (e instanceof OutputError) return EXIT.output;
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
