/**
 * float64 twins of the occupancy-grid update kernels (occ-points, occ-splat, occ-decay, occ-bits).
 */
import { rand01 } from '../../render/rng.ts';

/** occ-points: the cell and point evaluated by invocation i. */
export function occPointRef(i: number, grid: number, warmup: boolean, first: number, seed: number, bits: Uint32Array): { cell: number; point: [number, number, number] } {
  const n3 = grid ** 3;
  const isSet = (c: number) => ((bits[c >>> 5]! >>> (c & 31)) & 1) !== 0;
  let cell: number;
  if (warmup) cell = (first + i) % n3;
  else {
    cell = Math.min(Math.floor(Math.fround(rand01(seed, i, 0) * n3)), n3 - 1);
    if ((i & 1) === 1) {
      for (let t = 1; t <= 8; t++) {
        const c = Math.min(Math.floor(Math.fround(rand01(seed, i, t) * n3)), n3 - 1);
        if (isSet(c)) {
          cell = c;
          break;
        }
      }
    }
  }
  const c = [cell % grid, Math.floor(cell / grid) % grid, Math.floor(cell / (grid * grid))];
  const j = [rand01(seed, i, 11), rand01(seed, i, 12), rand01(seed, i, 13)];
  return { cell, point: [(c[0]! + j[0]!) / grid, (c[1]! + j[1]!) / grid, (c[2]! + j[2]!) / grid] };
}

/**
 * occ-splat + occ-decay + occ-bits: new values and bitfield after one update, given the evaluated cells
 * and their raw densities s (σ = exp(s), thickness σ·dt).
 */
export function occUpdateRef(values: Float64Array, cells: ArrayLike<number>, density: ArrayLike<number>, dt: number, decay: number, threshold: number): { values: Float64Array; bits: Uint32Array } {
  const fresh = new Float64Array(values.length);
  for (let i = 0; i < cells.length; i++) fresh[cells[i]!] = Math.max(fresh[cells[i]!]!, Math.exp(Math.min(density[i]!, 15)) * dt);
  const out = Float64Array.from(values);
  let sum = 0;
  let n = 0;
  for (let c = 0; c < out.length; c++) {
    if (out[c]! < 0) continue;
    out[c] = Math.max(out[c]! * decay, fresh[c]!);
    sum += out[c]!;
    n++;
  }
  const thr = Math.min(threshold, sum / Math.max(n, 1));
  const bits = new Uint32Array(Math.ceil(out.length / 32));
  out.forEach((v, c) => {
    if (v > thr) bits[c >>> 5]! |= 1 << (c & 31);
  });
  return { values: out, bits };
}

/**
 * occ-visibility: the max compositing weight T_i·α_i per cell over the given rays, each a list of samples
 * (raw density s, position in the unit box) in marching order; a ray stops where T < minTransmittance.
 */
export function visibilityRef(
  rays: { density: ArrayLike<number>; points: ArrayLike<readonly [number, number, number]> }[], grid: number, dt: number, minTransmittance = 1e-4,
): Float64Array {
  const vis = new Float64Array(grid ** 3);
  for (const ray of rays) {
    let T = 1;
    for (let k = 0; k < ray.density.length; k++) {
      if (T < minTransmittance) break;
      const alpha = 1 - Math.exp(-Math.exp(Math.min(ray.density[k]!, 15)) * dt);
      const c = ray.points[k]!.map((v) => Math.min(Math.max(Math.floor(v * grid), 0), grid - 1));
      const cell = c[0]! + grid * (c[1]! + grid * c[2]!);
      vis[cell] = Math.max(vis[cell]!, T * alpha);
      T *= 1 - alpha;
    }
  }
  return vis;
}
