/**
 * Shared pieces of the segmentation tests: the fixture model's path and a float64 twin of the
 * resampler (written as the plain 2-D sum over all source pixels, not the separable tap tables of
 * `src/segment/resample.ts`).
 */
import { fileURLToPath } from 'node:url';

/** Absolute path of the committed fixture written by `scripts/make-test-onnx.ts`. */
export const FIXTURE_ONNX = fileURLToPath(new URL('../fixtures/segment-linear.onnx', import.meta.url));

/** Triangle-filter weight of source sample i for destination sample x (float64, unnormalized). */
function weight(i: number, x: number, src: number, dst: number): number {
  const scale = src / dst;
  const support = Math.max(1, scale);
  const centre = Math.min(Math.max((x + 0.5) * scale - 0.5, 0), src - 1);
  return Math.max(0, 1 - Math.abs(i - centre) / support);
}

/** Resamples one plane (`srcW·srcH` values) to `dstW × dstH` in float64. */
export function resampleTwin(src: ArrayLike<number>, srcW: number, srcH: number, dstW: number, dstH: number): Float64Array {
  const out = new Float64Array(dstW * dstH);
  for (let y = 0; y < dstH; y++) {
    for (let x = 0; x < dstW; x++) {
      let acc = 0;
      let sum = 0;
      for (let j = 0; j < srcH; j++) {
        const wy = weight(j, y, srcH, dstH);
        if (wy === 0) continue;
        for (let i = 0; i < srcW; i++) {
          const w = wy * weight(i, x, srcW, dstW);
          acc += w * src[j * srcW + i]!;
          sum += w;
        }
      }
      out[y * dstW + x] = acc / sum;
    }
  }
  return out;
}
