import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fillObjectRegion, fillRegions, gaussianKernel, squaredDistanceTransform } from '../../src/background/fill.ts';

const W = 48;
const H = 40;

/** A textured background (so "untouched" is meaningful) with a hard-edged object disc. */
function scene(): { pixels: Uint8Array; mask: Uint8Array } {
  const pixels = new Uint8Array(W * H * 3);
  const mask = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      const obj = (x - 24) ** 2 + (y - 20) ** 2 <= 8 ** 2;
      mask[p] = obj ? 255 : 0;
      pixels[3 * p] = obj ? 250 : (x * 5) & 0xff;
      pixels[3 * p + 1] = obj ? 250 : (y * 6) & 0xff;
      pixels[3 * p + 2] = obj ? 250 : ((x + y) * 3) & 0xff;
    }
  }
  return { pixels, mask };
}

test('squaredDistanceTransform is exact against brute force', () => {
  const w = 13;
  const h = 9;
  const seed = new Uint8Array(w * h);
  for (const p of [3, 40, 41, 100, 116]) seed[p] = 1;
  const d = squaredDistanceTransform(seed, w, h);
  for (let p = 0; p < w * h; p++) {
    let best = Infinity;
    for (let q = 0; q < w * h; q++) {
      if (seed[q]) best = Math.min(best, ((p % w) - (q % w)) ** 2 + (((p / w) | 0) - ((q / w) | 0)) ** 2);
    }
    assert.equal(d[p], best, `pixel ${p}`);
  }
  assert.ok(squaredDistanceTransform(new Uint8Array(6), 3, 2).every((v) => v >= 1e20));
});

test('fill: the object region (alpha ≥ 128, dilated) is the fill colour, background outside the band untouched', () => {
  const { pixels, mask } = scene();
  const fill = [90, 100, 110] as const;
  const opts = { width: W, height: H, dilate: 2, edgeBand: 8 };
  const out = fillObjectRegion(pixels, mask, fill, opts);
  const { filled, weight } = fillRegions(mask, opts);
  let untouched = 0;
  let inside = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      const r2 = (x - 24) ** 2 + (y - 20) ** 2;
      // F = the pixels within 2 px of an object pixel (brute force).
      let inF = 0;
      for (let q = 0; q < W * H; q++) if (mask[q] >= 128 && ((q % W) - x) ** 2 + (((q / W) | 0) - y) ** 2 <= 4) inF = 1;
      assert.equal(filled[p], inF, `F at ${x},${y}`);
      if (r2 <= 64) assert.equal(inF, 1);
      const got = Array.from(out.subarray(3 * p, 3 * p + 3));
      if (weight[p] === 0) {
        if (filled[p]) {
          assert.deepEqual(got, [...fill], `deep inside at ${x},${y}`);
          inside++;
        } else {
          assert.deepEqual(got, Array.from(pixels.subarray(3 * p, 3 * p + 3)), `untouched at ${x},${y}`);
          untouched++;
        }
      }
    }
  }
  assert.ok(untouched > W * H * 0.6, `${untouched} untouched background pixels`);
  assert.ok(inside > 20, `${inside} pure fill pixels`);
  // The band is edgeBand = 8 px wide: pixels at distance 1…4 outside F and 1…4 inside it.
  for (let p = 0; p < W * H; p++) {
    const x = p % W;
    const y = (p / W) | 0;
    const r = Math.hypot(x - 24, y - 20);
    if (r > 15) assert.equal(weight[p], 0, `outside the band at ${x},${y}`);
    if (r < 5) assert.equal(weight[p], 0, `inside the band at ${x},${y}`);
  }
  // RGBA input gives the same result; edgeBand 0 gives a hard fill.
  const rgba = new Uint8Array(W * H * 4);
  for (let p = 0; p < W * H; p++) rgba.set(pixels.subarray(3 * p, 3 * p + 3), 4 * p);
  assert.deepEqual(fillObjectRegion(rgba, mask, fill, opts), out);
  const hard = fillObjectRegion(pixels, mask, fill, { width: W, height: H, dilate: 0, edgeBand: 0 });
  for (let p = 0; p < W * H; p++) {
    const want = mask[p] >= 128 ? [...fill] : Array.from(pixels.subarray(3 * p, 3 * p + 3));
    assert.deepEqual(Array.from(hard.subarray(3 * p, 3 * p + 3)), want);
  }
});

test('fill: the edge band is blurred, with no sharp step across the silhouette', () => {
  // Flat black background, white fill: the hard fill would step by 255 between neighbours.
  const pixels = new Uint8Array(W * H * 3);
  const mask = new Uint8Array(W * H);
  for (let p = 0; p < W * H; p++) mask[p] = (p % W) - 24 >= 0 ? 255 : 0; // right half is object
  const out = fillObjectRegion(pixels, mask, [255, 255, 255], { width: W, height: H, dilate: 0, edgeBand: 8, sigma: 4 });
  const row = Array.from({ length: W }, (_, x) => out[3 * (20 * W + x)]);
  let maxStep = 0;
  for (let x = 1; x < W; x++) maxStep = Math.max(maxStep, Math.abs(row[x] - row[x - 1]));
  // Measured row: 0 … 0, 6, 25, 56, 100, 155, 199, 230, 249, 255 …: the largest neighbour difference
  // is 55 (across the boundary) where a hard edge steps by 255. Bound 70.
  assert.ok(maxStep <= 70, `largest step ${maxStep} in row ${row.join(',')}`);
  assert.ok(row.every((v, x) => x === 0 || v >= row[x - 1]), 'the ramp is monotonic');
  assert.equal(row[0], 0);
  assert.equal(row[19], 0); // 5 px outside F: outside the band
  assert.equal(row[29], 255); // 5 px inside F
  assert.equal(row[W - 1], 255);
  assert.ok(row[23] > 0 && row[23] < 128 && row[24] > 128 && row[24] < 255, `boundary ${row[23]}, ${row[24]}`);
  // Columns are identical (the mask is a vertical edge; the blur clamps at the image border).
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) assert.equal(out[3 * (y * W + x)], row[x]);
});

test('fill: options are validated and the kernel is normalized', () => {
  const { pixels, mask } = scene();
  assert.throws(() => fillObjectRegion(pixels, mask, [0, 0, 0], { width: W, height: H, edgeBand: -1 }), /options\.edgeBand/);
  assert.throws(() => fillObjectRegion(pixels, mask, [0, 0, 0], { width: W, height: H, dilate: 1.5 }), /options\.dilate/);
  assert.throws(() => fillObjectRegion(pixels, mask, [0, 0, 0], { width: W, height: H, sigma: NaN }), /options\.sigma/);
  assert.throws(() => fillObjectRegion(pixels, mask, [0, 0, 256], { width: W, height: H }), /fill must be/);
  assert.throws(() => fillObjectRegion(pixels, mask.subarray(1), [0, 0, 0], { width: W, height: H }), /mask must be/);
  const k = gaussianKernel(4);
  assert.equal(k.length, 25);
  assert.ok(Math.abs(k.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  // No object, or an object covering everything: no band, output = input / all fill.
  const none = fillObjectRegion(pixels, new Uint8Array(W * H), [1, 2, 3], { width: W, height: H });
  assert.deepEqual(none, pixels);
  const all = fillObjectRegion(pixels, new Uint8Array(W * H).fill(255), [1, 2, 3], { width: W, height: H });
  assert.ok(all.every((v, i) => v === [1, 2, 3][i % 3]));
});
