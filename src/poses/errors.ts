/**
 * The errors of the pose domain (`src/poses`): COLMAP missing or failing, a reconstruction that
 * did not register enough frames, and unreadable COLMAP models. All extend {@link PoseError}, so a
 * caller (the CLI) can map the whole domain to one exit code with a single `instanceof`, while the
 * subclasses carry what each case needs (the argv and stderr of a failed step, the frames that
 * were not registered). Every message says what the user can do next. Option-object mistakes are
 * `TypeError`s instead (see `estimate-poses.ts`).
 */

/** Options common to every {@link PoseError}. */
export interface PoseErrorOptions {
  /** The file or folder the problem is about, when there is one. */
  path?: string;
  /** The underlying error (spawn failure, I/O, parse), when there is one. */
  cause?: unknown;
}

/** How many trailing lines of a COLMAP step's stderr / stdout an error keeps. */
export const COLMAP_LOG_TAIL_LINES = 40;

/** The pose domain's base class: camera poses could not be estimated or loaded. */
export class PoseError extends Error {
  /** The file or folder the problem is about, when there is one. */
  readonly path: string | undefined;

  /** @param message what went wrong and what the user can do about it. */
  constructor(message: string, options: PoseErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PoseError';
    this.path = options.path;
  }
}

/** The `colmap` program is not installed (or not at the configured path, or not executable). */
export class ColmapNotFoundError extends PoseError {
  /** The program that was looked for (`'colmap'` or the configured path). */
  readonly colmapPath: string;

  constructor(colmapPath: string, options: PoseErrorOptions = {}) {
    const where = colmapPath.includes('/') ? `at ${colmapPath}` : 'on PATH';
    super(
      `COLMAP was not found ${where}; install it with \`apt-get install colmap\` (Debian) or run \`make bootstrap\`, ` +
        'or skip pose estimation by passing known poses with `--poses FILE` (a transforms.json or a COLMAP model folder)',
      options,
    );
    this.name = 'ColmapNotFoundError';
    this.colmapPath = colmapPath;
  }
}

/** Options of {@link ColmapFailedError}. */
export interface ColmapFailedErrorOptions extends PoseErrorOptions {
  /** The full command line that was run, program first (`['colmap', 'mapper', …]`). */
  argv: readonly string[];
  /** The process exit code; `null` when it was killed by a signal. */
  exitCode: number | null;
  /** The last lines of the process's stderr. */
  stderrTail?: string;
  /** The last lines of the process's stdout (COLMAP prints its progress and many diagnoses there). */
  stdoutTail?: string;
}

/** A COLMAP step (feature extraction, matching, mapping) exited unsuccessfully. */
export class ColmapFailedError extends PoseError {
  /** The full command line that was run, program first. */
  readonly argv: string[];
  /** The process exit code; `null` when it was killed by a signal. */
  readonly exitCode: number | null;
  /** The last lines of stderr ('' when there were none). */
  readonly stderrTail: string;
  /** The last lines of stdout ('' when there were none). */
  readonly stdoutTail: string;

  constructor(message: string, options: ColmapFailedErrorOptions) {
    super(message, options);
    this.name = 'ColmapFailedError';
    this.argv = [...options.argv];
    this.exitCode = options.exitCode;
    this.stderrTail = options.stderrTail ?? '';
    this.stdoutTail = options.stdoutTail ?? '';
  }
}

/**
 * COLMAP's mapper ran but built no usable model (no initial image pair, degenerate geometry).
 * Carries the mapper's log tails like {@link ColmapFailedError} when it came from a run.
 */
export class ReconstructionError extends PoseError {
  /** The last lines of the mapper's stdout, when the error came from a run ('' otherwise). */
  readonly stdoutTail: string;
  /** The last lines of the mapper's stderr, when the error came from a run ('' otherwise). */
  readonly stderrTail: string;

  constructor(message: string, options: PoseErrorOptions & { stdoutTail?: string; stderrTail?: string } = {}) {
    super(message, options);
    this.name = 'ReconstructionError';
    this.stdoutTail = options.stdoutTail ?? '';
    this.stderrTail = options.stderrTail ?? '';
  }
}

/** The advice shared by every "not enough frames registered" message. */
export const REGISTRATION_ADVICE =
  'try a larger matching overlap (`--pose-overlap`), feature extraction on the whole frame ' +
  '(`--pose-features all`, useful when the object has little texture), or a slower orbit / more frames per turn';

/** Fewer frames than required were registered (given a pose) by COLMAP. */
export class TooFewRegisteredError extends PoseError {
  /** Frame names COLMAP registered, in frame order. */
  readonly registered: string[];
  /** Frame names COLMAP did not register, in frame order. */
  readonly unregistered: string[];

  constructor(registered: readonly string[], unregistered: readonly string[], required: string, options: PoseErrorOptions = {}) {
    const total = registered.length + unregistered.length;
    const shown = unregistered.slice(0, 20).join(', ') + (unregistered.length > 20 ? `, … (${unregistered.length - 20} more)` : '');
    super(
      `COLMAP registered only ${registered.length} of ${total} frames (${required} required); not registered: ${shown}. ` +
        `Every frame needs a pose to be decoded; ${REGISTRATION_ADVICE}`,
      options,
    );
    this.name = 'TooFewRegisteredError';
    this.registered = [...registered];
    this.unregistered = [...unregistered];
  }
}

/** A COLMAP model folder or file is missing, truncated or malformed. */
export class ColmapModelError extends PoseError {
  constructor(message: string, options: PoseErrorOptions = {}) {
    super(message, options);
    this.name = 'ColmapModelError';
  }
}
