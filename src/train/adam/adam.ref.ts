/** float64 twin of adam.wgsl. Mutates theta, grad (zeroed), m and v in place. */
export function adamRef(
  theta: Float64Array, grad: Float64Array, m: Float64Array, v: Float64Array,
  p: { lr: number; beta1: number; beta2: number; eps: number; step: number; gradScale: number; l2: number; sparse?: boolean },
): void {
  const c1 = 1 - p.beta1 ** p.step;
  const c2 = 1 - p.beta2 ** p.step;
  for (let i = 0; i < theta.length; i++) {
    if (p.sparse && grad[i] === 0) continue;
    const g = p.gradScale * grad[i]! + p.l2 * theta[i]!;
    grad[i] = 0;
    m[i] = p.beta1 * m[i]! + (1 - p.beta1) * g;
    v[i] = p.beta2 * v[i]! + (1 - p.beta2) * g * g;
    theta[i] = theta[i]! - (p.lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + p.eps);
  }
}
