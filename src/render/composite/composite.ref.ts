/**
 * float64 twin of composite.wgsl for one ray: forward colour and loss, and the gradients w.r.t. the raw
 * density s_i and raw colour z_i of each sample (of the MSE plus, with `maskWeight` λ_m > 0, the mask
 * loss λ_m·BCE(o, a_t): `objective` = loss + λ_m·bce is what they differentiate, over `numRays`).
 */
export interface CompositeRayRef {
  color: [number, number, number];
  alpha: number;
  /** MSE of the ray. */
  loss: number;
  /** BCE of the opacity (clamped to [1e-3, 1 − 1e-3]) against the target alpha. */
  bce: number;
  /** loss + maskWeight·bce. */
  objective: number;
  used: number;
  dDensity: Float64Array;
  dRgb: Float64Array;
}

const sig = (x: number) => 1 / (1 + Math.exp(-x));

export function compositeRayRef(
  density: ArrayLike<number>, rgb: ArrayLike<number>, dt: number, bg: ArrayLike<number>, target: ArrayLike<number> /* rgba */,
  numRays: number, minTransmittance = 1e-4, maskWeight = 0,
): CompositeRayRef {
  const n = density.length;
  let T = 1;
  const C = [0, 0, 0];
  let used = 0;
  for (let k = 0; k < n; k++) {
    if (T < minTransmittance) break;
    const sigma = Math.exp(Math.min(density[k]!, 15));
    const a = 1 - Math.exp(-sigma * dt);
    for (let c = 0; c < 3; c++) C[c]! += T * a * sig(rgb[3 * k + c]!);
    T *= 1 - a;
    used = k + 1;
  }
  const Cf = C.map((v, c) => v + T * bg[c]!) as [number, number, number];
  const tgt = [0, 1, 2].map((c) => target[c]! * target[3]! + bg[c]! * (1 - target[3]!));
  const diff = Cf.map((v, c) => v - tgt[c]!);
  const loss = (diff[0]! ** 2 + diff[1]! ** 2 + diff[2]! ** 2) / 3;
  const dC = diff.map((d) => (2 * d) / (3 * numRays));
  const at = target[3]!;
  const o = Math.min(Math.max(1 - T, 1e-3), 1 - 1e-3);
  const bce = -(at * Math.log(o) + (1 - at) * Math.log(1 - o));
  const gMask = ((maskWeight * (o - at)) / (o * (1 - o) * numRays)) * T;
  const dDensity = new Float64Array(n);
  const dRgb = new Float64Array(3 * n);
  let Ti = 1;
  const acc = [0, 0, 0];
  for (let k = 0; k < used; k++) {
    const raw = density[k]!;
    const sigma = Math.exp(Math.min(raw, 15));
    const a = 1 - Math.exp(-sigma * dt);
    const w = Ti * a;
    const Tn = Ti * (1 - a);
    let ds = 0;
    for (let c = 0; c < 3; c++) {
      const cc = sig(rgb[3 * k + c]!);
      acc[c]! += w * cc;
      dRgb[3 * k + c] = w * cc * (1 - cc) * dC[c]!;
      ds += dt * (Tn * cc - (Cf[c]! - acc[c]!)) * dC[c]!;
    }
    ds += dt * gMask;
    dDensity[k] = ds * Math.exp(Math.max(-15, Math.min(15, raw)));
    Ti = Tn;
  }
  return { color: Cf, alpha: 1 - T, loss, bce, objective: loss + maskWeight * bce, used, dDensity, dRgb };
}

/** float64 twin of compact.wgsl for one ray: how many leading samples it keeps. */
export function keptSamplesRef(density: ArrayLike<number>, dt: number, minTransmittance = 1e-4): number {
  let T = 1;
  let used = 0;
  for (let k = 0; k < density.length; k++) {
    if (T < minTransmittance) break;
    T *= Math.exp(-Math.exp(Math.min(density[k]!, 15)) * dt);
    used = k + 1;
  }
  return used;
}
