import { mulberry32 } from '../../util/mulberry32.ts';
/**
 * Shape and parameter layout of the field's small fully-connected networks (the density MLP and the
 * colour MLP of Instant-NGP).
 *
 * A network maps `inputDim` features through `hiddenLayers` ReLU layers of `width` units to
 * `outputDim` linear outputs (output activations such as sigmoid/exp belong to the renderer). All
 * parameters live in ONE flat f32 buffer: for each layer k in order, the weight matrix W_k
 * [out_k × in_k] row-major, then the bias b_k [out_k]. The gradient buffer has the same layout.
 */

/** Shape of one MLP. */
export interface MlpConfig {
  /** D_in: features per sample read from the input (e.g. the hash-grid's L·F = 32, or 16 + 16 for colour). */
  inputDim: number;
  /** W: units per hidden layer (64 on CPU machines, 160 in the paper preset). */
  width: number;
  /** Number of hidden ReLU layers (1 for the density MLP, 2 for the colour MLP); 0 = one linear layer. */
  hiddenLayers: number;
  /** Linear outputs per sample (16 for density: σ plus 15 geometry features; 3 for colour). */
  outputDim: number;
}

/**
 * Largest layer width the kernels accept: every invocation keeps the activations of four samples in
 * private arrays of this many vec4 values, and unrolls one dot product of this length.
 */
export const MLP_MAX_DIM = 256;
/** Most hidden layers the kernels accept (each adds an unrolled loop to the generated WGSL). */
export const MLP_MAX_HIDDEN_LAYERS = 8;

/**
 * Throws a TypeError naming the offending field (`${path}.width`, ...) when `config` is not a valid
 * {@link MlpConfig}.
 */
export function validateMlpConfig(config: MlpConfig, path = 'config'): void {
  if (typeof config !== 'object' || config === null) throw new TypeError(`${path} must be an object, got ${String(config)}`);
  const dims: (keyof MlpConfig)[] = ['inputDim', 'width', 'outputDim'];
  for (const k of dims) {
    const v = config[k];
    if (!Number.isInteger(v) || v < 1 || v > MLP_MAX_DIM) {
      throw new TypeError(`${path}.${k} must be an integer in [1, ${MLP_MAX_DIM}], got ${String(v)}`);
    }
  }
  const h = config.hiddenLayers;
  if (!Number.isInteger(h) || h < 0 || h > MLP_MAX_HIDDEN_LAYERS) {
    throw new TypeError(`${path}.hiddenLayers must be an integer in [0, ${MLP_MAX_HIDDEN_LAYERS}], got ${String(h)}`);
  }
}

/** One layer's shape and where its parameters sit in the flat buffer (offsets in floats). */
export interface MlpLayer {
  /** Input width of the layer. */
  in: number;
  /** Output width of the layer. */
  out: number;
  /** Offset of W_k [out × in], row-major: W_k[j][i] at weightOffset + j·in + i. */
  weightOffset: number;
  /** Offset of b_k [out] (= weightOffset + out·in). */
  biasOffset: number;
  /** Whether a ReLU follows (every layer but the last). */
  relu: boolean;
}

/** The layers of `config` in evaluation order, with their parameter offsets. */
export function mlpLayerOffsets(config: MlpConfig): MlpLayer[] {
  validateMlpConfig(config);
  const layers: MlpLayer[] = [];
  let off = 0;
  for (let k = 0; k <= config.hiddenLayers; k++) {
    const inDim = k === 0 ? config.inputDim : config.width;
    const out = k === config.hiddenLayers ? config.outputDim : config.width;
    layers.push({ in: inDim, out, weightOffset: off, biasOffset: off + out * inDim, relu: k < config.hiddenLayers });
    off += out * inDim + out;
  }
  return layers;
}

/** Number of f32 parameters (all weights and biases). */
export function mlpParamCount(config: MlpConfig): number {
  const last = mlpLayerOffsets(config).at(-1)!;
  return last.biasOffset + last.out;
}


/**
 * Initial parameters, deterministic in `seed`:
 * - layers followed by a ReLU: Kaiming/He-uniform, W ~ U(−√(6/in), √(6/in)), which keeps the
 *   second moment of the activations constant through ReLU layers;
 * - the linear output layer: Glorot/Xavier-uniform, W ~ U(−√(6/(in+out)), √(6/(in+out))), smaller
 *   than He for the 16/3-wide heads (tiny-cuda-nn initialises every layer this way);
 * - all biases zero.
 */
export function initMlp(config: MlpConfig, seed: number): Float32Array {
  const layers = mlpLayerOffsets(config);
  const p = new Float32Array(mlpParamCount(config));
  const r = mulberry32(seed);
  for (const l of layers) {
    const bound = l.relu ? Math.sqrt(6 / l.in) : Math.sqrt(6 / (l.in + l.out));
    for (let i = 0; i < l.out * l.in; i++) p[l.weightOffset + i] = (2 * r() - 1) * bound;
  }
  return p;
}
