// Real spherical harmonics of degree 4 (bands l = 0..3, 16 coefficients) of the unit view direction,
// with the constants of tiny-cuda-nn's SphericalHarmonics encoding (Instant-NGP's colour input).
// Written into a strided view: out[i·outStride + outOffset + k], k = 0..15. No backward: directions are
// not learned.
// Bindings: dirs (xyz unit direction per sample, w ignored), out, params.
struct Params {
  count: u32,
  outStride: u32,
  outOffset: u32,
}
@group(0) @binding(0) var<storage, read> dirs: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  let d = dirs[i].xyz;
  let x = d.x; let y = d.y; let z = d.z;
  let x2 = x * x; let y2 = y * y; let z2 = z * z;
  let o = i * params.outStride + params.outOffset;
  out[o + 0u] = 0.28209479177387814;
  out[o + 1u] = -0.48860251190291987 * y;
  out[o + 2u] = 0.48860251190291987 * z;
  out[o + 3u] = -0.48860251190291987 * x;
  out[o + 4u] = 1.0925484305920792 * x * y;
  out[o + 5u] = -1.0925484305920792 * y * z;
  out[o + 6u] = 0.94617469575755997 * z2 - 0.31539156525251999;
  out[o + 7u] = -1.0925484305920792 * x * z;
  out[o + 8u] = 0.54627421529603959 * (x2 - y2);
  out[o + 9u] = 0.59004358992664352 * y * (3.0 * x2 - y2);
  out[o + 10u] = 2.8906114426405538 * x * y * z;
  out[o + 11u] = 0.45704579946446572 * y * (5.0 * z2 - 1.0);
  out[o + 12u] = 0.3731763325901154 * z * (5.0 * z2 - 3.0);
  out[o + 13u] = 0.45704579946446572 * x * (5.0 * z2 - 1.0);
  out[o + 14u] = 1.4453057213202769 * z * (x2 - y2);
  out[o + 15u] = 0.59004358992664352 * x * (x2 - 3.0 * y2);
}
