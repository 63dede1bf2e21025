/**
 * Masks made elsewhere (`--masks DIR`): one image per frame in a folder, taken in name order with
 * numbers compared by value (`m2.png` before `m10.png`, as in `src/pipeline/compare.ts`), decoded
 * with sharp and resampled to the frame size (`resample.ts`: bilinear, area-averaging when
 * shrinking), so masks from a tool that worked at another resolution can be used as they are.
 *
 * Which channel is the alpha (`channel`):
 * - `'auto'` (default): the image's alpha channel when it has one that is not fully opaque (a
 *   cut-out such as rembg's RGBA output), otherwise the grey value (white = object);
 * - `'alpha'`: the alpha channel (an image without one is an error);
 * - `'luma'`: the grey value, Rec.601 luma of RGB (alpha ignored).
 *
 * Files whose extension is not one of {@link MASK_EXTENSIONS} (any case) are ignored, so a folder
 * may also hold a README or a JSON. There must be at least as many masks as frames; extra masks are
 * not read. EXIF orientation is not applied (the frames' pixel grid is what the masks refer to).
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, join, resolve as resolvePath } from 'node:path';
import sharp from 'sharp';
import { SegmentationError } from './errors.ts';
import { resampleAlpha } from './resample.ts';

/** Which channel of a mask image holds the alpha, see the module doc. */
export type MaskChannel = 'auto' | 'alpha' | 'luma';

/** Extensions (lower case) of the files read as masks. */
export const MASK_EXTENSIONS: readonly string[] = Object.freeze(['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff']);

/** Options of {@link MaskFolder.open}. */
export interface MaskFolderOptions {
  /** Which channel holds the alpha, default `'auto'`. */
  channel?: MaskChannel;
}

const collator = new Intl.Collator('en', { numeric: true });

/** Name order with numbers compared by value; names equal to the collator fall back to code-point order. */
export function compareMaskNames(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Lists the mask files of a folder, in the order of {@link compareMaskNames}, as absolute paths.
 * @throws SegmentationError `'mask-folder'` when the folder cannot be read or holds no mask image.
 */
export async function listMaskFiles(dir: string): Promise<string[]> {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('masks folder must be a non-empty path');
  const abs = resolvePath(dir);
  let names: string[];
  try {
    if (!(await stat(abs)).isDirectory()) throw new Error('not a folder');
    names = await readdir(abs);
  } catch (cause) {
    throw new SegmentationError(
      'mask-folder',
      `masks folder ${abs} cannot be read (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}); give a folder with one mask image per frame`,
      { source: abs, cause },
    );
  }
  const files = names.filter((n) => MASK_EXTENSIONS.includes(extname(n).toLowerCase())).sort(compareMaskNames);
  if (files.length === 0) {
    throw new SegmentationError(
      'mask-folder',
      `masks folder ${abs} holds no mask image (${MASK_EXTENSIONS.join(', ')}); put one mask per frame there, named in frame order`,
      { source: abs },
    );
  }
  return files.map((n) => join(abs, n));
}

/** Decodes one mask image to its own size, picking the channel as the module doc says. */
export async function decodeMask(file: string, channel: MaskChannel = 'auto'): Promise<{ alpha: Uint8Array; width: number; height: number }> {
  let data: Buffer;
  let width: number;
  let height: number;
  let channels: number;
  try {
    const r = await sharp(file).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    data = r.data;
    ({ width, height, channels } = r.info);
  } catch (cause) {
    throw new SegmentationError('mask-folder', `mask ${file} cannot be decoded (${(cause as Error).message}); replace it with a PNG or JPEG`, {
      source: file,
      cause,
    });
  }
  const n = width * height;
  const hasAlpha = channels === 2 || channels === 4;
  let useAlpha = channel === 'alpha';
  if (channel === 'alpha' && !hasAlpha) {
    throw new SegmentationError('mask-folder', `mask ${file} has no alpha channel; use channel 'luma' or 'auto' for grey masks`, { source: file });
  }
  if (channel === 'auto' && hasAlpha) {
    for (let p = 0; p < n; p++) {
      if (data[p * channels + channels - 1] !== 255) {
        useAlpha = true;
        break;
      }
    }
  }
  const alpha = new Uint8Array(n);
  if (useAlpha) {
    for (let p = 0; p < n; p++) alpha[p] = data[p * channels + channels - 1]!;
  } else if (channels <= 2) {
    for (let p = 0; p < n; p++) alpha[p] = data[p * channels]!;
  } else {
    for (let p = 0; p < n; p++) {
      const o = p * channels;
      alpha[p] = Math.round(0.299 * data[o]! + 0.587 * data[o + 1]! + 0.114 * data[o + 2]!);
    }
  }
  return { alpha, width, height };
}

/** A folder of masks, one per frame (see the module doc). */
export class MaskFolder {
  /** The mask files in frame order, absolute paths. */
  readonly files: readonly string[];
  /** The folder, absolute. */
  readonly dir: string;
  /** Which channel holds the alpha. */
  readonly channel: MaskChannel;

  private constructor(dir: string, files: string[], channel: MaskChannel) {
    this.dir = dir;
    this.files = Object.freeze(files);
    this.channel = channel;
  }

  /**
   * Lists the folder's masks.
   * @throws TypeError for bad options.
   * @throws SegmentationError `'mask-folder'` when the folder is unreadable or holds no mask.
   */
  static async open(dir: string, opts: MaskFolderOptions = {}): Promise<MaskFolder> {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('options must be an object');
    const channel = opts.channel ?? 'auto';
    if (channel !== 'auto' && channel !== 'alpha' && channel !== 'luma') {
      throw new TypeError(`options.channel, when provided, must be 'auto', 'alpha' or 'luma' (got ${String(opts.channel)})`);
    }
    const files = await listMaskFiles(dir);
    return new MaskFolder(resolvePath(dir), files, channel);
  }

  /** Number of masks in the folder. */
  get count(): number {
    return this.files.length;
  }

  /**
   * The alpha (0…255, `width·height` bytes) of frame `index`, resampled to `width × height`.
   * @throws SegmentationError `'mask-folder'` when the folder has no mask for that frame or it cannot be decoded.
   */
  async read(index: number, width: number, height: number): Promise<Uint8Array> {
    if (!Number.isInteger(index) || index < 0) throw new TypeError(`index must be an integer ≥ 0 (got ${index})`);
    const file = this.files[index];
    if (file === undefined) {
      throw new SegmentationError(
        'mask-folder',
        `masks folder ${this.dir} has ${this.files.length} masks, but frame ${index} needs mask number ${index + 1}; ` +
          'give one mask per frame of the video',
        { source: this.dir },
      );
    }
    const m = await decodeMask(file, this.channel);
    return resampleAlpha(m.alpha, m.width, m.height, width, height);
  }
}

/**
 * Reads the masks of a folder for a sequence of frame sizes, one at a time (memory stays bounded).
 * @param sizes the size of each frame, in frame order.
 */
export async function* readMaskFolder(
  dir: string,
  sizes: AsyncIterable<{ width: number; height: number }> | Iterable<{ width: number; height: number }>,
  opts: MaskFolderOptions = {},
): AsyncGenerator<Uint8Array> {
  const folder = await MaskFolder.open(dir, opts);
  let i = 0;
  for await (const s of sizes) yield await folder.read(i++, s.width, s.height);
}
