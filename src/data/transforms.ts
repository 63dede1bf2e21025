/**
 * Posed image sets in the `transforms.json` convention of instant-ngp and nerfstudio:
 * {@link loadPosedDataset} (images + poses), {@link loadPoses} (poses only, same normalization) and
 * {@link writeTransforms} (poses → json, for render tools).
 *
 * Every pose returned is in unit-box coordinates: the scene's modelled cube is [0,1]³ (see
 * `unit-box.ts` for how instant-ngp and nerfstudio files are placed), rotations are untouched
 * (OpenGL convention: camera looks along −z, +y up), and `worldToUnit` maps file coordinates to it.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resizeIntrinsics, type Intrinsics } from './camera.ts';
import { resolveDatasetOptions, type DatasetOptions, type PoseOptions } from './dataset-options.ts';
import { decodeMask, decodeRgba, mapLimit, readImageSize, resolveImageFile, type ImageSize } from './image-io.ts';
import {
  intrinsicsFromCamera,
  readTransformsFile,
  resolveWorldToUnit,
  transformsToJson,
  type TransformsFile,
  type TransformsJsonOptions,
} from './transforms-json.ts';
import { poseToUnit, type WorldToUnit } from './unit-box.ts';

// Re-exports, so that callers of the loaders need only this module.
export type { Intrinsics } from './camera.ts';
export type { DatasetOptions, PoseOptions } from './dataset-options.ts';
export { DatasetError } from './dataset-error.ts';
export type { WorldToUnit } from './unit-box.ts';

/** A frame's name and pose, whether or not its image was loaded. */
export interface FramePose {
  /** The frame's `file_path` exactly as written in the json. */
  name: string;
  /** Camera-to-world, 12 values, 3x4 row-major, unit-box coordinates (OpenGL camera convention). */
  c2w: Float64Array;
}

/** One posed image: a frame whose image was loaded. */
export interface Frame extends FramePose {
  /** The frame's position among all the capture's frames, i.e. in {@link PosedDataset.poses}. */
  index: number;
  /**
   * `width * height * 4` bytes, row-major, top row first, not premultiplied. Alpha is the image's
   * own alpha when it has a non-trivial one, else the `mask_path` mask, else 255.
   */
  rgba: Uint8Array<ArrayBuffer>;
}

/**
 * A loaded dataset.
 *
 * Every frame has a pose (`poses`), but only the frames in `frames` have an image: all of them, or
 * with {@link LoadPosedDatasetOptions.maxImages} an evenly spaced subset, so that memory does not
 * grow with the capture's length. Keeping the images on their own list (rather than an optional
 * `rgba` on every pose) lets the type checker guarantee that no code reads an image never loaded:
 * `train`, `test` and `frames[i].rgba` only ever name loaded frames.
 */
export interface PosedDataset {
  /** The single camera, at the loaded (downscaled) resolution. */
  intrinsics: Intrinsics;
  /**
   * Every frame of the capture, sorted by `file_path`: its name and pose. Its length is the
   * capture's frame count (a decoder renders one output frame per pose).
   */
  poses: FramePose[];
  /**
   * The frames whose images were loaded, in the same order (`frames[j].index` is the position in
   * `poses`; `frames[j].c2w` is the same array as `poses[frames[j].index].c2w`).
   */
  frames: Frame[];
  /** Indices into `frames` (loaded frames) of the training split. */
  train: number[];
  /** Indices into `frames` (loaded frames) of the evaluation split (`j % holdoutEvery === 0`). */
  test: number[];
  /** The file-coordinates → unit-box mapping applied to the poses. */
  worldToUnit: WorldToUnit;
  /** True when any loaded frame has an alpha (own or mask) below 255 somewhere. */
  hasAlpha: boolean;
  /** Absolute path of the transforms.json read. */
  source: string;
}

/** Options of {@link loadPosedDataset}: the dataset options plus how many images to load at most. */
export interface LoadPosedDatasetOptions extends DatasetOptions {
  /**
   * Load the images of at most this many frames (integer ≥ 1; default: all). With more frames
   * than that, only the evenly spaced subset {@link evenlySpacedIndices} is decoded (first and last
   * frame included); the others keep their pose in `poses` but get no image. The hold-out split
   * is taken over the loaded frames.
   */
  maxImages?: number;
}

/** Poses and camera of a transforms.json, without images. */
export interface PoseSet {
  /** The single camera, at the (downscaled) resolution. */
  intrinsics: Intrinsics;
  /** Camera-to-world poses, 12 values each, unit-box coordinates. */
  c2w: Float64Array[];
  /** Each frame's `file_path` as written, in the same (sorted) order. */
  names: string[];
  /** The file-coordinates → unit-box mapping applied to the poses. */
  worldToUnit: WorldToUnit;
}

/** The downscaled image size: `round(size / K)`, at least 1. */
function downscaledSize(size: ImageSize, k: number): ImageSize {
  return { width: Math.max(1, Math.round(size.width / k)), height: Math.max(1, Math.round(size.height / k)) };
}

/** Stored image size: from `w`/`h` when present, else from the first frame's image header. */
async function storedSize(file: TransformsFile): Promise<{ size: ImageSize; from: string }> {
  if (file.camera.w !== undefined && file.camera.h !== undefined) {
    return { size: { width: file.camera.w, height: file.camera.h }, from: `w/h in ${file.jsonPath}` };
  }
  const first = await resolveImageFile(file.baseDir, file.frames[0].filePath, `image of ${file.frames[0].filePath}`);
  return { size: await readImageSize(first), from: `the first image ${first}` };
}

/**
 * What both loaders derive from a parsed file, in one place so they agree: the stored image size,
 * the (downscaled) intrinsics and the world → unit-box mapping.
 */
async function cameraAndBox(
  file: TransformsFile,
  o: { downscale: number; boxHalfSize: number | undefined },
): Promise<{ source: ImageSize; sourceFrom: string; intrinsics: Intrinsics; worldToUnit: WorldToUnit }> {
  const { size: source, from: sourceFrom } = await storedSize(file);
  const target = downscaledSize(source, o.downscale);
  const full = intrinsicsFromCamera(file.camera, source, file.jsonPath);
  return {
    source,
    sourceFrom,
    intrinsics: resizeIntrinsics(full, target.width, target.height),
    worldToUnit: resolveWorldToUnit(file, o.boxHalfSize),
  };
}

/**
 * `min(count, max)` evenly spaced indices of `0 … count−1`, ascending: `round(k·(count−1)/(m−1))`
 * for k = 0 … m−1 (the first and the last index included; just `[0]` for m = 1). Deterministic, so
 * two loads with the same `maxImages` pick the same frames. All indices when `count ≤ max`.
 */
export function evenlySpacedIndices(count: number, max: number): number[] {
  if (count <= max) return Array.from({ length: count }, (_, i) => i);
  if (max < 1) return [];
  if (max === 1) return [0];
  const out: number[] = [];
  for (let k = 0; k < max; k++) {
    const i = Math.round((k * (count - 1)) / (max - 1));
    // The step (count−1)/(max−1) exceeds 1, so rounding never repeats an index; kept as a guard.
    if (out.length === 0 || out[out.length - 1] !== i) out.push(i);
  }
  return out;
}

/** Train / test indices: `i % every === 0` → test; every = 0 → all train. */
export function holdoutSplit(count: number, every: number): { train: number[]; test: number[] } {
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < count; i++) (every > 0 && i % every === 0 ? test : train).push(i);
  return { train, test };
}

/**
 * Loads a posed image set: `dir` is a folder holding `transforms.json` (or the path of a json in
 * that convention). Images are decoded with sharp (several at once), downscaled by
 * `opts.downscale` with intrinsics scaled to match, and poses mapped into the unit box. With
 * `opts.maxImages`, only an evenly spaced subset of the images is decoded (and checked to exist);
 * every frame still gets its pose.
 *
 * @throws TypeError for invalid `opts` (naming the field).
 * @throws DatasetError for a missing transforms.json, no frames, a missing image or mask (named),
 *   inconsistent image sizes, differing per-frame cameras, or unsupported camera models.
 */
export async function loadPosedDataset(dir: string, opts: LoadPosedDatasetOptions = {}): Promise<PosedDataset> {
  const o = resolveDatasetOptions(opts);
  const maxImages = opts.maxImages ?? Infinity;
  if (opts.maxImages !== undefined && !(Number.isInteger(opts.maxImages) && opts.maxImages >= 1)) {
    throw new TypeError(`opts.maxImages, when provided, must be an integer >= 1 (got ${String(opts.maxImages)})`);
  }
  const file = await readTransformsFile(dir);
  const loaded = evenlySpacedIndices(file.frames.length, maxImages);
  const files = await Promise.all(
    loaded.map(async (i) => {
      const f = file.frames[i];
      return {
        image: await resolveImageFile(file.baseDir, f.filePath, `image of frame ${f.filePath}`),
        mask:
          f.maskPath === undefined
            ? undefined
            : await resolveImageFile(file.baseDir, f.maskPath, `mask of frame ${f.filePath}`),
      };
    }),
  );
  const { source, sourceFrom, intrinsics, worldToUnit } = await cameraAndBox(file, o);
  const target: ImageSize = { width: intrinsics.width, height: intrinsics.height };
  const poses: FramePose[] = file.frames.map((f) => ({ name: f.filePath, c2w: poseToUnit(f.c2w, worldToUnit) }));

  let hasAlpha = false;
  const frames = await mapLimit(loaded, o.concurrency, async (index, j): Promise<Frame> => {
    const { image, mask } = files[j];
    const img = await decodeRgba(image, source, sourceFrom, target, o.kernel);
    const rgba = img.rgba;
    let opaque = !img.hasAlphaChannel || alphaIsOpaque(rgba);
    if (opaque && mask !== undefined) {
      const m = await decodeMask(mask, source, sourceFrom, target, o.kernel);
      for (let p = 0, n = m.length; p < n; p++) rgba[p * 4 + 3] = m[p];
      opaque = alphaIsOpaque(rgba);
    }
    if (!opaque) hasAlpha = true;
    return { ...poses[index], index, rgba };
  });
  const { train, test } = holdoutSplit(frames.length, o.holdoutEvery);
  return { intrinsics, poses, frames, train, test, worldToUnit, hasAlpha, source: file.jsonPath };
}

function alphaIsOpaque(rgba: Uint8Array): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}

/**
 * Reads only the camera and poses of a transforms.json (folder or file path), with exactly the
 * normalization {@link loadPosedDataset} applies (the same code). Images are not needed, except
 * that the first one's header is read when the json has no `w`/`h`.
 *
 * @param opts `downscale` scales the returned intrinsics; `boxHalfSize` as in `loadPosedDataset`.
 * @throws TypeError for invalid `opts`; DatasetError as `loadPosedDataset` (minus image checks).
 */
export async function loadPoses(filePath: string, opts: PoseOptions = {}): Promise<PoseSet> {
  const o = resolveDatasetOptions({ downscale: opts.downscale, boxHalfSize: opts.boxHalfSize });
  const file = await readTransformsFile(filePath);
  const { intrinsics, worldToUnit } = await cameraAndBox(file, o);
  return {
    intrinsics,
    c2w: file.frames.map((f) => poseToUnit(f.c2w, worldToUnit)),
    names: file.frames.map((f) => f.filePath),
    worldToUnit,
  };
}

/**
 * Writes a transforms.json (instant-ngp and nerfstudio fields) for a camera and a list of
 * unit-box poses, creating the parent folder. With `worldToUnit`, poses are converted back to
 * world coordinates and the mapping is recorded (`aabb_scale: 1`, `scale`, `offset`) so that
 * {@link loadPoses} returns the same unit-box poses; see `transformsToJson`.
 *
 * @param c2wList 3x4 row-major camera-to-world poses (12 values each), unit-box coordinates.
 * @param opts `names`: the frames' `file_path` values (default `frame_0000.png`, …).
 */
export function writeTransforms(
  filePath: string,
  intr: Intrinsics,
  c2wList: readonly Float64Array[],
  worldToUnit?: WorldToUnit,
  opts: TransformsJsonOptions = {},
): void {
  const json = transformsToJson(intr, c2wList, worldToUnit, opts);
  mkdirSync(path.dirname(path.resolve(filePath)), { recursive: true });
  writeFileSync(filePath, JSON.stringify(json, null, 2) + '\n');
}
