// Training-time rate estimate (docs/CONTEXT-MODEL.md §5), step 2: draw the rows and write the context
// models' input rows. One invocation per row r; rows come in contiguous blocks of S_l = rowsPerLevel
// per level, in layout order (3-D levels, then xy, xz, yz of each plane level), so that
//   level li = r / S_l,
//   η_c rows   (3-D levels li ≥ ctxFirst = min(L_C, L)) are rows ctxFirst·S_l … L·S_l − 1, model row r − ctxFirst·S_l,
//   η_dim rows (plane levels li ≥ L)                      are rows L·S_l …,                model row r − L·S_l,
// and the rows of the coarse 3-D levels (li < ctxFirst, coded with v_+ alone) write no model row.
//
// Drawing a row (random numbers rand01(seed, r, k), rng.wgsl; twin rateRowRef in rate.ref.ts):
// 1. an occupied occupancy cell, uniformly: k = min(u32(rand01(·,0)·total), total−1) and the k-th set
//    bit of the bitfield in cell order, found by a binary search over the block prefix sums written by
//    rate-freq.wgsl and a scan of one block's words (exact, unlike rejection, however sparse the grid);
//    with no occupied cell, any cell: min(u32(rand01(·,0)·G³), G³−1);
// 2. a uniform point in it, in fixed point: per axis h_a = u32(rand01(·,1+a)·65536) (16 exact bits) and
//    position (c_a + h_a/65536)/G; the level cell containing it, floor((c_a·65536 + h_a)·N / (G·65536)),
//    is computed in u32 without rounding (N ≤ 2^15, G ≤ 2^10; see level_cell), a plane taking its two
//    axes of the same point;
// 3. a random corner of that level cell (rand01(·,4)·8, or ·4 on a plane) → the vertex v, its entry by
//    grid-level.wgsl's entry3/entry2 (the grid's own hashing), written as the global θ index of its
//    feature 0 to rows[r].
// The input row (f32 form of §3.2 / §3.3, φ = sgn θ = ±1):
//   η_c:   [I_{l−1}(v), I_{l−2}(v), I_{l−3}(v), v_+(l)]               at inputs[(r − ctxFirst·S_l)·(3F+1)]
//   η_dim: [J_{m−1}, J_{m−2}, J_{m−3} (0 when m−j < 0), PV_P(A, B), v_+] at inputs[dimOffset + (r − L·S_l)·(4F+1)]
// where the coarser level j is read at x = v_a·N_j/N_l: the cell c = min(floor x, N_j − 1) is exact
// (integer division of the exact product), t = (v_a·N_j − c·N_l)/N_l is one f32 division, so I and J
// differ from the float64 twin by a few f32 rounding errors only. PV comes from `projection`, three
// planes (xy, xz, yz) of (N*+1)²·F floats uploaded by the launcher, at (A + B·(N*+1))·F + d with
// A = floor((2u·N* + M)/(2M)), B likewise (integers).
// Bindings: levels (struct Level per level), theta, occupancy (G³ bits), stats (rate-freq.wgsl layout:
// v_+ and the block prefix sums), projection, inputs (η_c rows then η_dim rows), rows (out).
// Pipeline constants: WG, F (≤ MAX_F).
//!include "../../field/encoding/grid-level.wgsl"
//!include "../../render/rng.wgsl"

struct Params {
  count: u32,
  rowsPerLevel: u32,
  nLevels: u32,
  levels3: u32,
  ctxFirst: u32,
  grid: u32,
  blocks: u32,
  nStar: u32,
  dimOffset: u32,
  seed: u32,
}
@group(0) @binding(0) var<storage, read> levels: array<Level>;
@group(0) @binding(1) var<storage, read> theta: array<f32>;
@group(0) @binding(2) var<storage, read> occupancy: array<u32>;
@group(0) @binding(3) var<storage, read> stats: array<u32>;
@group(0) @binding(4) var<storage, read> projection: array<f32>;
@group(0) @binding(5) var<storage, read_write> inputs: array<f32>;
@group(0) @binding(6) var<storage, read_write> rows: array<u32>;
@group(0) @binding(7) var<uniform> params: Params;

override WG: u32 = 64;
override F: u32 = 2;
const MAX_F: u32 = 8u;
override BLOCK_WORDS: u32 = 64u;

fn phi(index: u32) -> f32 { return select(-1.0, 1.0, theta[index] >= 0.0); }

// The cell, at resolution n, of the point (c + h/65536)/G along one axis:
// floor((c·65536 + h)·n / (G·65536)) = q + floor((rr·65536 + h·n) / (G·65536)) with c·n = q·G + rr.
fn level_cell(c: u32, h: u32, n: u32) -> u32 {
  let g = params.grid;
  let a = c * n;
  let q = a / g;
  return min(q + ((a - q * g) * 65536u + h * n) / (g * 65536u), n - 1u);
}

// Cell and fraction, at a coarser level of resolution nj, of the vertex coordinate v of a level of resolution nl.
struct Axis {
  c: u32,
  t: f32,
}
fn axis_at(v: u32, nj: u32, nl: u32) -> Axis {
  let prod = v * nj;
  let c = min(prod / nl, nj - 1u);
  return Axis(c, f32(prod - c * nl) / f32(nl));
}
fn wsel(a: Axis, bit: u32) -> f32 { return select(1.0 - a.t, a.t, bit == 1u); }

// I_j(v): trilinear interpolation of φ of 3-D level lj at the vertex v of a level of resolution nl → inputs[o …].
fn interp3(lj: Level, v: vec3u, nl: u32, o: u32) {
  let ax = axis_at(v.x, lj.res, nl);
  let ay = axis_at(v.y, lj.res, nl);
  let az = axis_at(v.z, lj.res, nl);
  var acc = array<f32, MAX_F>();
  for (var k = 0u; k < 8u; k++) {
    let b = vec3u(k & 1u, (k >> 1u) & 1u, k >> 2u);
    let w = wsel(ax, b.x) * wsel(ay, b.y) * wsel(az, b.z);
    let e = lj.param_off + entry3(lj, vec3u(ax.c, ay.c, az.c) + b) * F;
    for (var d = 0u; d < F; d++) { acc[d] += w * phi(e + d); }
  }
  for (var d = 0u; d < F; d++) { inputs[o + d] = acc[d]; }
}

// J_j(v): bilinear interpolation of φ of plane level lj at the plane vertex v → inputs[o …].
fn interp2(lj: Level, v: vec2u, nl: u32, o: u32) {
  let ax = axis_at(v.x, lj.res, nl);
  let ay = axis_at(v.y, lj.res, nl);
  var acc = array<f32, MAX_F>();
  for (var k = 0u; k < 4u; k++) {
    let b = vec2u(k & 1u, k >> 1u);
    let w = wsel(ax, b.x) * wsel(ay, b.y);
    let e = lj.param_off + entry2(lj, vec2u(ax.c, ay.c) + b) * F;
    for (var d = 0u; d < F; d++) { acc[d] += w * phi(e + d); }
  }
  for (var d = 0u; d < F; d++) { inputs[o + d] = acc[d]; }
}

// The occupancy cell of row r (step 1 of the header).
fn draw_cell(r: u32) -> u32 {
  let g = params.grid;
  let n3 = g * g * g;
  let base = 3u * params.nLevels;
  let total = stats[base + params.blocks];
  if (total == 0u) { return min(u32(rand01(params.seed, r, 0u) * f32(n3)), n3 - 1u); }
  let k = min(u32(rand01(params.seed, r, 0u) * f32(total)), total - 1u);
  // prefix[lo] ≤ k < prefix[hi]; ends with the block holding the k-th occupied cell.
  var lo = 0u;
  var hi = params.blocks;
  loop {
    if (hi - lo <= 1u) { break; }
    let mid = (lo + hi) / 2u;
    if (stats[base + mid] <= k) { lo = mid; } else { hi = mid; }
  }
  var rem = k - stats[base + lo];
  let w0 = lo * BLOCK_WORDS;
  let w1 = min(w0 + BLOCK_WORDS, n3 / 32u);
  for (var w = w0; w < w1; w++) {
    var bits = occupancy[w];
    let c = countOneBits(bits);
    if (rem < c) {
      for (var t = 0u; t < rem; t++) { bits &= bits - 1u; }
      return w * 32u + countTrailingZeros(bits);
    }
    rem -= c;
  }
  return 0u; // unreachable while the prefix sums match the bitfield
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= params.count) { return; }
  let S = params.rowsPerLevel;
  let li = r / S;
  let lv = levels[li];
  let g = params.grid;
  let cell = draw_cell(r);
  let c = vec3u(cell % g, (cell / g) % g, cell / (g * g));
  let h = vec3u(
    u32(rand01(params.seed, r, 1u) * 65536.0),
    u32(rand01(params.seed, r, 2u) * 65536.0),
    u32(rand01(params.seed, r, 3u) * 65536.0),
  );
  let vplus = bitcast<f32>(stats[params.nLevels + li]);
  if (lv.dims == 3u) {
    let corner = u32(rand01(params.seed, r, 4u) * 8.0);
    let v = vec3u(level_cell(c.x, h.x, lv.res), level_cell(c.y, h.y, lv.res), level_cell(c.z, h.z, lv.res))
      + vec3u(corner & 1u, (corner >> 1u) & 1u, corner >> 2u);
    rows[r] = lv.param_off + entry3(lv, v) * F;
    if (li < params.ctxFirst) { return; }
    let o = (r - params.ctxFirst * S) * (3u * F + 1u);
    for (var j = 1u; j <= 3u; j++) { interp3(levels[li - j], v, lv.res, o + (j - 1u) * F); }
    inputs[o + 3u * F] = vplus;
  } else {
    let corner = u32(rand01(params.seed, r, 4u) * 4.0);
    let v = vec2u(level_cell(c[lv.axis0], h[lv.axis0], lv.res), level_cell(c[lv.axis1], h[lv.axis1], lv.res))
      + vec2u(corner & 1u, corner >> 1u);
    rows[r] = lv.param_off + entry2(lv, v) * F;
    let o = params.dimOffset + (r - params.levels3 * S) * (4u * F + 1u);
    let m = (li - params.levels3) / 3u;
    for (var j = 1u; j <= 3u; j++) {
      if (m >= j) {
        interp2(levels[li - 3u * j], v, lv.res, o + (j - 1u) * F);
      } else {
        for (var d = 0u; d < F; d++) { inputs[o + (j - 1u) * F + d] = 0.0; }
      }
    }
    let ns = params.nStar;
    let mm = lv.res;
    let a = (2u * v.x * ns + mm) / (2u * mm);
    let b = (2u * v.y * ns + mm) / (2u * mm);
    let p = (li - params.levels3) % 3u;
    let pv = (p * (ns + 1u) * (ns + 1u) + a + b * (ns + 1u)) * F;
    for (var d = 0u; d < F; d++) { inputs[o + 3u * F + d] = projection[pv + d]; }
    inputs[o + 4u * F] = vplus;
  }
}
