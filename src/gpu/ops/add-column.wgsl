// dst[i·stride + offset] += src[i]: adds a per-sample vector into one column of a row-major matrix.
// The field uses it to add the renderer's density gradient to column 0 of the colour MLP's input
// gradient (the density MLP's first output is both σ's logit and a colour-MLP input).
// Bindings: src (one float per row), dst (rows of `stride` floats), params.
struct Params {
  count: u32,
  stride: u32,
  offset: u32,
}
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  let j = i * params.stride + params.offset;
  dst[j] = dst[j] + src[i];
}
