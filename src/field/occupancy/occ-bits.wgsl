// Occupancy-grid update, step 4: the bitfield the ray marcher reads. Each invocation sums the partial
// sums (the same order in every invocation) to the grid mean, then sets 32 cells' bits:
//   occupied ⇔ d > min(threshold, mean)   (threshold 0.01 as in the paper / Instant-NGP).
// Bindings: values, partial (sum, count per chunk), occupancy (out bitfield), params.
struct Params {
  count: u32,
  partials: u32,
  threshold: f32,
}
@group(0) @binding(0) var<storage, read> values: array<f32>;
@group(0) @binding(1) var<storage, read> partial: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> occupancy: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let w = gid.x + gid.y * nwg.x * WG;
  if (w >= params.count) { return; }
  var total = vec2<f32>(0.0);
  for (var k = 0u; k < params.partials; k++) { total += partial[k]; }
  let mean = total.x / max(total.y, 1.0);
  let thr = min(params.threshold, mean);
  var bits = 0u;
  for (var b = 0u; b < 32u; b++) {
    if (values[w * 32u + b] > thr) { bits |= 1u << b; }
  }
  occupancy[w] = bits;
}
