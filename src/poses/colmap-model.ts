/**
 * COLMAP sparse models: readers for both on-disk formats (binary `cameras.bin`, `images.bin`,
 * `points3D.bin` and text `cameras.txt`, `images.txt`, `points3D.txt`), and the conversion of
 * COLMAP's cameras and poses into ours.
 *
 * Layouts (COLMAP 3.x, `src/base/reconstruction.cc`; all little-endian):
 * - cameras.bin: u64 count; per camera: u32 camera_id, i32 model_id, u64 width, u64 height,
 *   f64 params[n(model)].
 * - images.bin: u64 count; per image: u32 image_id, f64 qw qx qy qz, f64 tx ty tz, u32 camera_id,
 *   name (bytes up to a NUL), u64 num_points2D, then per point f64 x, f64 y, u64 point3D_id
 *   (2⁶⁴−1 = none).
 * - points3D.bin: u64 count; per point: u64 point3D_id, f64 x y z, u8 r g b, f64 error,
 *   u64 track_length, then per element u32 image_id, u32 point2D_idx.
 * - text: one record per line (`#` comments); images.txt has two lines per image, the second
 *   (`X Y POINT3D_ID …`, −1 = none) possibly empty.
 *
 * Conventions converted: an image stores world-to-camera `x_cam = R(q)·x_world + t` with OpenCV
 * camera axes (x right, y down, z forward); ours are camera-to-world 3x4 row-major with OpenGL
 * axes (x right, y up, looking down −z; see `src/data/camera.ts`), so
 * `c2w = [Rᵀ·diag(1,−1,−1) | −Rᵀ·t]`. COLMAP's pixel coordinates put the top-left corner of the
 * top-left pixel at (0, 0), like ours, so principal points carry over unchanged.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Intrinsics } from '../data/camera.ts';
import { ColmapModelError } from './errors.ts';

/** COLMAP's camera models: id, name and parameter count (`src/base/camera_models.h`). */
export const COLMAP_CAMERA_MODELS: ReadonlyArray<{ id: number; name: string; params: number }> = Object.freeze([
  { id: 0, name: 'SIMPLE_PINHOLE', params: 3 },
  { id: 1, name: 'PINHOLE', params: 4 },
  { id: 2, name: 'SIMPLE_RADIAL', params: 4 },
  { id: 3, name: 'RADIAL', params: 5 },
  { id: 4, name: 'OPENCV', params: 8 },
  { id: 5, name: 'OPENCV_FISHEYE', params: 8 },
  { id: 6, name: 'FULL_OPENCV', params: 12 },
  { id: 7, name: 'FOV', params: 5 },
  { id: 8, name: 'SIMPLE_RADIAL_FISHEYE', params: 4 },
  { id: 9, name: 'RADIAL_FISHEYE', params: 5 },
  { id: 10, name: 'THIN_PRISM_FISHEYE', params: 12 },
]);

/** One camera of a model. */
export interface ColmapCamera {
  /** COLMAP's camera id. */
  id: number;
  /** Model name, e.g. `'SIMPLE_RADIAL'` (see {@link COLMAP_CAMERA_MODELS}). */
  model: string;
  /** Image width, pixels. */
  width: number;
  /** Image height, pixels. */
  height: number;
  /** The model's parameters in COLMAP's order (SIMPLE_RADIAL: f, cx, cy, k). */
  params: Float64Array;
}

/** One registered image of a model. */
export interface ColmapImage {
  /** COLMAP's image id. */
  id: number;
  /** Rotation world → camera as a unit quaternion (qw, qx, qy, qz). */
  qvec: [number, number, number, number];
  /** Translation world → camera: `x_cam = R·x_world + t`. */
  tvec: [number, number, number];
  /** The camera it was taken with. */
  cameraId: number;
  /** File name relative to the image folder. */
  name: string;
  /** Key point pixel coordinates, `2·n` values (x, y). */
  xys: Float64Array;
  /** The 3-D point each key point belongs to, −1 for none; `n` values. */
  point3DIds: Float64Array;
}

/** One sparse 3-D point of a model. */
export interface ColmapPoint3D {
  /** COLMAP's point id. */
  id: number;
  /** Position, world coordinates. */
  xyz: [number, number, number];
  /** Colour, 0–255. */
  rgb: [number, number, number];
  /** Mean reprojection error, pixels. */
  error: number;
  /** Observations: (image_id, point2D_idx) pairs, `2·track_length` values. */
  track: Uint32Array;
}

/** A sparse model as read from one folder. */
export interface ColmapModel {
  /** Cameras by id. */
  cameras: Map<number, ColmapCamera>;
  /** Registered images by id. */
  images: Map<number, ColmapImage>;
  /** 3-D points by id. */
  points3D: Map<number, ColmapPoint3D>;
  /** Which files were read. */
  format: 'bin' | 'txt';
  /** The folder read (absolute). */
  dir: string;
}

const MODEL_FILES = ['cameras', 'images', 'points3D'] as const;

// ---------------------------------------------------------------------------------------------
// Binary
// ---------------------------------------------------------------------------------------------

/** A bounds-checked little-endian reader that names the file in its errors. */
class BinReader {
  private off = 0;
  private readonly view: DataView;
  constructor(
    private readonly buf: Uint8Array,
    private readonly file: string,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number, what: string): number {
    if (this.off + n > this.buf.byteLength) {
      throw new ColmapModelError(`${this.file} is truncated (reading ${what} at byte ${this.off} of ${this.buf.byteLength}); re-export the model`, {
        path: this.file,
      });
    }
    const at = this.off;
    this.off += n;
    return at;
  }
  u8(what: string): number {
    return this.view.getUint8(this.need(1, what));
  }
  u32(what: string): number {
    return this.view.getUint32(this.need(4, what), true);
  }
  i32(what: string): number {
    return this.view.getInt32(this.need(4, what), true);
  }
  /** u64 as a number; 2⁶⁴−1 (COLMAP's invalid id) becomes −1; other values above 2⁵³ are an error. */
  u64(what: string): number {
    const v = this.view.getBigUint64(this.need(8, what), true);
    if (v === 0xffffffffffffffffn) return -1;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ColmapModelError(`${this.file}: ${what} = ${v} is out of range; the file is probably corrupt`, { path: this.file });
    }
    return Number(v);
  }
  f64(what: string): number {
    return this.view.getFloat64(this.need(8, what), true);
  }
  /** A NUL-terminated UTF-8 string. */
  cstring(what: string): string {
    const start = this.off;
    const end = this.buf.indexOf(0, start);
    if (end < 0) this.need(this.buf.byteLength - start + 1, what);
    this.off = end + 1;
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + start, end - start).toString('utf8');
  }
  /** Throws unless a count of items of at least `minBytes` each can still fit. */
  count(what: string, minBytes: number): number {
    const n = this.u64(what);
    if (n < 0 || n * minBytes > this.buf.byteLength - this.off) {
      throw new ColmapModelError(`${this.file}: ${what} = ${n} does not fit in the file; it is truncated or not a COLMAP model`, { path: this.file });
    }
    return n;
  }
  end(): void {
    if (this.off !== this.buf.byteLength) {
      throw new ColmapModelError(`${this.file} has ${this.buf.byteLength - this.off} unexpected bytes after the last record; re-export the model`, {
        path: this.file,
      });
    }
  }
}

function modelById(id: number, file: string): { name: string; params: number } {
  const m = COLMAP_CAMERA_MODELS.find((c) => c.id === id);
  if (!m) throw new ColmapModelError(`${file}: unknown camera model id ${id}`, { path: file });
  return m;
}

function modelByName(name: string, file: string): { name: string; params: number } {
  const m = COLMAP_CAMERA_MODELS.find((c) => c.name === name);
  if (!m) throw new ColmapModelError(`${file}: unknown camera model ${JSON.stringify(name)}`, { path: file });
  return m;
}

/** Parses `cameras.bin` content. @param file used in error messages. */
export function parseCamerasBin(buf: Uint8Array, file = 'cameras.bin'): Map<number, ColmapCamera> {
  const r = new BinReader(buf, file);
  const n = r.count('number of cameras', 24);
  const out = new Map<number, ColmapCamera>();
  for (let i = 0; i < n; i++) {
    const id = r.u32('camera_id');
    const model = modelById(r.i32('model_id'), file);
    const width = r.u64('width');
    const height = r.u64('height');
    const params = new Float64Array(model.params);
    for (let p = 0; p < model.params; p++) params[p] = r.f64('camera params');
    out.set(id, { id, model: model.name, width, height, params });
  }
  r.end();
  return out;
}

/** Parses `images.bin` content. */
export function parseImagesBin(buf: Uint8Array, file = 'images.bin'): Map<number, ColmapImage> {
  const r = new BinReader(buf, file);
  const n = r.count('number of images', 73);
  const out = new Map<number, ColmapImage>();
  for (let i = 0; i < n; i++) {
    const id = r.u32('image_id');
    const qvec: [number, number, number, number] = [r.f64('qw'), r.f64('qx'), r.f64('qy'), r.f64('qz')];
    const tvec: [number, number, number] = [r.f64('tx'), r.f64('ty'), r.f64('tz')];
    const cameraId = r.u32('camera_id');
    const name = r.cstring('image name');
    const np = r.count('num_points2D', 24);
    const xys = new Float64Array(2 * np);
    const point3DIds = new Float64Array(np);
    for (let p = 0; p < np; p++) {
      xys[2 * p] = r.f64('x');
      xys[2 * p + 1] = r.f64('y');
      point3DIds[p] = r.u64('point3D_id');
    }
    out.set(id, { id, qvec, tvec, cameraId, name, xys, point3DIds });
  }
  r.end();
  return out;
}

/** Parses `points3D.bin` content. */
export function parsePoints3DBin(buf: Uint8Array, file = 'points3D.bin'): Map<number, ColmapPoint3D> {
  const r = new BinReader(buf, file);
  const n = r.count('number of points', 51);
  const out = new Map<number, ColmapPoint3D>();
  for (let i = 0; i < n; i++) {
    const id = r.u64('point3D_id');
    const xyz: [number, number, number] = [r.f64('x'), r.f64('y'), r.f64('z')];
    const rgb: [number, number, number] = [r.u8('r'), r.u8('g'), r.u8('b')];
    const error = r.f64('error');
    const len = r.count('track_length', 8);
    const track = new Uint32Array(2 * len);
    for (let t = 0; t < 2 * len; t++) track[t] = r.u32('track element');
    out.set(id, { id, xyz, rgb, error, track });
  }
  r.end();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

/** Splits text into trimmed lines, keeping line numbers (1-based). */
function textLines(text: string): Array<{ no: number; line: string }> {
  return text.split(/\r?\n/).map((line, i) => ({ no: i + 1, line: line.trim() }));
}

function numbers(tokens: readonly string[], file: string, no: number, what: string): number[] {
  return tokens.map((t) => {
    const v = Number(t);
    if (t === '' || !Number.isFinite(v)) {
      throw new ColmapModelError(`${file}:${no}: ${what} must be numbers (got ${JSON.stringify(t)})`, { path: file });
    }
    return v;
  });
}

function integer(t: string | undefined, file: string, no: number, what: string): number {
  const v = Number(t);
  if (t === undefined || !Number.isInteger(v)) {
    throw new ColmapModelError(`${file}:${no}: ${what} must be an integer (got ${JSON.stringify(t)})`, { path: file });
  }
  return v;
}

/** Parses `cameras.txt` content: `CAMERA_ID MODEL WIDTH HEIGHT PARAMS…`. */
export function parseCamerasText(text: string, file = 'cameras.txt'): Map<number, ColmapCamera> {
  const out = new Map<number, ColmapCamera>();
  for (const { no, line } of textLines(text)) {
    if (line === '' || line.startsWith('#')) continue;
    const t = line.split(/\s+/);
    const model = modelByName(t[1] ?? '', file);
    if (t.length !== 4 + model.params) {
      throw new ColmapModelError(`${file}:${no}: a ${model.name} camera needs ${4 + model.params} fields (got ${t.length})`, { path: file });
    }
    const id = integer(t[0], file, no, 'CAMERA_ID');
    out.set(id, {
      id,
      model: model.name,
      width: integer(t[2], file, no, 'WIDTH'),
      height: integer(t[3], file, no, 'HEIGHT'),
      params: Float64Array.from(numbers(t.slice(4), file, no, 'PARAMS')),
    });
  }
  return out;
}

/**
 * Parses `images.txt` content: per image a line `IMAGE_ID QW QX QY QZ TX TY TZ CAMERA_ID NAME`
 * followed by a line of `X Y POINT3D_ID` triples (possibly empty). As in COLMAP, the line after an
 * image line is always its points line, even when empty.
 */
export function parseImagesText(text: string, file = 'images.txt'): Map<number, ColmapImage> {
  const out = new Map<number, ColmapImage>();
  const lines = textLines(text);
  // A trailing newline leaves one empty last element that is not a points line of anything.
  for (let i = 0; i < lines.length; i++) {
    const { no, line } = lines[i];
    if (line === '' || line.startsWith('#')) continue;
    const t = line.split(/\s+/);
    if (t.length < 10) {
      throw new ColmapModelError(`${file}:${no}: an image line needs IMAGE_ID QW QX QY QZ TX TY TZ CAMERA_ID NAME (got ${t.length} fields)`, {
        path: file,
      });
    }
    const id = integer(t[0], file, no, 'IMAGE_ID');
    const [qw, qx, qy, qz, tx, ty, tz] = numbers(t.slice(1, 8), file, no, 'QW…TZ');
    const cameraId = integer(t[8], file, no, 'CAMERA_ID');
    // Names may contain spaces: everything after CAMERA_ID (COLMAP itself stops at the first space).
    const name = line.replace(/^(\S+\s+){9}/, '');
    const pts = lines[i + 1]?.line ?? '';
    i++;
    const v = pts === '' ? [] : numbers(pts.split(/\s+/), file, no + 1, 'X Y POINT3D_ID');
    if (v.length % 3 !== 0) {
      throw new ColmapModelError(`${file}:${no + 1}: the points line of image ${id} must hold X Y POINT3D_ID triples`, { path: file });
    }
    const n = v.length / 3;
    const xys = new Float64Array(2 * n);
    const point3DIds = new Float64Array(n);
    for (let p = 0; p < n; p++) {
      xys[2 * p] = v[3 * p];
      xys[2 * p + 1] = v[3 * p + 1];
      point3DIds[p] = v[3 * p + 2];
    }
    out.set(id, { id, qvec: [qw, qx, qy, qz], tvec: [tx, ty, tz], cameraId, name, xys, point3DIds });
  }
  return out;
}

/** Parses `points3D.txt` content: `POINT3D_ID X Y Z R G B ERROR (IMAGE_ID POINT2D_IDX)…`. */
export function parsePoints3DText(text: string, file = 'points3D.txt'): Map<number, ColmapPoint3D> {
  const out = new Map<number, ColmapPoint3D>();
  for (const { no, line } of textLines(text)) {
    if (line === '' || line.startsWith('#')) continue;
    const t = line.split(/\s+/);
    if (t.length < 8 || (t.length - 8) % 2 !== 0) {
      throw new ColmapModelError(`${file}:${no}: a point needs POINT3D_ID X Y Z R G B ERROR and (IMAGE_ID POINT2D_IDX) pairs`, { path: file });
    }
    const v = numbers(t, file, no, 'point fields');
    const id = integer(t[0], file, no, 'POINT3D_ID');
    const track = new Uint32Array(t.length - 8);
    for (let k = 0; k < track.length; k++) track[k] = integer(t[8 + k], file, no, 'track element');
    out.set(id, { id, xyz: [v[1], v[2], v[3]], rgb: [v[4], v[5], v[6]], error: v[7], track });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Folders
// ---------------------------------------------------------------------------------------------

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** Which format a folder holds: `'bin'` when all three .bin files exist, else `'txt'` when all .txt do, else undefined. */
export async function detectModelFormat(dir: string): Promise<'bin' | 'txt' | undefined> {
  for (const ext of ['bin', 'txt'] as const) {
    const all = await Promise.all(MODEL_FILES.map((f) => isFile(path.join(dir, `${f}.${ext}`))));
    if (all.every(Boolean)) return ext;
  }
  return undefined;
}

/**
 * Reads a COLMAP model folder (binary when `cameras.bin`, `images.bin` and `points3D.bin` all
 * exist, else text), and checks that every image's camera and every track's image exist.
 *
 * @param format force one format instead of detecting it.
 * @throws ColmapModelError for a missing, truncated or inconsistent model.
 */
export async function readColmapModel(dir: string, format?: 'bin' | 'txt'): Promise<ColmapModel> {
  const abs = path.resolve(dir);
  const fmt = format ?? (await detectModelFormat(abs));
  if (fmt === undefined) {
    throw new ColmapModelError(
      `${abs} is not a COLMAP model folder: it needs cameras.bin, images.bin and points3D.bin (or the three .txt files); ` +
        'for the mapper\'s output pass its numbered sub-folder (e.g. sparse/0)',
      { path: abs },
    );
  }
  const read = async (name: string): Promise<Buffer> => {
    const p = path.join(abs, `${name}.${fmt}`);
    try {
      return await readFile(p);
    } catch (e) {
      throw new ColmapModelError(`cannot read ${p}: ${(e as Error).message}`, { path: p, cause: e });
    }
  };
  const [cb, ib, pb] = await Promise.all(MODEL_FILES.map(read));
  const f = (name: string): string => path.join(abs, `${name}.${fmt}`);
  const model: ColmapModel =
    fmt === 'bin'
      ? {
          cameras: parseCamerasBin(cb, f('cameras')),
          images: parseImagesBin(ib, f('images')),
          points3D: parsePoints3DBin(pb, f('points3D')),
          format: fmt,
          dir: abs,
        }
      : {
          cameras: parseCamerasText(cb.toString('utf8'), f('cameras')),
          images: parseImagesText(ib.toString('utf8'), f('images')),
          points3D: parsePoints3DText(pb.toString('utf8'), f('points3D')),
          format: fmt,
          dir: abs,
        };
  checkModel(model);
  return model;
}

/** Cross-checks ids: every image's camera exists, every track names an existing image and key point. */
function checkModel(m: ColmapModel): void {
  for (const img of m.images.values()) {
    if (!m.cameras.has(img.cameraId)) {
      throw new ColmapModelError(`${m.dir}: image ${img.name} refers to camera ${img.cameraId}, which the model does not have`, { path: m.dir });
    }
  }
  for (const p of m.points3D.values()) {
    for (let k = 0; k < p.track.length; k += 2) {
      const img = m.images.get(p.track[k]);
      if (!img || p.track[k + 1] >= img.point3DIds.length) {
        throw new ColmapModelError(`${m.dir}: point ${p.id} is observed by image ${p.track[k]} key point ${p.track[k + 1]}, which the model does not have`, {
          path: m.dir,
        });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Conversion
// ---------------------------------------------------------------------------------------------

/** Rotation matrix (3x3 row-major) of a quaternion (w, x, y, z); normalises it first. */
export function quaternionToMatrix(q: readonly [number, number, number, number]): Float64Array {
  const n = Math.hypot(q[0], q[1], q[2], q[3]);
  const [w, x, y, z] = [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
  return Float64Array.of(
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
  );
}

/** Quaternion (w, x, y, z), w ≥ 0, of a 3x3 row-major rotation matrix (Shepperd's method). */
export function matrixToQuaternion(r: ArrayLike<number>): [number, number, number, number] {
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = Array.from({ length: 9 }, (_, i) => r[i]);
  const tr = m00 + m11 + m22;
  let q: [number, number, number, number];
  if (tr > 0) {
    const s = 2 * Math.sqrt(tr + 1);
    q = [s / 4, (m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s];
  } else if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    q = [(m21 - m12) / s, s / 4, (m01 + m10) / s, (m02 + m20) / s];
  } else if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    q = [(m02 - m20) / s, (m01 + m10) / s, s / 4, (m12 + m21) / s];
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    q = [(m10 - m01) / s, (m02 + m20) / s, (m12 + m21) / s, s / 4];
  }
  return q[0] < 0 ? [-q[0], -q[1], -q[2], -q[3]] : q;
}

/**
 * Our camera-to-world pose (3x4 row-major, OpenGL axes) of a COLMAP world-to-camera pose
 * (quaternion + translation, OpenCV axes): rotation `Rᵀ` with its y and z columns negated,
 * centre `−Rᵀ·t`.
 */
export function colmapPoseToC2w(qvec: readonly [number, number, number, number], tvec: readonly [number, number, number]): Float64Array {
  const r = quaternionToMatrix(qvec);
  const out = new Float64Array(12);
  for (let i = 0; i < 3; i++) {
    // Row i of c2w's rotation is column i of R (Rᵀ); columns 1, 2 flip for OpenCV → OpenGL.
    out[i * 4 + 0] = r[0 * 3 + i];
    out[i * 4 + 1] = -r[1 * 3 + i];
    out[i * 4 + 2] = -r[2 * 3 + i];
    out[i * 4 + 3] = -(r[0 * 3 + i] * tvec[0] + r[1 * 3 + i] * tvec[1] + r[2 * 3 + i] * tvec[2]);
  }
  return out;
}

/** The inverse of {@link colmapPoseToC2w}: COLMAP's (qvec, tvec) of our c2w (whose 3x3 block must be a rotation). */
export function c2wToColmapPose(c2w: ArrayLike<number>): { qvec: [number, number, number, number]; tvec: [number, number, number] } {
  // R (world → OpenCV camera) = (c2w_rot · diag(1,−1,−1))ᵀ.
  const r = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    r[0 * 3 + i] = c2w[i * 4 + 0];
    r[1 * 3 + i] = -c2w[i * 4 + 1];
    r[2 * 3 + i] = -c2w[i * 4 + 2];
  }
  const c = [c2w[3], c2w[7], c2w[11]];
  const tvec: [number, number, number] = [0, 1, 2].map((k) => -(r[k * 3] * c[0] + r[k * 3 + 1] * c[1] + r[k * 3 + 2] * c[2])) as [number, number, number];
  return { qvec: matrixToQuaternion(r), tvec };
}

/**
 * Our intrinsics of a COLMAP camera. Supported: SIMPLE_PINHOLE (f, cx, cy), PINHOLE
 * (fx, fy, cx, cy), SIMPLE_RADIAL (f, cx, cy, k), RADIAL (f, cx, cy, k1, k2) and OPENCV
 * (fx, fy, cx, cy, k1, k2, p1, p2): COLMAP's radial-tangential model is the one in
 * `src/data/camera.ts`.
 * @throws ColmapModelError for fisheye and other models our renderer cannot reproduce.
 */
export function colmapCameraToIntrinsics(cam: ColmapCamera, where = 'COLMAP model'): Intrinsics {
  const p = cam.params;
  const base = { width: cam.width, height: cam.height, k1: 0, k2: 0, p1: 0, p2: 0 };
  switch (cam.model) {
    case 'SIMPLE_PINHOLE':
      return { ...base, fx: p[0], fy: p[0], cx: p[1], cy: p[2] };
    case 'PINHOLE':
      return { ...base, fx: p[0], fy: p[1], cx: p[2], cy: p[3] };
    case 'SIMPLE_RADIAL':
      return { ...base, fx: p[0], fy: p[0], cx: p[1], cy: p[2], k1: p[3] };
    case 'RADIAL':
      return { ...base, fx: p[0], fy: p[0], cx: p[1], cy: p[2], k1: p[3], k2: p[4] };
    case 'OPENCV':
      return { ...base, fx: p[0], fy: p[1], cx: p[2], cy: p[3], k1: p[4], k2: p[5], p1: p[6], p2: p[7] };
    default:
      throw new ColmapModelError(
        `${where}: camera ${cam.id} uses the ${cam.model} model, which is not supported (use SIMPLE_PINHOLE, PINHOLE, ` +
          'SIMPLE_RADIAL, RADIAL or OPENCV; rerun COLMAP with --ImageReader.camera_model OPENCV)',
        { path: where },
      );
  }
}

/** A model's single camera and per-image poses, in our conventions. */
export interface ModelPoses {
  /** The camera shared by all images. */
  intrinsics: Intrinsics;
  /** Registered image names, sorted numeric-aware (frame order). */
  names: string[];
  /** Camera-to-world (OpenGL, COLMAP world coordinates), one per name. */
  c2w: Float64Array[];
  /** COLMAP image id of each name. */
  imageIds: number[];
}

const collator = new Intl.Collator('en', { numeric: true });

/**
 * Converts a model's images to our poses and its camera to our intrinsics.
 * @throws ColmapModelError when the model is empty or its images use more than one camera
 *   (of different parameters): the codec supports a single camera.
 */
export function modelPoses(model: ColmapModel): ModelPoses {
  const images = [...model.images.values()].sort((a, b) => collator.compare(a.name, b.name));
  if (images.length === 0) throw new ColmapModelError(`${model.dir}: the model has no registered images`, { path: model.dir });
  const first = model.cameras.get(images[0].cameraId)!;
  for (const img of images) {
    const cam = model.cameras.get(img.cameraId)!;
    const same =
      cam.model === first.model && cam.width === first.width && cam.height === first.height && cam.params.every((v, i) => v === first.params[i]);
    if (!same) {
      throw new ColmapModelError(
        `${model.dir}: images ${images[0].name} and ${img.name} use different cameras; only a single camera is supported ` +
          '(rerun feature extraction with --ImageReader.single_camera 1)',
        { path: model.dir },
      );
    }
  }
  return {
    intrinsics: colmapCameraToIntrinsics(first, model.dir),
    names: images.map((i) => i.name),
    c2w: images.map((i) => colmapPoseToC2w(i.qvec, i.tvec)),
    imageIds: images.map((i) => i.id),
  };
}
