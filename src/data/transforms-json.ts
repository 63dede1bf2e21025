/**
 * The `transforms.json` file format of instant-ngp and nerfstudio: locating and parsing it into a
 * single camera plus world-space poses, the world → unit-box normalization both loaders share,
 * and the inverse (poses → json) used by `writeTransforms`.
 *
 * Fields read (all lengths in pixels of the stored images):
 * - camera: `fl_x`, `fl_y`, `cx`, `cy`, `w`, `h`, or `camera_angle_x` / `camera_angle_y`
 *   (horizontal / vertical field of view, radians) when a focal length is missing; distortion
 *   `k1`, `k2`, `p1`, `p2` (default 0). Frames may repeat any camera field; all frames must end up
 *   with the same camera. Rejected: non-zero `k3`/`k4`, `is_fisheye`, `camera_model` other than
 *   OPENCV / PINHOLE / SIMPLE_PINHOLE.
 * - frames: `file_path` (relative to the json's folder, extension optional), `transform_matrix`
 *   (4x4 or 3x4 camera-to-world, OpenGL convention), optional `mask_path`.
 * - normalization: `aabb_scale`, `scale`, `offset` (instant-ngp; see `unit-box.ts`).
 */

import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Intrinsics } from './camera.ts';
import { DatasetError } from './dataset-error.ts';
import type { ImageSize } from './image-io.ts';
import {
  HEURISTIC_HALF_SIZE_RATIO,
  NGP_DEFAULT_OFFSET,
  NGP_DEFAULT_SCALE,
  cubeWorldToUnit,
  medianCameraDistance,
  ngpWorldToUnit,
  opticalAxesCentre,
  poseToWorld,
  unitCentreInWorld,
  type WorldToUnit,
} from './unit-box.ts';

/** Name of the file looked for when a loader is given a folder. */
export const TRANSFORMS_FILE_NAME = 'transforms.json';

/** Camera fields of a transforms.json, as read (numbers in stored-image pixels / radians). */
export interface CameraFields {
  /** Focal length x, pixels. */
  fl_x?: number;
  /** Focal length y, pixels. */
  fl_y?: number;
  /** Principal point x, pixels. */
  cx?: number;
  /** Principal point y, pixels. */
  cy?: number;
  /** Image width, pixels. */
  w?: number;
  /** Image height, pixels. */
  h?: number;
  /** Horizontal field of view, radians. */
  camera_angle_x?: number;
  /** Vertical field of view, radians. */
  camera_angle_y?: number;
  /** Radial distortion r². */
  k1?: number;
  /** Radial distortion r⁴. */
  k2?: number;
  /** Tangential distortion 1. */
  p1?: number;
  /** Tangential distortion 2. */
  p2?: number;
}

const NUMERIC_CAMERA_KEYS = [
  'fl_x',
  'fl_y',
  'cx',
  'cy',
  'w',
  'h',
  'camera_angle_x',
  'camera_angle_y',
  'k1',
  'k2',
  'p1',
  'p2',
  'k3',
  'k4',
] as const;
const OTHER_CAMERA_KEYS = ['camera_model', 'is_fisheye'] as const;
const SUPPORTED_CAMERA_MODELS = ['OPENCV', 'PINHOLE', 'SIMPLE_PINHOLE'];

/** One frame of a transforms.json, in world coordinates. */
export interface TransformsFrame {
  /** `file_path` exactly as written in the json (also used as the frame's name). */
  filePath: string;
  /** `mask_path` as written, if any. */
  maskPath: string | undefined;
  /** Camera-to-world, 12 values, 3x4 row-major, world (file) coordinates. */
  c2w: Float64Array;
}

/** instant-ngp normalization fields. */
export interface NgpNormalization {
  /** `aabb_scale` (default 1 when only `scale`/`offset` are given). */
  aabbScale: number;
  /** `scale` (default 0.33). */
  scale: number;
  /** `offset` (default [0.5, 0.5, 0.5]). */
  offset: [number, number, number];
}

/** A parsed transforms.json. */
export interface TransformsFile {
  /** Absolute path of the json. */
  jsonPath: string;
  /** Folder that `file_path` / `mask_path` are relative to. */
  baseDir: string;
  /** The single camera shared by all frames. */
  camera: CameraFields;
  /** Frames sorted by `file_path` (numeric-aware), as nerfstudio does, so splits are reproducible. */
  frames: TransformsFrame[];
  /** instant-ngp normalization when the file has `aabb_scale`, `scale` or `offset`; else nerfstudio. */
  ngp: NgpNormalization | undefined;
}

const collator = new Intl.Collator('en', { numeric: true });

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Finds the json to read: `dirOrFile` itself when it is a file, else `dirOrFile/transforms.json`.
 * @throws DatasetError saying what the folder should contain.
 */
export async function locateTransformsJson(dirOrFile: string): Promise<string> {
  const abs = path.resolve(dirOrFile);
  let st;
  try {
    st = await stat(abs);
  } catch (e) {
    throw new DatasetError(`dataset path does not exist: ${abs}`, { path: abs, cause: e });
  }
  if (st.isFile()) return abs;
  const json = path.join(abs, TRANSFORMS_FILE_NAME);
  try {
    if ((await stat(json)).isFile()) return json;
  } catch {
    // fall through to the error below
  }
  throw new DatasetError(
    `no ${TRANSFORMS_FILE_NAME} in ${abs}: a dataset folder must contain ${TRANSFORMS_FILE_NAME} (instant-ngp / ` +
      'nerfstudio convention: camera fields fl_x, fl_y, cx, cy, w, h or camera_angle_x, and a "frames" list whose ' +
      'entries have "file_path" and a 4x4 camera-to-world "transform_matrix") next to the images it references',
    { path: json },
  );
}

/** Reads and parses a transforms.json (or the one inside a folder). @throws DatasetError. */
export async function readTransformsFile(dirOrFile: string): Promise<TransformsFile> {
  const jsonPath = await locateTransformsJson(dirOrFile);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (e) {
    throw new DatasetError(`cannot read ${jsonPath}: ${(e as Error).message}`, { path: jsonPath, cause: e });
  }
  return parseTransforms(json, jsonPath);
}

function cameraFieldsOf(obj: Record<string, unknown>, where: string, jsonPath: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of NUMERIC_CAMERA_KEYS) {
    if (obj[k] === undefined || obj[k] === null) continue;
    if (typeof obj[k] !== 'number' || !Number.isFinite(obj[k])) {
      throw new DatasetError(`${where}.${k} must be a finite number (got ${JSON.stringify(obj[k])})`, {
        path: jsonPath,
      });
    }
    out[k] = obj[k];
  }
  for (const k of OTHER_CAMERA_KEYS) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

function parseMatrix(v: unknown, where: string, jsonPath: string): Float64Array {
  const bad = (): DatasetError =>
    new DatasetError(`${where}.transform_matrix must be a 4x4 (or 3x4) array of finite numbers`, { path: jsonPath });
  if (!Array.isArray(v) || (v.length !== 4 && v.length !== 3)) throw bad();
  const out = new Float64Array(12);
  for (let r = 0; r < 3; r++) {
    const row: unknown = v[r];
    if (!Array.isArray(row) || row.length !== 4) throw bad();
    for (let c = 0; c < 4; c++) {
      const x: unknown = row[c];
      if (typeof x !== 'number' || !Number.isFinite(x)) throw bad();
      out[r * 4 + c] = x;
    }
  }
  return out;
}

function checkCameraSupported(cam: Record<string, unknown>, where: string, jsonPath: string): void {
  for (const k of ['k3', 'k4'] as const) {
    if (cam[k] !== undefined && cam[k] !== 0) {
      throw new DatasetError(
        `${where}: distortion coefficient ${k} = ${String(cam[k])} is not supported (only k1, k2, p1, p2)`,
        { path: jsonPath },
      );
    }
  }
  if (cam.is_fisheye === true) {
    throw new DatasetError(`${where}: fisheye cameras (is_fisheye) are not supported`, { path: jsonPath });
  }
  if (cam.camera_model !== undefined && !SUPPORTED_CAMERA_MODELS.includes(String(cam.camera_model))) {
    throw new DatasetError(
      `${where}: camera_model ${JSON.stringify(cam.camera_model)} is not supported (supported: ` +
        `${SUPPORTED_CAMERA_MODELS.join(', ')})`,
      { path: jsonPath },
    );
  }
}

function sameCamera(a: Record<string, unknown>, b: Record<string, unknown>): string | undefined {
  for (const k of [...NUMERIC_CAMERA_KEYS, ...OTHER_CAMERA_KEYS]) if (a[k] !== b[k]) return k;
  return undefined;
}

function parseNgp(json: Record<string, unknown>, jsonPath: string): NgpNormalization | undefined {
  const { aabb_scale: a, scale: s, offset: o } = json;
  if (a === undefined && s === undefined && o === undefined) return undefined;
  if (a !== undefined && (typeof a !== 'number' || !(a > 0) || !Number.isFinite(a))) {
    throw new DatasetError(`aabb_scale must be a number > 0 (got ${JSON.stringify(a)})`, { path: jsonPath });
  }
  if (s !== undefined && (typeof s !== 'number' || !(s > 0) || !Number.isFinite(s))) {
    throw new DatasetError(`scale must be a number > 0 (got ${JSON.stringify(s)})`, { path: jsonPath });
  }
  if (
    o !== undefined &&
    (!Array.isArray(o) || o.length !== 3 || !o.every((x) => typeof x === 'number' && Number.isFinite(x)))
  ) {
    throw new DatasetError(`offset must be an array of 3 numbers (got ${JSON.stringify(o)})`, { path: jsonPath });
  }
  return {
    aabbScale: (a as number | undefined) ?? 1,
    scale: (s as number | undefined) ?? NGP_DEFAULT_SCALE,
    offset: ((o as number[] | undefined) ?? [...NGP_DEFAULT_OFFSET]).slice() as [number, number, number],
  };
}

/**
 * Parses transforms.json content (already JSON-decoded). Pure: touches no files.
 * @param jsonPath the file it came from (relative paths resolve against its folder).
 * @throws DatasetError on malformed content, no frames, or frames with differing cameras.
 */
export function parseTransforms(json: unknown, jsonPath: string): TransformsFile {
  if (!isRecord(json)) throw new DatasetError(`${jsonPath} must hold a JSON object`, { path: jsonPath });
  const top = cameraFieldsOf(json, 'transforms.json', jsonPath);
  const rawFrames = json.frames;
  if (!Array.isArray(rawFrames) || rawFrames.length === 0) {
    throw new DatasetError(`${jsonPath} has no frames (expected a non-empty "frames" array)`, { path: jsonPath });
  }
  let camera: Record<string, unknown> | undefined;
  let cameraFrom = '';
  const frames: TransformsFrame[] = rawFrames.map((f: unknown, i: number) => {
    const where = `frames[${i}]`;
    if (!isRecord(f)) throw new DatasetError(`${where} must be an object`, { path: jsonPath });
    if (typeof f.file_path !== 'string' || f.file_path.length === 0) {
      throw new DatasetError(`${where}.file_path must be a non-empty string`, { path: jsonPath });
    }
    if (f.mask_path !== undefined && (typeof f.mask_path !== 'string' || f.mask_path.length === 0)) {
      throw new DatasetError(`${where}.mask_path, when present, must be a non-empty string`, { path: jsonPath });
    }
    const cam = { ...top, ...cameraFieldsOf(f, where, jsonPath) };
    if (camera === undefined) {
      camera = cam;
      cameraFrom = `${where} (${f.file_path})`;
    } else {
      const k = sameCamera(camera, cam);
      if (k !== undefined) {
        throw new DatasetError(
          `frames have differing intrinsics: ${k} is ${JSON.stringify(camera[k])} for ${cameraFrom} but ` +
            `${JSON.stringify(cam[k])} for ${where} (${f.file_path}); only a single camera is supported for now`,
          { path: jsonPath },
        );
      }
    }
    return {
      filePath: f.file_path,
      maskPath: f.mask_path as string | undefined,
      c2w: parseMatrix(f.transform_matrix, where, jsonPath),
    };
  });
  checkCameraSupported(camera!, 'camera', jsonPath);
  frames.sort((a, b) => collator.compare(a.filePath, b.filePath));
  return {
    jsonPath,
    baseDir: path.dirname(jsonPath),
    camera: camera as CameraFields,
    frames,
    ngp: parseNgp(json, jsonPath),
  };
}

/**
 * Full-resolution intrinsics from camera fields. Focal lengths: `fl_x`, else from
 * `camera_angle_x` (fx = w / (2·tan(angle/2))), else the y value; `fl_y`, else from
 * `camera_angle_y`, else fx (square pixels). Principal point defaults to the image centre.
 *
 * @param size the stored image size, used when `w` / `h` are absent.
 * @throws DatasetError when no size or no focal length can be determined.
 */
export function intrinsicsFromCamera(cam: CameraFields, size: ImageSize | undefined, jsonPath = ''): Intrinsics {
  const width = cam.w ?? size?.width;
  const height = cam.h ?? size?.height;
  if (width === undefined || height === undefined) {
    throw new DatasetError(`${jsonPath}: image size unknown (no "w"/"h" and no image to read it from)`, {
      path: jsonPath,
    });
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new DatasetError(`${jsonPath}: w and h must be positive integers (got ${width}x${height})`, {
      path: jsonPath,
    });
  }
  const fromAngle = (angle: number | undefined, extent: number): number | undefined =>
    angle === undefined ? undefined : (0.5 * extent) / Math.tan(0.5 * angle);
  const fxOwn = cam.fl_x ?? fromAngle(cam.camera_angle_x, width);
  const fyOwn = cam.fl_y ?? fromAngle(cam.camera_angle_y, height);
  const fx = fxOwn ?? fyOwn;
  const fy = fyOwn ?? fxOwn;
  if (fx === undefined || fy === undefined || !(fx > 0) || !(fy > 0) || !Number.isFinite(fx) || !Number.isFinite(fy)) {
    throw new DatasetError(
      `${jsonPath}: no valid focal length (need fl_x / fl_y, or camera_angle_x / camera_angle_y in (0, π))`,
      { path: jsonPath },
    );
  }
  return {
    width,
    height,
    fx,
    fy,
    cx: cam.cx ?? width / 2,
    cy: cam.cy ?? height / 2,
    k1: cam.k1 ?? 0,
    k2: cam.k2 ?? 0,
    p1: cam.p1 ?? 0,
    p2: cam.p2 ?? 0,
  };
}

/**
 * The world → unit-box mapping of a parsed file, shared by `loadPosedDataset` and `loadPoses`:
 * instant-ngp files use `aabb_scale`/`scale`/`offset` ({@link ngpWorldToUnit}); others centre a
 * cube on the optical axes' least-squares meeting point with half-size
 * {@link HEURISTIC_HALF_SIZE_RATIO} × the median camera distance. `boxHalfSize` (world units)
 * replaces the half-size in both cases, keeping the centre.
 * @throws DatasetError when the nerfstudio heuristic has no answer (parallel optical axes).
 */
export function resolveWorldToUnit(file: TransformsFile, boxHalfSize?: number): WorldToUnit {
  if (file.ngp) {
    const base = ngpWorldToUnit(file.ngp.aabbScale, file.ngp.scale, file.ngp.offset);
    return boxHalfSize === undefined ? base : cubeWorldToUnit(unitCentreInWorld(base), boxHalfSize);
  }
  const poses = file.frames.map((f) => f.c2w);
  const centre = opticalAxesCentre(poses);
  const half = boxHalfSize ?? HEURISTIC_HALF_SIZE_RATIO * medianCameraDistance(poses, centre);
  if (!(half > 0) || !Number.isFinite(half)) {
    throw new DatasetError(
      `${file.jsonPath}: cannot size the unit box (cameras sit at the optical axes' meeting point); ` +
        'pass boxHalfSize or add aabb_scale',
      { path: file.jsonPath },
    );
  }
  return cubeWorldToUnit(centre, half);
}

/** Options of {@link transformsToJson}. */
export interface TransformsJsonOptions {
  /** `file_path` of each frame (default `frame_0000.png`, `frame_0001.png`, …). */
  names?: readonly string[];
}

/**
 * Builds transforms.json content (instant-ngp and nerfstudio fields) for a camera and poses.
 *
 * With `worldToUnit`, poses are taken as unit-box poses and written in world coordinates, and
 * the file records `aabb_scale: 1, scale, offset` equal to `worldToUnit` so that `loadPoses` (and
 * instant-ngp, whose box is then exactly our unit box) maps them back to the same unit-box poses.
 * Without it, poses are written as given with the identity normalization (`scale: 1`,
 * `offset: [0,0,0]`, `aabb_scale: 1`), which `loadPoses` also returns unchanged.
 */
export function transformsToJson(
  intr: Intrinsics,
  c2wList: readonly Float64Array[],
  worldToUnit?: WorldToUnit,
  opts: TransformsJsonOptions = {},
): Record<string, unknown> {
  if (opts.names !== undefined && opts.names.length !== c2wList.length) {
    throw new TypeError(
      `opts.names, when provided, must have one entry per pose (${c2wList.length}, got ${opts.names.length})`,
    );
  }
  const digits = Math.max(4, String(c2wList.length - 1).length);
  const frames = c2wList.map((m, i) => {
    if (!(m instanceof Float64Array) || m.length < 12) {
      throw new TypeError(`c2wList[${i}] must be a Float64Array of 12 values (3x4 row-major)`);
    }
    const w = worldToUnit ? poseToWorld(m, worldToUnit) : m;
    return {
      file_path: opts.names?.[i] ?? `frame_${String(i).padStart(digits, '0')}.png`,
      transform_matrix: [
        [w[0], w[1], w[2], w[3]],
        [w[4], w[5], w[6], w[7]],
        [w[8], w[9], w[10], w[11]],
        [0, 0, 0, 1],
      ],
    };
  });
  return {
    camera_model: 'OPENCV',
    w: intr.width,
    h: intr.height,
    fl_x: intr.fx,
    fl_y: intr.fy,
    cx: intr.cx,
    cy: intr.cy,
    k1: intr.k1,
    k2: intr.k2,
    p1: intr.p1,
    p2: intr.p2,
    camera_angle_x: 2 * Math.atan(intr.width / (2 * intr.fx)),
    camera_angle_y: 2 * Math.atan(intr.height / (2 * intr.fy)),
    aabb_scale: 1,
    scale: worldToUnit ? worldToUnit.scale : 1,
    offset: worldToUnit ? [...worldToUnit.offset] : [0, 0, 0],
    frames,
  };
}
