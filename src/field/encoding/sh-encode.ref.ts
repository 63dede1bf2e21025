/** float64 twin of sh-encode.wgsl: the 16 real spherical harmonics (tiny-cuda-nn's constants). */

/** Number of coefficients the encoding writes per direction. */
export const SH_COEFFICIENTS = 16;

/** Y_0 … Y_15 at the unit direction (x, y, z). */
export function shEncodeRef(x: number, y: number, z: number): Float64Array {
  const xy = x * y, xz = x * z, yz = y * z, x2 = x * x, y2 = y * y, z2 = z * z;
  return Float64Array.of(
    0.28209479177387814,
    -0.48860251190291987 * y,
    0.48860251190291987 * z,
    -0.48860251190291987 * x,
    1.0925484305920792 * xy,
    -1.0925484305920792 * yz,
    0.94617469575755997 * z2 - 0.31539156525251999,
    -1.0925484305920792 * xz,
    0.54627421529603959 * x2 - 0.54627421529603959 * y2,
    0.59004358992664352 * y * (-3 * x2 + y2),
    2.8906114426405538 * xy * z,
    0.45704579946446572 * y * (1 - 5 * z2),
    0.3731763325901154 * z * (5 * z2 - 3),
    0.45704579946446572 * x * (1 - 5 * z2),
    1.4453057213202769 * z * (x2 - y2),
    0.59004358992664352 * x * (-x2 + 3 * y2),
  );
}

/** Encodes `n` directions given as vec4 rows (xyz, w ignored) into [n][16]. */
export function shEncodeRefRows(dirs: ArrayLike<number>, n: number): Float64Array {
  if (dirs.length < 4 * n) throw new RangeError(`dirs has ${dirs.length} values, ${n} vec4 directions need ${4 * n}`);
  const out = new Float64Array(n * SH_COEFFICIENTS);
  for (let i = 0; i < n; i++) out.set(shEncodeRef(dirs[4 * i]!, dirs[4 * i + 1]!, dirs[4 * i + 2]!), i * SH_COEFFICIENTS);
  return out;
}
