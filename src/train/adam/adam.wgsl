// Adam update (Kingma & Ba), one invocation per parameter, as Instant-NGP uses it (ε = 1e-15).
//   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,  θ ← θ − lr · (m/c1) / (sqrt(v/c2) + ε)
// with g = gradScale·grad + l2·θ and c1 = 1−β1^t, c2 = 1−β2^t precomputed on the host.
// The gradient is zeroed after use so the next step's scatter-adds start from zero.
// With `sparse` set (used for the hash tables), an entry whose gradient is exactly zero this step is left
// untouched, moments included ("lazy" Adam): most hash entries see no sample in a step, and skipping
// them saves most of the optimizer's memory traffic on CPU adapters.
// Bindings: theta (parameters, read-write), grad (f32 bit patterns, read-write: zeroed),
// m, v (moments), params (uniform).
struct Params {
  count: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  c1: f32,
  c2: f32,
  gradScale: f32,
  l2: f32,
  sparse: u32,
}
@group(0) @binding(0) var<storage, read_write> theta: array<f32>;
@group(0) @binding(1) var<storage, read_write> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  let raw = grad[i];
  if (params.sparse != 0u && raw == 0.0) { return; }
  let th = theta[i];
  let g = params.gradScale * raw + params.l2 * th;
  grad[i] = 0.0;
  let mi = params.beta1 * m[i] + (1.0 - params.beta1) * g;
  let vi = params.beta2 * v[i] + (1.0 - params.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  theta[i] = th - params.lr * (mi / params.c1) / (sqrt(vi / params.c2) + params.eps);
}
