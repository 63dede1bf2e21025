// The ONE place grid features are read (read_feature) and the one place a vertex's gradient is
// turned into a gradient of the stored parameter (feature_grad). Every kernel of the grid encoding
// goes through these two functions and nowhere else touches `table`, so binarized features (BiRF,
// eq. 16 and 20-21: the forward reads sgn θ = +1 for θ ≥ 0 else −1, the backward passes the gradient
// straight through) only swap these two functions.
//
// This file is the default, real-valued variant: read_feature(i) = θ[i], feature_grad(i, g) = g.
// The binarized variant (GridEncodingConfig.binarize) is compiled as separate pipelines
// ('grid-encode-binary', 'grid-encode-bwd-binary') whose source is the kernels' with the two
// functions below replaced, by name, with BINARY_FEATURE_READ of grid-encode.ts:
//   read_feature(i)    = sgn θ[i]: select(-1.0, 1.0, θ[i] >= 0.0)   (eq. 16: +1 for θ ≥ 0, −0 included)
//   feature_grad(i, g) = select(0.0, g, abs(θ[i]) <= 1.0)           (straight-through, masked to |θ| ≤ 1)
// So keep both signatures, one definition each, and no braces inside the bodies.
//
// The including kernel declares `table: array<f32>` (θ, the flat parameter buffer, read-only).
// feature_grad must stay linear in g: the backward may sum the gradients of several invocations that
// hit the same entry before calling it once on the sum.
fn read_feature(index: u32) -> f32 {
  return table[index];
}

fn feature_grad(index: u32, g: f32) -> f32 {
  return g;
}
