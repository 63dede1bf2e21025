// Sample compaction for training (Instant-NGP's "compacted" samples): given the densities of every
// marched sample, keep per ray only the samples before its transmittance falls under minTransmittance —
// exactly those composite.wgsl would use — and copy them, contiguous per ray, to a new list. The expensive
// forward+backward pass then runs on the kept samples only; the rest cost one density query.
//   σ_i = exp(s_i), α_i = 1 − exp(−σ_i·dt), T_{i+1} = T_i·(1 − α_i) (the same f32 operations as
//   composite.wgsl, so both agree on every ray); sample i is kept iff T_i ≥ minTransmittance.
// A ray whose kept samples do not fit the capacity keeps none.
// Bindings: rayRange (in), density (raw s at i·densStride), samples, sampleDirs (in), outSamples, outDirs,
// outRange (out), counter (atomic: [0] kept samples reserved, [1] kept samples requested), params.
struct Params {
  count: u32,
  densStride: u32,
  capacity: u32,
  dt: f32,
  minTransmittance: f32,
}
@group(0) @binding(0) var<storage, read> rayRange: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read> density: array<f32>;
@group(0) @binding(2) var<storage, read> samples: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> sampleDirs: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> outSamples: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> outDirs: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> outRange: array<vec2<u32>>;
@group(0) @binding(7) var<storage, read_write> counter: array<atomic<u32>>;
@group(0) @binding(8) var<uniform> params: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= params.count) { return; }
  let range = rayRange[r];
  var T = 1.0;
  var used = 0u;
  for (var k = 0u; k < range.y; k++) {
    if (T < params.minTransmittance) { break; }
    let sigma = exp(min(density[(range.x + k) * params.densStride], 15.0));
    let alpha = 1.0 - exp(-sigma * params.dt);
    T *= 1.0 - alpha;
    used = k + 1u;
  }
  atomicAdd(&counter[1], used);
  var first = 0u;
  if (used > 0u) {
    first = atomicAdd(&counter[0], used);
    if (first + used > params.capacity) { used = 0u; }
  }
  outRange[r] = vec2<u32>(first, used);
  for (var k = 0u; k < used; k++) {
    outSamples[first + k] = samples[range.x + k];
    outDirs[first + k] = sampleDirs[range.x + k];
  }
}
