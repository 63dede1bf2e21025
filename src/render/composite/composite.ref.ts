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
  /** Distortion Σ_{i,j} w_i w_j |t_i − t_j| + δ/3 Σ w_i² of the used samples (computed in O(n²) here). */
  distortion: number;
  /** loss + maskWeight·bce + distWeight·distortion. */
  objective: number;
  used: number;
  dDensity: Float64Array;
  dRgb: Float64Array;
}

const sig = (x: number) => 1 / (1 + Math.exp(-x));

export function compositeRayRef(
  density: ArrayLike<number>, rgb: ArrayLike<number>, dt: number, bg: ArrayLike<number>, target: ArrayLike<number> /* rgba */,
  numRays: number, minTransmittance = 1e-4, maskWeight = 0,
  /** The distortion loss: its weight λ_d and each sample's distance t_i from the ray origin. */
  dist: { weight: number; t: ArrayLike<number> } = { weight: 0, t: [] },
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
  // Distortion: weights of the used samples, the loss by its definition (all pairs), and dL/dw_k.
  const ws: number[] = [];
  for (let k = 0, Tk = 1; k < used; k++) {
    const a = 1 - Math.exp(-Math.exp(Math.min(density[k]!, 15)) * dt);
    ws.push(Tk * a);
    Tk *= 1 - a;
  }
  let distortion = 0;
  const gw = new Float64Array(used);
  if (dist.weight > 0) {
    for (let i = 0; i < used; i++) {
      for (let j = 0; j < used; j++) {
        distortion += ws[i]! * ws[j]! * Math.abs(dist.t[i]! - dist.t[j]!);
        gw[i]! += 2 * ws[j]! * Math.abs(dist.t[i]! - dist.t[j]!);
      }
      distortion += (ws[i]! * ws[i]! * dt) / 3;
      gw[i]! += (2 / 3) * ws[i]! * dt;
    }
  }
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
    if (dist.weight > 0) {
      // dL/ds_k = σ_k·dt·(g_k·T_{k+1} − Σ_{i>k} g_i·w_i), by the chain rule through w_i = T_i·α_i.
      let suffix = 0;
      for (let i = k + 1; i < used; i++) suffix += gw[i]! * ws[i]!;
      ds += ((dt * dist.weight) / numRays) * (gw[k]! * Tn - suffix);
    }
    dDensity[k] = ds * Math.exp(Math.max(-15, Math.min(15, raw)));
    Ti = Tn;
  }
  return { color: Cf, alpha: 1 - T, loss, bce, distortion, objective: loss + maskWeight * bce + dist.weight * distortion, used, dDensity, dRgb };
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
