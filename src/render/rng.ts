/** TypeScript twin of rng.wgsl (PCG hash, counter-based uniform numbers in [0, 1)). */
export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}
export function rand01(seed: number, stream: number, k: number): number {
  const h = pcgHash((seed ^ pcgHash((stream ^ pcgHash(k)) >>> 0)) >>> 0);
  return (h >>> 8) / 16777216;
}
