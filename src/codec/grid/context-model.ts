/**
 * Deterministic float64 evaluation of the grid-feature context models η_c and η_dim
 * (docs/CONTEXT-MODEL.md §3.2-3.3, shapes in context-config.ts).
 *
 * The coder evaluates the same small MLP in the encoder and in the decoder, and the probabilities it
 * produces decide every byte, so the evaluation is written to give bit-identical results on every
 * engine: the f32 parameters (layout of src/field/network/mlp-config.ts: per layer W [out × in]
 * row-major, then b) are widened to float64 once (exact); each output is o = b_o + Σ_i W_oi · x_i,
 * accumulated from b_o for i = 0…in−1 in order; hidden layers apply ReLU; the F linear outputs z_d go
 * through {@link sigmoidDet} (no Math.exp) and are clamped to [PROB_EPS, 1 − PROB_EPS].
 *
 * A {@link ContextModel} ({@link createContextModel}) holds its widened weights (one array per layer;
 * the forward pass is specialised to the 2-hidden-layer shape of context-config.ts) and preallocated
 * activations, so evaluating a row allocates nothing; it is not re-entrant (one model per coder).
 */
import { mlpLayerOffsets, mlpParamCount, type MlpLayer } from '../../field/network/mlp-config.ts';
import { contextMlpConfig, PROB_EPS, type ContextModelKind } from './context-config.ts';
import { sigmoidDet } from './exp-det.ts';

/** Number of f32 parameters of the context model `kind` for F features per level. */
export function contextModelParamCount(kind: ContextModelKind, featuresPerLevel: number): number {
  return mlpParamCount(contextMlpConfig(kind, featuresPerLevel));
}

/** A context model ready to evaluate: widened weights plus scratch activations ({@link createContextModel}). */
export interface ContextModel {
  /** 'level' (η_c) or 'dim' (η_dim). */
  readonly kind: ContextModelKind;
  /** Input width: 3F + 1 (η_c) or 4F + 1 (η_dim). */
  readonly inputDim: number;
  /** F, the number of probabilities per row. */
  readonly outputDim: number;
  /** The input row; the caller fills it before {@link evaluate}. */
  readonly input: Float64Array;
  /**
   * Evaluates the model on {@link input} and writes the F clamped probabilities p_d = P(b_d = 1) to
   * `out[outOffset + d]`.
   */
  evaluate(out: Float64Array, outOffset: number): void;
}

/**
 * Prepares a context model for evaluation.
 *
 * @param kind which model.
 * @param featuresPerLevel F.
 * @param params the f32 parameters in the Mlp layout, exactly `contextModelParamCount(kind, F)` values,
 *   all finite.
 * @throws TypeError when params has the wrong type or length or holds a non-finite value.
 */
export function createContextModel(kind: ContextModelKind, featuresPerLevel: number, params: Float32Array): ContextModel {
  const cfg = contextMlpConfig(kind, featuresPerLevel);
  const n = mlpParamCount(cfg);
  const name = kind === 'level' ? 'the level-wise context model η_c' : 'the dimension-wise context model η_dim';
  if (!(params instanceof Float32Array)) throw new TypeError(`createContextModel: the parameters of ${name} must be a Float32Array`);
  if (params.length !== n) {
    throw new TypeError(
      `createContextModel: ${name} (${cfg.inputDim} → ${cfg.width} → ${cfg.width} → ${cfg.outputDim}) has ${n} parameters, got ${params.length}`,
    );
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(params[i]!)) throw new TypeError(`createContextModel: parameter ${i} of ${name} is ${params[i]}, must be finite`);
  }
  const layers = mlpLayerOffsets(cfg);
  if (layers.length !== 3 || cfg.width % 8 !== 0) {
    throw new Error(`createContextModel: expected 2 hidden layers of a width divisible by 8, got ${layers.length - 1} of ${cfg.width}`);
  }
  const W = (l: MlpLayer): Float64Array => Float64Array.from(params.subarray(l.weightOffset, l.weightOffset + l.out * l.in));
  const B = (l: MlpLayer): Float64Array => Float64Array.from(params.subarray(l.biasOffset, l.biasOffset + l.out));
  const [l1, l2, l3] = layers as [MlpLayer, MlpLayer, MlpLayer];
  const st: ModelState = {
    w1: W(l1), b1: B(l1), w2: W(l2), b2: B(l2), w3: W(l3), b3: B(l3),
    x: new Float64Array(cfg.inputDim), h1: new Float64Array(cfg.width), h2: new Float64Array(cfg.width),
    nIn: cfg.inputDim, nH: cfg.width, nOut: cfg.outputDim,
  };
  return { kind, inputDim: cfg.inputDim, outputDim: cfg.outputDim, input: st.x, evaluate: (out, outOffset) => evaluateModel(st, out, outOffset) };
}

/** Weights (row-major [out × in] per layer), biases, activations and widths of one model. */
interface ModelState {
  w1: Float64Array;
  b1: Float64Array;
  w2: Float64Array;
  b2: Float64Array;
  w3: Float64Array;
  b3: Float64Array;
  x: Float64Array;
  h1: Float64Array;
  h2: Float64Array;
  nIn: number;
  nH: number;
  nOut: number;
}

/**
 * The forward pass. Several outputs are accumulated side by side (4 in the first layer, 8 in the
 * second) so each input is loaded once per block — about 1.7× faster in V8 than one dot product at a
 * time — while every output still sums b_o + W_o0·x_0 + W_o1·x_1 + … in exactly the order of §3.2.
 */
function evaluateModel(m: ModelState, out: Float64Array, outOffset: number): void {
  const { w1, b1, w2, b2, w3, b3, x, h1, h2, nIn, nH, nOut } = m;
  for (let o = 0; o < nH; o += 4) {
    let s0 = b1[o]!;
    let s1 = b1[o + 1]!;
    let s2 = b1[o + 2]!;
    let s3 = b1[o + 3]!;
    const p0 = o * nIn;
    const p1 = p0 + nIn;
    const p2 = p1 + nIn;
    const p3 = p2 + nIn;
    for (let i = 0; i < nIn; i++) {
      const xi = x[i]!;
      s0 += w1[p0 + i]! * xi;
      s1 += w1[p1 + i]! * xi;
      s2 += w1[p2 + i]! * xi;
      s3 += w1[p3 + i]! * xi;
    }
    h1[o] = s0 > 0 ? s0 : 0;
    h1[o + 1] = s1 > 0 ? s1 : 0;
    h1[o + 2] = s2 > 0 ? s2 : 0;
    h1[o + 3] = s3 > 0 ? s3 : 0;
  }
  for (let o = 0; o < nH; o += 8) {
    let s0 = b2[o]!;
    let s1 = b2[o + 1]!;
    let s2 = b2[o + 2]!;
    let s3 = b2[o + 3]!;
    let s4 = b2[o + 4]!;
    let s5 = b2[o + 5]!;
    let s6 = b2[o + 6]!;
    let s7 = b2[o + 7]!;
    const p0 = o * nH;
    const p1 = p0 + nH;
    const p2 = p1 + nH;
    const p3 = p2 + nH;
    const p4 = p3 + nH;
    const p5 = p4 + nH;
    const p6 = p5 + nH;
    const p7 = p6 + nH;
    for (let i = 0; i < nH; i++) {
      const hi = h1[i]!;
      s0 += w2[p0 + i]! * hi;
      s1 += w2[p1 + i]! * hi;
      s2 += w2[p2 + i]! * hi;
      s3 += w2[p3 + i]! * hi;
      s4 += w2[p4 + i]! * hi;
      s5 += w2[p5 + i]! * hi;
      s6 += w2[p6 + i]! * hi;
      s7 += w2[p7 + i]! * hi;
    }
    h2[o] = s0 > 0 ? s0 : 0;
    h2[o + 1] = s1 > 0 ? s1 : 0;
    h2[o + 2] = s2 > 0 ? s2 : 0;
    h2[o + 3] = s3 > 0 ? s3 : 0;
    h2[o + 4] = s4 > 0 ? s4 : 0;
    h2[o + 5] = s5 > 0 ? s5 : 0;
    h2[o + 6] = s6 > 0 ? s6 : 0;
    h2[o + 7] = s7 > 0 ? s7 : 0;
  }
  for (let o = 0, p = 0; o < nOut; o++) {
    let s = b3[o]!;
    for (let i = 0; i < nH; i++, p++) s += w3[p]! * h2[i]!;
    out[outOffset + o] = Math.min(Math.max(sigmoidDet(s), PROB_EPS), 1 - PROB_EPS);
  }
}
