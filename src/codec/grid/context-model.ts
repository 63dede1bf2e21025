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
 * A {@link ContextModel} ({@link createContextModel}) holds its widened weights (one array per layer,
 * loops specialised to the 2-hidden-layer shape of context-config.ts: 1.7× faster than a generic layer
 * loop) and preallocated activations, so evaluating a row allocates nothing; it is not re-entrant (one
 * model per coder).
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
  if (layers.length !== 3) throw new Error(`createContextModel: expected 2 hidden layers, the config has ${layers.length - 1}`);
  const W = (l: MlpLayer): Float64Array => Float64Array.from(params.subarray(l.weightOffset, l.weightOffset + l.out * l.in));
  const B = (l: MlpLayer): Float64Array => Float64Array.from(params.subarray(l.biasOffset, l.biasOffset + l.out));
  const [l1, l2, l3] = layers as [MlpLayer, MlpLayer, MlpLayer];
  const w1 = W(l1);
  const b1 = B(l1);
  const w2 = W(l2);
  const b2 = B(l2);
  const w3 = W(l3);
  const b3 = B(l3);
  const nIn = cfg.inputDim;
  const nH = cfg.width;
  const nOut = cfg.outputDim;
  const x = new Float64Array(nIn);
  const h1 = new Float64Array(nH);
  const h2 = new Float64Array(nH);
  // A closure over local constants: measurably faster in V8 than the same loops reading class fields.
  const evaluate = (out: Float64Array, outOffset: number): void => {
    for (let o = 0, p = 0; o < nH; o++) {
      let s = b1[o]!;
      for (let i = 0; i < nIn; i++, p++) s += w1[p]! * x[i]!;
      h1[o] = s > 0 ? s : 0;
    }
    for (let o = 0, p = 0; o < nH; o++) {
      let s = b2[o]!;
      for (let i = 0; i < nH; i++, p++) s += w2[p]! * h1[i]!;
      h2[o] = s > 0 ? s : 0;
    }
    for (let o = 0, p = 0; o < nOut; o++) {
      let s = b3[o]!;
      for (let i = 0; i < nH; i++, p++) s += w3[p]! * h2[i]!;
      out[outOffset + o] = Math.min(Math.max(sigmoidDet(s), PROB_EPS), 1 - PROB_EPS);
    }
  };
  return { kind, inputDim: nIn, outputDim: nOut, input: x, evaluate };
}
