/**
 * The one error class of the data domain (`src/data`): unreadable or inconsistent datasets.
 * Option-object mistakes are `TypeError`s instead (see `dataset-options.ts`).
 */

/** Options of {@link DatasetError}. */
export interface DatasetErrorOptions {
  /** The file or folder the problem is about, when there is one. */
  path?: string;
  /** The underlying error (I/O, JSON parse, image decode), when there is one. */
  cause?: unknown;
}

/** A dataset (transforms.json + images) is missing, malformed or inconsistent. */
export class DatasetError extends Error {
  /** The file or folder the problem is about, when there is one. */
  readonly path: string | undefined;

  /** @param message what is wrong and, where possible, how to fix it. */
  constructor(message: string, options: DatasetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DatasetError';
    this.path = options.path;
  }
}
