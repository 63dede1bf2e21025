/**
 * Image files of a posed dataset: locating them (with instant-ngp's optional extensions),
 * reading their size, decoding (and downscaling) to 8-bit RGBA or single-channel masks with sharp.
 *
 * sharp decodes on libuv's thread pool, so running a few decodes at once ({@link mapLimit}) uses
 * every core. EXIF orientation is deliberately NOT applied: COLMAP and instant-ngp read the stored
 * pixel grid, and the poses refer to it.
 */

import { access } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import type { DownscaleKernel } from './dataset-options.ts';
import { DatasetError } from './dataset-error.ts';

/** Extensions tried, in order, when a `file_path` names no existing file (instant-ngp omits them). */
export const IMAGE_EXTENSIONS: readonly string[] = Object.freeze(['.png', '.jpg', '.jpeg', '.PNG', '.JPG', '.JPEG']);

/** Width and height of an image, pixels. */
export interface ImageSize {
  /** Width, pixels. */
  width: number;
  /** Height, pixels. */
  height: number;
}

/** A decoded 8-bit RGBA image. */
export interface DecodedRgba extends ImageSize {
  /** Row-major RGBA, `width * height * 4` bytes, not premultiplied. */
  rgba: Uint8Array<ArrayBuffer>;
  /** Whether the file had an alpha channel. */
  hasAlphaChannel: boolean;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves a frame's `file_path` (or `mask_path`) relative to the json's folder; when that file
 * does not exist, tries appending each of {@link IMAGE_EXTENSIONS}.
 * @param what how the file is described in the error, e.g. `frame 3 image`.
 * @throws DatasetError naming the missing file.
 */
export async function resolveImageFile(baseDir: string, filePath: string, what: string): Promise<string> {
  const p = path.resolve(baseDir, filePath);
  if (await exists(p)) return p;
  for (const ext of IMAGE_EXTENSIONS) {
    if (await exists(p + ext)) return p + ext;
  }
  throw new DatasetError(
    `${what} not found: ${p} (also tried the extensions ${IMAGE_EXTENSIONS.join(' ')})`,
    { path: p },
  );
}

/** Reads an image's stored size from its header (no full decode). @throws DatasetError if unreadable. */
export async function readImageSize(file: string): Promise<ImageSize> {
  try {
    const m = await sharp(file).metadata();
    if (!m.width || !m.height) throw new Error('no size in header');
    return { width: m.width, height: m.height };
  } catch (e) {
    throw new DatasetError(`cannot read image ${file}: ${(e as Error).message}`, { path: file, cause: e });
  }
}

function checkSize(file: string, got: ImageSize, want: ImageSize, wantFrom: string): void {
  if (got.width !== want.width || got.height !== want.height) {
    throw new DatasetError(
      `inconsistent image sizes: ${file} is ${got.width}x${got.height} but ${wantFrom} is ` +
        `${want.width}x${want.height} (all images and masks of a dataset must have one size)`,
      { path: file },
    );
  }
}

/**
 * Decodes an image to 8-bit sRGB RGBA (opaque alpha added when the file has none; grey and
 * 16-bit files converted), resized to `target` with `kernel` when `target` differs from the
 * source size (sharp premultiplies alpha while resizing and un-premultiplies after).
 *
 * @param source the size the file must have (checked against its header).
 * @param sourceFrom how `source` was determined, for the error message.
 * @throws DatasetError when the file is unreadable or not `source` in size.
 */
export async function decodeRgba(
  file: string,
  source: ImageSize,
  sourceFrom: string,
  target: ImageSize,
  kernel: DownscaleKernel,
): Promise<DecodedRgba> {
  let meta: Metadata;
  let out: { data: Buffer; info: OutputInfo };
  try {
    const img = sharp(file);
    meta = await img.metadata();
    checkSize(file, { width: meta.width ?? 0, height: meta.height ?? 0 }, source, sourceFrom);
    let p = img;
    if (target.width !== source.width || target.height !== source.height) {
      p = p.resize(target.width, target.height, { kernel, fit: 'fill' });
    }
    out = await p.toColourspace('srgb').ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(`cannot decode image ${file}: ${(e as Error).message}`, { path: file, cause: e });
  }
  const { data, info } = out;
  // byteLength also proves 8-bit samples (sharp's typings omit `info.depth`).
  if (info.width !== target.width || info.height !== target.height || data.byteLength !== info.width * info.height * 4) {
    throw new DatasetError(
      `unexpected decode of ${file}: ${info.width}x${info.height}x${info.channels} in ${data.byteLength} bytes`,
      { path: file },
    );
  }
  return {
    // A Buffer returned by sharp is never backed by a SharedArrayBuffer.
    rgba: new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
    hasAlphaChannel: meta.hasAlpha === true,
  };
}

/**
 * Decodes a mask image to one 8-bit channel (alpha dropped, colour converted to grey; 255 =
 * object), resized like {@link decodeRgba}.
 * @throws DatasetError when the file is unreadable or not `source` in size.
 */
export async function decodeMask(
  file: string,
  source: ImageSize,
  sourceFrom: string,
  target: ImageSize,
  kernel: DownscaleKernel,
): Promise<Uint8Array> {
  let out: { data: Buffer; info: OutputInfo };
  try {
    const img = sharp(file);
    const meta = await img.metadata();
    checkSize(file, { width: meta.width ?? 0, height: meta.height ?? 0 }, source, sourceFrom);
    let p = img.removeAlpha();
    if (target.width !== source.width || target.height !== source.height) {
      p = p.resize(target.width, target.height, { kernel, fit: 'fill' });
    }
    out = await p.toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(`cannot decode mask ${file}: ${(e as Error).message}`, { path: file, cause: e });
  }
  const { data, info } = out;
  if (data.byteLength !== target.width * target.height || info.width !== target.width) {
    throw new DatasetError(`unexpected decode of mask ${file}: ${info.channels} channels in ${data.byteLength} bytes`, {
      path: file,
    });
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Maps `items` through async `fn` with at most `limit` calls in flight; results keep input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (e) {
        failed = true; // stop the other workers from starting new items
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
