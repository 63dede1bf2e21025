// Occupancy-grid update, step 2: the optical thickness of one march step, σ·dt with σ = exp(s), of each
// evaluated point, max-reduced into its cell (atomicMax on the u32 pattern: non-negative floats order
// like their bit patterns). Bindings: cells, density (raw s at i·densStride), fresh (atomic, cleared by
// the caller), params.
struct Params {
  count: u32,
  densStride: u32,
  dt: f32,
}
@group(0) @binding(0) var<storage, read> cells: array<u32>;
@group(0) @binding(1) var<storage, read> density: array<f32>;
@group(0) @binding(2) var<storage, read_write> fresh: array<atomic<u32>>;
@group(0) @binding(3) var<uniform> params: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  let thickness = exp(min(density[i * params.densStride], 15.0)) * params.dt;
  atomicMax(&fresh[cells[i]], bitcast<u32>(thickness));
}
