// Occupancy-grid update, step 1 (eq. 15, Instant-NGP's schedule): choose the cells to re-evaluate and
// a random point in each. In warm-up every cell is taken (cell = first + i); afterwards half the points
// go to uniformly random cells and half to random currently-occupied cells (up to 8 tries each).
// Bindings: occupancy (bitfield), points (out: xyz in the unit box), cells (out: cell index), params.
//!include "../../render/rng.wgsl"
struct Params {
  count: u32,
  grid: u32,
  warmup: u32,
  first: u32,
  seed: u32,
}
@group(0) @binding(0) var<storage, read> occupancy: array<u32>;
@group(0) @binding(1) var<storage, read_write> points: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> cells: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

override WG: u32 = 64;

fn is_set(idx: u32) -> bool { return ((occupancy[idx >> 5u] >> (idx & 31u)) & 1u) != 0u; }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  let g = params.grid;
  let n3 = g * g * g;
  var cell: u32;
  if (params.warmup != 0u) {
    cell = (params.first + i) % n3;
  } else {
    cell = min(u32(rand01(params.seed, i, 0u) * f32(n3)), n3 - 1u);
    if ((i & 1u) == 1u) {
      for (var t = 1u; t <= 8u; t++) {
        let c = min(u32(rand01(params.seed, i, t) * f32(n3)), n3 - 1u);
        if (is_set(c)) { cell = c; break; }
      }
    }
  }
  let c = vec3<u32>(cell % g, (cell / g) % g, cell / (g * g));
  let jitter = vec3<f32>(rand01(params.seed, i, 11u), rand01(params.seed, i, 12u), rand01(params.seed, i, 13u));
  points[i] = vec4<f32>((vec3<f32>(c) + jitter) / f32(g), 0.0);
  cells[i] = cell;
}
