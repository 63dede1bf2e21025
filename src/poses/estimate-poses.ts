/**
 * Camera poses for the video front end (Zhang & Chen 2025, Sect. 3.4): a folder of frames (and
 * their object masks) → COLMAP → one camera, one camera-to-world pose per frame in the unit box,
 * and a `transforms.json` (nerfstudio / instant-ngp fields) that other tools can read.
 *
 * {@link estimatePoses} runs feature extraction (on the object only by default: COLMAP's
 * `ImageReader.mask_path`, since the paper estimates poses on the segmented object video V_C),
 * matching of an orbit's frame pairs (see `colmap-run.ts` for why not exhaustive matching), and
 * the mapper; then reads the largest model, converts it to our conventions, places the object in
 * the unit box (`normalize.ts`) and writes transforms.json. Every step's output lives in a work
 * folder with a manifest of what produced it, so a rerun with the same frames and options skips
 * the steps already done (and one with other matching options redoes only matching and mapping).
 *
 * Every frame needs a pose to be decoded. Frames COLMAP could not register are listed in the
 * result; with `missingPoses: 'interpolate'` (default) and at least `minRegisteredFraction` of
 * the frames registered, they get poses interpolated between their registered neighbours (marked
 * `"pose_interpolated": true` in transforms.json; better not trained on), else a
 * {@link TooFewRegisteredError} says which and what to try.
 *
 * {@link loadPoseSource} is the `--poses FILE` path: known poses from a transforms.json or a
 * COLMAP model folder, without running COLMAP.
 *
 * Work folder layout: `images.txt` (frame list), `features.db` (after extraction), `pairs.txt`,
 * `matches.db` (a copy of features.db plus verified matches), `sparse/<k>/` (the mapper's models),
 * `stages.json` (the manifest), and `transforms.json` unless placed elsewhere.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Intrinsics } from '../data/camera.ts';
import { decodeMask, mapLimit } from '../data/image-io.ts';
import { TRANSFORMS_FILE_NAME, transformsToJson } from '../data/transforms-json.ts';
import { loadPoses } from '../data/transforms.ts';
import type { WorldToUnit } from '../data/unit-box.ts';
import {
  colmapVersion,
  extractFeatures,
  formatPairList,
  matchPairs,
  orbitPairs,
  runMapper,
  type ColmapCameraModelChoice,
  type ColmapProgress,
  type ColmapStage,
} from './colmap-run.ts';
import { detectModelFormat, modelPoses, readColmapModel, type ColmapModel } from './colmap-model.ts';
import { PoseError, ReconstructionError, TooFewRegisteredError } from './errors.ts';
import { fillMissingPoses, normalizeScene, resolveNormalizeOptions, type Normalization, type NormalizeOptions } from './normalize.ts';

export * from './errors.ts';

/** Where features are extracted: `'object'` inside the object masks only, `'all'` on the whole frame. */
export type PoseFeatures = 'object' | 'all';

/** The stages reported to {@link EstimatePosesOptions.onProgress}: COLMAP's three, then conversion. */
export type PoseStage = ColmapStage | 'convert';

/** One progress report of {@link estimatePoses}. */
export interface PoseProgress extends Omit<ColmapProgress, 'stage' | 'phase'> {
  /** The stage reporting. */
  stage: PoseStage;
  /** As in {@link ColmapProgress}, plus `'cached'`: the work folder already holds this stage's result. */
  phase: ColmapProgress['phase'] | 'cached';
}

/** What to do with frames COLMAP did not register. */
export type MissingPoses = 'interpolate' | 'error';

/** Options shared by {@link estimatePoses} and {@link loadPoseSource}. */
export interface PoseFrameOptions {
  /**
   * The smallest fraction (0, 1] of frames that must have a pose; below it a
   * {@link TooFewRegisteredError} is thrown. Default 0.9.
   */
  minRegisteredFraction?: number;
  /**
   * `'interpolate'` (default): frames without a pose get one interpolated between their
   * neighbours (listed in `unregistered`); `'error'`: any frame without a pose is an error.
   */
  missingPoses?: MissingPoses;
  /** How the scene is placed in the unit box (COLMAP models only; transforms.json files carry their own placement). */
  normalize?: NormalizeOptions;
}

/** Options of {@link estimatePoses}. */
export interface EstimatePosesOptions extends PoseFrameOptions {
  /** Folder of the frames (PNG or JPEG, one size), in frame order by name (numeric-aware). */
  frames: string;
  /**
   * Folder of the object masks: for frame `NAME`, the PNG `NAME.png` (COLMAP's convention, so
   * `frame_0001.png` → `frame_0001.png.png`), same size as the frame, 0 = background. Required
   * with `poseFeatures: 'object'`; with `'all'` optional, used only to locate the object.
   */
  masks?: string;
  /** Work folder (created): COLMAP's databases and models, reused by a rerun. */
  workDir: string;
  /** `'object'` (default): SIFT features only inside the masks; `'all'`: on the whole frame (no masks needed). */
  poseFeatures?: PoseFeatures;
  /** The single camera's model: `'SIMPLE_RADIAL'` (default) or `'OPENCV'`. */
  cameraModel?: ColmapCameraModelChoice;
  /** Each frame is matched with its next `overlap` frames (integer ≥ 1); default 10. */
  overlap?: number;
  /** The first and the last `loopOverlap` frames are matched with each other, closing an orbit (integer ≥ 0, 0 = off); default `overlap`. */
  loopOverlap?: number;
  /** Largest image side SIFT works on (integer ≥ 16); default COLMAP's 3200. */
  maxImageSize?: number;
  /** CPU threads per COLMAP step (integer ≥ 1, or -1 = all cores); default -1. */
  threads?: number;
  /** Where to write transforms.json; default `<workDir>/transforms.json`. */
  transformsPath?: string;
  /** The COLMAP program; default `'colmap'` on PATH. */
  colmapPath?: string;
  /** Called at each stage's start and end and on COLMAP's progress lines. */
  onProgress?: (event: PoseProgress) => void;
  /** Aborting stops the running COLMAP step; the call rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** Poses for a list of frames, from COLMAP or a file. */
export interface FramePoses {
  /** The single camera, at the frames' resolution. */
  intrinsics: Intrinsics;
  /** Frame names, in frame order. */
  names: string[];
  /** Camera-to-world (3x4 row-major, OpenGL axes, unit-box coordinates), one per name. */
  c2w: Float64Array[];
  /** World (as written in transforms.json) → unit box. */
  worldToUnit: WorldToUnit;
  /** Frames that had a pose of their own, in frame order. */
  registered: string[];
  /** Frames that had none and got an interpolated one, in frame order. */
  unregistered: string[];
}

/** Duration of one COLMAP stage. */
export interface StageTiming {
  /** Milliseconds the stage took when it ran (also reported when cached: the time of the run that made it). */
  ms: number;
  /** True when this call reused the work folder's result. */
  cached: boolean;
}

/** The result of {@link estimatePoses}. */
export interface PoseEstimate extends FramePoses {
  /** The transforms.json written (absolute). */
  transformsPath: string;
  /** The COLMAP model used (absolute folder, the largest of the mapper's models). */
  modelDir: string;
  /** Number of models the mapper built (more than 1: the orbit broke apart; only the largest is used). */
  modelCount: number;
  /** The installed COLMAP's version. */
  colmapVersion: string;
  /** How the unit box was placed (rotation from COLMAP's world, centre, half-size, method). */
  normalization: Omit<Normalization, 'c2wWorld' | 'c2wUnit'>;
  /** Per-stage durations. */
  timings: Record<ColmapStage | 'convert', StageTiming>;
}

/** Defaults of the numeric and choice options. */
export const ESTIMATE_POSES_DEFAULTS = Object.freeze({
  poseFeatures: 'object' as PoseFeatures,
  cameraModel: 'SIMPLE_RADIAL' as ColmapCameraModelChoice,
  overlap: 10,
  threads: -1,
  minRegisteredFraction: 0.9,
  missingPoses: 'interpolate' as MissingPoses,
});

const FRAME_EXTENSIONS = ['.png', '.jpg', '.jpeg'];
const collator = new Intl.Collator('en', { numeric: true });
/** Bumped when the work-folder layout or a stage's command changes, so old folders are redone. */
const WORK_FORMAT = 1;

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** {@link PoseFrameOptions} with defaults applied. */
export interface ResolvedFrameOptions {
  minRegisteredFraction: number;
  missingPoses: MissingPoses;
  normalize: Required<NormalizeOptions>;
}

function resolveFrameOptions(o: PoseFrameOptions, name: string): ResolvedFrameOptions {
  const minRegisteredFraction = o.minRegisteredFraction ?? ESTIMATE_POSES_DEFAULTS.minRegisteredFraction;
  if (typeof minRegisteredFraction !== 'number' || !(minRegisteredFraction > 0 && minRegisteredFraction <= 1)) {
    throw new TypeError(`${name}.minRegisteredFraction, when provided, must be a number in (0, 1] (got ${describe(o.minRegisteredFraction)})`);
  }
  const missingPoses = o.missingPoses ?? ESTIMATE_POSES_DEFAULTS.missingPoses;
  if (missingPoses !== 'interpolate' && missingPoses !== 'error') {
    throw new TypeError(`${name}.missingPoses, when provided, must be 'interpolate' or 'error' (got ${describe(o.missingPoses)})`);
  }
  return { minRegisteredFraction, missingPoses, normalize: resolveNormalizeOptions(o.normalize, `${name}.normalize`) };
}

/** {@link EstimatePosesOptions} with defaults applied and paths made absolute. */
export interface ResolvedEstimatePosesOptions extends ResolvedFrameOptions {
  frames: string;
  masks: string | undefined;
  workDir: string;
  poseFeatures: PoseFeatures;
  cameraModel: ColmapCameraModelChoice;
  overlap: number;
  loopOverlap: number;
  maxImageSize: number | undefined;
  threads: number;
  transformsPath: string;
  colmapPath: string;
}

/** Validates {@link EstimatePosesOptions}, throwing a `TypeError` naming the first bad field. */
export function resolveEstimatePosesOptions(opts: EstimatePosesOptions): ResolvedEstimatePosesOptions {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('options must be an object');
  for (const k of ['frames', 'workDir'] as const) {
    if (typeof opts[k] !== 'string' || opts[k].length === 0) throw new TypeError(`options.${k} must be a non-empty string (got ${describe(opts[k])})`);
  }
  for (const k of ['masks', 'transformsPath', 'colmapPath'] as const) {
    const v = opts[k];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0)) throw new TypeError(`options.${k}, when provided, must be a non-empty string (got ${describe(v)})`);
  }
  const d = ESTIMATE_POSES_DEFAULTS;
  const poseFeatures = opts.poseFeatures ?? d.poseFeatures;
  if (poseFeatures !== 'object' && poseFeatures !== 'all') {
    throw new TypeError(`options.poseFeatures, when provided, must be 'object' or 'all' (got ${describe(opts.poseFeatures)})`);
  }
  if (poseFeatures === 'object' && opts.masks === undefined) {
    throw new TypeError("options.masks must be given with poseFeatures 'object' (the default); pass the mask folder, or poseFeatures: 'all'");
  }
  const cameraModel = opts.cameraModel ?? d.cameraModel;
  if (cameraModel !== 'SIMPLE_RADIAL' && cameraModel !== 'OPENCV') {
    throw new TypeError(`options.cameraModel, when provided, must be 'SIMPLE_RADIAL' or 'OPENCV' (got ${describe(opts.cameraModel)})`);
  }
  const overlap = opts.overlap ?? d.overlap;
  if (!Number.isInteger(overlap) || overlap < 1) throw new TypeError(`options.overlap, when provided, must be an integer ≥ 1 (got ${describe(opts.overlap)})`);
  const loopOverlap = opts.loopOverlap ?? overlap;
  if (!Number.isInteger(loopOverlap) || loopOverlap < 0) {
    throw new TypeError(`options.loopOverlap, when provided, must be an integer ≥ 0 (got ${describe(opts.loopOverlap)})`);
  }
  const maxImageSize = opts.maxImageSize;
  if (maxImageSize !== undefined && (!Number.isInteger(maxImageSize) || maxImageSize < 16)) {
    throw new TypeError(`options.maxImageSize, when provided, must be an integer ≥ 16 (got ${describe(maxImageSize)})`);
  }
  const threads = opts.threads ?? d.threads;
  if (!Number.isInteger(threads) || (threads < 1 && threads !== -1)) {
    throw new TypeError(`options.threads, when provided, must be an integer ≥ 1 or -1 (got ${describe(opts.threads)})`);
  }
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') throw new TypeError('options.onProgress, when provided, must be a function');
  const workDir = path.resolve(opts.workDir);
  return {
    frames: path.resolve(opts.frames),
    masks: opts.masks === undefined ? undefined : path.resolve(opts.masks),
    workDir,
    poseFeatures,
    cameraModel,
    overlap,
    loopOverlap,
    maxImageSize,
    threads,
    transformsPath: path.resolve(opts.transformsPath ?? path.join(workDir, TRANSFORMS_FILE_NAME)),
    colmapPath: opts.colmapPath ?? 'colmap',
    ...resolveFrameOptions(opts, 'options'),
  };
}

// ---------------------------------------------------------------------------------------------
// Frames, masks and the work-folder manifest
// ---------------------------------------------------------------------------------------------

interface FileStamp {
  name: string;
  size: number;
  mtimeMs: number;
}

async function stampOf(file: string, name: string): Promise<FileStamp> {
  const s = await stat(file);
  return { name, size: s.size, mtimeMs: s.mtimeMs };
}

/** The frame files of a folder (PNG / JPEG), sorted numeric-aware. @throws PoseError. */
export async function listFrames(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new PoseError(`cannot read the frames folder ${dir}: ${(e as Error).message}`, { path: dir, cause: e });
  }
  const names = entries
    .filter((e) => e.isFile() && FRAME_EXTENSIONS.includes(path.extname(e.name).toLowerCase()))
    .map((e) => e.name)
    .sort(collator.compare);
  if (names.length < 2) {
    throw new PoseError(`the frames folder ${dir} holds ${names.length} PNG/JPEG frame(s); pose estimation needs at least 2 (better dozens)`, { path: dir });
  }
  const spaced = names.find((n) => /\s/.test(n));
  if (spaced !== undefined) {
    throw new PoseError(`frame name ${JSON.stringify(spaced)} contains white space, which COLMAP's pair lists cannot hold; rename the frames`, { path: dir });
  }
  return names;
}

/** The mask file COLMAP reads for frame `name`. */
export function maskFileFor(masks: string, name: string): string {
  return path.join(masks, `${name}.png`);
}

interface StageRecord {
  key: string;
  ms: number;
}

interface Manifest {
  format: number;
  extract?: StageRecord;
  match?: StageRecord;
  map?: StageRecord;
}

function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function readManifest(file: string): Promise<Manifest> {
  try {
    const m = JSON.parse(await readFile(file, 'utf8')) as Manifest;
    if (m && m.format === WORK_FORMAT) return m;
  } catch {
    // missing or unreadable: start afresh
  }
  return { format: WORK_FORMAT };
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

/**
 * The numbered model folders under a mapper output (`0/`, `1/`, …) that hold a model, largest
 * (most registered images) first.
 */
export async function modelsIn(dir: string): Promise<Array<{ dir: string; model: ColmapModel }>> {
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && /^\d+$/.test(e.name)).map((e) => e.name);
  } catch {
    return [];
  }
  const out: Array<{ dir: string; model: ColmapModel }> = [];
  for (const name of entries.sort(collator.compare)) {
    const sub = path.join(dir, name);
    if ((await detectModelFormat(sub)) !== undefined) out.push({ dir: sub, model: await readColmapModel(sub) });
  }
  return out.sort((a, b) => b.model.images.size - a.model.images.size);
}

// ---------------------------------------------------------------------------------------------
// Poses for every frame
// ---------------------------------------------------------------------------------------------

/** Strips a folder and extension: how frames and pose entries are matched when names differ. */
function stem(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? name;
  const ext = path.extname(base);
  return FRAME_EXTENSIONS.includes(ext.toLowerCase()) ? base.slice(0, -ext.length) : base;
}

/**
 * Poses in `frames` order from poses known by name (exact name first, else the same file stem),
 * applying the registered-fraction check and the missing-pose policy.
 * @throws TooFewRegisteredError.
 */
export function posesForFrames(
  frames: readonly string[],
  known: { names: readonly string[]; c2w: readonly Float64Array[] },
  opts: PoseFrameOptions = {},
): { c2w: Float64Array[]; registered: string[]; unregistered: string[] } {
  const o = resolveFrameOptions(opts, 'opts');
  const exact = new Map<string, Float64Array>();
  const byStem = new Map<string, Float64Array>();
  known.names.forEach((n, i) => {
    exact.set(n, known.c2w[i]);
    byStem.set(stem(n), known.c2w[i]);
  });
  const found = frames.map((f) => exact.get(f) ?? byStem.get(stem(f)));
  const registered = frames.filter((_, i) => found[i] !== undefined);
  const unregistered = frames.filter((_, i) => found[i] === undefined);
  const need = Math.ceil(o.minRegisteredFraction * frames.length - 1e-9);
  if (registered.length < need || registered.length === 0) {
    throw new TooFewRegisteredError(registered, unregistered, `at least ${need} (${Math.round(o.minRegisteredFraction * 100)}%)`);
  }
  if (unregistered.length > 0 && o.missingPoses === 'error') {
    throw new TooFewRegisteredError(registered, unregistered, `all, as missingPoses is 'error'`);
  }
  return { c2w: fillMissingPoses(found), registered, unregistered };
}

/**
 * Share of a sparse point's observations that must fall on non-zero mask pixels for the point to
 * count as the object's. Nearly all: background just behind the object's outline lands inside a
 * (slightly generous) mask in some views but, by parallax, outside it in others.
 */
const OBJECT_POINT_MIN_SHARE = 0.9;

/**
 * Marks each sparse point that lies on the object: at least {@link OBJECT_POINT_MIN_SHARE} of its
 * observations fall on non-zero mask pixels (COLMAP's key point coordinates put the top-left
 * pixel's corner at 0, so pixel = floor). Images without a mask file count as all-object.
 */
async function objectPointsFromMasks(model: ColmapModel, masks: string): Promise<{ ids: number[]; flags: Uint8Array }> {
  const images = [...model.images.values()];
  const inside = new Map<number, Uint8Array>(); // image id → per key point: 1 inside the mask
  await mapLimit(images, 4, async (img) => {
    const cam = model.cameras.get(img.cameraId)!;
    const size = { width: cam.width, height: cam.height };
    const file = maskFileFor(masks, img.name);
    if (!(await exists(file))) return;
    const m = await decodeMask(file, size, `COLMAP's camera ${cam.id}`, size, 'linear');
    const flags = new Uint8Array(img.point3DIds.length);
    for (let p = 0; p < flags.length; p++) {
      const x = Math.min(cam.width - 1, Math.max(0, Math.floor(img.xys[2 * p])));
      const y = Math.min(cam.height - 1, Math.max(0, Math.floor(img.xys[2 * p + 1])));
      flags[p] = m[y * cam.width + x] > 0 ? 1 : 0;
    }
    inside.set(img.id, flags);
  });
  const ids = [...model.points3D.keys()];
  const flags = new Uint8Array(ids.length);
  ids.forEach((id, i) => {
    const t = model.points3D.get(id)!.track;
    let yes = 0;
    for (let k = 0; k < t.length; k += 2) yes += inside.get(t[k])?.[t[k + 1]] ?? 1;
    flags[i] = yes >= OBJECT_POINT_MIN_SHARE * (t.length / 2) ? 1 : 0;
  });
  return { ids, flags };
}

/** Sparse point positions (3·n) in the order of `ids` (default: the model's order). */
function pointArray(model: ColmapModel, ids: readonly number[] = [...model.points3D.keys()]): Float64Array {
  const out = new Float64Array(3 * ids.length);
  ids.forEach((id, i) => out.set(model.points3D.get(id)!.xyz, 3 * i));
  return out;
}

/** Converts and normalises a model; `masks` (optional) locates the object. */
async function placeModel(
  model: ColmapModel,
  masks: string | undefined,
  allPointsOnObject: boolean,
  normalize: NormalizeOptions,
): Promise<{ intrinsics: Intrinsics; names: string[]; norm: Normalization }> {
  const mp = modelPoses(model);
  let ids = [...model.points3D.keys()];
  let objectPoints: Uint8Array | undefined;
  if (allPointsOnObject) {
    objectPoints = new Uint8Array(ids.length).fill(1);
  } else if (masks !== undefined) {
    const r = await objectPointsFromMasks(model, masks);
    ids = r.ids;
    objectPoints = r.flags;
  }
  const norm = normalizeScene({ c2w: mp.c2w, points: pointArray(model, ids), objectPoints }, normalize);
  return { intrinsics: mp.intrinsics, names: mp.names, norm };
}

// ---------------------------------------------------------------------------------------------
// The entry points
// ---------------------------------------------------------------------------------------------

/**
 * Estimates a camera and a pose per frame with COLMAP (see the module comment), writes
 * transforms.json, and returns the poses in unit-box coordinates.
 *
 * @throws TypeError for bad options.
 * @throws ColmapNotFoundError when COLMAP is not installed; ColmapFailedError when a step fails;
 *   ReconstructionError when the mapper builds no model; TooFewRegisteredError when too few
 *   frames got a pose; PoseError for unreadable frames or missing masks; `signal.reason` when aborted.
 */
export async function estimatePoses(opts: EstimatePosesOptions): Promise<PoseEstimate> {
  const o = resolveEstimatePosesOptions(opts);
  const report = (e: PoseProgress): void => opts.onProgress?.(e);
  const names = await listFrames(o.frames);
  const useMasks = o.poseFeatures === 'object';
  if (o.masks !== undefined && useMasks) {
    const missing: string[] = [];
    for (const n of names) if (!(await exists(maskFileFor(o.masks, n)))) missing.push(n);
    if (missing.length > 0) {
      throw new PoseError(
        `${missing.length} of ${names.length} frames have no mask in ${o.masks} (COLMAP expects ${path.basename(maskFileFor(o.masks, missing[0]))} ` +
          `for ${missing[0]}); write the masks, or extract features on the whole frame with \`--pose-features all\``,
        { path: o.masks },
      );
    }
  }
  const version = await colmapVersion({ colmapPath: o.colmapPath, signal: opts.signal });
  await mkdir(o.workDir, { recursive: true });
  const manifestPath = path.join(o.workDir, 'stages.json');
  const manifest = await readManifest(manifestPath);
  const common = { colmapPath: o.colmapPath, threads: o.threads, signal: opts.signal, onProgress: report };
  const timings = {} as PoseEstimate['timings'];

  // Extraction: depends on the frames, the masks and the camera / SIFT options.
  const frameStamps = await Promise.all(names.map((n) => stampOf(path.join(o.frames, n), n)));
  const maskStamps = useMasks ? await Promise.all(names.map((n) => stampOf(maskFileFor(o.masks!, n), n))) : null;
  const extractKey = hashOf({ version, frames: o.frames, frameStamps, maskStamps, o: [o.poseFeatures, o.cameraModel, o.maxImageSize] });
  const featuresDb = path.join(o.workDir, 'features.db');
  if (manifest.extract?.key === extractKey && (await exists(featuresDb))) {
    timings.extract = { ms: manifest.extract.ms, cached: true };
    report({ stage: 'extract', phase: 'cached', elapsedMs: manifest.extract.ms });
  } else {
    delete manifest.extract;
    delete manifest.match;
    delete manifest.map;
    await writeAtomic(manifestPath, JSON.stringify(manifest));
    const listPath = path.join(o.workDir, 'images.txt');
    await writeFile(listPath, names.join('\n') + '\n');
    const tmp = `${featuresDb}.tmp`;
    await rm(tmp, { force: true });
    const r = await extractFeatures({
      ...common, database: tmp, imageDir: o.frames, imageListPath: listPath, maskDir: useMasks ? o.masks : undefined,
      cameraModel: o.cameraModel, maxImageSize: o.maxImageSize,
    });
    await rename(tmp, featuresDb);
    manifest.extract = { key: extractKey, ms: r.elapsedMs };
    timings.extract = { ms: r.elapsedMs, cached: false };
    await writeAtomic(manifestPath, JSON.stringify(manifest));
  }

  // Matching: the frame pairs, on a fresh copy of the features database.
  const pairsText = formatPairList(names, orbitPairs(names.length, o.overlap, o.loopOverlap));
  const matchKey = hashOf({ extractKey, pairsText });
  const matchesDb = path.join(o.workDir, 'matches.db');
  if (manifest.match?.key === matchKey && (await exists(matchesDb))) {
    timings.match = { ms: manifest.match.ms, cached: true };
    report({ stage: 'match', phase: 'cached', elapsedMs: manifest.match.ms });
  } else {
    delete manifest.match;
    delete manifest.map;
    await writeAtomic(manifestPath, JSON.stringify(manifest));
    const pairsPath = path.join(o.workDir, 'pairs.txt');
    await writeFile(pairsPath, pairsText);
    const tmp = `${matchesDb}.tmp`;
    await copyFile(featuresDb, tmp);
    const r = await matchPairs({ ...common, database: tmp, pairsPath });
    await rename(tmp, matchesDb);
    manifest.match = { key: matchKey, ms: r.elapsedMs };
    timings.match = { ms: r.elapsedMs, cached: false };
    await writeAtomic(manifestPath, JSON.stringify(manifest));
  }

  // Mapping.
  const mapKey = hashOf({ matchKey });
  const sparse = path.join(o.workDir, 'sparse');
  let models = manifest.map?.key === mapKey ? await modelsIn(sparse) : [];
  if (models.length > 0) {
    timings.map = { ms: manifest.map!.ms, cached: true };
    report({ stage: 'map', phase: 'cached', elapsedMs: manifest.map!.ms });
  } else {
    delete manifest.map;
    await writeAtomic(manifestPath, JSON.stringify(manifest));
    const tmp = `${sparse}.tmp`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp);
    const r = await runMapper({ ...common, database: matchesDb, imageDir: o.frames, outputDir: tmp, totalImages: names.length });
    await rm(sparse, { recursive: true, force: true });
    await rename(tmp, sparse);
    models = await modelsIn(sparse);
    if (models.length === 0) {
      throw new ReconstructionError(`COLMAP's mapper finished but wrote no model into ${sparse}; try a larger overlap or \`--pose-features all\``, {
        path: sparse, stdoutTail: r.stdoutTail, stderrTail: r.stderrTail,
      });
    }
    manifest.map = { key: mapKey, ms: r.elapsedMs };
    timings.map = { ms: r.elapsedMs, cached: false };
    await writeAtomic(manifestPath, JSON.stringify(manifest));
  }

  // Conversion: largest model → our conventions → unit box → every frame → transforms.json.
  const t0 = performance.now();
  report({ stage: 'convert', phase: 'start', elapsedMs: 0 });
  const { dir: modelDir, model } = models[0];
  const placed = await placeModel(model, o.masks, useMasks, o.normalize);
  const frames = posesForFrames(names, { names: placed.names, c2w: placed.norm.c2wUnit }, o);
  const relNames = names.map((n) => path.relative(path.dirname(o.transformsPath), path.join(o.frames, n)).split(path.sep).join('/'));
  const json = transformsToJson(placed.intrinsics, frames.c2w, placed.norm.worldToUnit, { names: relNames });
  const missing = new Set(frames.unregistered);
  (json.frames as Array<Record<string, unknown>>).forEach((f, i) => {
    if (missing.has(names[i])) f.pose_interpolated = true;
  });
  await mkdir(path.dirname(o.transformsPath), { recursive: true });
  await writeAtomic(o.transformsPath, JSON.stringify(json, null, 2) + '\n');
  const convertMs = performance.now() - t0;
  timings.convert = { ms: convertMs, cached: false };
  report({ stage: 'convert', phase: 'done', elapsedMs: convertMs });

  const { c2wWorld: _w, c2wUnit: _u, ...normalization } = placed.norm;
  return {
    intrinsics: placed.intrinsics,
    names,
    c2w: frames.c2w,
    worldToUnit: placed.norm.worldToUnit,
    registered: frames.registered,
    unregistered: frames.unregistered,
    transformsPath: o.transformsPath,
    modelDir,
    modelCount: models.length,
    colmapVersion: version,
    normalization,
    timings,
  };
}

/** Options of {@link loadPoseSource}. */
export interface LoadPoseSourceOptions extends PoseFrameOptions {
  /**
   * The frames the poses are for, in frame order (names; matched to the file's entries by name,
   * else by file stem). Default: every entry of the file, in its order.
   */
  frames?: readonly string[];
  /** Object masks (`NAME.png` per image, as for COLMAP) to locate the object in a COLMAP model; optional. */
  masks?: string;
}

/** The result of {@link loadPoseSource}. */
export interface LoadedPoses extends FramePoses {
  /** What was read. */
  source: 'transforms.json' | 'colmap';
  /** The file or model folder read (absolute). */
  path: string;
}

/**
 * Loads known poses (`--poses FILE`) instead of running COLMAP: a transforms.json (the file, or a
 * folder holding one; placed in the unit box by `loadPoses`, i.e. as the dataset loader does), or
 * a COLMAP model folder (binary or text; a mapper output folder with numbered models uses the
 * largest), converted and normalised as {@link estimatePoses} does.
 *
 * @throws TypeError for bad options; PoseError / ColmapModelError for an unusable path or model;
 *   DatasetError for a malformed transforms.json; TooFewRegisteredError when frames lack poses.
 */
export async function loadPoseSource(file: string, opts: LoadPoseSourceOptions = {}): Promise<LoadedPoses> {
  if (typeof file !== 'string' || file.length === 0) throw new TypeError('file must be a non-empty string');
  const o = resolveFrameOptions(opts, 'opts');
  const abs = path.resolve(file);
  let st;
  try {
    st = await stat(abs);
  } catch (e) {
    throw new PoseError(`pose file ${abs} does not exist; pass a transforms.json or a COLMAP model folder`, { path: abs, cause: e });
  }
  let known: { intrinsics: Intrinsics; names: string[]; c2w: Float64Array[]; worldToUnit: WorldToUnit };
  let source: LoadedPoses['source'];
  let from = abs;
  if (st.isFile() || (await exists(path.join(abs, TRANSFORMS_FILE_NAME)))) {
    const p = await loadPoses(abs);
    known = { intrinsics: p.intrinsics, names: p.names, c2w: p.c2w, worldToUnit: p.worldToUnit };
    source = 'transforms.json';
  } else {
    let model: ColmapModel;
    if ((await detectModelFormat(abs)) !== undefined) {
      model = await readColmapModel(abs);
    } else {
      const found = (await modelsIn(abs)).concat(await modelsIn(path.join(abs, 'sparse')));
      found.sort((a, b) => b.model.images.size - a.model.images.size);
      if (found.length === 0) {
        throw new PoseError(
          `${abs} holds neither a transforms.json nor a COLMAP model (cameras/images/points3D .bin or .txt, directly or in ` +
            'numbered sub-folders such as sparse/0)',
          { path: abs },
        );
      }
      model = found[0].model;
      from = found[0].dir;
    }
    const placed = await placeModel(model, opts.masks, false, o.normalize);
    known = { intrinsics: placed.intrinsics, names: placed.names, c2w: placed.norm.c2wUnit, worldToUnit: placed.norm.worldToUnit };
    source = 'colmap';
  }
  const names = opts.frames ? [...opts.frames] : known.names;
  const r = posesForFrames(names, known, o);
  return { intrinsics: known.intrinsics, names, c2w: r.c2w, worldToUnit: known.worldToUnit, registered: r.registered, unregistered: r.unregistered, source, path: from };
}
