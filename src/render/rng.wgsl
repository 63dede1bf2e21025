// Counter-based random numbers: PCG hash of (seed, stream, k). Stateless, so any invocation can draw
// its k-th number without sharing state; the TypeScript twin is pcgHash/rand01 in rng.ts.
fn pcg_hash(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
fn rand01(seed: u32, stream: u32, k: u32) -> f32 {
  let h = pcg_hash(seed ^ pcg_hash(stream ^ pcg_hash(k)));
  return f32(h >> 8u) * (1.0 / 16777216.0);
}
