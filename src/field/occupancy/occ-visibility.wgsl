// Visibility of the occupancy cells (for pruning before coding): for every marched sample of a ray, its
// compositing weight w_i = T_i·α_i (σ_i = exp(s_i), α_i = 1 − exp(−σ_i·dt), T_{i+1} = T_i·(1 − α_i), the
// same f32 operations as compact.wgsl and composite.wgsl, stopping where they stop: T_i < minTransmittance),
// max-reduced into the sample's cell (atomicMax on the u32 pattern: non-negative floats order like their
// bit patterns). A cell no ray ever gives a weight above a small ε contributes nothing to any training view.
// Bindings: rayRange (in: first sample, count per ray), density (raw s at i·densStride), samples (xyz =
// position in the unit box), visibility (atomic, G³ cells, accumulated across calls), params.
struct Params {
  count: u32,
  densStride: u32,
  grid: u32,
  dt: f32,
  minTransmittance: f32,
}
@group(0) @binding(0) var<storage, read> rayRange: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read> density: array<f32>;
@group(0) @binding(2) var<storage, read> samples: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> visibility: array<atomic<u32>>;
@group(0) @binding(4) var<uniform> params: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= params.count) { return; }
  let range = rayRange[r];
  let g = params.grid;
  var T = 1.0;
  for (var k = 0u; k < range.y; k++) {
    if (T < params.minTransmittance) { break; }
    let i = range.x + k;
    let sigma = exp(min(density[i * params.densStride], 15.0));
    let alpha = 1.0 - exp(-sigma * params.dt);
    let w = T * alpha;
    let c = min(vec3<u32>(max(samples[i].xyz * f32(g), vec3<f32>(0.0))), vec3<u32>(g - 1u));
    atomicMax(&visibility[c.x + g * (c.y + g * c.z)], bitcast<u32>(w));
    T *= 1.0 - alpha;
  }
}
