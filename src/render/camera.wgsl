// Pinhole camera with OpenCV radial-tangential distortion (k1, k2, p1, p2), OpenGL camera convention
// (looks along −z, +y up, image y down). Twin of pixelRay() in src/data/camera.ts.

// Inverts the distortion by Newton iterations on normalized image coordinates (as Instant-NGP does);
// a fixed iteration count keeps every invocation on the same path.
fn undistort(xd: vec2<f32>, k: vec4<f32>) -> vec2<f32> {
  var u = xd;
  if (all(k == vec4<f32>(0.0))) { return u; }
  for (var it = 0; it < 10; it++) {
    let x = u.x; let y = u.y;
    let r2 = x * x + y * y;
    let radial = k.x * r2 + k.y * r2 * r2;
    let dr = 2.0 * (k.x + 2.0 * k.y * r2);
    let f = vec2<f32>(
      x + x * radial + 2.0 * k.z * x * y + k.w * (r2 + 2.0 * x * x) - xd.x,
      y + y * radial + 2.0 * k.w * x * y + k.z * (r2 + 2.0 * y * y) - xd.y);
    let j00 = 1.0 + radial + x * x * dr + 2.0 * k.z * y + 6.0 * k.w * x;
    let j01 = x * y * dr + 2.0 * k.z * x + 2.0 * k.w * y;
    let j10 = x * y * dr + 2.0 * k.w * y + 2.0 * k.z * x;
    let j11 = 1.0 + radial + y * y * dr + 2.0 * k.w * x + 6.0 * k.z * y;
    let det = j00 * j11 - j01 * j10;
    if (abs(det) < 1e-12) { break; }
    u -= vec2<f32>(j11 * f.x - j01 * f.y, -j10 * f.x + j00 * f.y) / det;
  }
  return u;
}

// Unit world-space direction through continuous pixel coordinate px (pixel (i, j) has centre (i+0.5, j+0.5)).
// c2w is 3x4 row-major: rotation columns then the camera centre in the 4th column.
fn pixel_dir(px: vec2<f32>, focal: vec2<f32>, centre: vec2<f32>, k: vec4<f32>, r0: vec4<f32>, r1: vec4<f32>, r2: vec4<f32>) -> vec3<f32> {
  let u = undistort((px - centre) / focal, k);
  let dc = vec3<f32>(u.x, -u.y, -1.0);
  let d = vec3<f32>(dot(r0.xyz, dc), dot(r1.xyz, dc), dot(r2.xyz, dc));
  return normalize(d);
}

// Entry and exit distances of a ray through the unit box [0,1]^3; tmin > tmax when it misses.
fn box_hit(o: vec3<f32>, d: vec3<f32>) -> vec2<f32> {
  let inv = 1.0 / d;
  let t0 = (vec3<f32>(0.0) - o) * inv;
  let t1 = (vec3<f32>(1.0) - o) * inv;
  let lo = min(t0, t1);
  let hi = max(t0, t1);
  return vec2<f32>(max(max(max(lo.x, lo.y), lo.z), 0.0), min(min(hi.x, hi.y), hi.z));
}
