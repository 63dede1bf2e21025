/**
 * float64 twin of the MLP kernels (mlp-fwd.wgsl, mlp-bwd.wgsl, mlp-wgrad.wgsl): plain loops over the
 * flat parameter layout of mlp-config.ts. Rows are dense here: input [n][inputDim], output
 * [n][outputDim].
 */
import { mlpLayerOffsets, mlpParamCount, type MlpConfig } from './mlp-config.ts';

/** What the forward pass keeps. */
export interface MlpRefForward {
  /** Network outputs [n][outputDim]. */
  output: Float64Array;
  /** Post-ReLU activations of each hidden layer, [n][width] each. */
  acts: Float64Array[];
  /** Pre-activations z = W·x + b of each hidden layer, [n][width] each (tests use them to avoid ReLU kinks). */
  pre: Float64Array[];
}

/** y = W_L·relu(… relu(W_0·x + b_0) …) + b_L for `n` samples. */
export function mlpForwardRef(config: MlpConfig, params: ArrayLike<number>, input: ArrayLike<number>, n: number): MlpRefForward {
  const layers = mlpLayerOffsets(config);
  if (params.length < mlpParamCount(config)) throw new RangeError(`params has ${params.length} values, the network needs ${mlpParamCount(config)}`);
  if (input.length < n * config.inputDim) throw new RangeError(`input has ${input.length} values, ${n} samples need ${n * config.inputDim}`);
  const acts: Float64Array[] = [];
  const pre: Float64Array[] = [];
  let x: ArrayLike<number> = input;
  let output = new Float64Array(0);
  for (const l of layers) {
    const y = new Float64Array(n * l.out);
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < l.out; j++) {
        let a = params[l.biasOffset + j]!;
        const row = l.weightOffset + j * l.in;
        for (let i = 0; i < l.in; i++) a += params[row + i]! * x[s * l.in + i]!;
        y[s * l.out + j] = a;
      }
    }
    if (l.relu) {
      pre.push(y);
      const h = y.map((v) => (v > 0 ? v : 0));
      acts.push(h);
      x = h;
    } else output = y;
  }
  return { output, acts, pre };
}

/** Gradients of L = Σ dOutput ⊙ output. */
export interface MlpRefBackward {
  /** dL/dinput [n][inputDim]. */
  dInput: Float64Array;
  /** dL/dparams in the flat layout of the parameters: dW_k then db_k per layer. */
  dParams: Float64Array;
}

/**
 * Backpropagation through the network: δ_L = dOutput, δ_k = relu'(z_k) ⊙ W_{k+1}ᵀ δ_{k+1},
 * dW_k = Σ_n δ_k[n] x_k[n]ᵀ, db_k = Σ_n δ_k[n], dInput = W_0ᵀ δ_0. relu'(0) is taken as 0, like the
 * kernels (they test the post-activation a > 0).
 */
export function mlpBackwardRef(
  config: MlpConfig, params: ArrayLike<number>, input: ArrayLike<number>, n: number, dOutput: ArrayLike<number>,
): MlpRefBackward {
  const layers = mlpLayerOffsets(config);
  const fwd = mlpForwardRef(config, params, input, n);
  if (dOutput.length < n * config.outputDim) throw new RangeError(`dOutput has ${dOutput.length} values, ${n} samples need ${n * config.outputDim}`);
  const dParams = new Float64Array(mlpParamCount(config));
  let delta = Float64Array.from({ length: n * config.outputDim }, (_, i) => dOutput[i]!);
  for (let k = layers.length - 1; k >= 0; k--) {
    const l = layers[k]!;
    const x: ArrayLike<number> = k === 0 ? input : fwd.acts[k - 1]!;
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < l.out; j++) {
        const d = delta[s * l.out + j]!;
        if (d === 0) continue;
        dParams[l.biasOffset + j]! += d;
        const row = l.weightOffset + j * l.in;
        for (let i = 0; i < l.in; i++) dParams[row + i]! += d * x[s * l.in + i]!;
      }
    }
    const g = new Float64Array(n * l.in);
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < l.out; j++) {
        const d = delta[s * l.out + j]!;
        if (d === 0) continue;
        const row = l.weightOffset + j * l.in;
        for (let i = 0; i < l.in; i++) g[s * l.in + i]! += params[row + i]! * d;
      }
    }
    if (k > 0) {
      const a = fwd.acts[k - 1]!;
      for (let i = 0; i < g.length; i++) if (!(a[i]! > 0)) g[i] = 0;
    }
    delta = g;
  }
  return { dInput: delta, dParams };
}
