// Occupancy-grid update, step 3: the exponential moving maximum of eq. 15, per cell
//   d ← max(decay·d, fresh)   (decay = 0.95), cells marked −1 (never seen by a training camera) stay −1;
// then each invocation writes a partial sum of the non-negative values of its CHUNK cells so that
// occ-bits can threshold at min(threshold, mean).
// Bindings: values (the EMA grid), fresh (this update's maxima as f32 bits), partial (out: sum, count per
// chunk), params.
struct Params {
  count: u32,
  cells: u32,
  chunk: u32,
  decay: f32,
}
@group(0) @binding(0) var<storage, read_write> values: array<f32>;
@group(0) @binding(1) var<storage, read> fresh: array<u32>;
@group(0) @binding(2) var<storage, read_write> partial: array<vec2<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  var sum = 0.0;
  var n = 0.0;
  let end = min((i + 1u) * params.chunk, params.cells);
  for (var c = i * params.chunk; c < end; c++) {
    var v = values[c];
    if (v < 0.0) { continue; }
    v = max(v * params.decay, bitcast<f32>(fresh[c]));
    values[c] = v;
    sum += v;
    n += 1.0;
  }
  partial[i] = vec2<f32>(sum, n);
}
