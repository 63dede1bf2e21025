// The ONE place grid features are read (read_feature) and the one place a vertex's gradient is
// turned into a gradient of the stored parameter (feature_grad). Every kernel of the grid encoding
// goes through these two functions and nowhere else touches `table`, so switching the encoding to
// binarized features (BiRF, eq. 16 and 20-21: the forward reads sgn θ = +1 for θ ≥ 0 else −1, the
// backward passes the gradient straight through) means editing this file only.
//
// Today: real-valued features, read_feature(i) = θ[i], feature_grad(i, g) = g.
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
