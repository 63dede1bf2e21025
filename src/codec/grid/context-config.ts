/**
 * Shapes and constants of the grid-feature context models (docs/CONTEXT-MODEL.md): the level-wise model
 * η_c of the 3-D levels (eq. 27, CNC's LWCM) and the dimension-wise model η_dim of the planes
 * (eq. 28-31, CNC's DWCM). Shared by the coder (src/codec/grid) and the training-time rate estimate
 * (src/train/rate), which must agree on these shapes.
 */
import type { MlpConfig } from '../../field/network/mlp-config.ts';

/** L_C: coarser levels a 3-D level's context reads (the paper's L_c = 3); levels below it use their frequency. */
export const CONTEXT_LEVELS = 3;
/** Hidden width of both context MLPs (CNC: 32). */
export const CONTEXT_WIDTH = 32;
/** Default K of docs/CONTEXT-MODEL.md §3.4: active vertices averaged per hashed entry. */
export const HASH_COMBINE_DEFAULT = 4;
/** Probability clamp of the context models' outputs: p ∈ [PROB_EPS, 1 − PROB_EPS]. */
export const PROB_EPS = 1e-6;

/** Which context model: 'level' = η_c (3-D levels ≥ L_C), 'dim' = η_dim (planes). */
export type ContextModelKind = 'level' | 'dim';

/**
 * η_c: 3F+1 → 32 → 32 → F (three coarser levels' interpolated φ plus v_+);
 * η_dim: 4F+1 → 32 → 32 → F (three coarser plane levels, the projected voxel feature, v_+).
 * ReLU hidden layers, linear outputs (the sigmoid is applied by the caller).
 */
export function contextMlpConfig(kind: ContextModelKind, featuresPerLevel: number): MlpConfig {
  const F = featuresPerLevel;
  return { inputDim: (kind === 'level' ? 3 : 4) * F + 1, width: CONTEXT_WIDTH, hiddenLayers: 2, outputDim: F };
}
