/**
 * `reliquary bench rd` as a library call: the paper's rate-distortion experiments (Zhang & Chen 2025,
 * Sect. 4.3) on any input video, against x264, x265 and SVT-AV1, every point cached so that an
 * interrupted sweep resumes.
 *
 * The run, in order:
 *  1. The coded input: the video itself, or (`--quick`) every k-th frame scaled to a short side,
 *     stored losslessly (FFV1) so that every codec is judged against the same frames.
 *  2. The video front end of `encode` (segmentation, COLMAP poses): one posed RGBA capture shared by
 *     every Reliquary point; its binary masks define PSNR-CENTER for every point.
 *  3. FP experiment (Fig. 3): one field per λ × d_f trained on the capture, coded to `.rlq`, decoded
 *     (bitstream → render at every pose). Reference: the object-only video (the source multiplied by
 *     the soft alpha, on black), which the anchors code too.
 *  4. PC experiment (Fig. 4): the field of (λ_pc, d_f,pc), shared with the FP point of the same
 *     setting, plus one background stream per GOP × CRF (`withBackground`); the decode composites the
 *     field's renders over the decoded background exactly as `decodeFile` does. Reference: the video.
 *  5. Anchors on the same reference frames over their CRF × GOP grids. A curve whose PSNR-CENTER range
 *     does not cover Reliquary's is extended CRF by CRF, so that the Bjøntegaard deltas are
 *     integrated over an overlap, never extrapolated.
 *  6. BD-rate and BD-PSNR of each Reliquary curve against each anchor (its Pareto front over its
 *     GOPs), on PSNR and PSNR-CENTER; then the report (`report/`).
 *
 * Layout of the output folder: `index.html`, `results.json`, `results.csv`, `plots/`, `panel/`,
 * `frames/` (one decoded frame per point, for the panel), and `cache/` (the coded input, the capture,
 * fields, renders, anchors and `points/<key>.json`, the per-point cache).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { acquireGpu, adapterName, type GpuContext } from '../gpu/device.ts';
import { probeVideo, readVideoFrames } from '../video/ffmpeg.ts';
import { prepareVideoCapture, captureBackgroundFrames } from '../pipeline/video-capture.ts';
import { encodeDataset } from '../pipeline/encode.ts';
import { PRUNE_PRESETS } from '../train/train-config.ts';
import { prepareOutput } from '../pipeline/output-target.ts';
import { compareSequences, type CompareResult } from '../pipeline/compare.ts';
import { renderFrames } from '../pipeline/render-decoded.ts';
import { decodeFieldFile } from '../codec/field-file.ts';
import { withBackground } from '../codec/with-background.ts';
import { decodeBackgroundStream, encodeBackgroundStream } from '../background/background-stream.ts';
import { compositeOverBackground } from '../background/composite.ts';
import { getPreset, type Preset, type PresetName } from '../presets.ts';
import type { PoseFeatures } from '../poses/estimate-poses.ts';
import { codeAnchor, ANCHOR_MAX_CRF, type AnchorCodec } from './anchors.ts';
import { FULL_GRID, QUICK_GRID, cloneGrid, codedFrameStep, type RdGrid } from './rd-grid.ts';
import { bdQuality, bdRate, needsExtension, type RdCurve } from './bjontegaard.ts';
import type { BdRow, RdExperiment, RdPoint, RdResults } from './rd-results.ts';
import { writeReport } from './report/write-report.ts';

/** Options of {@link runRdBench}. */
export interface RdBenchOptions {
  /** The input video (anything ffmpeg reads). */
  video: string;
  /** The report folder (created); its `cache/` makes a rerun resume. */
  out: string;
  /** The CPU grid ({@link QUICK_GRID}) instead of the paper's ({@link FULL_GRID}). */
  quick?: boolean;
  /** A grid of one's own (overrides `quick`). */
  grid?: RdGrid;
  /** Which experiments (default both). */
  experiments?: RdExperiment[];
  /** Which anchors (default x264, x265, av1). */
  anchors?: AnchorCodec[];
  /** Training preset of the Reliquary fields (default `cpu`). */
  preset?: PresetName;
  /** Segmentation of the video front end. */
  segmentation?: { model?: string; masks?: string };
  /** Camera poses of the video front end. */
  poses?: { file?: string; features?: PoseFeatures; overlap?: number };
  /** An LPIPS ONNX model: adds LPIPS to every point. */
  lpips?: string;
  /** Index of the frame shown in the panel (default: the middle frame). */
  panelFrame?: number;
  /** A GPU context to use (default: acquired and released here). */
  gpu?: GpuContext;
  /** Changes the preset of every field (tests use a tiny architecture); part of the cache key via `configureKey`. */
  configure?: (p: Preset) => void;
  /** A string naming what `configure` does, so cached points of another configuration are not reused. */
  configureKey?: string;
  /** Progress lines. */
  onLog?: (line: string) => void;
}

/** What {@link runRdBench} returns. */
export interface RdBenchResult {
  results: RdResults;
  /** The files of the report. */
  files: string[];
  /** Points computed in this run (the rest came from the cache). */
  computed: string[];
}

const sha = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 16);
const fmtNum = (x: number) => String(x).replace('-', 'm');

interface Cached {
  fingerprint: string;
  point: RdPoint;
}

/** Runs the benchmark (see the module doc). */
export async function runRdBench(o: RdBenchOptions): Promise<RdBenchResult> {
  const grid = o.grid ?? cloneGrid(o.quick ? QUICK_GRID : FULL_GRID);
  const experiments = o.experiments ?? ['fp', 'pc'];
  const anchors = o.anchors ?? ['x264', 'x265', 'av1'];
  for (const e of experiments) if (e !== 'fp' && e !== 'pc') throw new TypeError(`experiments must be fp and/or pc (got ${String(e)})`);
  for (const a of anchors) if (!(a in ANCHOR_MAX_CRF)) throw new TypeError(`anchors must be among x264, x265, av1 (got ${String(a)})`);
  if (!existsSync(o.video) || !statSync(o.video).isFile()) throw new TypeError(`the input video ${o.video} must be an existing file`);
  codedFrameStep(grid, 1); // validates the grid's frame settings before any work
  const source = await probeVideo(o.video, { countFrames: true });
  const frameStep = codedFrameStep(grid, source.frameCount ?? 0);
  const scale = grid.maxShortSide ? scaleFilter(source.width, source.height, grid.maxShortSide) : null;
  const subsampled = frameStep !== 1 || scale !== null;
  if (subsampled && (o.segmentation?.masks || o.poses?.file)) {
    throw new TypeError('--masks and --poses describe the frames of the input video; with --quick (subsampled frames) let the benchmark segment and pose the frames itself, or use the full grid');
  }
  const log = o.onLog ?? (() => {});
  const out = resolve(o.out);
  prepareOutput(out, 'folder', 'the report folder');
  const cache = join(out, 'cache');
  for (const d of ['points', 'fields', 'anchors', 'renders', 'decoded']) mkdirSync(join(cache, d), { recursive: true });
  mkdirSync(join(out, 'frames'), { recursive: true });
  const computed: string[] = [];

  // 1. The coded input.
  const st = statSync(o.video);
  const inputKey = sha({ video: resolve(o.video), size: st.size, mtime: st.mtimeMs, step: frameStep, scale });
  let coded = o.video;
  if (subsampled) {
    coded = join(cache, `input-${inputKey}.mkv`);
    if (!existsSync(coded)) {
      log(`input: every ${frameStep}. frame${grid.maxShortSide ? `, short side ≤ ${grid.maxShortSide} px` : ''} (FFV1, lossless)`);
      const tmp = `${coded}.tmp.mkv`;
      execFileSync('ffmpeg', [
        '-v', 'error', '-y', '-i', o.video, '-an',
        '-vf', [`select='not(mod(n\\,${frameStep}))'`, `setpts=N/(${(source.fps || 30) / frameStep}*TB)`, ...(scale ? [scale] : [])].join(','),
        '-r', String((source.fps || 30) / frameStep), '-c:v', 'ffv1', '-pix_fmt', 'rgb24', tmp,
      ]);
      renameSync(tmp, coded);
    }
  }
  const info = await probeVideo(coded, { countFrames: true });

  // 2. The video front end (cached by prepareVideoCapture itself).
  log('front end: segmentation and poses (cached after the first run)');
  const capture = await prepareVideoCapture({
    video: coded, workDir: join(cache, 'capture'), model: o.segmentation?.model, masks: o.segmentation?.masks,
    poses: o.poses?.file, poseFeatures: o.poses?.features, poseOverlap: o.poses?.overlap,
    onStage: (s, d) => log(`front end: ${s}: ${d}`),
  });
  const frames = capture.names.length;
  const masks = join(cache, 'capture', 'colmap-masks');
  const frontEndSeconds = Object.values(capture.stageSeconds).reduce((a, s) => a + (Number.isFinite(s.seconds) ? s.seconds : 0), 0);
  const pixels = capture.width * capture.height * frames;
  const panelIndex = Math.min(frames - 1, Math.max(0, o.panelFrame ?? Math.floor(frames / 2)));
  const base = sha({ inputKey, capture: readFileSync(join(cache, 'capture', 'stages.json'), 'utf8'), lpips: o.lpips ?? null, panelIndex });
  // What a field is trained with: the preset's whole content (a changed default retrains) and the
  // encoder's visibility pruning.
  const presetName = o.preset ?? 'cpu';
  const fieldBase = sha({ base, preset: getPreset(presetName), steps: grid.steps, configure: o.configureKey ?? null, prune: PRUNE_PRESETS[presetName] });

  // The object-only reference (FP): the source times its soft alpha, on black.
  // Its `done` marker holds the key of the input and front end it was made from: a report folder reused
  // for another video (or another frame step) rebuilds it.
  const refFp = join(cache, 'ref-fp');
  const refDone = join(refFp, 'done');
  if (experiments.includes('fp') && !(existsSync(refDone) && readFileSync(refDone, 'utf8') === base)) {
    rmSync(refFp, { recursive: true, force: true });
    mkdirSync(refFp, { recursive: true });
    for (const n of capture.names) {
      const rgba = await sharp(join(cache, 'capture', 'rgba', n)).ensureAlpha().raw().toBuffer();
      await sharp(overBlack(new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.length)), { raw: { width: capture.width, height: capture.height, channels: 3 } }).png().toFile(join(refFp, n));
    }
    writeFileSync(refDone, base);
  }
  // The panel's reference crops: one frame each, cheap enough to write on every run.
  if (experiments.includes('pc')) await sharp(join(capture.framesDir, capture.names[panelIndex]!)).png().toFile(join(out, 'frames', 'reference-pc.png'));
  if (experiments.includes('fp')) copyFileSync(join(refFp, capture.names[panelIndex]!), join(out, 'frames', 'reference-fp.png'));

  const ctx = o.gpu ?? (await acquireGpu());
  const adapter = adapterName(ctx.adapter);
  const points: RdPoint[] = [];
  try {
    const cached = (key: string, fingerprint: string): RdPoint | undefined => {
      const f = join(cache, 'points', `${key}.json`);
      if (!existsSync(f)) return undefined;
      const c = JSON.parse(readFileSync(f, 'utf8')) as Cached;
      return c.fingerprint === fingerprint ? c.point : undefined;
    };
    const store = (point: RdPoint, fingerprint: string) => {
      const f = join(cache, 'points', `${point.key}.json`);
      writeFileSync(`${f}.tmp`, JSON.stringify({ fingerprint, point } satisfies Cached, null, 2));
      renameSync(`${f}.tmp`, f);
      computed.push(point.key);
    };
    const measure = async (ref: string, decoded: string, bytesFile: string): Promise<CompareResult> =>
      compareSequences({ ref, decoded, masks, bytesFile, lpips: o.lpips });
    const metrics = (c: CompareResult) => ({
      psnr: c.psnr.mean, psnrCenter: c.psnrCenter?.mean ?? Number.NaN, ssim: c.ssim.mean, msssim: c.msssim.mean, lpips: c.lpips?.mean ?? null,
    });

    // 3-4. Reliquary fields: trained once per (λ, d_f), rendered once, shared by FP and PC points.
    const fieldSettings: { lambda: number; df: number }[] = [];
    if (experiments.includes('fp')) for (const df of grid.fp.dfs) for (const lambda of grid.fp.lambdas) fieldSettings.push({ lambda, df });
    if (experiments.includes('pc') && !fieldSettings.some((f) => f.lambda === grid.pc.lambda && f.df === grid.pc.df)) fieldSettings.push({ lambda: grid.pc.lambda, df: grid.pc.df });
    const fields = new Map<string, { file: string; trainSeconds: number; renderDir: string; decodeSeconds: number }>();
    const fieldFor = async (lambda: number, df: number) => {
      const fk = `l${fmtNum(lambda)}-df${df}`;
      const hit = fields.get(fk);
      if (hit) return hit;
      const file = join(cache, 'fields', `${fk}.rlq`);
      const meta = join(cache, 'fields', `${fk}.json`);
      const renderDir = join(cache, 'renders', fk);
      const fp = sha({ fieldBase, lambda, df });
      let m = existsSync(meta) ? (JSON.parse(readFileSync(meta, 'utf8')) as { fingerprint: string; trainSeconds: number; decodeSeconds: number }) : undefined;
      if (!m || m.fingerprint !== fp || !existsSync(file) || !existsSync(join(renderDir, 'done'))) {
        log(`reliquary: training the field λ = ${lambda}, d_f = ${df}`);
        const r = await encodeDataset({
          dataset: capture.dataset, out: file, mode: 'fp', lambda, featuresPerLevel: df, preset: o.preset ?? 'cpu',
          steps: grid.steps ?? undefined, holdoutEvery: 0, fps: capture.fps, evalFrames: 1, workDir: join(cache, 'fields', `${fk}.work`),
          gpu: ctx, configure: o.configure,
        });
        const trainSeconds = r.seconds.train + r.seconds.code + r.seconds.verify;
        // The decoder's work: the bitstream, then a render at every pose (kept for FP and PC points).
        log(`reliquary: decoding λ = ${lambda}, d_f = ${df} (${frames} frames)`);
        const t0 = performance.now();
        const decoded = decodeFieldFile(new Uint8Array(readFileSync(file)));
        rmSync(renderDir, { recursive: true, force: true });
        mkdirSync(renderDir, { recursive: true });
        const indices = Array.from({ length: frames }, (_, i) => i);
        for await (const { index, rgba } of renderFrames(ctx, decoded, { indices, intrinsics: decoded.intrinsics, background: [0, 0, 0] })) {
          const raw = { raw: { width: capture.width, height: capture.height, channels: 4 as const } };
          await sharp(rgba, raw).png({ compressionLevel: 1 }).toFile(join(renderDir, `rgba_${String(index).padStart(5, '0')}.png`));
        }
        const decodeSeconds = (performance.now() - t0) / 1000;
        writeFileSync(join(renderDir, 'done'), '');
        m = { fingerprint: fp, trainSeconds, decodeSeconds };
        writeFileSync(meta, JSON.stringify(m));
      }
      const f = { file, trainSeconds: m.trainSeconds, renderDir, decodeSeconds: m.decodeSeconds };
      fields.set(fk, f);
      return f;
    };
    const renders = async function* (dir: string): AsyncGenerator<Uint8Array> {
      for (const n of readdirSync(dir).filter((f) => f.startsWith('rgba_')).sort()) {
        const b = await sharp(join(dir, n)).raw().toBuffer();
        yield new Uint8Array(b.buffer, b.byteOffset, b.length);
      }
    };
    const writeFolder = async (dir: string, frameSource: AsyncIterable<Uint8Array>) => {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      let i = 0;
      for await (const rgb of frameSource) {
        await sharp(rgb, { raw: { width: capture.width, height: capture.height, channels: 3 } }).png({ compressionLevel: 1 }).toFile(join(dir, `frame_${String(i++).padStart(5, '0')}.png`));
      }
    };

    if (experiments.includes('fp')) {
      for (const df of grid.fp.dfs) {
        for (const lambda of grid.fp.lambdas) {
          const key = `fp-reliquary-l${fmtNum(lambda)}-df${df}`;
          const fingerprint = sha({ fieldBase, lambda, df, kind: 'fp' });
          const hit = cached(key, fingerprint);
          if (hit) {
            points.push(hit);
            continue;
          }
          const f = await fieldFor(lambda, df);
          const dir = join(cache, 'decoded', key);
          await writeFolder(dir, (async function* () {
            for await (const rgba of renders(f.renderDir)) yield overBlack(rgba, true);
          })());
          log(`reliquary: measuring ${key}`);
          const c = await measure(refFp, dir, f.file);
          copyFileSync(join(dir, `frame_${String(panelIndex).padStart(5, '0')}.png`), join(out, 'frames', `${key}.png`));
          rmSync(dir, { recursive: true, force: true });
          const bytes = statSync(f.file).size;
          const point: RdPoint = {
            key, experiment: 'fp', codec: 'reliquary', label: `λ ${lambda}, d_f ${df}`, params: { lambda, df, steps: grid.steps ?? 'preset' },
            bytes, bpp: (bytes * 8) / pixels, ...metrics(c), encodeSeconds: f.trainSeconds, decodeSeconds: f.decodeSeconds, sharedSeconds: frontEndSeconds,
            adapter, panelFrame: `frames/${key}.png`,
          };
          store(point, fingerprint);
          points.push(point);
        }
      }
    }

    if (experiments.includes('pc')) {
      const { lambda, df } = grid.pc;
      for (const gop of grid.pc.bgGops) {
        for (const crf of grid.pc.bgCrfs) {
          const key = `pc-reliquary-l${fmtNum(lambda)}-df${df}-bgcrf${crf}-bggop${gop}`;
          const fingerprint = sha({ fieldBase, lambda, df, gop, crf, kind: 'pc' });
          const hit = cached(key, fingerprint);
          if (hit) {
            points.push(hit);
            continue;
          }
          const f = await fieldFor(lambda, df);
          log(`reliquary: background CRF ${crf}, GOP ${gop}`);
          const t0 = performance.now();
          const bg = await encodeBackgroundStream(() => captureBackgroundFrames(capture), { width: capture.width, height: capture.height, fps: capture.fps, crf, gop });
          const bgSeconds = (performance.now() - t0) / 1000;
          const file = join(cache, 'fields', `${key}.rlq`);
          const bytes = withBackground(new Uint8Array(readFileSync(f.file)), bg);
          writeFileSync(file, bytes);
          // The decoder: background stream, composited under the field's renders (premultiplied).
          const dir = join(cache, 'decoded', key);
          const t1 = performance.now();
          await writeFolder(dir, (async function* () {
            const backs = decodeBackgroundStream(bg.video, bg.meta);
            try {
              for await (const rgba of renders(f.renderDir)) {
                const b = await backs.next();
                if (b.done) throw new Error(`internal error: the background stream of ${key} ended early`);
                yield compositeOverBackground(rgba, b.value, { alpha: 'premultiplied' });
              }
            } finally {
              await backs.return(undefined);
            }
          })());
          const compositeSeconds = (performance.now() - t1) / 1000;
          log(`reliquary: measuring ${key}`);
          const c = await measure(coded, dir, file);
          copyFileSync(join(dir, `frame_${String(panelIndex).padStart(5, '0')}.png`), join(out, 'frames', `${key}.png`));
          rmSync(dir, { recursive: true, force: true });
          const point: RdPoint = {
            key, experiment: 'pc', codec: 'reliquary', label: `λ ${lambda}, d_f ${df}, bg CRF ${crf} GOP ${gop}`,
            params: { lambda, df, steps: grid.steps ?? 'preset', bgCrf: crf, bgGop: gop, bgCodec: 'x264' },
            bytes: bytes.length, bpp: (bytes.length * 8) / pixels, ...metrics(c),
            encodeSeconds: bgSeconds, sharedSeconds: f.trainSeconds + frontEndSeconds, decodeSeconds: f.decodeSeconds + compositeSeconds,
            adapter, panelFrame: `frames/${key}.png`,
          };
          store(point, fingerprint);
          points.push(point);
        }
      }
    }

    // 5. Anchors, with their ranges extended to cover Reliquary's PSNR-CENTER range.
    for (const exp of experiments) {
      const relCurve: RdCurve = points.filter((p) => p.experiment === exp && p.codec === 'reliquary' && Number.isFinite(p.psnrCenter)).map((p) => ({ rate: p.bpp, quality: p.psnrCenter }));
      const ref = exp === 'fp' ? refFp : coded;
      const frameSource = exp === 'fp'
        ? async function* () {
          for (const n of capture.names) {
            const b = await sharp(join(refFp, n)).removeAlpha().raw().toBuffer();
            yield new Uint8Array(b.buffer, b.byteOffset, b.length);
          }
        }
        : () => readVideoFrames(coded);
      for (const codec of anchors) {
        const g = grid[exp].anchors[codec];
        for (const gop of g.gops) {
          const curve: RdPoint[] = [];
          const run = async (crf: number, extension: boolean) => {
            const key = `${exp}-${codec}-crf${crf}-gop${gop}`;
            const fingerprint = sha({ base, exp, codec, crf, gop });
            let point = cached(key, fingerprint);
            if (!point) {
              log(`${codec}: ${exp.toUpperCase()} CRF ${crf}, GOP ${gop}`);
              const path = join(cache, 'anchors', `${key}.mp4`);
              const a = await codeAnchor(path, frameSource, { width: capture.width, height: capture.height, fps: capture.fps }, { codec, crf, gop });
              if (a.frames !== frames) throw new Error(`internal error: ${path} decodes to ${a.frames} frames, the input has ${frames}`);
              const c = await measure(ref, path, path);
              await extractFrame(path, panelIndex, join(out, 'frames', `${key}.png`));
              point = {
                key, experiment: exp, codec, label: `CRF ${crf}, GOP ${gop}`, params: { crf, gop }, bytes: a.bytes, bpp: (a.bytes * 8) / pixels,
                ...metrics(c), encodeSeconds: a.encodeSeconds, decodeSeconds: a.decodeSeconds, adapter: `cpu (${codec === 'av1' ? 'libsvtav1' : `lib${codec}`})`,
                panelFrame: `frames/${key}.png`, ...(extension ? { extension: true } : {}),
              };
              store(point, fingerprint);
            }
            curve.push(point);
            points.push(point);
          };
          for (const crf of g.crfs) await run(crf, false);
          if (relCurve.length === 0) continue;
          const maxCrf = ANCHOR_MAX_CRF[codec];
          for (let k = 0; k < grid.maxExtensions; k++) {
            const need = needsExtension(curve.map((p) => ({ rate: p.bpp, quality: p.psnrCenter })), relCurve);
            if (need === null) break;
            const crfs = curve.map((p) => Number(p.params.crf));
            let added = false;
            if (need === 'higher' || need === 'both') {
              const c = Math.min(...crfs) - grid.extensionStep;
              if (c >= 0) { await run(c, true); added = true; }
            }
            if (need === 'lower' || need === 'both') {
              const c = Math.min(maxCrf, Math.max(...crfs) + grid.extensionStep);
              if (!crfs.includes(c)) { await run(c, true); added = true; }
            }
            if (!added) break;
          }
        }
      }
    }
  } finally {
    if (!o.gpu) ctx.destroy();
  }

  // 6. Bjøntegaard deltas and the report.
  const bd = bdRows(points, experiments, anchors);
  const results: RdResults = {
    version: 1, date: new Date().toISOString(),
    input: {
      video: o.video, width: source.width, height: source.height, frames: source.frameCount ?? frames, fps: source.fps,
      coded: { width: info.width, height: info.height, frames },
    },
    settings: {
      quick: Boolean(o.quick), grid, frameStep, experiments, anchors, preset: o.preset ?? 'cpu', segmentation: o.segmentation?.masks ? `masks ${o.segmentation.masks}` : (o.segmentation?.model ?? 'isnet'),
      poses: o.poses?.file ? `file ${o.poses.file}` : `COLMAP (${o.poses?.features ?? 'object'} features)`, panelFrame: panelIndex, lpips: o.lpips ?? null,
      frontEndSeconds: capture.stageSeconds,
    },
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', adapter },
    points, bd,
  };
  const box = await objectBox(join(masks, `${capture.names[panelIndex]}.png`));
  const files = await writeReport(results, out, {
    panel: {
      ...(box ? { objectBox: box } : {}),
      referenceFrame: { ...(experiments.includes('fp') ? { fp: 'frames/reference-fp.png' } : {}), ...(experiments.includes('pc') ? { pc: 'frames/reference-pc.png' } : {}) },
    },
  });
  return { results, files, computed };
}

/** The ffmpeg scale filter that brings the short side to `side` px (even sizes, aspect kept). */
function scaleFilter(width: number, height: number, side: number): string | null {
  if (Math.min(width, height) <= side) return null;
  return width <= height ? `scale=${side}:-2:flags=area` : `scale=-2:${side}:flags=area`;
}

/**
 * RGB over black from RGBA: straight alpha (a capture's RGBA frames) is multiplied by α/255;
 * `premultiplied` colour (a render over black) is already the composite and is kept.
 */
function overBlack(rgba: Uint8Array, premultiplied = false): Uint8Array {
  const out = new Uint8Array((rgba.length / 4) * 3);
  for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
    const a = premultiplied ? 255 : rgba[p + 3]!;
    out[q] = Math.round((rgba[p]! * a) / 255);
    out[q + 1] = Math.round((rgba[p + 1]! * a) / 255);
    out[q + 2] = Math.round((rgba[p + 2]! * a) / 255);
  }
  return out;
}

/** Writes frame `index` of a video as a PNG. */
async function extractFrame(video: string, index: number, png: string): Promise<void> {
  let i = 0;
  for await (const rgb of readVideoFrames(video)) {
    if (i++ !== index) continue;
    const { width, height } = await probeVideo(video);
    await sharp(rgb, { raw: { width, height, channels: 3 } }).png().toFile(png);
    break;
  }
}

/** The bounding box of a mask's white pixels, or undefined when it has none. */
async function objectBox(mask: string): Promise<{ x: number; y: number; width: number; height: number } | undefined> {
  if (!existsSync(mask)) return undefined;
  const { data, info } = await sharp(mask).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      if (data[y * info.width + x]! < 128) continue;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  }
  return x1 < 0 ? undefined : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** The Pareto front (higher quality at lower rate) of a set of points on one metric. */
export function paretoFront(points: readonly RdPoint[], metric: 'psnr' | 'psnrCenter'): RdPoint[] {
  const sorted = points.filter((p) => Number.isFinite(p[metric])).slice().sort((a, b) => a.bpp - b.bpp || b[metric] - a[metric]);
  const front: RdPoint[] = [];
  for (const p of sorted) if (front.length === 0 || p[metric] > front[front.length - 1]![metric]) front.push(p);
  return front;
}

/**
 * BD-rate and BD-PSNR of every Reliquary curve (FP: one per d_f over λ; PC: one per background GOP
 * over CRF) against every anchor's Pareto front over its GOPs, on PSNR and PSNR-CENTER.
 */
export function bdRows(points: readonly RdPoint[], experiments: readonly RdExperiment[], anchors: readonly AnchorCodec[]): BdRow[] {
  const rows: BdRow[] = [];
  for (const exp of experiments) {
    const rel = points.filter((p) => p.experiment === exp && p.codec === 'reliquary');
    const groups = new Map<string, RdPoint[]>();
    for (const p of rel) {
      const name = exp === 'fp' ? `d_f ${p.params.df}` : `bg GOP ${p.params.bgGop}`;
      groups.set(name, [...(groups.get(name) ?? []), p]);
    }
    for (const anchor of anchors) {
      const a = points.filter((p) => p.experiment === exp && p.codec === anchor);
      for (const [curve, ps] of groups) {
        for (const metric of ['psnr', 'psnrCenter'] as const) {
          const toCurve = (xs: readonly RdPoint[]): RdCurve => xs.filter((p) => Number.isFinite(p[metric]) && p.bpp > 0).map((p) => ({ rate: p.bpp, quality: p[metric] }));
          const front = toCurve(paretoFront(a, metric));
          const test = toCurve(ps);
          if (front.length < 2 || test.length < 2) {
            rows.push({ experiment: exp, anchor, curve, metric, bdRate: null, bdQuality: null, overlap: null, note: `needs ≥ 2 points per curve (anchor ${front.length}, Reliquary ${test.length})` });
            continue;
          }
          const r = bdRate(front, test);
          const q = bdQuality(front, test);
          const notes = [r.reason, q.reason && q.reason !== r.reason ? q.reason : undefined, ...r.notes].filter(Boolean) as string[];
          if (r.coverage && r.coverage.test < 0.999) notes.push(`overlap covers ${(100 * r.coverage.test).toFixed(0)}% of Reliquary's ${metric === 'psnr' ? 'PSNR' : 'PSNR-CENTER'} range`);
          rows.push({
            experiment: exp, anchor, curve, metric, bdRate: r.value, bdQuality: q.value,
            overlap: r.interval ? [r.interval[0], r.interval[1]] : null, ...(notes.length ? { note: notes.join('; ') } : {}),
          });
        }
      }
    }
  }
  return rows;
}
