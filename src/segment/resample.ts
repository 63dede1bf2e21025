/**
 * Image resampling for segmentation: frames down to a model's input size, the model's alpha back up
 * to the frame size, and masks made elsewhere to the frame size.
 *
 * The filter is the triangle ("bilinear") kernel on pixel centres (a destination pixel x maps to the
 * source position (x + ½)·s − ½, with s = source size / destination size), widened to a support of s
 * when downscaling (s > 1), as PIL's and torchvision's antialiased bilinear resize do. Upscaling is
 * therefore exactly bilinear interpolation with half-pixel centres (`align_corners = false`) and
 * clamped edges; downscaling averages over the source pixels a destination pixel covers instead of
 * aliasing. Weights are normalized per destination pixel, so a constant image stays constant. The
 * filter is separable: rows first, then columns, in float32.
 */

/** The taps of one destination coordinate: source indices [first, first + weights.length) with their weights. */
interface Taps {
  first: Int32Array;
  count: Int32Array;
  /** `maxTaps` weights per destination coordinate (unused ones 0). */
  weights: Float32Array;
  maxTaps: number;
}

/** Precomputes the normalized triangle-filter taps that map `src` samples to `dst` samples. */
function computeTaps(src: number, dst: number): Taps {
  const scale = src / dst;
  const support = Math.max(1, scale);
  const maxTaps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(dst);
  const count = new Int32Array(dst);
  const weights = new Float32Array(dst * maxTaps);
  for (let x = 0; x < dst; x++) {
    const centre = (x + 0.5) * scale - 0.5;
    // With clamped edges at support 1 (upscaling), positions outside [0, src-1] take the edge pixel.
    const c = Math.min(Math.max(centre, 0), src - 1);
    const lo = Math.max(0, Math.ceil(c - support));
    const hi = Math.min(src - 1, Math.floor(c + support));
    let sum = 0;
    let n = 0;
    const tmp: number[] = [];
    for (let i = lo; i <= hi; i++) {
      const w = Math.max(0, 1 - Math.abs(i - c) / support);
      tmp.push(w);
      sum += w;
    }
    // Trim zero-weight taps at both ends.
    let start = 0;
    while (start < tmp.length - 1 && tmp[start] === 0) start++;
    let end = tmp.length;
    while (end > start + 1 && tmp[end - 1] === 0) end--;
    first[x] = lo + start;
    for (let k = start; k < end; k++) weights[x * maxTaps + n++] = sum > 0 ? tmp[k]! / sum : 1;
    count[x] = n;
  }
  return { first, count, weights, maxTaps };
}

function checkSize(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new TypeError(`${name} must be an integer ≥ 1 (got ${String(v)})`);
}

/**
 * Resamples a planar image of `channels` planes (each `srcW·srcH` values, rows top to bottom) to
 * `dstW × dstH`, returning `channels` planes of float32.
 *
 * @param src the source planes, `channels·srcW·srcH` values; any typed array of numbers.
 * @throws TypeError for sizes that are not positive integers or a source of the wrong length.
 */
export function resamplePlanes(
  src: ArrayLike<number>,
  srcW: number,
  srcH: number,
  dstW: number,
  dstH: number,
  channels = 1,
): Float32Array {
  checkSize('srcW', srcW);
  checkSize('srcH', srcH);
  checkSize('dstW', dstW);
  checkSize('dstH', dstH);
  checkSize('channels', channels);
  if (src.length !== channels * srcW * srcH) {
    throw new TypeError(`src must hold ${channels}·${srcW}·${srcH} = ${channels * srcW * srcH} values (got ${src.length})`);
  }
  const out = new Float32Array(channels * dstW * dstH);
  if (srcW === dstW && srcH === dstH) {
    for (let i = 0; i < out.length; i++) out[i] = src[i]!;
    return out;
  }
  const tx = computeTaps(srcW, dstW);
  const ty = computeTaps(srcH, dstH);
  const rows = new Float32Array(dstW * srcH);
  for (let c = 0; c < channels; c++) {
    const base = c * srcW * srcH;
    // Horizontal pass: srcH rows of dstW.
    for (let y = 0; y < srcH; y++) {
      const row = base + y * srcW;
      for (let x = 0; x < dstW; x++) {
        const f = tx.first[x]!;
        const n = tx.count[x]!;
        const wo = x * tx.maxTaps;
        let acc = 0;
        for (let k = 0; k < n; k++) acc += tx.weights[wo + k]! * src[row + f + k]!;
        rows[y * dstW + x] = acc;
      }
    }
    // Vertical pass.
    const obase = c * dstW * dstH;
    for (let y = 0; y < dstH; y++) {
      const f = ty.first[y]!;
      const n = ty.count[y]!;
      const wo = y * ty.maxTaps;
      for (let x = 0; x < dstW; x++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += ty.weights[wo + k]! * rows[(f + k) * dstW + x]!;
        out[obase + y * dstW + x] = acc;
      }
    }
  }
  return out;
}

/**
 * Resamples one 8-bit plane (an alpha or mask, `srcW·srcH` bytes) to `dstW × dstH` bytes, rounding
 * to the nearest integer; returns a copy when the size is unchanged.
 */
export function resampleAlpha(src: Uint8Array, srcW: number, srcH: number, dstW: number, dstH: number): Uint8Array {
  if (srcW === dstW && srcH === dstH) return Uint8Array.from(src);
  const f = resamplePlanes(src, srcW, srcH, dstW, dstH, 1);
  const out = new Uint8Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = Math.round(f[i]!); // Uint8Array clamps to 0…255
  return out;
}
