/**
 * float64 twin of sh-encode.wgsl: real SH of degree 4 (16 coefficients), orthonormal on the sphere,
 * with the sign convention of tiny-cuda-nn (Condon–Shortley phase).
 */
export function shEncodeRef(x: number, y: number, z: number): Float64Array {
  const x2 = x * x, y2 = y * y, z2 = z * z;
  return Float64Array.from([
    0.28209479177387814,
    -0.48860251190291987 * y,
    0.48860251190291987 * z,
    -0.48860251190291987 * x,
    1.0925484305920792 * x * y,
    -1.0925484305920792 * y * z,
    0.94617469575755997 * z2 - 0.31539156525251999,
    -1.0925484305920792 * x * z,
    0.54627421529603959 * (x2 - y2),
    0.59004358992664352 * y * (3 * x2 - y2),
    2.8906114426405538 * x * y * z,
    0.45704579946446572 * y * (5 * z2 - 1),
    0.3731763325901154 * z * (5 * z2 - 3),
    0.45704579946446572 * x * (5 * z2 - 1),
    1.4453057213202769 * z * (x2 - y2),
    0.59004358992664352 * x * (x2 - 3 * y2),
  ]);
}
