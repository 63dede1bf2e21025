/**
 * LPIPS (Zhang, Isola, Efros, Shechtman & Wang 2018, *The Unreasonable Effectiveness of Deep
 * Features as a Perceptual Metric*) with a model the user supplies as an ONNX file: no LPIPS
 * weights can be installed offline, so none ships with Reliquary.
 *
 * ## The model it expects (the common export of the `lpips` Python package)
 * - exactly two graph inputs, the two images: the ones named `in0` and `in1` when both exist, else the
 *   first and second input in graph order (the distance is symmetric, so the order rarely matters);
 * - each float32 `[1, 3, H, W]`, RGB, every 8-bit value v mapped to `v / 127.5 − 1` ∈ [−1, 1]
 *   (`lpips.im2tensor`); H and W may be symbolic or fixed numbers;
 * - its first output is the distance: float32, any shape holding one element (`[1, 1, 1, 1]` for
 *   `lpips.LPIPS(net='alex')`, `[]`, `[1]`).
 * An export that fits: `torch.onnx.export(lpips.LPIPS(net='alex'), (x0, x1), 'lpips.onnx',
 * input_names=['in0', 'in1'], output_names=['distance'], dynamic_axes={'in0': {2: 'h', 3: 'w'},
 * 'in1': {2: 'h', 3: 'w'}})`.
 *
 * ## Input size
 * Both frames are fed at the same size: the model's own height/width where they are fixed numbers,
 * else {@link LpipsLoadOptions.size} (a square side) when given, else the frame size. Resizing uses
 * the antialiased bilinear filter of `src/segment/resample.ts` on the [−1, 1] planes. Resizing changes
 * the score; report the size with it ({@link LpipsModel.inputSizeFor}).
 *
 * Models run on onnxruntime-node's CPU execution provider, one pair of frames per run.
 *
 * Errors: a model file that is missing, not ONNX, or not of the shape above is an
 * {@link LpipsModelError} (a `DatasetError`, so the CLI reports it with the dataset exit code) whose
 * message says what the model must look like; option mistakes are `TypeError`s.
 */
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import * as ort from 'onnxruntime-node';
import { DatasetError } from '../data/dataset-error.ts';
import { resamplePlanes } from '../segment/resample.ts';
import { sha256Hex, type InputSize } from '../segment/models.ts';

/** What an LPIPS model must look like, for error messages. */
export const LPIPS_MODEL_SHAPE =
  'an LPIPS model must have exactly two image inputs (named in0 and in1, or taken in graph order), each float32 [1, 3, H, W] ' +
  'RGB scaled to [-1, 1], and a first output holding the distance as one float32 element (e.g. [1, 1, 1, 1]); ' +
  "export it with e.g. torch.onnx.export(lpips.LPIPS(net='alex'), (x0, x1), 'lpips.onnx', input_names=['in0', 'in1'])";

/** An LPIPS model file is missing, unreadable, or not of the shape of the module doc. */
export class LpipsModelError extends DatasetError {
  override readonly name: string = 'LpipsModelError';
}

/** Options of {@link loadLpipsModel}; every field optional. */
export interface LpipsLoadOptions {
  /**
   * Side in px (integer in [1, 8192]) of the square both frames are resized to before the model, for
   * exports with a minimum or preferred input size. Must be left out, or equal, where the model's input
   * height/width are fixed numbers (those are used automatically). Default: the frame size.
   */
  size?: number;
  /** onnxruntime's intra-op thread count (integer ≥ 1); default onnxruntime's (one per core). */
  threads?: number;
}

/** An LPIPS model loaded into an onnxruntime session. */
export interface LpipsModel {
  /** Absolute path of the ONNX file. */
  readonly path: string;
  /** sha256 (lower-case hex) of the file. */
  readonly sha256: string;
  /** The names of the two image inputs, in the order the frames are fed (reference, then decoded). */
  readonly inputNames: readonly [string, string];
  /** The output holding the distance. */
  readonly outputName: string;
  /** The model's fixed input height/width (undefined where symbolic). */
  readonly fixedSize: { width: number | undefined; height: number | undefined };
  /** {@link LpipsLoadOptions.size} as given. */
  readonly size: number | undefined;
  /** The size both frames of a `width × height` sequence are fed at (see the module doc). */
  inputSizeFor(width: number, height: number): InputSize;
  /**
   * LPIPS(ref, decoded) of two 8-bit frames of one size, RGB (`width·height·3` bytes) or RGBA (`·4`,
   * alpha ignored).
   *
   * @param index the frame index, for messages.
   * @throws TypeError for frames of the wrong length.
   * @throws LpipsModelError when onnxruntime fails or the output does not hold one element.
   */
  distance(ref: Uint8Array, decoded: Uint8Array, width: number, height: number, index?: number): Promise<number>;
  /** Releases the session (idempotent). */
  release(): Promise<void>;
}

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

const fixedDim = (d: number | string | undefined): number | undefined => (typeof d === 'number' && d > 0 ? d : undefined);

/**
 * One frame as the model's input: NCHW `[1, 3, size.height, size.width]` float32, RGB, each 8-bit
 * value v mapped to `v / 127.5 − 1`, resampled (antialiased bilinear) when `size` differs from the
 * frame's.
 *
 * @throws TypeError when `rgb` holds neither `width·height·3` nor `·4` bytes.
 */
export function lpipsInput(rgb: Uint8Array, width: number, height: number, size: InputSize = { width, height }): Float32Array {
  const n = width * height;
  const ch = rgb.length === 3 * n ? 3 : rgb.length === 4 * n ? 4 : 0;
  if (ch === 0 || n === 0) {
    throw new TypeError(`frame must hold width·height·3 (RGB) or ·4 (RGBA) = ${3 * n} or ${4 * n} bytes (got ${rgb.length})`);
  }
  const planes = new Float32Array(3 * n);
  for (let p = 0, i = 0; p < n; p++, i += ch) {
    planes[p] = rgb[i]! / 127.5 - 1;
    planes[n + p] = rgb[i + 1]! / 127.5 - 1;
    planes[2 * n + p] = rgb[i + 2]! / 127.5 - 1;
  }
  if (size.width === width && size.height === height) return planes;
  return resamplePlanes(planes, width, height, size.width, size.height, 3);
}

/** Checks one image input's metadata; returns its fixed [height, width] (undefined where symbolic). */
function checkImageInput(meta: ort.InferenceSession.ValueMetadata | undefined, where: string): [number | undefined, number | undefined] {
  if (!meta || !meta.isTensor || meta.type !== 'float32') {
    throw new LpipsModelError(`${where}: input ${meta?.name ?? '?'} is not a float32 tensor; ${LPIPS_MODEL_SHAPE}`, { path: where });
  }
  const shape = meta.shape;
  if (shape.length === 0) return [undefined, undefined];
  const [n, c, h, w] = shape.map(fixedDim);
  if (shape.length !== 4 || (n !== undefined && n !== 1) || (c !== undefined && c !== 3)) {
    throw new LpipsModelError(`${where}: input ${meta.name} has shape [${shape.join(', ')}], not [1, 3, H, W]; ${LPIPS_MODEL_SHAPE}`, { path: where });
  }
  return [h, w];
}

/**
 * Loads an LPIPS ONNX model (see the module doc for what it must look like) into an onnxruntime-node
 * CPU session. Call {@link LpipsModel.release} when done.
 *
 * @param file path of the ONNX file.
 * @throws TypeError for bad options, or a `size` that contradicts the model's fixed input size.
 * @throws LpipsModelError when the file is missing or unreadable, onnxruntime rejects it, or its
 *   inputs/outputs do not fit.
 */
export async function loadLpipsModel(file: string, opts: LpipsLoadOptions = {}): Promise<LpipsModel> {
  if (typeof file !== 'string' || file.length === 0) throw new TypeError(`the LPIPS model must be a non-empty path (got ${describe(file)})`);
  if (typeof opts !== 'object' || opts === null) throw new TypeError('options must be an object');
  const { size, threads } = opts;
  if (size !== undefined && (!Number.isInteger(size) || size < 1 || size > 8192)) {
    throw new TypeError(`options.size, when provided, must be an integer in [1, 8192] (got ${describe(size)})`);
  }
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > 1024)) {
    throw new TypeError(`options.threads, when provided, must be an integer in [1, 1024] (got ${describe(threads)})`);
  }
  const path = resolvePath(file);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    throw new LpipsModelError(`LPIPS model file ${path} cannot be read (${code}); pass the path of an ONNX export of LPIPS`, { path, cause });
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      ...(threads !== undefined ? { intraOpNumThreads: threads } : {}),
    });
  } catch (cause) {
    throw new LpipsModelError(
      `onnxruntime cannot load the LPIPS model ${path} (${(cause as Error).message}); check that it is a complete ONNX file ` +
        '(models with external data files are not supported: export with the weights inside)',
      { path, cause },
    );
  }
  try {
    const names = session.inputNames;
    if (names.length !== 2) {
      throw new LpipsModelError(`LPIPS model ${path} has ${names.length} input(s) (${names.join(', ')}); ${LPIPS_MODEL_SHAPE}`, { path });
    }
    const inputNames: [string, string] = names.includes('in0') && names.includes('in1') ? ['in0', 'in1'] : [names[0]!, names[1]!];
    const dims = inputNames.map((name) => checkImageInput(session.inputMetadata.find((m) => m.name === name), path));
    const [h0, w0] = dims[0]!;
    const [h1, w1] = dims[1]!;
    if ((h0 !== undefined && h1 !== undefined && h0 !== h1) || (w0 !== undefined && w1 !== undefined && w0 !== w1)) {
      throw new LpipsModelError(`LPIPS model ${path}: its two inputs have different fixed sizes; ${LPIPS_MODEL_SHAPE}`, { path });
    }
    const fixedSize = { width: w0 ?? w1, height: h0 ?? h1 };
    for (const [axis, fixed] of [['width', fixedSize.width], ['height', fixedSize.height]] as const) {
      if (size !== undefined && fixed !== undefined && fixed !== size) {
        throw new TypeError(
          `options.size must be left out or equal to the model's fixed input ${axis} ${fixed} (got ${size}); frames are resized to the model's size automatically`,
        );
      }
    }
    const outputName = session.outputNames[0];
    const out = session.outputMetadata[0];
    if (outputName === undefined || !out || !out.isTensor || out.type !== 'float32') {
      throw new LpipsModelError(`LPIPS model ${path}: its first output must be a float32 tensor; ${LPIPS_MODEL_SHAPE}`, { path });
    }
    if (out.shape.every((d) => fixedDim(d) !== undefined) && out.shape.reduce<number>((a, d) => a * (d as number), 1) !== 1) {
      throw new LpipsModelError(`LPIPS model ${path}: its first output ${outputName} has shape [${out.shape.join(', ')}], not one element; ${LPIPS_MODEL_SHAPE}`, {
        path,
      });
    }
    let released = false;
    const model: LpipsModel = {
      path,
      sha256: sha256Hex(bytes),
      inputNames,
      outputName,
      fixedSize,
      size,
      inputSizeFor: (width, height) => ({ width: fixedSize.width ?? size ?? width, height: fixedSize.height ?? size ?? height }),
      async distance(ref, decoded, width, height, index = 0) {
        const s = model.inputSizeFor(width, height);
        const dims = [1, 3, s.height, s.width];
        const feeds = {
          [inputNames[0]]: new ort.Tensor('float32', lpipsInput(ref, width, height, s), dims),
          [inputNames[1]]: new ort.Tensor('float32', lpipsInput(decoded, width, height, s), dims),
        };
        let result: ort.InferenceSession.OnnxValueMapType;
        try {
          result = await session.run(feeds, [outputName]);
        } catch (cause) {
          throw new LpipsModelError(
            `LPIPS model ${path} failed on frame ${index} at ${s.width}x${s.height} (${(cause as Error).message}); ` +
              'if the model needs a minimum or fixed input size, pass one (--lpips-size)',
            { path, cause },
          );
        }
        const t = result[outputName] as ort.Tensor | undefined;
        if (!t || t.size !== 1 || t.type !== 'float32') {
          const shape = t?.dims.join(', ') ?? '';
          t?.dispose();
          throw new LpipsModelError(`LPIPS model ${path}: output ${outputName} has shape [${shape}] (${t?.type ?? 'missing'}), not one float32 element; ${LPIPS_MODEL_SHAPE}`, {
            path,
          });
        }
        const v = (t.data as Float32Array)[0]!;
        t.dispose();
        return v;
      },
      release: async () => {
        if (released) return;
        released = true;
        await session.release();
      },
    };
    return model;
  } catch (err) {
    await session.release();
    throw err;
  }
}
