// Ray marching through the occupancy grid (Instant-NGP's compacted sampling).
// Each ray steps from its box entry with a fixed step dt (jittered start in training), keeping only
// samples whose occupancy cell is set; an empty cell is skipped in one jump to its exit, snapped to the
// ray's step lattice. The march runs twice in the same invocation: once to count the ray's samples,
// once to write them at an offset reserved with one atomicAdd on a global counter. A ray whose samples
// do not fit in the capacity gets none (count 0) rather than a truncated, wrongly composited set.
// Bindings: rays (in), occupancy (bitfield, G^3 bits over the unit box), samples (out: xyz + dt per
// sample), sampleDirs (out: ray direction per sample), rayRange (out: first sample, count per ray),
// counter (atomic: [0] samples reserved, [1] samples requested including rays that did not fit), params.
// Resume mode (incremental rendering, as Instant-NGP's inference marcher): each ray continues from
// t = rays[r].o.w on the lattice that starts at bg.w + dt/2, emits at most maxPerRay samples, and stores
// where it stopped back into o.w; a ray whose transmittance (target_rgba.w, kept by composite.wgsl) fell
// under minTransmittance emits nothing. So samples behind opaque surfaces are never evaluated.
//!include "../rng.wgsl"
struct Params {
  count: u32,
  capacity: u32,
  maxPerRay: u32,
  grid: u32,
  dt: f32,
  jitter: u32,
  seed: u32,
  resume: u32,
  minTransmittance: f32,
}
struct Ray { o: vec4<f32>, d: vec4<f32>, target_rgba: vec4<f32>, bg: vec4<f32> }
@group(0) @binding(0) var<storage, read_write> rays: array<Ray>;
@group(0) @binding(1) var<storage, read> occupancy: array<u32>;
@group(0) @binding(2) var<storage, read_write> samples: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> sampleDirs: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> rayRange: array<vec2<u32>>;
@group(0) @binding(5) var<storage, read_write> counter: array<atomic<u32>>;
@group(0) @binding(6) var<uniform> params: Params;

override WG: u32 = 64;

fn occupied(p: vec3<f32>) -> bool {
  let g = params.grid;
  let c = min(vec3<u32>(max(p * f32(g), vec3<f32>(0.0))), vec3<u32>(g - 1u));
  let idx = c.x + g * (c.y + g * c.z);
  return ((occupancy[idx >> 5u] >> (idx & 31u)) & 1u) != 0u;
}

// Distance along the ray to the exit of the occupancy cell containing p.
fn cell_exit(p: vec3<f32>, d: vec3<f32>, t: f32) -> f32 {
  let g = f32(params.grid);
  let c = floor(p * g);
  let bound = (c + select(vec3<f32>(0.0), vec3<f32>(1.0), d > vec3<f32>(0.0))) / g;
  let dist = (bound - p) / d;
  return t + max(min(min(dist.x, dist.y), dist.z), 0.0);
}

// Next t on the lattice t0 + k·dt strictly past `tExit` and at least one step past t.
fn snap_past(t: f32, tExit: f32, t0: f32, dt: f32) -> f32 {
  let k = ceil((tExit - t0) / dt + 1e-4);
  return max(t0 + k * dt, t + dt);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= params.count) { return; }
  let ray = rays[r];
  let o = ray.o.xyz; let d = ray.d.xyz;
  let dt = params.dt;
  var t0 = ray.o.w + 0.5 * dt;
  if (params.jitter != 0u) { t0 = ray.o.w + rand01(params.seed, r, 7u) * dt; }
  var tStart = t0;
  var tmax = ray.d.w;
  if (params.resume != 0u) {
    t0 = ray.bg.w + 0.5 * dt;
    tStart = max(ray.o.w, t0);
    if (ray.target_rgba.w < params.minTransmittance) { tmax = -1.0; }
  }

  var n = 0u;
  var t = tStart;
  while (t < tmax && n < params.maxPerRay) {
    let p = o + t * d;
    if (occupied(p)) { n++; t += dt; } else { t = snap_past(t, cell_exit(p, d, t), t0, dt); }
  }
  atomicAdd(&counter[1], n);
  let wanted = n;
  var first = 0u;
  if (n > 0u) {
    first = atomicAdd(&counter[0], n);
    if (first + n > params.capacity) { n = 0u; }
  }
  rayRange[r] = vec2<u32>(first, n);
  var k = 0u;
  let tCounted = t;
  t = tStart;
  while (t < tmax && k < n) {
    let p = o + t * d;
    if (occupied(p)) {
      samples[first + k] = vec4<f32>(p, dt);
      sampleDirs[first + k] = vec4<f32>(d, 0.0);
      k++;
      t += dt;
    } else { t = snap_past(t, cell_exit(p, d, t), t0, dt); }
  }
  if (params.resume != 0u) {
    // Continue after the last sample written; a ray that had samples but did not fit this round retries
    // from where it was; one with none left is parked at the end of its march.
    if (n > 0u) { rays[r].o.w = t; }
    else if (wanted == 0u) { rays[r].o.w = max(tCounted, ray.d.w); }
  }
}
