/**
 * A small wrapper around the system `ffmpeg` and `ffprobe` programs: write raw RGB(A) frames to an
 * H.264 (or H.265 / AV1) file, read a video back as raw RGB24 frames, and probe a video's size, rate
 * and codec.
 *
 * Processes are started with `child_process.spawn` and argument arrays (never a shell string), so
 * paths with spaces or quotes need no escaping. Every failure surfaces as an {@link FfmpegError}
 * carrying the command line, the exit code and the tail of stderr; option mistakes are
 * `TypeError`s naming the field.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { rename, unlink } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { FFMPEG_STDERR_TAIL_LINES, FfmpegError, FfmpegNotFoundError, NoFramesError, NotAVideoError } from './errors.ts';

export { FfmpegError } from './errors.ts';

/** Options of {@link writeVideo}. */
export interface WriteVideoOptions {
  /** Frame width in pixels (integer ≥ 1). */
  width: number;
  /** Frame height in pixels (integer ≥ 1). */
  height: number;
  /** Frames per second (finite, > 0); fractional rates such as 29.97 are allowed. */
  fps: number;
  /**
   * Video encoder: `'libx264'` (H.264, default), `'libx265'` (H.265/HEVC, tagged `hvc1`) or
   * `'libsvtav1'` (AV1).
   */
  codec?: 'libx264' | 'libx265' | 'libsvtav1';
  /**
   * Constant rate factor of the encoder: 0 (best) … 51 (worst) for libx264/libx265, an integer
   * 0 … 63 for libsvtav1; default 18 (visually lossless for H.264).
   */
  crf?: number;
  /**
   * GOP length: the largest distance between key frames, in frames (integer in [1, 65535]),
   * passed as ffmpeg's `-g`. Default: the encoder's own (250 for libx264).
   */
  gop?: number;
  /** Layout of the input frames: `'rgb24'` (3 bytes per pixel, default) or `'rgba'` (4; alpha is dropped). */
  pixFmtIn?: 'rgb24' | 'rgba';
  /**
   * What to do with an odd width or height, which yuv420p H.264 cannot store: `'pad'` (default)
   * adds one black column/row on the right/bottom; `'error'` throws a `TypeError` instead.
   */
  oddSize?: 'pad' | 'error';
  /** The ffmpeg program, default `'ffmpeg'` (looked up on PATH). */
  ffmpegPath?: string;
}

/** Options of {@link readVideoFrames}. */
export interface ReadVideoOptions {
  /**
   * Output frame width in pixels. When only one of width/height is given the other follows the
   * video's display aspect ratio; when neither is given the frames keep the video's display size.
   */
  width?: number;
  /** Output frame height in pixels (see `width`). */
  height?: number;
  /** The ffmpeg program, default `'ffmpeg'`. */
  ffmpegPath?: string;
  /** The ffprobe program (used to learn the size when width/height are missing), default `'ffprobe'`. */
  ffprobePath?: string;
}

/** Options of {@link probeVideo}. */
export interface ProbeVideoOptions {
  /**
   * Count the video packets (demuxes the whole file, no decoding) when the container does not
   * store a frame count; default false.
   */
  countFrames?: boolean;
  /** The ffprobe program, default `'ffprobe'`. */
  ffprobePath?: string;
}

/** What {@link probeVideo} learns about the first video stream of a file. */
export interface VideoInfo {
  /** Display width in pixels (after any rotation stored in the file). */
  width: number;
  /** Display height in pixels (after any rotation stored in the file). */
  height: number;
  /** Average frame rate in frames per second (0 when the file does not say). */
  fps: number;
  /** Number of frames, when the container stores it (or `countFrames` was set). */
  frameCount?: number;
  /** ffprobe's codec name, e.g. `'h264'`. */
  codec: string;
}

/** Resolved {@link WriteVideoOptions} (`gop` stays undefined for the encoder's default). */
type ResolvedWriteOptions = Required<Omit<WriteVideoOptions, 'gop'>> & { gop: number | undefined };

/** The encoders {@link writeVideo} accepts. */
const VIDEO_CODECS: readonly string[] = ['libx264', 'libx265', 'libsvtav1'];

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Validates {@link WriteVideoOptions}, throwing a `TypeError` naming the first bad field. */
export function resolveWriteVideoOptions(opts: WriteVideoOptions): ResolvedWriteOptions {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('options must be an object');
  if (!isPositiveInt(opts.width) || opts.width > 16384) {
    throw new TypeError(`options.width must be an integer in [1, 16384] (got ${describe(opts.width)})`);
  }
  if (!isPositiveInt(opts.height) || opts.height > 16384) {
    throw new TypeError(`options.height must be an integer in [1, 16384] (got ${describe(opts.height)})`);
  }
  if (typeof opts.fps !== 'number' || !Number.isFinite(opts.fps) || opts.fps <= 0 || opts.fps > 1000) {
    throw new TypeError(`options.fps must be a finite number in (0, 1000] (got ${describe(opts.fps)})`);
  }
  const codec = opts.codec ?? 'libx264';
  if (!VIDEO_CODECS.includes(codec)) {
    throw new TypeError(
      `options.codec, when provided, must be 'libx264', 'libx265' or 'libsvtav1' (got ${describe(opts.codec)})`,
    );
  }
  const crf = opts.crf ?? 18;
  if (codec === 'libsvtav1') {
    if (typeof crf !== 'number' || !Number.isInteger(crf) || crf < 0 || crf > 63) {
      throw new TypeError(`options.crf, when provided, must be an integer in [0, 63] for libsvtav1 (got ${describe(opts.crf)})`);
    }
  } else if (typeof crf !== 'number' || !Number.isFinite(crf) || crf < 0 || crf > 51) {
    throw new TypeError(`options.crf, when provided, must be a number in [0, 51] (got ${describe(opts.crf)})`);
  }
  const gop = opts.gop;
  if (gop !== undefined && (!isPositiveInt(gop) || gop > 65535)) {
    throw new TypeError(`options.gop, when provided, must be an integer in [1, 65535] (got ${describe(gop)})`);
  }
  const pixFmtIn = opts.pixFmtIn ?? 'rgb24';
  if (pixFmtIn !== 'rgb24' && pixFmtIn !== 'rgba') {
    throw new TypeError(`options.pixFmtIn, when provided, must be 'rgb24' or 'rgba' (got ${describe(opts.pixFmtIn)})`);
  }
  const oddSize = opts.oddSize ?? 'pad';
  if (oddSize !== 'pad' && oddSize !== 'error') {
    throw new TypeError(`options.oddSize, when provided, must be 'pad' or 'error' (got ${describe(opts.oddSize)})`);
  }
  const ffmpegPath = opts.ffmpegPath ?? 'ffmpeg';
  if (typeof ffmpegPath !== 'string' || ffmpegPath.length === 0) {
    throw new TypeError(`options.ffmpegPath, when provided, must be a non-empty string (got ${describe(opts.ffmpegPath)})`);
  }
  if (oddSize === 'error' && (opts.width % 2 !== 0 || opts.height % 2 !== 0)) {
    throw new TypeError(
      `options.width and options.height must both be even for yuv420p H.264 (got ${opts.width}x${opts.height}); ` +
        "crop or resize the frames, or pass oddSize: 'pad'",
    );
  }
  return { width: opts.width, height: opts.height, fps: opts.fps, codec, crf, gop, pixFmtIn, oddSize, ffmpegPath };
}

// ---------------------------------------------------------------------------------------------
// Process plumbing
// ---------------------------------------------------------------------------------------------

/** How a child process ended. */
interface ExitInfo {
  /** Exit code, or null when killed by a signal or never started. */
  code: number | null;
  /** The signal that ended it, if any. */
  signal: NodeJS.Signals | null;
  /** Set when the program could not be started at all (ENOENT, EACCES). */
  spawnError?: NodeJS.ErrnoException;
}

/** A started ffmpeg/ffprobe process with its stderr tail and a promise of its end. */
interface Running {
  tool: 'ffmpeg' | 'ffprobe';
  argv: string[];
  child: ChildProcess;
  /** Resolves (never rejects) once the process has ended or failed to start. */
  exited: Promise<ExitInfo>;
  /** True once `exited` has resolved. */
  finished: boolean;
  /** The last {@link FFMPEG_STDERR_TAIL_LINES} lines of stderr. */
  stderrTail(): string;
}

/** Cap on buffered stderr characters; only the tail is ever reported. */
const STDERR_KEEP_CHARS = 16384;

function startProcess(tool: 'ffmpeg' | 'ffprobe', bin: string, args: string[], stdin: 'pipe' | 'ignore'): Running {
  const argv = [bin, ...args];
  const stdio: StdioOptions = [stdin, 'pipe', 'pipe'];
  const child = spawn(bin, args, { stdio, windowsHide: true });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => {
    stderr += s;
    if (stderr.length > 2 * STDERR_KEEP_CHARS) stderr = stderr.slice(-STDERR_KEEP_CHARS);
  });
  // A dead ffmpeg makes stdin writes fail with EPIPE; the exit code tells the real story.
  child.stdin?.on('error', () => {});
  const running: Running = {
    tool,
    argv,
    child,
    finished: false,
    exited: new Promise<ExitInfo>((resolve) => {
      const done = (info: ExitInfo): void => {
        running.finished = true;
        resolve(info);
      };
      child.once('error', (err: NodeJS.ErrnoException) => {
        // 'error' without a pid means the program never started; 'close' may not follow.
        if (child.pid === undefined) done({ code: null, signal: null, spawnError: err });
      });
      child.once('close', (code, signal) => done({ code, signal }));
    }),
    stderrTail: () => {
      const lines = stderr.replace(/\s+$/, '').split(/\r?\n/);
      return lines.slice(-FFMPEG_STDERR_TAIL_LINES).join('\n');
    },
  };
  return running;
}

/** Quotes an argv for display so the user can paste it into a shell to reproduce a failure. */
function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Builds the error for a process that could not start or exited unsuccessfully. */
function processFailure(run: Running, info: ExitInfo, doing: string): FfmpegError {
  const tail = run.stderrTail();
  const base = { argv: run.argv, exitCode: info.code, stderrTail: tail };
  const bin = run.argv[0] ?? run.tool;
  if (info.spawnError) {
    const code = info.spawnError.code;
    if (code === 'ENOENT') {
      const where = bin.includes('/') ? `at ${bin}` : 'on PATH';
      return new FfmpegNotFoundError(
        `${run.tool} was not found ${where}; install it with \`apt-get install ffmpeg\` (Debian) or run \`make bootstrap\``,
        { ...base, cause: info.spawnError },
      );
    }
    return new FfmpegError(`${run.tool} (${bin}) could not be started (${code ?? info.spawnError.message}); check that it is an executable file`, {
      ...base,
      cause: info.spawnError,
    });
  }
  const how = info.signal ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
  const lastLine = tail.split('\n').filter((l) => l.trim() !== '').pop();
  return new FfmpegError(
    `${run.tool} ${how} while ${doing}${lastLine ? `: ${lastLine.trim()}` : ''}. ` +
      `Check the input, or rerun the command to see the full log: ${shellQuote(run.argv)}`,
    base,
  );
}

/** Kills a still-running process and waits for it to end. */
async function stop(run: Running): Promise<void> {
  if (!run.finished) run.child.kill('SIGKILL');
  await run.exited;
}

/** Resolves once `stream` can take more data, or has closed/failed, or the process has ended. */
function waitForDrain(stream: Writable, run: Running): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
    void run.exited.then(done);
  });
}

/** Collects a readable stream into one Buffer. */
async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * Encodes raw frames into an H.264 (or H.265 / AV1, see {@link WriteVideoOptions.codec}) yuv420p
 * video at `path`.
 *
 * Each frame must be exactly `width·height·3` bytes (`rgb24`) or `width·height·4` (`rgba`), rows
 * top to bottom. Frames are piped to ffmpeg's stdin (`-f rawvideo -pix_fmt rgb24 -s WxH -r fps
 * -i -`) with back-pressure: the next frame is pulled from `frames` only when the pipe has room.
 * Each frame is copied before it is queued, so the caller may reuse its buffer after yielding it.
 * Odd sizes are padded by one black row/column (see {@link WriteVideoOptions.oddSize}).
 *
 * The file is written atomically: ffmpeg writes `path + '.tmp-<pid>.mp4'`, which is renamed to
 * `path` on success and deleted on failure. The container is MP4 whatever the extension of `path`.
 *
 * @throws TypeError for bad options, a frame of the wrong size, or no frames at all.
 * @throws FfmpegError when ffmpeg is missing or fails.
 */
export async function writeVideo(
  path: string,
  frames: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  opts: WriteVideoOptions,
): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('path must be a non-empty string');
  const o = resolveWriteVideoOptions(opts);
  const channels = o.pixFmtIn === 'rgba' ? 4 : 3;
  const frameBytes = o.width * o.height * channels;
  const odd = o.width % 2 !== 0 || o.height % 2 !== 0;
  const tmp = `${path}.tmp-${process.pid}.mp4`;
  const args = [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'rawvideo', '-pix_fmt', o.pixFmtIn, '-s', `${o.width}x${o.height}`, '-r', String(o.fps), '-i', '-',
    '-an',
    ...(odd ? ['-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2'] : []),
    '-c:v', o.codec, '-crf', String(o.crf),
    ...(o.gop !== undefined ? ['-g', String(o.gop)] : []),
    ...(o.codec === 'libx265' ? ['-x265-params', 'log-level=error', '-tag:v', 'hvc1'] : []),
    '-pix_fmt', 'yuv420p', '-movflags', '+faststart',
    '-f', 'mp4', tmp,
  ];
  const run = startProcess('ffmpeg', o.ffmpegPath, args, 'pipe');
  const stdin = run.child.stdin as Writable;
  try {
    let count = 0;
    for await (const frame of frames) {
      if (!(frame instanceof Uint8Array) || frame.byteLength !== frameBytes) {
        const got = frame instanceof Uint8Array ? `${frame.byteLength} bytes` : typeof frame;
        throw new TypeError(
          `frames[${count}] must be a Uint8Array of ${frameBytes} bytes (${o.width}x${o.height} ${o.pixFmtIn}), got ${got}`,
        );
      }
      if (run.finished) break;
      const ok = stdin.write(Buffer.from(frame));
      count++;
      if (!ok) await waitForDrain(stdin, run);
      if (run.finished) break;
    }
    if (run.finished) throw processFailure(run, await run.exited, `encoding ${path}`);
    if (count === 0) throw new TypeError('frames must yield at least one frame');
    stdin.end();
    const info = await run.exited;
    if (info.spawnError || info.code !== 0) throw processFailure(run, info, `encoding ${path}`);
    await rename(tmp, path);
  } catch (err) {
    stdin.destroy();
    await stop(run);
    await unlink(tmp).catch(() => {});
    // A missing ffmpeg often shows up first as a write error; report the real cause.
    const info = await run.exited;
    if (info.spawnError && !(err instanceof FfmpegError)) throw processFailure(run, info, `encoding ${path}`);
    throw err;
  }
}

/**
 * Decodes a video into raw RGB24 frames (`width·height·3` bytes each, rows top to bottom), one
 * fresh `Uint8Array` per frame, in presentation order without dropping or duplicating frames.
 *
 * Frames are scaled to `opts.width × opts.height` when given (see {@link ReadVideoOptions});
 * otherwise the size is learnt with {@link probeVideo}. ffmpeg's stdout is consumed only as fast
 * as the caller pulls frames; breaking out of the loop early stops ffmpeg.
 *
 * @throws TypeError for bad options.
 * @throws FfmpegNotFoundError when ffmpeg/ffprobe is missing.
 * @throws NotAVideoError when the file is not a video ffmpeg can read.
 * @throws NoFramesError when it decodes to no frame at all (after the stream ends).
 * @throws FfmpegError when ffmpeg fails, or the output ends in the middle of a frame.
 */
export async function* readVideoFrames(path: string, opts: ReadVideoOptions = {}): AsyncGenerator<Uint8Array> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('path must be a non-empty string');
  if (typeof opts !== 'object' || opts === null) throw new TypeError('options must be an object');
  for (const key of ['width', 'height'] as const) {
    const v = opts[key];
    if (v !== undefined && (!isPositiveInt(v) || v > 16384)) {
      throw new TypeError(`options.${key}, when provided, must be an integer in [1, 16384] (got ${describe(v)})`);
    }
  }
  const ffmpegPath = opts.ffmpegPath ?? 'ffmpeg';
  let width = opts.width;
  let height = opts.height;
  if (width === undefined || height === undefined) {
    const info = await probeVideo(path, { ffprobePath: opts.ffprobePath });
    if (width === undefined && height === undefined) {
      width = info.width;
      height = info.height;
    } else if (width === undefined) {
      width = Math.max(1, Math.round((info.width * height!) / info.height));
    } else {
      height = Math.max(1, Math.round((info.height * width) / info.width));
    }
  }
  const w = width!;
  const h = height!;
  const args = [
    '-nostdin', '-hide_banner', '-loglevel', 'error',
    '-i', path,
    '-map', '0:v:0', '-vsync', 'passthrough',
    '-vf', `scale=${w}:${h}`,
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-',
  ];
  const run = startProcess('ffmpeg', ffmpegPath, args, 'ignore');
  const frameBytes = w * h * 3;
  let frame = new Uint8Array(frameBytes);
  let filled = 0;
  let count = 0;
  let streamError: unknown;
  try {
    try {
      for await (const chunk of run.child.stdout as Readable) {
        const buf = chunk as Buffer;
        let off = 0;
        while (off < buf.length) {
          const n = Math.min(frameBytes - filled, buf.length - off);
          frame.set(buf.subarray(off, off + n), filled);
          filled += n;
          off += n;
          if (filled === frameBytes) {
            count++;
            yield frame;
            frame = new Uint8Array(frameBytes);
            filled = 0;
          }
        }
      }
    } catch (err) {
      streamError = err;
    }
    const info = await run.exited;
    if (!info.spawnError && info.code !== 0 && count === 0 && filled === 0) {
      // Not one frame decoded. If ffprobe cannot read the file either, it is not a video at all
      // (probeVideo throws NotAVideoError); otherwise the container is fine and its stream data is not.
      if (opts.width !== undefined && opts.height !== undefined) await probeVideo(path, { ffprobePath: opts.ffprobePath });
      const lastLine = run.stderrTail().split('\n').filter((l) => l.trim() !== '').pop()?.trim();
      throw new NoFramesError(
        `${path} holds no video frame ffmpeg can decode${lastLine ? ` (${lastLine})` : ''}; the stream is empty or damaged: check the file, or record it again`,
        { argv: run.argv, exitCode: info.code, stderrTail: run.stderrTail() },
      );
    }
    if (info.spawnError || info.code !== 0) throw processFailure(run, info, `decoding ${path}`);
    if (streamError !== undefined) {
      throw new FfmpegError(`reading ffmpeg's output for ${path} failed`, {
        argv: run.argv, exitCode: info.code, stderrTail: run.stderrTail(), cause: streamError,
      });
    }
    if (filled !== 0) {
      throw new FfmpegError(
        `ffmpeg's output for ${path} ended in the middle of a frame (${filled} of ${frameBytes} bytes); the file may be truncated`,
        { argv: run.argv, exitCode: info.code, stderrTail: run.stderrTail() },
      );
    }
    if (count === 0) {
      throw new NoFramesError(`${path} holds no video frames ffmpeg can decode (an empty or truncated stream); check the file, or record it again`, {
        argv: run.argv, exitCode: info.code, stderrTail: run.stderrTail(),
      });
    }
  } finally {
    await stop(run);
  }
}

/** ffprobe's JSON for one stream (only the fields used here). */
interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  nb_frames?: string;
  nb_read_packets?: string;
  tags?: Record<string, string>;
  side_data_list?: Array<{ rotation?: number }>;
}

function parseRate(rate: string | undefined): number {
  if (!rate) return 0;
  const [num, den] = rate.split('/').map(Number);
  const fps = den === undefined ? num! : num! / den;
  return Number.isFinite(fps) && fps > 0 ? fps : 0;
}

function parseCount(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * Reads the first video stream's display size, frame rate, frame count and codec with
 * `ffprobe -of json`.
 *
 * @throws FfmpegNotFoundError when ffprobe is missing.
 * @throws NotAVideoError when ffprobe cannot read the file, or it has no video stream.
 */
export async function probeVideo(path: string, opts: ProbeVideoOptions = {}): Promise<VideoInfo> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('path must be a non-empty string');
  if (typeof opts !== 'object' || opts === null) throw new TypeError('options must be an object');
  const ffprobePath = opts.ffprobePath ?? 'ffprobe';
  const args = [
    '-v', 'error', '-select_streams', 'v:0',
    ...(opts.countFrames ? ['-count_packets'] : []),
    '-show_streams', '-of', 'json', path,
  ];
  const run = startProcess('ffprobe', ffprobePath, args, 'ignore');
  let out: Buffer;
  try {
    out = await collect(run.child.stdout as Readable);
  } catch {
    out = Buffer.alloc(0);
  }
  const info = await run.exited;
  if (info.spawnError) throw processFailure(run, info, `probing ${path}`);
  if (info.code !== 0) {
    // ffprobe started and failed on the file: it is not something ffmpeg can read as a video.
    const failure = processFailure(run, info, `probing ${path}`);
    const lastLine = run.stderrTail().split('\n').filter((l) => l.trim() !== '').pop()?.trim();
    throw new NotAVideoError(
      `${path} is not a video ffmpeg can read${lastLine ? ` (${lastLine})` : ''}; pass a video file (for example an .mp4 or .mov), ` +
        'or a posed capture (a folder with transforms.json)',
      { argv: failure.argv, exitCode: failure.exitCode, stderrTail: failure.stderrTail },
    );
  }
  let stream: ProbeStream | undefined;
  try {
    const parsed = JSON.parse(out.toString('utf8')) as { streams?: ProbeStream[] };
    stream = parsed.streams?.find((s) => s.codec_type === 'video');
  } catch (err) {
    throw new FfmpegError(`ffprobe printed invalid JSON for ${path}`, {
      argv: run.argv, exitCode: info.code, stderrTail: run.stderrTail(), cause: err,
    });
  }
  if (!stream || !isPositiveInt(stream.width) || !isPositiveInt(stream.height)) {
    throw new NotAVideoError(`${path} has no video stream; pass a video file (for example an .mp4 or .mov)`, {
      argv: run.argv, exitCode: info.code, stderrTail: run.stderrTail(),
    });
  }
  const rotation = Number(stream.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? stream.tags?.rotate ?? 0);
  const quarterTurn = Math.abs(Math.round(rotation / 90)) % 2 === 1;
  const fps = parseRate(stream.avg_frame_rate) || parseRate(stream.r_frame_rate);
  const frameCount = parseCount(stream.nb_frames) ?? parseCount(stream.nb_read_packets);
  const result: VideoInfo = {
    width: quarterTurn ? stream.height : stream.width,
    height: quarterTurn ? stream.width : stream.height,
    fps,
    codec: stream.codec_name ?? 'unknown',
  };
  if (frameCount !== undefined) result.frameCount = frameCount;
  return result;
}
