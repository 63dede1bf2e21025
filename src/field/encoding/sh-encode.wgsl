// Spherical-harmonics encoding of view directions: the 16 real spherical harmonics of degrees 0-3
// ("degree 4" in tiny-cuda-nn's counting, which counts bands) evaluated at a unit direction (x, y, z),
// with the constants and signs of tiny-cuda-nn's SphericalHarmonics encoding used by Instant-NGP:
//   Y0 = 1/(2√π);  Y1..3 = √3/(2√π)·(−y, z, −x);  Y4..8 = √15/(2√π)·xy, −√15/(2√π)·yz,
//   √5/(4√π)·(3z² − 1), −√15/(2√π)·xz, √15/(4√π)·(x² − y²);  Y9..15 the cubic band.
// tcnn maps its input from [0,1]³ back to [−1,1]³ first; here the direction is passed as a unit vector.
// They are orthonormal on the sphere: ∫ Y_i Y_j dω = δ_ij. One invocation per sample; no backward
// (directions are not learned).
//
// Bindings:
//   dirs     direction of sample n in dirs[n].xyz (unit length), w ignored.
//   output   Y_0 … Y_15 of sample n written at output[outOffset + n·outStride + k], k < 16; nothing
//            else is written (the colour MLP's input row holds them after the density outputs).
//   params   count = samples; outStride, outOffset in floats.
struct Params {
  count: u32,
  outStride: u32,
  outOffset: u32,
}
@group(0) @binding(0) var<storage, read> dirs: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  let d = dirs[i].xyz;
  let x = d.x;
  let y = d.y;
  let z = d.z;
  let xy = x * y;
  let xz = x * z;
  let yz = y * z;
  let x2 = x * x;
  let y2 = y * y;
  let z2 = z * z;
  let o = params.outOffset + i * params.outStride;
  output[o + 0u] = 0.28209479177387814;                              // 1/(2√π)
  output[o + 1u] = -0.48860251190291987 * y;                         // −√3·y/(2√π)
  output[o + 2u] = 0.48860251190291987 * z;                          // √3·z/(2√π)
  output[o + 3u] = -0.48860251190291987 * x;                         // −√3·x/(2√π)
  output[o + 4u] = 1.0925484305920792 * xy;                          // √15·xy/(2√π)
  output[o + 5u] = -1.0925484305920792 * yz;                         // −√15·yz/(2√π)
  output[o + 6u] = 0.94617469575755997 * z2 - 0.31539156525251999;   // √5·(3z² − 1)/(4√π)
  output[o + 7u] = -1.0925484305920792 * xz;                         // −√15·xz/(2√π)
  output[o + 8u] = 0.54627421529603959 * x2 - 0.54627421529603959 * y2; // √15·(x² − y²)/(4√π)
  output[o + 9u] = 0.59004358992664352 * y * (-3.0 * x2 + y2);       // √70·y·(−3x² + y²)/(8√π)
  output[o + 10u] = 2.8906114426405538 * xy * z;                     // √105·xyz/(2√π)
  output[o + 11u] = 0.45704579946446572 * y * (1.0 - 5.0 * z2);      // √42·y·(1 − 5z²)/(8√π)
  output[o + 12u] = 0.3731763325901154 * z * (5.0 * z2 - 3.0);       // √7·z·(5z² − 3)/(4√π)
  output[o + 13u] = 0.45704579946446572 * x * (1.0 - 5.0 * z2);      // √42·x·(1 − 5z²)/(8√π)
  output[o + 14u] = 1.4453057213202769 * z * (x2 - y2);              // √105·z·(x² − y²)/(4√π)
  output[o + 15u] = 0.59004358992664352 * x * (-x2 + 3.0 * y2);      // √70·x·(−x² + 3y²)/(8√π)
}
