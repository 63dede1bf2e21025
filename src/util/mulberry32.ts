/**
 * mulberry32: a tiny seeded PRNG (32-bit state, integer arithmetic only), uniform in [0, 1). Used for
 * parameter initialisation, the synthetic sample and tests, so results reproduce on every platform.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
