// Ray generation. Mode 0 (training): ray r picks a random training frame and a random pixel, and
// draws a random background colour (the target pixel is composited over it by its alpha, so the field
// learns transparency). Mode 1 (rendering): ray r is pixel firstPixel + r of frame `frame`, with the
// background `bg`; target_rgba then holds the running (C, T) of incremental compositing, and bg.w the
// box-entry distance from which the marcher's step lattice starts.
// Bindings: c2w (3x4 row-major per frame), images (rgba8 2-D array texture, one layer per training frame;
// unused in mode 1), rays (out: 4 vec4 per ray: origin+tmin, dir+tmax, target rgba, background rgb), params.
//!include "../rng.wgsl"
//!include "../camera.wgsl"
struct Params {
  count: u32,
  mode: u32,
  seed: u32,
  numFrames: u32,
  frame: u32,
  firstPixel: u32,
  width: u32,
  height: u32,
  fx: f32,
  fy: f32,
  cx: f32,
  cy: f32,
  k1: f32,
  k2: f32,
  p1: f32,
  p2: f32,
  bgR: f32,
  bgG: f32,
  bgB: f32,
}
struct Ray { o: vec4<f32>, d: vec4<f32>, target_rgba: vec4<f32>, bg: vec4<f32> }
@group(0) @binding(0) var<storage, read> c2w: array<vec4<f32>>;
@group(0) @binding(1) var images: texture_2d_array<f32>;
@group(0) @binding(2) var<storage, read_write> rays: array<Ray>;
@group(0) @binding(3) var<uniform> params: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= params.count) { return; }
  var frame = params.frame;
  var pix: vec2<u32>;
  var ray: Ray;
  if (params.mode == 0u) {
    frame = min(u32(rand01(params.seed, r, 0u) * f32(params.numFrames)), params.numFrames - 1u);
    pix = vec2<u32>(min(u32(rand01(params.seed, r, 1u) * f32(params.width)), params.width - 1u),
                    min(u32(rand01(params.seed, r, 2u) * f32(params.height)), params.height - 1u));
    ray.bg = vec4<f32>(rand01(params.seed, r, 3u), rand01(params.seed, r, 4u), rand01(params.seed, r, 5u), 0.0);
    ray.target_rgba = textureLoad(images, pix, frame, 0);
  } else {
    let p = params.firstPixel + r;
    pix = vec2<u32>(p % params.width, p / params.width);
    ray.bg = vec4<f32>(params.bgR, params.bgG, params.bgB, 0.0);
    // Incremental rendering keeps the accumulated colour and transmittance here: C = 0, T = 1.
    ray.target_rgba = vec4<f32>(0.0, 0.0, 0.0, 1.0);
  }
  let r0 = c2w[frame * 3u]; let r1 = c2w[frame * 3u + 1u]; let r2 = c2w[frame * 3u + 2u];
  let o = vec3<f32>(r0.w, r1.w, r2.w);
  let d = pixel_dir(vec2<f32>(pix) + 0.5, vec2<f32>(params.fx, params.fy), vec2<f32>(params.cx, params.cy),
                    vec4<f32>(params.k1, params.k2, params.p1, params.p2), r0, r1, r2);
  let t = box_hit(o, d);
  ray.o = vec4<f32>(o, t.x);
  ray.d = vec4<f32>(d, t.y);
  ray.bg.w = t.x; // the step lattice's origin for incremental marching (march.wgsl, resume mode)
  rays[r] = ray;
}
