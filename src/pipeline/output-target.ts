/**
 * Checks, before any work starts, that an output path can be written, so that an encode does not
 * train for an hour and then fail on `-o /read-only/x.rlq`. Writing itself stays atomic in the
 * writers (a temporary file beside the target, then a rename), so a failed or killed run never
 * leaves a half-written output under the final name.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** An output file or folder cannot be created or written. */
export class OutputError extends Error {
  override readonly name = 'OutputError';
  /** The output path the user gave. */
  readonly path: string;

  /** @param message what went wrong and what the user can do about it. */
  constructor(message: string, path: string, options?: { cause?: unknown }) {
    super(message, options);
    this.path = path;
  }
}

/** What the output is: one file (written through a temporary file beside it) or a folder of files. */
export type OutputKind = 'file' | 'folder';

function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
}

/**
 * Makes sure `path` can be written as an output of the given kind: creates the folder that will
 * hold it (the parent of a file, or the folder itself) and checks write permission there. An
 * existing file is overwritten at the end, so it is not an error; a folder where a file is
 * expected (or the reverse) is.
 *
 * @param what how messages name the output (`'the encoded file'`, `'the decoded video'`).
 * @throws OutputError naming the path, the reason (EACCES, EROFS, ENOTDIR…) and what to do.
 */
export function prepareOutput(path: string, kind: OutputKind, what = 'the output'): void {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('the output path must be a non-empty string');
  const abs = resolve(path);
  let existing: import('node:fs').Stats | undefined;
  try {
    existing = statSync(abs);
  } catch {
    existing = undefined;
  }
  if (existing && kind === 'file' && existing.isDirectory()) {
    throw new OutputError(`${what} ${path} is a folder; give a file name (for example ${path.replace(/\/+$/, '')}/out.rlq)`, path);
  }
  if (existing && kind === 'folder' && !existing.isDirectory()) {
    throw new OutputError(`${what} ${path} is an existing file, but a folder is written there; give a folder name, or a name ending in .mp4 for a video`, path);
  }
  const folder = kind === 'file' ? dirname(abs) : abs;
  try {
    mkdirSync(folder, { recursive: true });
  } catch (e) {
    throw new OutputError(`cannot create the folder ${folder} for ${what} (${errno(e)}); choose another output path with -o`, path, { cause: e });
  }
  try {
    accessSync(folder, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new OutputError(`cannot write ${what} into ${folder} (${errno(e)}); choose a writable output path with -o`, path, { cause: e });
  }
  if (existing && kind === 'file') {
    try {
      accessSync(abs, constants.W_OK);
    } catch (e) {
      throw new OutputError(`${what} ${path} exists and cannot be replaced (${errno(e)}); remove it or choose another path with -o`, path, { cause: e });
    }
  }
}
