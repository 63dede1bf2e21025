/**
 * The error classes of the segmentation domain (`src/segment`): a segmentation model that is missing,
 * corrupted or fails to run, a mask folder that cannot be used, and videos in which no object is
 * found. Option-object mistakes are `TypeError`s instead, naming the field.
 *
 * The CLI maps {@link SegmentationError} (and so its subclass {@link NoObjectError}) to one exit code;
 * `reason` tells the cases apart for callers that want to react differently.
 */

/** What went wrong in a {@link SegmentationError}. */
export type SegmentationFailure =
  /** The model's weights are not installed (e.g. the optional npm package is absent), or the file is missing. */
  | 'model-missing'
  /** The model's bytes do not have the expected sha256 (corrupted or different file). */
  | 'model-hash'
  /** onnxruntime could not load the model, or the model's inputs/outputs are not usable. */
  | 'model-load'
  /** onnxruntime failed while running the model on a frame. */
  | 'inference'
  /** The `--masks` folder is missing, empty, has too few masks, or a mask cannot be decoded. */
  | 'mask-folder'
  /** No object was found in most frames (see {@link NoObjectError}). */
  | 'no-object';

/** Options of {@link SegmentationError}. */
export interface SegmentationErrorOptions {
  /** The model reference (`'isnet'`, `'onnx:/path/model.onnx'`) or mask folder involved, when there is one. */
  source?: string;
  /** The underlying error (onnxruntime, file system, image decoder), when there is one. */
  cause?: unknown;
}

/** Segmentation could not be done; the message says what went wrong and what to try. */
export class SegmentationError extends Error {
  override readonly name: string = 'SegmentationError';
  /** Which kind of failure this is. */
  readonly reason: SegmentationFailure;
  /** The model reference or mask folder involved ('' when none). */
  readonly source: string;

  /**
   * @param reason which kind of failure this is.
   * @param message what went wrong and what the user can do about it.
   */
  constructor(reason: SegmentationFailure, message: string, options: SegmentationErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.source = options.source ?? '';
  }
}

/** Counts carried by a {@link NoObjectError}. */
export interface NoObjectCounts {
  /** Frames looked at when the error was raised. */
  frames: number;
  /** Of those, frames whose mask was smaller than the minimum object area. */
  emptyFrames: number;
}

/**
 * No object was found in most frames: the mask (after post-processing) was empty or smaller than the
 * minimum object area in more than the allowed fraction of the frames.
 */
export class NoObjectError extends SegmentationError {
  override readonly name: string = 'NoObjectError';
  /** Frames looked at when the error was raised. */
  readonly frames: number;
  /** Of those, frames without an object. */
  readonly emptyFrames: number;

  /**
   * @param counts the frame counts.
   * @param source the model reference or mask folder that produced the empty masks.
   */
  constructor(counts: NoObjectCounts, source: string) {
    super(
      'no-object',
      `no object was found in ${counts.emptyFrames} of ${counts.frames} frames (segmentation source ${source}). ` +
        'Check that the video shows one central object against a background; then try another model ' +
        "(e.g. 'isnet', or your own BiRefNet/RMBG-2.0 export as 'onnx:PATH' with its input size and normalization), " +
        'a lower threshold, or masks made elsewhere with --masks DIR',
      { source },
    );
    this.frames = counts.frames;
    this.emptyFrames = counts.emptyFrames;
  }
}
