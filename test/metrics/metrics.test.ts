import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mse, psnr } from '../../src/metrics/psnr.ts';
import { ssim } from '../../src/metrics/ssim.ts';
import { mulberry32 as rng } from '../../src/util/mulberry32.ts';


const W = 64;
const H = 48;

/** A structured RGBA test image: gradients, a checkerboard and a disc (alpha varies too). */
function pattern(): Uint8Array {
  const out = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 4;
      const checker = ((x >> 3) + (y >> 3)) % 2 === 0 ? 60 : 0;
      const disc = (x - 40) ** 2 + (y - 20) ** 2 < 100 ? 80 : 0;
      out[i] = 40 + 2 * x + checker;
      out[i + 1] = 30 + 3 * y + disc;
      out[i + 2] = 200 - x - y + checker / 2;
      out[i + 3] = (x * 7) & 255;
    }
  }
  return out;
}

test('psnr: constant offset of 1/255 is 20*log10(255) = 48.13 dB, for bytes and floats', () => {
  const a = pattern();
  const b = a.map((v, i) => (i % 4 === 3 ? 0 : v + 1)); // alpha differences must be ignored
  const expected = 20 * Math.log10(255);
  assert.ok(Math.abs(psnr(a, b) - expected) < 1e-9);
  assert.ok(Math.abs(psnr(a, b) - 48.13) < 0.005);
  assert.equal(mse(a, b), 1);

  const fa = Float32Array.from(a, (v) => v / 255);
  const fb = Float32Array.from(b, (v) => v / 255);
  assert.ok(Math.abs(psnr(fa, fb) - expected) < 1e-4); // float32 storage of v/255: ~1e-7 relative

  // RGB stride 3: an MSE of 100 on 0..255 → 10·log10(255²/100).
  const rgbA = new Uint8Array(30).fill(100);
  const rgbB = new Uint8Array(30).fill(110);
  assert.ok(Math.abs(psnr(rgbA, rgbB, { channels: 3 }) - 10 * Math.log10((255 * 255) / 100)) < 1e-12);
});

test('psnr: identical images give Infinity; masks select and weight pixels', () => {
  const a = pattern();
  assert.equal(psnr(a, a.slice()), Infinity);
  // Error only in the left half; a mask on the right half sees identical pixels.
  const b = a.slice();
  const mask = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (x < W / 2) b[(y * W + x) * 4] = a[(y * W + x) * 4] ^ 16;
      else mask[y * W + x] = 255;
    }
  }
  assert.equal(psnr(a, b, { mask }), Infinity);
  assert.ok(Number.isFinite(psnr(a, b)));
  // Inverted mask: only the erroneous half → MSE = 16² / 3 (one of three channels off by 16).
  const inv = mask.map((m) => 255 - m);
  assert.ok(Math.abs(mse(a, b, { mask: inv }) - 256 / 3) < 1e-9);
  assert.throws(() => psnr(a, b, { mask: new Uint8Array(W * H) }), RangeError);
});

test('psnr: input validation names the argument', () => {
  const a = new Uint8Array(12);
  assert.throws(() => psnr(a, new Uint8Array(8)), /b\.length/);
  assert.throws(() => psnr(a, a, { channels: 2 as 3 }), /opts\.channels/);
  assert.throws(() => psnr(a, a, { mask: new Uint8Array(2) }), /opts\.mask/);
  assert.throws(() => psnr(a, new Float32Array(12) as unknown as Uint8Array), /both/);
});

test('ssim: identical images give 1 (luma and rgb modes, 1/3/4 channels)', () => {
  const a = pattern();
  assert.ok(Math.abs(ssim(a, a.slice(), W, H, 4) - 1) < 1e-12);
  assert.ok(Math.abs(ssim(a, a.slice(), W, H, 4, { mode: 'rgb' }) - 1) < 1e-12);
  const rgb = new Uint8Array(W * H * 3);
  for (let p = 0; p < W * H; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = a[p * 4 + c];
  assert.ok(Math.abs(ssim(rgb, rgb.slice(), W, H, 3) - 1) < 1e-12);
  // RGB and RGBA input give the same value (alpha ignored).
  const noisy = a.map((v, i) => (i % 4 === 3 ? v : Math.min(255, v + ((i * 37) % 11))));
  const noisyRgb = new Uint8Array(W * H * 3);
  for (let p = 0; p < W * H; p++) for (let c = 0; c < 3; c++) noisyRgb[p * 3 + c] = noisy[p * 4 + c];
  assert.ok(Math.abs(ssim(a, noisy, W, H, 4) - ssim(rgb, noisyRgb, W, H, 3)) < 1e-12);
  const grey = rgb.filter((_, i) => i % 3 === 1);
  assert.ok(Math.abs(ssim(grey, grey.slice(), W, H, 1) - 1) < 1e-12);
});

test('ssim: noise lowers it, more noise lowers it more; blur lowers it', () => {
  const a = pattern();
  const r = rng(7);
  const noisy = (sigma: number) =>
    a.map((v, i) => (i % 4 === 3 ? v : Math.max(0, Math.min(255, Math.round(v + sigma * (r() + r() + r() - 1.5) * 2)))));
  const s5 = ssim(a, noisy(5), W, H, 4);
  const s25 = ssim(a, noisy(25), W, H, 4);
  assert.ok(s5 < 1 && s5 > 0.5, `sigma 5: ${s5}`);
  assert.ok(s25 < s5, `sigma 25: ${s25} vs sigma 5: ${s5}`);

  // 5x5 box blur of the RGB channels.
  const blur = a.slice();
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        let n = 0;
        for (let dy = -2; dy <= 2; dy++) {
          for (let dx = -2; dx <= 2; dx++) {
            const xx = x + dx;
            const yy = y + dy;
            if (xx < 0 || yy < 0 || xx >= W || yy >= H) continue;
            s += a[(yy * W + xx) * 4 + c];
            n++;
          }
        }
        blur[(y * W + x) * 4 + c] = Math.round(s / n);
      }
    }
  }
  const sb = ssim(a, blur, W, H, 4);
  assert.ok(sb < 0.99, `blur: ${sb}`);
  assert.ok(ssim(a, blur, W, H, 4, { mode: 'rgb' }) < 0.99);
});

test('ssim: input validation names the argument', () => {
  const a = new Uint8Array(W * H * 4);
  assert.throws(() => ssim(a, a, 5, H, 4), /width/);
  assert.throws(() => ssim(a, new Uint8Array(3), W, H, 4), /b\.length/);
  assert.throws(() => ssim(a, a, W, H, 2 as 3), /channels/);
});
