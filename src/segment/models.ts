/**
 * The segmentation models Reliquary can run (Zhang & Chen 2025, Sect. 3.3: the video is split into a
 * central object and a background by a salient-object / background-removal network), where their
 * weights come from, how each expects its input, and loading them into an onnxruntime-node session
 * after checking the weights' sha256.
 *
 * ## Model references
 * - a registry id, see {@link SEGMENT_MODELS}:
 *   - `'isnet'`: IS-Net (DIS, Qin et al. 2022) general-use weights with float16 storage, 88 MB, from the
 *     npm package `@imgly/background-removal-data` (an optional dependency, AGPL-3.0; the upstream
 *     weights are MIT). The package stores each file split in 4 MiB chunks named by their sha256 and
 *     listed in `dist/resources.json`; the chunks are reassembled in memory, never written out.
 *   - `'isnet-small'`: the same network dynamically quantized to 8 bits (ConvInteger), 44 MB, same package.
 *   - There is no `u2netp` entry: no package on the npm registry ships the U²-Net-p weights (the
 *     packages that run it download them from elsewhere at run time, which this project does not do).
 *     Use `onnx:PATH` with a local copy instead.
 * - `'onnx:PATH'`: the user's own ONNX export, e.g. BiRefNet or RMBG-2.0 (the model of the paper). Its
 *   sha256 is computed and reported ({@link LoadedModel.sha256}) and, when
 *   {@link ModelLoadOptions.expectedSha256} is given, checked. Its input size and normalization are
 *   options ({@link ModelIoOptions}); the defaults are those of BiRefNet / RMBG-2.0.
 *
 * ## Input and output convention
 * The input is one frame, NCHW `[1, 3, H, W]` float32 (or float16), each pixel value v ∈ 0…255 mapped to
 * `(v / 255 · inputRange − mean_c) / std_c` in the channel order of the spec. The output named by
 * `outputName` (default: the model's first output) holds one `[1, 1, H', W']` map (or `[1, H', W']`,
 * `[H', W']`) of object probabilities, or of logits to which `activation` applies a sigmoid.
 * See `segmenter.ts` for the resizing.
 *
 * Models run on onnxruntime-node's CPU execution provider, from the native binaries shipped inside the
 * npm package (its installer's download step is switched off in `.npmrc`).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve as resolvePath } from 'node:path';
import * as ort from 'onnxruntime-node';
import { SegmentationError } from './errors.ts';

/** Order of the colour channels in the model's input tensor. */
export type ChannelOrder = 'rgb' | 'bgr';

/**
 * What is applied to the model's output map: `'none'` (it already holds probabilities in [0, 1]),
 * `'sigmoid'` (it holds logits) or `'auto'` (sigmoid when any value of the frame's map lies outside
 * [0, 1], so logits are recognised; a logit map that happens to lie inside [0, 1] is taken as
 * probabilities, so prefer an explicit value when the model is known).
 */
export type OutputActivation = 'none' | 'sigmoid' | 'auto';

/** A 3-vector, one value per channel, in R, G, B order whatever {@link ChannelOrder} is. */
export type Rgb = readonly [number, number, number];

/** Input size of a model in pixels. */
export interface InputSize {
  /** W: input width in pixels (integer ≥ 1). */
  width: number;
  /** H: input height in pixels (integer ≥ 1). */
  height: number;
}

/** How frames become the model's input and its output becomes alpha; every field optional. */
export interface ModelIoOptions {
  /**
   * Input size (a number for a square). Required to match the model when its input shape is fixed;
   * used when the model's height/width are symbolic. Default: the model's fixed size, else 1024.
   */
  inputSize?: number | InputSize;
  /** Scale of the pixel values before mean/std: 1 maps 0…255 to [0, 1] (default), 255 keeps 0…255. */
  inputRange?: 1 | 255;
  /** Per-channel mean subtracted after scaling, in R, G, B order; default ImageNet's [0.485, 0.456, 0.406]. */
  mean?: Rgb;
  /** Per-channel std divided by after the mean, in R, G, B order (each > 0); default ImageNet's [0.229, 0.224, 0.225]. */
  std?: Rgb;
  /** Channel order of the input tensor, default `'rgb'`. */
  channelOrder?: ChannelOrder;
  /** Activation applied to the output map, see {@link OutputActivation}; default `'auto'`. */
  activation?: OutputActivation;
  /** Which output holds the alpha map, default the model's first output. */
  outputName?: string;
}

/** {@link ModelIoOptions} after validation and defaults (`inputSize` still unknown until the model is read). */
export interface ResolvedModelIo {
  inputSize: InputSize | undefined;
  inputRange: 1 | 255;
  mean: Rgb;
  std: Rgb;
  channelOrder: ChannelOrder;
  activation: OutputActivation;
  outputName: string | undefined;
}

/** One entry of {@link SEGMENT_MODELS}. */
export interface ModelRegistryEntry {
  /** The id used as the model reference. */
  id: string;
  /** One line on what the model is. */
  description: string;
  /** Licence of the weights and of the package that ships them. */
  license: string;
  /** The npm package holding the weights. */
  npmPackage: string;
  /** The exact package version whose bytes {@link sha256} describes. */
  npmVersion: string;
  /** The key of the file in the package's `dist/resources.json`. */
  resourceKey: string;
  /** Size of the reassembled ONNX file in bytes. */
  size: number;
  /** sha256 (lower-case hex) of the reassembled ONNX file. */
  sha256: string;
  /** The model's I/O convention (defaults for {@link ModelIoOptions}). */
  io: Readonly<ResolvedModelIo>;
}

/**
 * IS-Net's own normalization (DIS repository, `normalize(im / 255, [0.5]*3, [1.0]*3)`), output
 * already passed through a sigmoid. Upstream inference also min-max normalizes the output per
 * image; that is not done here, since it would turn an empty frame's noise into a full-strength
 * "object" and hide frames without an object.
 */
const ISNET_IO: Readonly<ResolvedModelIo> = Object.freeze({
  inputSize: Object.freeze({ width: 1024, height: 1024 }),
  inputRange: 1,
  mean: Object.freeze([0.5, 0.5, 0.5]) as Rgb,
  std: Object.freeze([1, 1, 1]) as Rgb,
  channelOrder: 'rgb',
  activation: 'none',
  outputName: 'output',
});

const IMGLY_LICENSE =
  'AGPL-3.0 (package @imgly/background-removal-data); IS-Net weights MIT (xuebinqin/DIS)';

/** The models that need no file from the user, by id. */
export const SEGMENT_MODELS: Readonly<Record<string, Readonly<ModelRegistryEntry>>> = Object.freeze({
  isnet: Object.freeze({
    id: 'isnet',
    description: 'IS-Net (DIS) general-use, float16 weights, 1024×1024 input',
    license: IMGLY_LICENSE,
    npmPackage: '@imgly/background-removal-data',
    npmVersion: '1.4.5',
    resourceKey: '/models/medium',
    size: 88188479,
    sha256: 'b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb',
    io: ISNET_IO,
  }),
  'isnet-small': Object.freeze({
    id: 'isnet-small',
    description: 'IS-Net (DIS) general-use, 8-bit dynamically quantized, 1024×1024 input',
    license: IMGLY_LICENSE,
    npmPackage: '@imgly/background-removal-data',
    npmVersion: '1.4.5',
    resourceKey: '/models/small',
    size: 44342436,
    sha256: '7001d60734fdc112dd9c062635fb59cd401fb82a9d4213134bce4dbd655c803a',
    io: ISNET_IO,
  }),
});

/** Defaults of a user's `onnx:PATH` model: BiRefNet / RMBG-2.0 (ImageNet normalization, logits or probabilities). */
export const CUSTOM_MODEL_IO: Readonly<ResolvedModelIo> = Object.freeze({
  inputSize: undefined,
  inputRange: 1,
  mean: Object.freeze([0.485, 0.456, 0.406]) as Rgb,
  std: Object.freeze([0.229, 0.224, 0.225]) as Rgb,
  channelOrder: 'rgb',
  activation: 'auto',
  outputName: undefined,
});

/** Input size used when the model's input height/width are symbolic and no option gives one. */
export const DEFAULT_DYNAMIC_INPUT_SIZE = 1024;

/** Options of {@link loadSegmentationModel}. */
export interface ModelLoadOptions extends ModelIoOptions {
  /**
   * Expected sha256 (64 hex digits) of an `onnx:PATH` model; loading fails with a
   * {@link SegmentationError} (`'model-hash'`) when the file differs. Registry models always carry
   * their own hash; giving one for them must match it.
   */
  expectedSha256?: string;
  /** onnxruntime's intra-op thread count (integer ≥ 1); default onnxruntime's (one per core). */
  threads?: number;
  /**
   * Folder from which optional model packages are resolved as `node_modules` lookups would (a
   * file or folder path); default: this module's own install, then the working directory.
   */
  resolveFrom?: string;
}

/** A parsed model reference. */
export type ModelRef =
  | { kind: 'registry'; ref: string; entry: Readonly<ModelRegistryEntry> }
  | { kind: 'file'; ref: string; path: string };

/** The model's bytes, checked. */
export interface ModelBytes {
  /** The reference as given. */
  ref: string;
  /** The ONNX file. */
  bytes: Uint8Array;
  /** Its sha256, lower-case hex. */
  sha256: string;
  /** The registry entry, for registry models. */
  entry?: Readonly<ModelRegistryEntry>;
  /** The file's absolute path, for `onnx:PATH` models. */
  path?: string;
}

/** A model loaded into an onnxruntime session, with its resolved I/O convention. */
export interface LoadedModel {
  /** The reference as given (`'isnet'`, `'onnx:…'`). */
  ref: string;
  /** sha256 (lower-case hex) of the ONNX bytes that were loaded. */
  sha256: string;
  /** Size of the ONNX file in bytes. */
  byteLength: number;
  /** Licence of the weights, when known (registry models). */
  license: string | undefined;
  /** The onnxruntime session. */
  session: ort.InferenceSession;
  /** Name of the image input. */
  inputName: string;
  /** Element type of the image input. */
  inputType: 'float32' | 'float16';
  /** Name of the alpha output. */
  outputName: string;
  /** The I/O convention, with the input size known. */
  io: Readonly<ResolvedModelIo & { inputSize: InputSize }>;
  /** Releases the session (idempotent). */
  release(): Promise<void>;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(describe).join(', ')}]`;
  return String(v);
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}

/** sha256 of `bytes` as lower-case hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Parses a model reference: a registry id or `onnx:PATH`.
 * @throws TypeError naming the known ids when the reference is neither.
 */
export function parseModelRef(ref: string): ModelRef {
  if (typeof ref !== 'string' || ref.length === 0) throw new TypeError(`model must be a non-empty string (got ${describe(ref)})`);
  if (ref.startsWith('onnx:')) {
    const path = ref.slice('onnx:'.length);
    if (path.length === 0) throw new TypeError("model 'onnx:PATH' must name a file after 'onnx:' (e.g. onnx:models/rmbg-2.0.onnx)");
    return { kind: 'file', ref, path: resolvePath(path) };
  }
  const entry = Object.hasOwn(SEGMENT_MODELS, ref) ? SEGMENT_MODELS[ref] : undefined;
  if (!entry) {
    throw new TypeError(
      `model must be one of ${Object.keys(SEGMENT_MODELS).map((k) => `'${k}'`).join(', ')} or 'onnx:PATH' (got ${describe(ref)}); ` +
        'there is no u2netp entry since no npm package ships its weights: use onnx:PATH with a local copy',
    );
  }
  return { kind: 'registry', ref, entry };
}

function checkRgb(v: unknown, field: string, positive: boolean): Rgb {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0))) {
    throw new TypeError(`${field}, when provided, must be 3 finite numbers${positive ? ' > 0' : ''} in R, G, B order (got ${describe(v)})`);
  }
  return Object.freeze([v[0], v[1], v[2]]) as Rgb;
}

/**
 * Validates {@link ModelIoOptions} over a set of defaults, throwing a `TypeError` naming the first
 * bad field (`prefix` + field name).
 */
export function resolveModelIo(opts: ModelIoOptions, defaults: Readonly<ResolvedModelIo>, prefix = 'options.'): ResolvedModelIo {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('options must be an object');
  let inputSize = defaults.inputSize;
  if (opts.inputSize !== undefined) {
    const s = opts.inputSize;
    if (typeof s === 'number') {
      if (!isPositiveInt(s) || s > 8192) throw new TypeError(`${prefix}inputSize, when provided, must be an integer in [1, 8192] or { width, height } (got ${describe(s)})`);
      inputSize = { width: s, height: s };
    } else if (typeof s === 'object' && s !== null && isPositiveInt(s.width) && isPositiveInt(s.height) && s.width <= 8192 && s.height <= 8192) {
      inputSize = { width: s.width, height: s.height };
    } else {
      throw new TypeError(`${prefix}inputSize, when provided, must be an integer in [1, 8192] or { width, height } of such integers (got ${describe(s)})`);
    }
  }
  const inputRange = opts.inputRange ?? defaults.inputRange;
  if (inputRange !== 1 && inputRange !== 255) throw new TypeError(`${prefix}inputRange, when provided, must be 1 or 255 (got ${describe(opts.inputRange)})`);
  const mean = opts.mean === undefined ? defaults.mean : checkRgb(opts.mean, `${prefix}mean`, false);
  const std = opts.std === undefined ? defaults.std : checkRgb(opts.std, `${prefix}std`, true);
  const channelOrder = opts.channelOrder ?? defaults.channelOrder;
  if (channelOrder !== 'rgb' && channelOrder !== 'bgr') {
    throw new TypeError(`${prefix}channelOrder, when provided, must be 'rgb' or 'bgr' (got ${describe(opts.channelOrder)})`);
  }
  const activation = opts.activation ?? defaults.activation;
  if (activation !== 'none' && activation !== 'sigmoid' && activation !== 'auto') {
    throw new TypeError(`${prefix}activation, when provided, must be 'none', 'sigmoid' or 'auto' (got ${describe(opts.activation)})`);
  }
  const outputName = opts.outputName ?? defaults.outputName;
  if (outputName !== undefined && (typeof outputName !== 'string' || outputName.length === 0)) {
    throw new TypeError(`${prefix}outputName, when provided, must be a non-empty string (got ${describe(opts.outputName)})`);
  }
  return { inputSize, inputRange, mean, std, channelOrder, activation, outputName };
}

/** Finds an installed package's folder, or undefined. */
function findPackageDir(name: string, resolveFrom: string | undefined): string | undefined {
  const bases = resolveFrom !== undefined ? [resolvePath(resolveFrom, 'noop.js')] : [import.meta.url, join(process.cwd(), 'noop.js')];
  for (const base of bases) {
    try {
      return dirname(createRequire(base).resolve(`${name}/package.json`));
    } catch {
      // not found from this base; try the next
    }
  }
  return undefined;
}

/** One file's entry in a `resources.json` of `@imgly/background-removal-data`. */
interface ResourceEntry {
  size: number;
  chunks: { hash: string; offsets: [number, number] }[];
}

function parseResourceEntry(json: unknown, key: string, where: string): ResourceEntry {
  const fail = (what: string): never => {
    throw new SegmentationError('model-load', `${where}: ${what}; reinstall the package (npm ci)`);
  };
  if (typeof json !== 'object' || json === null) return fail('is not a JSON object');
  const e = (json as Record<string, unknown>)[key] as Partial<ResourceEntry> | undefined;
  if (typeof e !== 'object' || e === null) return fail(`has no entry ${JSON.stringify(key)}`);
  if (!isPositiveInt(e.size) || !Array.isArray(e.chunks) || e.chunks.length === 0) return fail(`entry ${key} has no size or chunks`);
  let end = 0;
  for (const c of e.chunks) {
    const ok =
      typeof c === 'object' && c !== null && typeof c.hash === 'string' && /^[0-9a-f]{64}$/.test(c.hash) &&
      Array.isArray(c.offsets) && c.offsets[0] === end && Number.isInteger(c.offsets[1]) && c.offsets[1] > end;
    if (!ok) return fail(`entry ${key} has a malformed or non-contiguous chunk list`);
    end = c.offsets[1];
  }
  if (end !== e.size) return fail(`entry ${key}: chunks cover ${end} bytes, not ${e.size}`);
  return e as ResourceEntry;
}

/**
 * Reassembles one file of an `@imgly/background-removal-data`-style package in memory: `dist` holds a
 * `resources.json` mapping each file's key to `{ size, chunks: [{ hash, offsets: [start, end] }] }`,
 * and each chunk is a file named by its hash. Offsets must be contiguous from 0 to `size`.
 *
 * @param dist the package's `dist` folder.
 * @param key the file's key, e.g. `'/models/medium'`.
 * @param source the model reference, for messages.
 * @throws SegmentationError `'model-load'` for a malformed index, `'model-missing'` for an unreadable
 *   chunk, `'model-hash'` for a chunk of the wrong size.
 */
export async function reassembleResource(dist: string, key: string, source: string): Promise<Uint8Array> {
  const resourcesPath = join(dist, 'resources.json');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(resourcesPath, 'utf8'));
  } catch (cause) {
    throw new SegmentationError('model-load', `cannot read ${resourcesPath} (${(cause as Error).message}); reinstall the package (npm ci)`, {
      source,
      cause,
    });
  }
  const res = parseResourceEntry(json, key, resourcesPath);
  const bytes = new Uint8Array(res.size);
  for (const c of res.chunks) {
    const path = join(dist, c.hash);
    let chunk: Buffer;
    try {
      chunk = await readFile(path);
    } catch (cause) {
      throw new SegmentationError('model-missing', `model ${source}: chunk ${path} cannot be read; reinstall the package (npm ci)`, { source, cause });
    }
    if (chunk.byteLength !== c.offsets[1] - c.offsets[0]) {
      throw new SegmentationError(
        'model-hash',
        `model ${source}: chunk ${path} has ${chunk.byteLength} bytes, expected ${c.offsets[1] - c.offsets[0]}; reinstall the package (npm ci)`,
        { source },
      );
    }
    bytes.set(chunk, c.offsets[0]);
  }
  return bytes;
}

/** Reads a registry model from its installed package. */
async function readRegistryBytes(entry: Readonly<ModelRegistryEntry>, resolveFrom: string | undefined): Promise<Uint8Array> {
  const pkgDir = findPackageDir(entry.npmPackage, resolveFrom);
  if (pkgDir === undefined) {
    throw new SegmentationError(
      'model-missing',
      `model '${entry.id}' needs the optional npm package ${entry.npmPackage} (${entry.license}), which is not installed; ` +
        `install it with \`npm install --save-optional --save-exact ${entry.npmPackage}@${entry.npmVersion}\`, ` +
        'or use your own model with --model onnx:PATH, or masks made elsewhere with --masks DIR',
      { source: entry.id },
    );
  }
  return reassembleResource(join(pkgDir, 'dist'), entry.resourceKey, `'${entry.id}'`);
}

function checkExpectedHash(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{64}$/.test(v)) {
    throw new TypeError(`options.expectedSha256, when provided, must be 64 hex digits (got ${describe(v)})`);
  }
  return v.toLowerCase();
}

/**
 * Reads a model's ONNX bytes and checks their sha256: against the registry entry for registry ids,
 * against `expectedSha256` (when given) for `onnx:PATH`.
 *
 * @throws TypeError for a bad reference or option.
 * @throws SegmentationError `'model-missing'` (package or file absent), `'model-hash'` (sha256 differs),
 *   `'model-load'` (the package's chunk index is unreadable).
 */
export async function readModelBytes(ref: string, opts: Pick<ModelLoadOptions, 'expectedSha256' | 'resolveFrom'> = {}): Promise<ModelBytes> {
  const parsed = parseModelRef(ref);
  const expected = checkExpectedHash(opts.expectedSha256);
  if (parsed.kind === 'registry') {
    const entry = parsed.entry;
    const bytes = await readRegistryBytes(entry, opts.resolveFrom);
    const sha256 = sha256Hex(bytes);
    if (sha256 !== entry.sha256 || (expected !== undefined && expected !== sha256)) {
      throw new SegmentationError(
        'model-hash',
        `model '${entry.id}' has sha256 ${sha256}, expected ${expected ?? entry.sha256}: the weights in ${entry.npmPackage} are corrupted or ` +
          `from another version; reinstall \`npm install --save-optional --save-exact ${entry.npmPackage}@${entry.npmVersion}\``,
        { source: ref },
      );
    }
    return { ref, bytes, sha256, entry };
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(parsed.path));
  } catch (cause) {
    throw new SegmentationError('model-missing', `model file ${parsed.path} cannot be read (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}); check the path after 'onnx:'`, {
      source: ref,
      cause,
    });
  }
  const sha256 = sha256Hex(bytes);
  if (expected !== undefined && expected !== sha256) {
    throw new SegmentationError(
      'model-hash',
      `model file ${parsed.path} has sha256 ${sha256}, expected ${expected}: it is not the file you meant, or it is corrupted; ` +
        'export or copy it again, or correct the expected hash',
      { source: ref },
    );
  }
  return { ref, bytes, sha256, path: parsed.path };
}

/** Resolves the input size against the model's declared input shape. */
function resolveInputSize(shape: readonly (number | string)[], wanted: InputSize | undefined, ref: string): InputSize {
  const dim = (d: number | string | undefined): number | undefined => (typeof d === 'number' && d > 0 ? d : undefined);
  if (shape.length !== 0 && shape.length !== 4) {
    throw new SegmentationError('model-load', `model ${ref}: input has shape [${shape.join(', ')}], expected an image tensor [1, 3, H, W]`, { source: ref });
  }
  const [n, c, h, w] = shape.length === 4 ? shape.map(dim) : [];
  if ((n !== undefined && n !== 1) || (c !== undefined && c !== 3)) {
    throw new SegmentationError('model-load', `model ${ref}: input has shape [${shape.join(', ')}], expected batch 1 and 3 channels [1, 3, H, W]`, { source: ref });
  }
  const size = {
    width: w ?? wanted?.width ?? DEFAULT_DYNAMIC_INPUT_SIZE,
    height: h ?? wanted?.height ?? DEFAULT_DYNAMIC_INPUT_SIZE,
  };
  if (wanted !== undefined && (wanted.width !== size.width || wanted.height !== size.height)) {
    throw new TypeError(
      `options.inputSize must match the model's fixed input size ${size.width}x${size.height} (got ${wanted.width}x${wanted.height}); leave it out for this model`,
    );
  }
  return size;
}

/**
 * Loads a segmentation model into an onnxruntime-node CPU session: reads and checks its bytes
 * ({@link readModelBytes}), creates the session, and resolves its input/output names, element types and
 * input size. Call {@link LoadedModel.release} when done.
 *
 * @throws TypeError for bad options, or an inputSize that contradicts the model's fixed size.
 * @throws SegmentationError as {@link readModelBytes} does, or `'model-load'` when onnxruntime rejects
 *   the file or its inputs/outputs do not fit the convention of the module doc.
 */
export async function loadSegmentationModel(ref: string, opts: ModelLoadOptions = {}): Promise<LoadedModel> {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('options must be an object');
  const parsed = parseModelRef(ref);
  const io = resolveModelIo(opts, parsed.kind === 'registry' ? parsed.entry.io : CUSTOM_MODEL_IO);
  if (opts.threads !== undefined && (!isPositiveInt(opts.threads) || opts.threads > 1024)) {
    throw new TypeError(`options.threads, when provided, must be an integer in [1, 1024] (got ${describe(opts.threads)})`);
  }
  if (opts.resolveFrom !== undefined && (typeof opts.resolveFrom !== 'string' || opts.resolveFrom.length === 0)) {
    throw new TypeError(`options.resolveFrom, when provided, must be a non-empty path (got ${describe(opts.resolveFrom)})`);
  }
  const model = await readModelBytes(ref, opts);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model.bytes, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      ...(opts.threads !== undefined ? { intraOpNumThreads: opts.threads } : {}),
    });
  } catch (cause) {
    throw new SegmentationError(
      'model-load',
      `onnxruntime cannot load model ${ref} (${(cause as Error).message}); check that it is a complete ONNX file ` +
        '(models with external data files are not supported: export with the weights inside)',
      { source: ref, cause },
    );
  }
  try {
    const input = session.inputMetadata[0];
    if (session.inputNames.length !== 1 || !input || !input.isTensor || (input.type !== 'float32' && input.type !== 'float16')) {
      throw new SegmentationError(
        'model-load',
        `model ${ref} must have exactly one float32/float16 image input [1, 3, H, W] (it has ${session.inputNames.length}: ${session.inputNames.join(', ')})`,
        { source: ref },
      );
    }
    const outputName = io.outputName ?? session.outputNames[0];
    const outMeta = session.outputMetadata.find((m) => m.name === outputName);
    if (outputName === undefined || !outMeta) {
      throw new SegmentationError(
        'model-load',
        `model ${ref} has no output ${describe(outputName)}; its outputs are ${session.outputNames.join(', ')} (choose one with outputName)`,
        { source: ref },
      );
    }
    if (!outMeta.isTensor || (outMeta.type !== 'float32' && outMeta.type !== 'float16')) {
      throw new SegmentationError('model-load', `model ${ref}: output ${outputName} must be a float32/float16 tensor`, { source: ref });
    }
    const inputSize = resolveInputSize(input.shape, io.inputSize, ref);
    let released = false;
    return {
      ref,
      sha256: model.sha256,
      byteLength: model.bytes.byteLength,
      license: model.entry?.license,
      session,
      inputName: input.name,
      inputType: input.type,
      outputName,
      io: Object.freeze({ ...io, inputSize, outputName }),
      release: async () => {
        if (released) return;
        released = true;
        await session.release();
      },
    };
  } catch (err) {
    await session.release();
    throw err;
  }
}
