/** float64 twin of march.wgsl for one ray: the sample positions it keeps (before capacity checks). */
export function marchRayRef(
  o: ArrayLike<number>, d: ArrayLike<number>, tmin: number, tmax: number, occupancy: Uint32Array, grid: number,
  dt: number, maxPerRay: number, jitter = 0.5,
): number[][] {
  const occupied = (p: number[]) => {
    const c = p.map((v) => Math.min(Math.floor(Math.max(v * grid, 0)), grid - 1));
    const idx = c[0]! + grid * (c[1]! + grid * c[2]!);
    return ((occupancy[idx >>> 5]! >>> (idx & 31)) & 1) !== 0;
  };
  const t0 = tmin + jitter * dt;
  const out: number[][] = [];
  let t = t0;
  while (t < tmax && out.length < maxPerRay) {
    const p = [0, 1, 2].map((a) => o[a]! + t * d[a]!);
    if (occupied(p)) {
      out.push(p);
      t += dt;
    } else {
      let exit = Infinity;
      for (let a = 0; a < 3; a++) {
        const c = Math.floor(p[a]! * grid);
        const bound = (c + (d[a]! > 0 ? 1 : 0)) / grid;
        exit = Math.min(exit, (bound - p[a]!) / d[a]!);
      }
      const tExit = t + Math.max(exit, 0);
      const k = Math.ceil((tExit - t0) / dt + 1e-4);
      t = Math.max(t0 + k * dt, t + dt);
    }
  }
  return out;
}

/** Entry/exit distances of a ray through the unit box (tmin clamped at 0), as box_hit in camera.wgsl. */
export function boxHitRef(o: ArrayLike<number>, d: ArrayLike<number>): [number, number] {
  let lo = 0;
  let hi = Infinity;
  for (let a = 0; a < 3; a++) {
    const t0 = (0 - o[a]!) / d[a]!;
    const t1 = (1 - o[a]!) / d[a]!;
    lo = Math.max(lo, Math.min(t0, t1));
    hi = Math.min(hi, Math.max(t0, t1));
  }
  return [lo, hi];
}
