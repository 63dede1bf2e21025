/**
 * Frame segmentation for the video front end (Zhang & Chen 2025, Sect. 3.3, step 1 of the encoder:
 * split each frame into the central object I^C and the background I^B): a model from `models.ts` run
 * with onnxruntime-node on the CPU, or masks made elsewhere (`mask-folder.ts`), followed by the
 * temporal median of `temporal.ts` and the per-frame clean-up of `postprocess.ts`.
 *
 * Per frame:
 *  1. preprocess: resample the RGB frame to the model's input size W×H (`resample.ts`; the aspect
 *     ratio is not kept, as the models were trained on squashed images), scale each value v to
 *     v/255·inputRange, subtract mean_c, divide by std_c, and lay it out NCHW in the model's channel
 *     order (float32, or float16 for float16 models);
 *  2. run the model (one frame per run; onnxruntime spreads a run over the cores);
 *  3. take the output map, apply the activation (sigmoid for logits), resample it to the frame size and
 *     store round(255·clamp(a, 0, 1)): the soft alpha;
 *  4. temporal median over neighbouring frames' soft alphas, then threshold, largest component, hole
 *     filling and soft-edge clean-up.
 *
 * {@link segmentFrames} streams: it pulls a frame only when the previous ones are done and holds at
 * most 2r + 1 alphas and r + 1 frames (r the temporal radius). It throws a {@link NoObjectError} when
 * most frames have no object, early (after `probeFrames` frames) when possible.
 */
import * as ort from 'onnxruntime-node';
import { NoObjectError, SegmentationError } from './errors.ts';
import { MaskFolder, type MaskChannel } from './mask-folder.ts';
import { type LoadedModel, type ModelLoadOptions, type OutputActivation, type ResolvedModelIo, type InputSize, loadSegmentationModel } from './models.ts';
import { type PostprocessOptions, maskIoU, postprocessAlpha, resolvePostprocessOptions } from './postprocess.ts';
import { resamplePlanes } from './resample.ts';
import { TemporalMedian, type TemporalOptions, resolveTemporalOptions } from './temporal.ts';

export { NoObjectError, SegmentationError } from './errors.ts';

/** One video frame: 8-bit RGB (`width·height·3` bytes) or RGBA (`·4`, alpha ignored), rows top to bottom. */
export interface RgbFrame {
  /** The pixels. */
  rgb: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

/** Where the soft alpha of each frame comes from. */
export interface AlphaSource {
  /** The model reference or mask folder, for messages. */
  readonly description: string;
  /** The soft alpha (0…255, `width·height` bytes) of frame `index`. */
  alphaFor(frame: RgbFrame, index: number): Promise<Uint8Array>;
}

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Checks a frame and returns its channel count (3 or 4). */
function frameChannels(frame: RgbFrame, index: number): 3 | 4 {
  if (typeof frame !== 'object' || frame === null) throw new TypeError(`frame ${index} must be an object { rgb, width, height }`);
  const { rgb, width, height } = frame;
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new TypeError(`frame ${index}: width and height must be integers ≥ 1 (got ${describe(width)}x${describe(height)})`);
  }
  if (!(rgb instanceof Uint8Array)) throw new TypeError(`frame ${index}: rgb must be a Uint8Array`);
  if (rgb.length === width * height * 3) return 3;
  if (rgb.length === width * height * 4) return 4;
  throw new TypeError(`frame ${index}: rgb must hold width·height·3 (RGB) or ·4 (RGBA) = ${width * height * 3} or ${width * height * 4} bytes (got ${rgb.length})`);
}

/**
 * Step 1 of the module doc: the model input for one frame, NCHW `[1, 3, H, W]` as a flat float32
 * array in the channel order of `io`.
 */
export function preprocessFrame(frame: RgbFrame, io: Pick<ResolvedModelIo, 'inputRange' | 'mean' | 'std' | 'channelOrder'>, size: InputSize): Float32Array {
  const ch = frameChannels(frame, 0);
  const { width, height, rgb } = frame;
  const n = width * height;
  const planes = new Float32Array(3 * n);
  for (let p = 0; p < n; p++) {
    planes[p] = rgb[p * ch]!;
    planes[n + p] = rgb[p * ch + 1]!;
    planes[2 * n + p] = rgb[p * ch + 2]!;
  }
  const resized = resamplePlanes(planes, width, height, size.width, size.height, 3);
  const m = size.width * size.height;
  const out = new Float32Array(3 * m);
  const order = io.channelOrder === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  const k = io.inputRange / 255;
  for (let c = 0; c < 3; c++) {
    const src = order[c]!;
    const mean = io.mean[src]!;
    const inv = 1 / io.std[src]!;
    const so = src * m;
    const oo = c * m;
    for (let p = 0; p < m; p++) out[oo + p] = (resized[so + p]! * k - mean) * inv;
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits of a number (round to nearest even; overflow to ±∞). */
export function toFloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  // A carry out of the mantissa moves into the exponent, which is right (up to 0x7c00 = ∞).
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}

/** The number an IEEE binary16 bit pattern stands for. */
export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * Step 3 of the module doc: the soft alpha at frame size from the model's output map
 * (`outW × outH` values).
 */
export function alphaFromOutput(map: Float32Array, outW: number, outH: number, activation: OutputActivation, width: number, height: number): Uint8Array {
  let probs = map;
  let sigmoid = activation === 'sigmoid';
  if (activation === 'auto') {
    for (let i = 0; i < map.length; i++) {
      const v = map[i]!;
      if (v < 0 || v > 1) {
        sigmoid = true;
        break;
      }
    }
  }
  if (sigmoid) {
    probs = new Float32Array(map.length);
    for (let i = 0; i < map.length; i++) probs[i] = 1 / (1 + Math.exp(-map[i]!));
  }
  const up = resamplePlanes(probs, outW, outH, width, height, 1);
  const out = new Uint8Array(width * height);
  for (let i = 0; i < up.length; i++) {
    const v = up[i]!;
    out[i] = v >= 1 ? 255 : v > 0 ? Math.round(v * 255) : 0; // NaN → 0
  }
  return out;
}

/** Options of {@link Segmenter.load}: model loading options plus nothing else. */
export type SegmenterOptions = ModelLoadOptions;

/** A loaded model that turns frames into soft alphas (steps 1-3 of the module doc). */
export class Segmenter implements AlphaSource {
  /** The loaded model. */
  readonly model: LoadedModel;
  /** Whether {@link release} releases the model (true when this class loaded it). */
  private readonly owns: boolean;

  private constructor(model: LoadedModel, owns: boolean) {
    this.model = model;
    this.owns = owns;
  }

  /**
   * Loads `model` (a reference, see `models.ts`) or wraps an already loaded one (which the caller keeps
   * owning).
   */
  static async load(model: string | LoadedModel, opts: SegmenterOptions = {}): Promise<Segmenter> {
    if (typeof model === 'string') return new Segmenter(await loadSegmentationModel(model, opts), true);
    if (typeof model !== 'object' || model === null || !model.session) throw new TypeError('model must be a model reference string or a LoadedModel');
    return new Segmenter(model, false);
  }

  get description(): string {
    return this.model.ref;
  }

  /**
   * The soft alpha (0…255, `width·height` bytes) of one frame.
   * @throws TypeError for a malformed frame.
   * @throws SegmentationError `'inference'` when onnxruntime fails or the output has an unusable shape.
   */
  async alphaFor(frame: RgbFrame, index = 0): Promise<Uint8Array> {
    frameChannels(frame, index);
    const { io, inputName, outputName, inputType, session, ref } = this.model;
    const size = io.inputSize;
    const input = preprocessFrame(frame, io, size);
    const dims = [1, 3, size.height, size.width];
    const tensor =
      inputType === 'float16'
        ? new ort.Tensor('float16', Uint16Array.from(input, toFloat16Bits), dims)
        : new ort.Tensor('float32', input, dims);
    let result: ort.InferenceSession.OnnxValueMapType;
    try {
      result = await session.run({ [inputName]: tensor }, [outputName]);
    } catch (cause) {
      throw new SegmentationError('inference', `model ${ref} failed on frame ${index} (${(cause as Error).message}); check the model's input size and type options`, {
        source: ref,
        cause,
      });
    }
    const out = result[outputName] as ort.Tensor | undefined;
    const shape = out?.dims ?? [];
    const outH = shape.length >= 2 ? shape[shape.length - 2]! : 0;
    const outW = shape.length >= 2 ? shape[shape.length - 1]! : 0;
    if (!out || outW < 1 || outH < 1 || out.size !== outW * outH || (out.type !== 'float32' && out.type !== 'float16')) {
      out?.dispose();
      throw new SegmentationError(
        'inference',
        `model ${ref}: output ${outputName} has shape [${shape.join(', ')}] (${out?.type ?? 'missing'}), expected one float map [1, 1, H, W]; ` +
          'choose the alpha output with outputName',
        { source: ref },
      );
    }
    const map = out.type === 'float16' ? Float32Array.from(out.data as Uint16Array, fromFloat16Bits) : (out.data as Float32Array);
    const alpha = alphaFromOutput(map, outW, outH, io.activation, frame.width, frame.height);
    out.dispose();
    return alpha;
  }

  /** Releases the model when this segmenter loaded it (idempotent). */
  async release(): Promise<void> {
    if (this.owns) await this.model.release();
  }
}

/** Options of {@link segmentFrames}; every field optional. */
export interface SegmentFramesOptions {
  /**
   * The model: a reference (`'isnet'`, `'isnet-small'`, `'onnx:PATH'`, see `models.ts`) or a loaded
   * model (kept open). Default `'isnet'`. Ignored when {@link masks} is given.
   */
  model?: string | LoadedModel;
  /** Options for loading {@link model} when it is a reference (input size, normalization, sha256, threads). */
  modelOptions?: ModelLoadOptions;
  /** A folder of masks made elsewhere, one per frame (`--masks DIR`), used instead of a model. */
  masks?: string;
  /** Which channel of the mask images holds the alpha (see `mask-folder.ts`), default `'auto'`. */
  maskChannel?: MaskChannel;
  /** Temporal median over neighbouring frames (see `temporal.ts`); default radius 1. */
  temporal?: TemporalOptions;
  /** Threshold, largest component, hole filling (see `postprocess.ts`). */
  postprocess?: PostprocessOptions;
  /** A frame whose mask covers less than this fraction of it (in [0, 1)) has no object; default 0.001. */
  minObjectFraction?: number;
  /** Largest fraction of frames (in [0, 1]) allowed to have no object before {@link NoObjectError}; default 0.5. */
  maxEmptyFraction?: number;
  /**
   * After this many frames (integer ≥ 0) the empty fraction is checked once, so that a model that finds
   * nothing fails early instead of after the whole video; 0 turns the early check off. Default 8.
   */
  probeFrames?: number;
}

/** One segmented frame, as {@link segmentFrames} yields it. */
export interface SegmentedFrame<F extends RgbFrame = RgbFrame> {
  /** Frame index, from 0. */
  index: number;
  /** The frame as it was given. */
  frame: F;
  /** The soft alpha after the temporal median and the clean-up of `postprocess.ts`, 0…255. */
  alpha: Uint8Array;
  /** The binary object mask, 0 or 255. */
  mask: Uint8Array;
  /** Object pixels in `mask`. */
  area: number;
  /** True when `area` is below `minObjectFraction` of the frame. */
  empty: boolean;
  /** Intersection over union of `mask` with the previous frame's (undefined for the first frame); a diagnostic of stability. */
  iouWithPrevious: number | undefined;
}

/** Validates {@link SegmentFramesOptions}, throwing a `TypeError` naming the first bad field. */
function checkSegmentOptions(opts: SegmentFramesOptions): void {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('options must be an object');
  if (opts.masks !== undefined && (typeof opts.masks !== 'string' || opts.masks.length === 0)) {
    throw new TypeError(`options.masks, when provided, must be a folder path (got ${describe(opts.masks)})`);
  }
  resolveTemporalOptions(opts.temporal ?? {}, 'options.temporal.');
  resolvePostprocessOptions(opts.postprocess ?? {}, 'options.postprocess.');
  const mo = opts.minObjectFraction;
  if (mo !== undefined && (typeof mo !== 'number' || !(mo >= 0 && mo < 1))) {
    throw new TypeError(`options.minObjectFraction, when provided, must be a number in [0, 1) (got ${describe(mo)})`);
  }
  const me = opts.maxEmptyFraction;
  if (me !== undefined && (typeof me !== 'number' || !(me >= 0 && me <= 1))) {
    throw new TypeError(`options.maxEmptyFraction, when provided, must be a number in [0, 1] (got ${describe(me)})`);
  }
  const pf = opts.probeFrames;
  if (pf !== undefined && (!Number.isInteger(pf) || pf < 0)) {
    throw new TypeError(`options.probeFrames, when provided, must be an integer ≥ 0 (got ${describe(pf)})`);
  }
}

/**
 * Segments a stream of frames (see the module doc), yielding one {@link SegmentedFrame} per frame in
 * order, r frames behind the input (r the temporal radius). All frames must have one size.
 *
 * @throws TypeError for bad options, a malformed frame, a change of frame size, or no frames.
 * @throws SegmentationError when the model or mask folder cannot be used.
 * @throws NoObjectError when more than `maxEmptyFraction` of the frames have no object: after
 *   `probeFrames` frames, or at the end.
 */
export async function* segmentFrames<F extends RgbFrame>(
  frames: AsyncIterable<F> | Iterable<F>,
  opts: SegmentFramesOptions = {},
): AsyncGenerator<SegmentedFrame<F>> {
  checkSegmentOptions(opts);
  const post = resolvePostprocessOptions(opts.postprocess ?? {}, 'options.postprocess.');
  const minObjectFraction = opts.minObjectFraction ?? 0.001;
  const maxEmptyFraction = opts.maxEmptyFraction ?? 0.5;
  const probeFrames = opts.probeFrames ?? 8;
  const temporal = new TemporalMedian<{ frame: F; index: number }>(opts.temporal ?? {});

  let source: AlphaSource;
  let release = async (): Promise<void> => {};
  if (opts.masks !== undefined) {
    const folder = await MaskFolder.open(opts.masks, { channel: opts.maskChannel });
    source = { description: `--masks ${folder.dir}`, alphaFor: (f, i) => folder.read(i, f.width, f.height) };
  } else {
    const seg = await Segmenter.load(opts.model ?? 'isnet', opts.modelOptions ?? {});
    source = seg;
    release = () => seg.release();
  }

  let done = 0;
  let empty = 0;
  let previous: Uint8Array | undefined;
  const finish = (out: { alpha: Uint8Array; item: { frame: F; index: number } }): SegmentedFrame<F> => {
    const { frame, index } = out.item;
    const r = postprocessAlpha(out.alpha, frame.width, frame.height, post);
    const isEmpty = r.area === 0 || r.area < minObjectFraction * frame.width * frame.height;
    const iou = previous === undefined ? undefined : maskIoU(previous, r.mask);
    previous = r.mask;
    done++;
    if (isEmpty) empty++;
    if (done === probeFrames && empty > maxEmptyFraction * done) throw new NoObjectError({ frames: done, emptyFrames: empty }, source.description);
    return { index, frame, alpha: r.alpha, mask: r.mask, area: r.area, empty: isEmpty, iouWithPrevious: iou };
  };

  try {
    let index = 0;
    let size: string | undefined;
    for await (const frame of frames) {
      frameChannels(frame, index);
      const s = `${frame.width}x${frame.height}`;
      if (size === undefined) size = s;
      else if (s !== size) throw new TypeError(`frame ${index} is ${s}, the first frame was ${size}; all frames must have one size`);
      const alpha = await source.alphaFor(frame, index);
      for (const out of temporal.push(alpha, { frame, index })) yield finish(out);
      index++;
    }
    if (index === 0) throw new TypeError('frames must yield at least one frame');
    for (const out of temporal.flush()) yield finish(out);
    if (empty > maxEmptyFraction * done) throw new NoObjectError({ frames: done, emptyFrames: empty }, source.description);
  } finally {
    await release();
  }
}
