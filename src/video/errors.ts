/**
 * The one error class of the video domain (`src/video`): a failed or missing `ffmpeg` / `ffprobe`.
 * Option-object mistakes are `TypeError`s instead (see `ffmpeg.ts`).
 */

/** Options of {@link FfmpegError}. */
export interface FfmpegErrorOptions {
  /** The full command line that was run, program first (`['ffmpeg', '-i', …]`). */
  argv: readonly string[];
  /** The process exit code; `null` when it never started or was killed by a signal. */
  exitCode: number | null;
  /** The last lines (at most {@link FFMPEG_STDERR_TAIL_LINES}) of the process's stderr. */
  stderrTail?: string;
  /** The underlying error (spawn failure, broken pipe, JSON parse), when there is one. */
  cause?: unknown;
}

/** How many trailing stderr lines an {@link FfmpegError} keeps. */
export const FFMPEG_STDERR_TAIL_LINES = 40;

/** `ffmpeg` or `ffprobe` is missing, failed, or produced output that cannot be used. */
export class FfmpegError extends Error {
  override readonly name: string = 'FfmpegError';
  /** The full command line that was run, program first. */
  readonly argv: string[];
  /** The process exit code; `null` when it never started or was killed by a signal. */
  readonly exitCode: number | null;
  /** The last lines of the process's stderr ('' when there was none). */
  readonly stderrTail: string;

  /** @param message what went wrong and what the user can do about it. */
  constructor(message: string, options: FfmpegErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.argv = [...options.argv];
    this.exitCode = options.exitCode;
    this.stderrTail = options.stderrTail ?? '';
  }
}

/** `ffmpeg` or `ffprobe` is not installed (or not at the configured path). */
export class FfmpegNotFoundError extends FfmpegError {
  override readonly name = 'FfmpegNotFoundError';
}

/**
 * The input exists but ffmpeg cannot read it as a video: not a media file at all, a damaged one,
 * or a file without a video stream (audio only, an image sequence pattern, a document).
 */
export class NotAVideoError extends FfmpegError {
  override readonly name = 'NotAVideoError';
}

/** The input is a video container, but ffmpeg decodes no frame from it (an empty or truncated stream). */
export class NoFramesError extends FfmpegError {
  override readonly name = 'NoFramesError';
}
