// Volume rendering (the paper's eq. 6) with its backward pass and the MSE loss (eq. 7), one invocation
// per ray, as Instant-NGP fuses them:
//   σ_i = exp(s_i) (s_i the raw density output),  c_i = sigmoid(z_i) (z_i the raw colour outputs),
//   α_i = 1 − exp(−σ_i·dt_i),  T_i = Π_{j<i}(1 − α_j),  w_i = T_i·α_i,
//   C = Σ_i w_i·c_i + T_N·bg,   marching stops once T < 1e-4 (the same samples count in both passes).
// Training (mode 0): target = rgb_t·a_t + bg·(1 − a_t); L_ray = mean_c (C − target)²; the loss is the
// mean over the rays in the batch, so dL/dC = 2(C − target)/(3·numRays). Backward:
//   dL/dz_i = w_i·c_i(1 − c_i)·dL/dC
//   dL/ds_i = σ_i·dt_i·(T_{i+1}·c_i − (C − C_{≤i}))·dL/dC   (σ' with exp(clamp(s, −15, 15)) as Instant-NGP)
// Optional mask loss (maskWeight λ_m > 0, NeuS's): with the ray's opacity o = 1 − T_N, clamped to
// [1e-3, 1 − 1e-3] in value (the gradient passes through the clamp), and the target alpha a_t,
//   L_mask = λ_m·BCE(o, a_t)/numRays,  dL_mask/ds_i = σ_i·dt_i·T_N·λ_m·(o − a_t)/(o(1 − o)·numRays).
// Unlike the MSE, whose pull on a faint haze in front of the background vanishes with its opacity, the
// BCE pushes every ray's opacity to the mask with a force that does not: faint fog (costly occupancy,
// slow rendering) is removed during training.
// Optional distortion loss (distWeight λ_d > 0, Mip-NeRF 360's eq. 15) over the used samples, t_i the
// distance of sample i from the ray origin and δ = dt:
//   L_dist = λ_d/numRays·[Σ_{i,j} w_i·w_j·|t_i − t_j| + δ/3·Σ_i w_i²]
// It pulls each ray's weights together, so a surface ends up in one or two cells instead of a haze
// spread over many. With prefix sums A_k = Σ_{j<k} w_j, B_k = Σ_{j<k} w_j·t_j and their totals,
//   h_k = Σ_j w_j·|t_k − t_j| = t_k·(2A_k − A) + B − 2B_k,   g_k = dL/dw_k = 2h_k + 2δ/3·w_k,
//   dL/ds_k = σ_k·dt·(g_k·T_{k+1} − Σ_{i>k} g_i·w_i)·λ_d/numRays   (the colour gradient's form, g for c),
// computed in O(n) per ray with one extra pass for the totals A, B and Σ g·w.
// Rendering (mode 1): writes (C, 1 − T_N) per ray.
// Incremental rendering (mode 2): continues the ray's running (C, T) kept in rays[r].target_rgba with this
// round's samples and stores it back; the caller composites the background once no ray has samples left.
// Bindings: rays, rayRange, density (raw density output s at sample·densStride), rgb (raw colour z, 3 per
// sample), dRgb (out, 3 per sample), dDensity (out, 1 per sample), rayOut (mode 0: MSE, samples used, the
// BCE of the mask loss and the distortion Σ w w |Δt| + δ/3 Σ w² per ray; mode 1: rgba), samples (xyz:
// position of each sample, read only by the distortion loss), params.
struct Params {
  count: u32,
  mode: u32,
  densStride: u32,
  numRays: f32,
  minTransmittance: f32,
  dt: f32,
  maskWeight: f32,
  distWeight: f32,
}
struct Ray { o: vec4<f32>, d: vec4<f32>, target_rgba: vec4<f32>, bg: vec4<f32> }
@group(0) @binding(0) var<storage, read_write> rays: array<Ray>;
@group(0) @binding(1) var<storage, read> rayRange: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> density: array<f32>;
@group(0) @binding(3) var<storage, read> rgb: array<f32>;
@group(0) @binding(4) var<storage, read_write> dRgb: array<f32>;
@group(0) @binding(5) var<storage, read_write> dDensity: array<f32>;
@group(0) @binding(6) var<storage, read_write> rayOut: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> samples: array<vec4<f32>>;
@group(0) @binding(8) var<uniform> params: Params;

override WG: u32 = 64;

fn sigmoid3(z: vec3<f32>) -> vec3<f32> { return 1.0 / (1.0 + exp(-z)); }
fn raw_rgb(s: u32) -> vec3<f32> { return vec3<f32>(rgb[3u * s], rgb[3u * s + 1u], rgb[3u * s + 2u]); }
fn alpha_of(s: u32) -> f32 { return 1.0 - exp(-exp(min(density[s * params.densStride], 15.0)) * params.dt); }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= params.count) { return; }
  let ray = rays[r];
  let range = rayRange[r];
  let dt = params.dt;
  // Forward.
  var T = 1.0;
  var C = vec3<f32>(0.0);
  if (params.mode == 2u) {
    C = ray.target_rgba.xyz;
    T = ray.target_rgba.w;
  }
  var used = 0u;
  for (var k = 0u; k < range.y; k++) {
    if (T < params.minTransmittance) { break; }
    let s = range.x + k;
    let sigma = exp(min(density[s * params.densStride], 15.0));
    let alpha = 1.0 - exp(-sigma * dt);
    C += T * alpha * sigmoid3(raw_rgb(s));
    T *= 1.0 - alpha;
    used = k + 1u;
  }
  if (params.mode == 2u) {
    rays[r].target_rgba = vec4<f32>(C, T);
    return;
  }
  let Cfull = C + T * ray.bg.xyz;
  if (params.mode == 1u) {
    rayOut[r] = vec4<f32>(Cfull, 1.0 - T);
    return;
  }
  let tgt = ray.target_rgba.xyz * ray.target_rgba.w + ray.bg.xyz * (1.0 - ray.target_rgba.w);
  let diff = Cfull - tgt;
  let a_t = ray.target_rgba.w;
  let o = clamp(1.0 - T, 1e-3, 1.0 - 1e-3);
  let bce = -(a_t * log(o) + (1.0 - a_t) * log(1.0 - o));
  // Distortion loss: totals A = Σ w, B = Σ w·t, then Σ g·w and the loss, over the used samples.
  let ld = params.distWeight;
  var At = 0.0;
  var Bt = 0.0;
  var Gt = 0.0;
  var Ldist = 0.0;
  if (ld > 0.0) {
    var Tj = 1.0;
    for (var k = 0u; k < used; k++) {
      let s = range.x + k;
      let a = alpha_of(s);
      let w = Tj * a;
      At += w;
      Bt += w * distance(samples[s].xyz, ray.o.xyz);
      Tj *= 1.0 - a;
    }
    Tj = 1.0;
    var A = 0.0;
    var B = 0.0;
    for (var k = 0u; k < used; k++) {
      let s = range.x + k;
      let a = alpha_of(s);
      let w = Tj * a;
      let t = distance(samples[s].xyz, ray.o.xyz);
      let h = t * (2.0 * A - At) + Bt - 2.0 * B;
      Gt += (2.0 * h + (2.0 / 3.0) * w * dt) * w;
      Ldist += w * h + w * w * dt / 3.0;
      A += w;
      B += w * t;
      Tj *= 1.0 - a;
    }
  }
  rayOut[r] = vec4<f32>(dot(diff, diff) / 3.0, f32(used), bce, Ldist);
  let dC = 2.0 * diff / (3.0 * params.numRays);
  // dL_mask/do, times T_N: the factor every sample's dL/ds_i shares (see the header).
  let gMask = params.maskWeight * (o - a_t) / (o * (1.0 - o) * params.numRays) * T;
  // Backward: a second pass over the same samples, with the suffix C − C_{≤i} from the total.
  var Ti = 1.0;
  var Cacc = vec3<f32>(0.0);
  var Ad = 0.0;
  var Bd = 0.0;
  var GW = 0.0;
  for (var k = 0u; k < range.y; k++) {
    let s = range.x + k;
    if (k >= used) {
      dRgb[3u * s] = 0.0; dRgb[3u * s + 1u] = 0.0; dRgb[3u * s + 2u] = 0.0;
      dDensity[s] = 0.0;
      continue;
    }
    let raw = density[s * params.densStride];
    let sigma = exp(min(raw, 15.0));
    let alpha = 1.0 - exp(-sigma * dt);
    let c = sigmoid3(raw_rgb(s));
    let w = Ti * alpha;
    Cacc += w * c;
    let Tnext = Ti * (1.0 - alpha);
    let dz = w * c * (1.0 - c) * dC;
    dRgb[3u * s] = dz.x; dRgb[3u * s + 1u] = dz.y; dRgb[3u * s + 2u] = dz.z;
    var gDist = 0.0;
    if (ld > 0.0) {
      let t = distance(samples[s].xyz, ray.o.xyz);
      let g = 2.0 * (t * (2.0 * Ad - At) + Bt - 2.0 * Bd) + (2.0 / 3.0) * w * dt;
      GW += g * w;
      gDist = ld / params.numRays * (g * Tnext - (Gt - GW));
      Ad += w;
      Bd += w * t;
    }
    let dsig = dt * (dot(Tnext * c - (Cfull - Cacc), dC) + gMask + gDist);
    dDensity[s] = dsig * exp(clamp(raw, -15.0, 15.0));
    Ti = Tnext;
  }
}
