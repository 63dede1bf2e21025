/**
 * Integer hashing and a small seeded PRNG for the synthetic sample: deterministic, allocation-free,
 * and identical on every platform (only 32-bit integer arithmetic).
 */

/** Hashes two integers and a seed to a well-mixed unsigned 32-bit integer (murmur3 finaliser). */
export function hash3(a: number, b: number, seed: number): number {
  let h = (Math.imul(a | 0, 0x27d4eb2d) ^ Math.imul(b | 0, 0x165667b1) ^ Math.imul(seed | 0, 0x9e3779b1)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A mulberry32 generator: returns uniform floats in [0, 1). */
export { mulberry32 } from '../../util/mulberry32.ts';
