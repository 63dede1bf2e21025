// Per-level metadata of the multi-resolution grid and vertex addressing, shared by grid-encode.wgsl
// and grid-encode-bwd*.wgsl. The layout (which level is dense or hashed, where it starts in the
// table and in the output row) is computed once on the host by gridLayout() (grid-config.ts) and
// uploaded by levelMetadata() (grid-encode.ts), whose LEVEL_FIELDS list these fields in this order.
//
// A level of resolution N has N+1 vertices per axis. Dense levels index vertex v as
//   x + (N+1)·(y + (N+1)·z)            (planes: u + (N+1)·v),
// hashed levels (eq. 11) as
//   (x·1 ⊕ y·2654435761 ⊕ z·805459861) mod T    (u32 wrapping multiplies; T a power of two, so
//   mod T = & (T−1); planes hash their two coordinates with the first two primes).
struct Level {
  res: u32,       // N_l, cells per axis
  dims: u32,      // 3 for a 3-D level, 2 for a plane
  axis0: u32,     // planes: the position components they read (xy: 0,1; xz: 0,2; yz: 1,2)
  axis1: u32,
  hashed: u32,    // 0 = dense, 1 = hashed
  mask: u32,      // T − 1 (hashed levels)
  param_off: u32, // first f32 of the level in the table
  out_off: u32,   // first feature column of the level in a sample's output row
}

const PRIME_Y: u32 = 2654435761u;
const PRIME_Z: u32 = 805459861u;

// Entry index, within its level, of the 3-D vertex v.
fn entry3(lv: Level, v: vec3u) -> u32 {
  if (lv.hashed != 0u) { return (v.x ^ (v.y * PRIME_Y) ^ (v.z * PRIME_Z)) & lv.mask; }
  let n = lv.res + 1u;
  return v.x + n * (v.y + n * v.z);
}

// Entry index, within its level, of the 2-D vertex v of a plane.
fn entry2(lv: Level, v: vec2u) -> u32 {
  if (lv.hashed != 0u) { return (v.x ^ (v.y * PRIME_Y)) & lv.mask; }
  return v.x + (lv.res + 1u) * v.y;
}
