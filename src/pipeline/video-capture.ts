/**
 * The video front end of the encoder (the paper's Sect. 3.2 encoder steps 1-3): a video file becomes a
 * posed object capture the trainer reads.
 *
 *   video ──frames──▶ frames/ (RGB PNG, source size)
 *         ──segment─▶ alpha/ (soft alpha), colmap-masks/ (binary, COLMAP's NAME.png naming),
 *                     rgba/ (frame + soft alpha: what the trainer reads)
 *         ──poses───▶ colmap/ (COLMAP work folder) or --poses FILE
 *         ─────────▶ transforms.json (unit-box poses, `rgba/…` images)
 *
 * Frames stream through each stage one at a time (memory stays bounded whatever the video's length);
 * everything lands in `workDir`, and each stage records a key (the input file's size and mtime plus the
 * stage's options) in `stages.json`, so a killed encode resumes where it stopped and a rerun with the
 * same input skips finished stages.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { probeVideo, readVideoFrames } from '../video/ffmpeg.ts';
import { DatasetError } from '../data/dataset-error.ts';
import { writeTransforms } from '../data/transforms.ts';
import { segmentFrames, type SegmentFramesOptions } from '../segment/segmenter.ts';
import { ReconstructionError, TooFewRegisteredError } from '../poses/errors.ts';
import { estimatePoses, loadPoseSource, type PoseFeatures, type FramePoses, type PoseEstimate } from '../poses/estimate-poses.ts';
import type { BackgroundFrame } from '../background/background-stream.ts';

export interface VideoCaptureOptions {
  /** The input video (anything ffmpeg reads). */
  video: string;
  /** Work folder (created); reused by a rerun. */
  workDir: string;
  /** Segmentation model reference (`isnet`, `isnet-small`, `onnx:PATH`); default `isnet`. */
  model?: string;
  /** Masks made elsewhere (`--masks DIR`), one per frame, instead of a model. */
  masks?: string;
  /** Known poses (`--poses FILE`: a transforms.json or a COLMAP model folder) instead of running COLMAP. */
  poses?: string;
  /** COLMAP features on the object only (default, the paper's) or on the whole frame. */
  poseFeatures?: PoseFeatures;
  /** Each frame is matched with its next `poseOverlap` frames (default 10). */
  poseOverlap?: number;
  onStage?(stage: 'frames' | 'segment' | 'poses', detail: string): void;
  onProgress?(stage: 'frames' | 'segment', done: number, total: number | undefined): void;
}

export interface VideoCapture {
  /** transforms.json of the posed RGBA capture (what `encodeDataset` reads). */
  dataset: string;
  /** RGB frames (PNG), in order. */
  framesDir: string;
  /** Soft alpha masks (PNG, grey), in order. */
  alphaDir: string;
  names: string[];
  width: number;
  height: number;
  fps: number;
  poses: FramePoses;
  /**
   * Wall-clock seconds of each front-end stage. A stage found in the cache reports the time of the
   * run that made it, with `cached` set.
   */
  stageSeconds: Record<VideoStage, { seconds: number; cached: boolean }>;
}

/** The front-end stages, in order. */
export type VideoStage = 'frames' | 'segment' | 'poses';

interface Stages {
  [stage: string]: string;
}

const frameName = (i: number) => `frame_${String(i).padStart(5, '0')}.png`;

export async function prepareVideoCapture(o: VideoCaptureOptions): Promise<VideoCapture> {
  if (!existsSync(o.video)) throw new DatasetError(`${o.video} does not exist`, { path: o.video });
  const work = resolve(o.workDir);
  mkdirSync(work, { recursive: true });
  const stagesFile = join(work, 'stages.json');
  const stages: Stages = existsSync(stagesFile) ? (JSON.parse(readFileSync(stagesFile, 'utf8')) as Stages) : {};
  const mark = (stage: string, key: string) => {
    stages[stage] = key;
    const tmp = `${stagesFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(stages, null, 2));
    renameSync(tmp, stagesFile);
  };
  const timingsFile = join(work, 'timings.json');
  const timings: Partial<Record<VideoStage, number>> = existsSync(timingsFile) ? (JSON.parse(readFileSync(timingsFile, 'utf8')) as Partial<Record<VideoStage, number>>) : {};
  const stageSeconds = {} as VideoCapture['stageSeconds'];
  /** Records a stage that ran (`t0` its start) or was found in the cache (`t0` undefined). */
  const timed = (stage: VideoStage, t0: number | undefined) => {
    if (t0 === undefined) {
      stageSeconds[stage] = { seconds: timings[stage] ?? Number.NaN, cached: true };
      return;
    }
    timings[stage] = (performance.now() - t0) / 1000;
    stageSeconds[stage] = { seconds: timings[stage], cached: false };
    const tmp = `${timingsFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(timings, null, 2));
    renameSync(tmp, timingsFile);
  };
  const st = statSync(o.video);
  const inputKey = `${resolve(o.video)}|${st.size}|${st.mtimeMs}`;
  const info = await probeVideo(o.video, { countFrames: true });
  const { width, height } = info;
  const fps = info.fps > 0 ? info.fps : 30;

  // 1. Frames, at the source size.
  const framesDir = join(work, 'frames');
  const framesKey = inputKey;
  let names: string[];
  if (stages.frames === framesKey && existsSync(join(work, 'frames.json'))) {
    names = JSON.parse(readFileSync(join(work, 'frames.json'), 'utf8')) as string[];
    timed('frames', undefined);
  } else {
    const t0 = performance.now();
    o.onStage?.('frames', `${width}x${height} at ${fps.toFixed(2)} fps`);
    // A work folder reused for another video: no frame of the old one may stay behind.
    rmSync(framesDir, { recursive: true, force: true });
    mkdirSync(framesDir, { recursive: true });
    names = [];
    for await (const rgb of readVideoFrames(o.video)) {
      const name = frameName(names.length);
      await sharp(rgb, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 1 }).toFile(join(framesDir, name));
      names.push(name);
      o.onProgress?.('frames', names.length, info.frameCount);
    }
    if (names.length === 0) throw new DatasetError(`${o.video} holds no video frames`, { path: o.video });
    writeFileSync(join(work, 'frames.json'), JSON.stringify(names));
    mark('frames', framesKey);
    timed('frames', t0);
  }

  // 2. Segmentation: soft alpha, binary COLMAP masks, RGBA training images.
  const alphaDir = join(work, 'alpha');
  const colmapMasks = join(work, 'colmap-masks');
  const rgbaDir = join(work, 'rgba');
  const segKey = `${framesKey}|${o.masks ? `masks:${resolve(o.masks)}` : `model:${o.model ?? 'isnet'}`}`;
  if (stages.segment === segKey) {
    timed('segment', undefined);
  } else {
    const t0 = performance.now();
    o.onStage?.('segment', o.masks ? `masks from ${o.masks}` : `model ${o.model ?? 'isnet'}`);
    // Folders are read whole (a mask folder must hold one mask per frame): start them empty.
    for (const d of [alphaDir, colmapMasks, rgbaDir]) {
      rmSync(d, { recursive: true, force: true });
      mkdirSync(d, { recursive: true });
    }
    async function* frames() {
      for (const n of names) {
        const { data, info: i } = await sharp(join(framesDir, n)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        yield { rgb: new Uint8Array(data.buffer, data.byteOffset, data.length), width: i.width, height: i.height, name: n };
      }
    }
    const opts: SegmentFramesOptions = o.masks ? { masks: o.masks } : { model: o.model ?? 'isnet' };
    let done = 0;
    for await (const s of segmentFrames(frames(), opts)) {
      const n = s.frame.name;
      const gray = { raw: { width, height, channels: 1 as const } };
      await sharp(s.alpha, gray).png({ compressionLevel: 1 }).toFile(join(alphaDir, n));
      await sharp(s.mask, gray).png({ compressionLevel: 1 }).toFile(join(colmapMasks, `${n}.png`));
      const rgba = new Uint8Array(width * height * 4);
      for (let p = 0, q = 0; p < width * height; p++, q += 3) {
        rgba[4 * p] = s.frame.rgb[q]!;
        rgba[4 * p + 1] = s.frame.rgb[q + 1]!;
        rgba[4 * p + 2] = s.frame.rgb[q + 2]!;
        rgba[4 * p + 3] = s.alpha[p]!;
      }
      await sharp(rgba, { raw: { width, height, channels: 4 } }).png({ compressionLevel: 1 }).toFile(join(rgbaDir, n));
      o.onProgress?.('segment', ++done, names.length);
    }
    mark('segment', segKey);
    timed('segment', t0);
  }

  // 3. Poses: COLMAP on the object frames (or the whole frames), or a given file.
  const features = o.poseFeatures ?? 'object';
  const poseKey = `${segKey}|${o.poses ? `file:${resolve(o.poses)}` : `colmap:${features}:${o.poseOverlap ?? 10}`}`;
  const dataset = join(work, 'transforms.json');
  let poses: FramePoses;
  const tPoses = performance.now();
  let colmap: PoseEstimate['timings'] | undefined;
  if (o.poses) {
    o.onStage?.('poses', `from ${o.poses}`);
    // A video's frames have no names of their own: a poses file with exactly one pose per frame is
    // taken in its (sorted) order; otherwise poses are matched by file name and the rest interpolated.
    const all = await loadPoseSource(o.poses, { masks: colmapMasks });
    poses = all.c2w.length === names.length ? { ...all, names } : await loadPoseSource(o.poses, { frames: names, masks: colmapMasks });
  } else {
    o.onStage?.('poses', `COLMAP, ${features === 'object' ? 'features on the object' : 'features on the whole frame'}`);
    const run = (f: PoseFeatures, dir: string) => estimatePoses({
      frames: framesDir, masks: colmapMasks, workDir: join(work, dir), poseFeatures: f,
      overlap: o.poseOverlap, transformsPath: join(work, dir, 'transforms.json'),
    });
    let estimate: PoseEstimate;
    try {
      estimate = await run(features, 'colmap');
    } catch (e) {
      // The object alone can hold too few features (a small or plain object, a low resolution).
      // When the user did not choose, the whole frame is tried once before giving up.
      if (o.poseFeatures !== undefined || !(e instanceof ReconstructionError || e instanceof TooFewRegisteredError)) throw e;
      o.onStage?.('poses', `COLMAP on the object failed (${e.message.split(';')[0]}); retrying with features on the whole frame`);
      estimate = await run('all', 'colmap-all');
    }
    poses = estimate;
    colmap = estimate.timings;
  }
  if (poses.c2w.length !== names.length) {
    throw new DatasetError(`the poses cover ${poses.c2w.length} frames but the video has ${names.length}; every frame needs a pose`, { path: o.poses ?? o.video });
  }
  writeTransforms(dataset, poses.intrinsics, poses.c2w, poses.worldToUnit, { names: names.map((n) => `rgba/${n}`) });
  mark('poses', poseKey);
  // estimatePoses keeps its own cache of COLMAP's steps; a rerun that found them reports their time.
  if (colmap && colmap.extract.cached && colmap.match.cached && colmap.map.cached) {
    const ms = colmap.extract.ms + colmap.match.ms + colmap.map.ms + colmap.convert.ms;
    stageSeconds.poses = { seconds: ms / 1000, cached: true };
  } else {
    timed('poses', tPoses);
  }
  return { dataset, framesDir, alphaDir, names, width, height, fps, poses, stageSeconds };
}

/** The source frames and their soft alphas, one at a time (the background stream's input). */
export async function* captureBackgroundFrames(c: Pick<VideoCapture, 'names' | 'framesDir' | 'alphaDir'>): AsyncGenerator<BackgroundFrame> {
  for (const n of c.names) {
    const rgb = await sharp(join(c.framesDir, n)).removeAlpha().raw().toBuffer();
    const alpha = await sharp(join(c.alphaDir, n)).extractChannel(0).raw().toBuffer();
    yield { pixels: new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.length), mask: new Uint8Array(alpha.buffer, alpha.byteOffset, alpha.length) };
  }
}
