import assert from 'node:assert/strict';
import { test } from 'node:test';
import { msssim as blazeMsssim } from '@blazediff/ssim/msssim';
import { msssim, msssimScales, MSSSIM_WEIGHTS } from '../../src/metrics/ms-ssim.ts';
import { mulberry32 as rng } from '../../src/util/mulberry32.ts';

/** A structured RGB image: gradients, a checkerboard and a disc. */
function pattern(w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const checker = ((x >> 3) + (y >> 3)) % 2 === 0 ? 60 : 0;
      const disc = (x - w / 2) ** 2 + (y - h / 3) ** 2 < (w * w) / 25 ? 80 : 0;
      out[i] = 40 + ((x * 100) / w) + checker;
      out[i + 1] = 30 + ((y * 120) / h) + disc;
      out[i + 2] = 200 - ((x + y) * 60) / (w + h) + checker / 2;
    }
  }
  return out;
}

function noisy(src: Uint8Array, amplitude: number, seed: number): Uint8Array {
  const r = rng(seed);
  return src.map((v) => Math.max(0, Math.min(255, Math.round(v + (r() * 2 - 1) * amplitude))));
}

function rgba(src: Uint8Array): Uint8Array {
  const out = new Uint8Array((src.length / 3) * 4);
  for (let p = 0; p < src.length / 3; p++) {
    out.set(src.subarray(3 * p, 3 * p + 3), 4 * p);
    out[4 * p + 3] = 255;
  }
  return out;
}

test('msssimScales: 5 from 176 px on the short side, fewer below, 0 under 11 px', () => {
  assert.equal(msssimScales(176, 176), 5);
  assert.equal(msssimScales(1920, 1080), 5);
  assert.equal(msssimScales(175, 400), 4);
  assert.equal(msssimScales(64, 64), 3); // 64 → 32 → 16 (→ 8 is under one window)
  assert.equal(msssimScales(22, 30), 2);
  assert.equal(msssimScales(21, 30), 1);
  assert.equal(msssimScales(11, 11), 1);
  assert.equal(msssimScales(10, 500), 0);
});

test('msssim: identical images give 1, noise lowers it monotonically', () => {
  for (const [w, h] of [[64, 48], [176, 180]] as const) {
    const a = pattern(w, h);
    assert.ok(Math.abs(msssim(a, a.slice(), w, h, 3) - 1) < 1e-6, `${w}x${h}`);
    const light = msssim(a, noisy(a, 8, 1), w, h, 3);
    const heavy = msssim(a, noisy(a, 40, 2), w, h, 3);
    assert.ok(light < 1 && heavy < light && heavy > 0, `${w}x${h}: light ${light}, heavy ${heavy}`);
  }
});

test('msssim: at >= 176 px it is the standard 5-scale MS-SSIM; RGB and RGBA inputs agree, grey is accepted', () => {
  const w = 180;
  const h = 176;
  const a = pattern(w, h);
  const b = noisy(a, 20, 3);
  const ours = msssim(a, b, w, h, 3);
  const reference = blazeMsssim(rgba(a), rgba(b), undefined, w, h); // package defaults: 5 levels, published weights
  assert.equal(ours, reference);
  assert.equal(msssim(rgba(a), rgba(b), w, h, 4), ours);
  // Grey input: the luma of (v, v, v) is v·(sum of weights) ≈ v.
  const ga = a.filter((_, i) => i % 3 === 1);
  const gb = b.filter((_, i) => i % 3 === 1);
  const grey = msssim(ga, gb, w, h, 1);
  assert.ok(grey > 0 && grey < 1);
});

test('msssim: fewer scales use the first M exponents renormalised to sum to 1', () => {
  const w = 64;
  const h = 64;
  const a = pattern(w, h);
  const b = noisy(a, 20, 4);
  const used = MSSSIM_WEIGHTS.slice(0, 3);
  const sum = used.reduce((s, x) => s + x, 0);
  const expected = blazeMsssim(rgba(a), rgba(b), undefined, w, h, { level: 3, weight: used.map((x) => x / sum) });
  assert.equal(msssim(a, b, w, h, 3), expected);
  // An explicit smaller scale count is allowed; more than the size allows is not.
  assert.ok(Number.isFinite(msssim(a, b, w, h, 3, { scales: 2 })));
  assert.throws(() => msssim(a, b, w, h, 3, { scales: 4 }), /opts\.scales.*\[1, 3\].*176 px/);
});

test('msssim: argument errors name the argument', () => {
  const a = pattern(64, 64);
  assert.throws(() => msssim(a, a, 10, 64, 3), /width must be an integer >= 11/);
  assert.throws(() => msssim(a, a, 64, 64, 4), /a\.length .* must be width\*height\*channels/);
  assert.throws(() => msssim(a, a.subarray(3), 64, 64, 3), /b\.length/);
  assert.throws(() => msssim(a, a, 64, 64, 2 as 3), /channels must be 1, 3 or 4/);
});
