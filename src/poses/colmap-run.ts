/**
 * Runs the three COLMAP steps that turn frames into a sparse model: SIFT feature extraction
 * (optionally restricted to object masks), matching of an explicit list of frame pairs, and
 * incremental mapping (Zhang & Chen 2025, Sect. 3.4: SIFT key points P_k, correspondences M
 * (eq. 18), incremental SfM with bundle adjustment giving K and [R_i | t_i] (eq. 19)).
 *
 * Why a pair list instead of COLMAP's exhaustive matcher: exhaustive matching is quadratic and far
 * too slow on CPU for hundreds of frames (67 frames at 540x960 took ~7 min on 2 cores). Video
 * frames of an orbit only overlap with their neighbours, so {@link orbitPairs} lists each frame
 * with its next `overlap` frames (what COLMAP's sequential matcher does) plus every pair between
 * the first and the last `loopOverlap` frames, which closes the loop of a full orbit and stops
 * drift from accumulating around it. That is O(N·overlap + loopOverlap²) pairs, imported with
 * `matches_importer --match_type pairs`. (The alternative, mapping keyframes then registering the
 * rest, needs two mapper runs and is no faster once matching is linear.)
 *
 * Processes are spawned with argument arrays (never a shell string), headless
 * (`QT_QPA_PLATFORM=offscreen`) and on the CPU (`use_gpu 0`, which Debian's CUDA-less build needs
 * anyway). The tails of stdout (where COLMAP logs progress and most diagnoses) and stderr (glog
 * `Check failed` lines, `ERROR:` lines) are kept for error messages. Each step reports progress
 * through {@link ColmapRunOptions.onProgress}, parsed from COLMAP's own log lines.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import {
  COLMAP_LOG_TAIL_LINES,
  ColmapFailedError,
  ColmapNotFoundError,
  ReconstructionError,
  REGISTRATION_ADVICE,
} from './errors.ts';

/** The COLMAP steps, in the order they run. */
export type ColmapStage = 'extract' | 'match' | 'map';

/** Camera models offered for the single camera shared by all frames. */
export type ColmapCameraModelChoice = 'SIMPLE_RADIAL' | 'OPENCV';

/** One progress report of a COLMAP step. */
export interface ColmapProgress {
  /** The step reporting. */
  stage: ColmapStage;
  /** `'start'` once, `'progress'` for each parsed log line, `'done'` once on success. */
  phase: 'start' | 'progress' | 'done';
  /**
   * Units done so far, when known: files processed (extract), pair blocks matched (match),
   * images registered (map).
   */
  done?: number;
  /** Units in total, when known. */
  total?: number;
  /** Milliseconds since the step started. */
  elapsedMs: number;
}

/** Options shared by every COLMAP step. */
export interface ColmapRunOptions {
  /** The COLMAP program, default `'colmap'` (looked up on PATH). */
  colmapPath?: string;
  /** CPU threads per step (`num_threads`); default -1 = all cores. */
  threads?: number;
  /** Called at the start, on each progress line, and at the end of the step. */
  onProgress?: (event: ColmapProgress) => void;
  /** Aborting kills the running COLMAP process; the step then rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** What a finished COLMAP step leaves behind besides its files. */
export interface ColmapRunResult {
  /** The command line that ran, program first. */
  argv: string[];
  /** Wall-clock duration, milliseconds. */
  elapsedMs: number;
  /** The last lines of stdout. */
  stdoutTail: string;
  /** The last lines of stderr. */
  stderrTail: string;
}

/** A COLMAP command-line option: `--name value`. Booleans are written as 1 / 0. */
export type ColmapArgs = ReadonlyArray<readonly [name: string, value: string | number | boolean]>;

/** Cap on buffered log characters per stream; only the tail is ever reported. */
const LOG_KEEP_CHARS = 32768;

/** Keeps the last {@link LOG_KEEP_CHARS} characters written to it. */
class LogTail {
  private text = '';
  push(line: string): void {
    this.text += line + '\n';
    if (this.text.length > 2 * LOG_KEEP_CHARS) this.text = this.text.slice(-LOG_KEEP_CHARS);
  }
  lines(): string {
    return this.text.replace(/\s+$/, '').split('\n').slice(-COLMAP_LOG_TAIL_LINES).join('\n');
  }
}

/** Quotes an argv for display so the user can paste it into a shell to reproduce a failure. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Headless environment for COLMAP: Qt must not look for a display. */
function colmapEnv(): NodeJS.ProcessEnv {
  return { ...process.env, QT_QPA_PLATFORM: 'offscreen' };
}

/** A line-based progress parser: returns `{done, total}` for a progress line, else undefined. */
type ProgressParser = (line: string) => { done: number; total?: number } | undefined;

interface SpawnResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: NodeJS.ErrnoException;
  stdoutTail: string;
  stderrTail: string;
}

/** Spawns `bin args…`, collecting log tails and feeding stdout lines to `onLine`. Never rejects. */
function spawnCollect(bin: string, args: readonly string[], onLine: (line: string) => void, signal?: AbortSignal): Promise<SpawnResult> {
  return new Promise((resolve) => {
    const out = new LogTail();
    const err = new LogTail();
    let settled = false;
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: colmapEnv() });
    const onAbort = (): void => {
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (r: Omit<SpawnResult, 'stdoutTail' | 'stderrTail'>): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      resolve({ ...r, stdoutTail: out.lines(), stderrTail: err.lines() });
    };
    // Lines end with \n, but COLMAP rewrites some progress lines with \r: split on both.
    const lines = (stream: Readable, sink: LogTail, cb?: (l: string) => void): Promise<void> =>
      new Promise((done) => {
        const rl = createInterface({ input: stream, crlfDelay: Infinity });
        rl.on('line', (l) => {
          for (const part of l.split('\r')) {
            sink.push(part);
            cb?.(part);
          }
        });
        rl.on('close', done);
      });
    const streamsDone = Promise.all([lines(child.stdout!, out, onLine), lines(child.stderr!, err)]);
    child.once('error', (e: NodeJS.ErrnoException) => finish({ code: null, signal: null, spawnError: e }));
    child.once('close', (code, sig) => {
      void streamsDone.then(() => finish({ code, signal: sig }));
    });
  });
}

/**
 * Runs one COLMAP command (`colmap <command> --name value …`) to completion.
 *
 * @param stage which step this is, for progress events.
 * @param parse turns stdout lines into progress counts (see the step functions).
 * @throws ColmapNotFoundError when the program cannot be found; ColmapFailedError when it exits
 *   with a non-zero code or a signal; `signal.reason` when aborted.
 */
export async function runColmap(
  stage: ColmapStage,
  command: string,
  args: ColmapArgs,
  opts: ColmapRunOptions = {},
  parse?: ProgressParser,
): Promise<ColmapRunResult> {
  const bin = opts.colmapPath ?? 'colmap';
  opts.signal?.throwIfAborted();
  const flat = [command, ...args.flatMap(([k, v]) => [`--${k}`, typeof v === 'boolean' ? (v ? '1' : '0') : String(v)])];
  const argv = [bin, ...flat];
  const t0 = performance.now();
  const elapsed = (): number => performance.now() - t0;
  opts.onProgress?.({ stage, phase: 'start', elapsedMs: 0 });
  const r = await spawnCollect(
    bin,
    flat,
    (line) => {
      const p = parse?.(line);
      if (p && opts.onProgress) opts.onProgress({ stage, phase: 'progress', ...p, elapsedMs: elapsed() });
    },
    opts.signal,
  );
  opts.signal?.throwIfAborted();
  if (r.spawnError) {
    if (r.spawnError.code === 'ENOENT') throw new ColmapNotFoundError(bin, { cause: r.spawnError });
    throw new ColmapFailedError(`COLMAP (${bin}) could not be started (${r.spawnError.code ?? r.spawnError.message}); check that it is an executable file`, {
      argv, exitCode: null, cause: r.spawnError,
    });
  }
  if (r.code !== 0) {
    const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
    const last = lastMeaningfulLine(r.stderrTail) ?? lastMeaningfulLine(r.stdoutTail);
    throw new ColmapFailedError(
      `COLMAP ${command} ${how}${last ? `: ${last}` : ''}. Rerun the command to see the full log: ${shellQuote(argv)}`,
      { argv, exitCode: r.code, stderrTail: r.stderrTail, stdoutTail: r.stdoutTail },
    );
  }
  const elapsedMs = elapsed();
  opts.onProgress?.({ stage, phase: 'done', elapsedMs });
  return { argv, elapsedMs, stdoutTail: r.stdoutTail, stderrTail: r.stderrTail };
}

function lastMeaningfulLine(tail: string): string | undefined {
  return tail
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^[=-]+$/.test(l) && !/^Elapsed time/.test(l))
    .pop();
}

/**
 * The installed COLMAP's version (`'3.8'`), read from `colmap help`; also the check that COLMAP
 * is installed at all.
 * @throws ColmapNotFoundError when it is not; ColmapFailedError when it does not run.
 */
export async function colmapVersion(opts: Pick<ColmapRunOptions, 'colmapPath' | 'signal'> = {}): Promise<string> {
  const bin = opts.colmapPath ?? 'colmap';
  // The version is on the first line of the help text, which is longer than the kept tail.
  let version: string | undefined;
  const r = await spawnCollect(
    bin,
    ['help'],
    (line) => {
      version ??= /COLMAP\s+(\d+(?:\.\d+)+(?:-\w+)?)/.exec(line)?.[1];
    },
    opts.signal,
  );
  opts.signal?.throwIfAborted();
  if (r.spawnError?.code === 'ENOENT') throw new ColmapNotFoundError(bin, { cause: r.spawnError });
  if (r.spawnError || r.code !== 0 || version === undefined) {
    throw new ColmapFailedError(`\`${bin} help\` did not run as COLMAP does (exit ${r.code}); check the installation (\`apt-get install colmap\`)`, {
      argv: [bin, 'help'], exitCode: r.code, stderrTail: r.stderrTail, stdoutTail: r.stdoutTail, cause: r.spawnError,
    });
  }
  return version;
}

// ---------------------------------------------------------------------------------------------
// The steps
// ---------------------------------------------------------------------------------------------

/** Options of {@link extractFeatures}. */
export interface ExtractFeaturesOptions extends ColmapRunOptions {
  /** The COLMAP database to create (its folder must exist; an existing file gains features). */
  database: string;
  /** Folder of the frame images. */
  imageDir: string;
  /** A text file listing the image names (relative to `imageDir`), one per line; default every image found. */
  imageListPath?: string;
  /**
   * Folder of masks (`ImageReader.mask_path`): for image `NAME`, the PNG `NAME.png` (so
   * `frame_0001.png` → `frame_0001.png.png`), same size as the image; key points on zero pixels are
   * dropped. Default: no masks (features on the whole frame).
   */
  maskDir?: string;
  /** The single camera's model: `'SIMPLE_RADIAL'` (f, cx, cy, k; default) or `'OPENCV'` (fx, fy, cx, cy, k1, k2, p1, p2). */
  cameraModel?: ColmapCameraModelChoice;
  /** Largest image side SIFT works on (`SiftExtraction.max_image_size`); default COLMAP's 3200. */
  maxImageSize?: number;
}

/**
 * `colmap feature_extractor`: SIFT on the CPU, one camera shared by all frames
 * (`ImageReader.single_camera 1`). Progress: files processed / total.
 */
export function extractFeatures(o: ExtractFeaturesOptions): Promise<ColmapRunResult> {
  const args: Array<readonly [string, string | number | boolean]> = [
    ['database_path', o.database],
    ['image_path', o.imageDir],
  ];
  if (o.imageListPath !== undefined) args.push(['image_list_path', o.imageListPath]);
  if (o.maskDir !== undefined) args.push(['ImageReader.mask_path', o.maskDir]);
  args.push(
    ['ImageReader.camera_model', o.cameraModel ?? 'SIMPLE_RADIAL'],
    ['ImageReader.single_camera', true],
    ['SiftExtraction.use_gpu', false],
    ['SiftExtraction.num_threads', o.threads ?? -1],
  );
  if (o.maxImageSize !== undefined) args.push(['SiftExtraction.max_image_size', o.maxImageSize]);
  return runColmap('extract', 'feature_extractor', args, o, (line) => {
    const m = /^Processed file \[(\d+)\/(\d+)\]/.exec(line.trim());
    return m ? { done: Number(m[1]), total: Number(m[2]) } : undefined;
  });
}

/** Options of {@link matchPairs}. */
export interface MatchPairsOptions extends ColmapRunOptions {
  /** The COLMAP database holding the features (matches are added to it). */
  database: string;
  /** A text file of image pairs, `NAME_A NAME_B` per line (see {@link formatPairList}). */
  pairsPath: string;
}

/**
 * `colmap matches_importer --match_type pairs`: SIFT matching and geometric verification of the
 * listed pairs only, on the CPU. Progress: pair blocks matched / total (COLMAP matches 1225 pairs
 * per block).
 */
export function matchPairs(o: MatchPairsOptions): Promise<ColmapRunResult> {
  return runColmap(
    'match',
    'matches_importer',
    [
      ['database_path', o.database],
      ['match_list_path', o.pairsPath],
      ['match_type', 'pairs'],
      ['SiftMatching.use_gpu', false],
      ['SiftMatching.num_threads', o.threads ?? -1],
    ],
    o,
    (line) => {
      const m = /^Matching block \[(\d+)\/(\d+)\]/.exec(line.trim());
      return m ? { done: Number(m[1]), total: Number(m[2]) } : undefined;
    },
  );
}

/** Options of {@link runMapper}. */
export interface MapperOptions extends ColmapRunOptions {
  /** The COLMAP database with features and verified matches. */
  database: string;
  /** Folder of the frame images (COLMAP reads colours of the points from them). */
  imageDir: string;
  /** Existing, empty folder; the mapper writes one sub-folder per model (`0/`, `1/`, …). */
  outputDir: string;
  /** Number of frames, for the progress total (registered / total). */
  totalImages?: number;
}

/**
 * `colmap mapper`: incremental SfM with bundle adjustment, binary model files in
 * `outputDir/<k>/`. Progress: images registered so far / `totalImages`.
 *
 * @throws ReconstructionError when the mapper finds no initial pair or builds no model.
 */
export async function runMapper(o: MapperOptions): Promise<ColmapRunResult> {
  try {
    return await runColmap(
      'map',
      'mapper',
      [
        ['database_path', o.database],
        ['image_path', o.imageDir],
        ['output_path', o.outputDir],
        ['Mapper.num_threads', o.threads ?? -1],
      ],
      o,
      (line) => {
        const m = /^Registering image #\d+ \((\d+)\)/.exec(line.trim());
        if (m) return { done: Number(m[1]), total: o.totalImages };
        return /^Initializing with image pair/.test(line.trim()) ? { done: 2, total: o.totalImages } : undefined;
      },
    );
  } catch (e) {
    if (e instanceof ColmapFailedError && /failed to create sparse model|No good initial image pair/i.test(`${e.stderrTail}\n${e.stdoutTail}`)) {
      const why = /No good initial image pair/i.test(e.stdoutTail) ? ' (no pair of frames with enough well-spread matches to start from)' : '';
      throw new ReconstructionError(
        `COLMAP's mapper could not build a model${why}; ${REGISTRATION_ADVICE}. Command: ${shellQuote(e.argv)}`,
        { stdoutTail: e.stdoutTail, stderrTail: e.stderrTail, cause: e },
      );
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// The pair list
// ---------------------------------------------------------------------------------------------

/**
 * The frame pairs to match for an orbit of `count` frames (indices in frame order, `a < b`,
 * sorted, no duplicates): every frame with its next `overlap` frames, plus every pair between the
 * first `loopOverlap` and the last `loopOverlap` frames (the orbit's closure; 0 = none). A pair
 * that does not actually overlap costs one failed verification and adds nothing.
 */
export function orbitPairs(count: number, overlap: number, loopOverlap: number): Array<[number, number]> {
  for (const [k, v] of [['count', count], ['overlap', overlap], ['loopOverlap', loopOverlap]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new TypeError(`${k} must be an integer ≥ 0 (got ${String(v)})`);
  }
  const seen = new Set<number>();
  const pairs: Array<[number, number]> = [];
  const add = (a: number, b: number): void => {
    if (a === b) return;
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    const key = lo * count + hi;
    if (seen.has(key)) return;
    seen.add(key);
    pairs.push([lo, hi]);
  };
  for (let i = 0; i < count; i++) for (let d = 1; d <= overlap && i + d < count; d++) add(i, i + d);
  const loop = Math.min(loopOverlap, count);
  for (let i = 0; i < loop; i++) for (let j = count - loop; j < count; j++) add(i, j);
  return pairs.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
}

/** The pair list file COLMAP's `matches_importer` reads: `NAME_A NAME_B` per line. */
export function formatPairList(names: readonly string[], pairs: ReadonlyArray<readonly [number, number]>): string {
  for (const n of names) {
    if (/\s/.test(n)) throw new TypeError(`image names must not contain white space for COLMAP's pair list (got ${JSON.stringify(n)})`);
  }
  return pairs.map(([a, b]) => `${names[a]} ${names[b]}\n`).join('');
}
