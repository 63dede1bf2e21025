import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskedError, psnrCenter, MASK_THRESHOLD } from '../../src/metrics/masked-psnr.ts';
import { psnr } from '../../src/metrics/psnr.ts';
import { mulberry32 as rng } from '../../src/util/mulberry32.ts';

test('psnrCenter: a hand computation on a 4x2 image with a thresholded mask', () => {
  // Pixels 0..7 (RGB). Mask values: only those >= 128 count (128, 200, 255 → pixels 1, 2, 6).
  const mask = Uint8Array.from([0, 128, 200, 127, 0, 10, 255, 100]);
  const a = new Uint8Array(8 * 3).fill(100);
  const b = a.slice();
  b[1 * 3 + 0] = 104; // pixel 1: R +4
  b[2 * 3 + 1] = 97; //  pixel 2: G −3
  b[2 * 3 + 2] = 101; // pixel 2: B +1
  b[6 * 3 + 0] = 90; //  pixel 6: R −10
  b[3 * 3 + 0] = 0; //   pixel 3 (mask 127) and 7 (100) are background: ignored
  b[7 * 3 + 2] = 255;
  const mse = (16 + 9 + 1 + 100) / (3 * 3); // 126 / 9 = 14
  const expected = 10 * Math.log10((255 * 255) / mse);
  const r = maskedError(a, b, mask);
  assert.equal(r.pixels, 3);
  assert.ok(Math.abs(r.mse - 14) < 1e-12);
  assert.ok(Math.abs(r.psnr - expected) < 1e-12);
  assert.equal(psnrCenter(a, b, mask), r.psnr);
  assert.equal(MASK_THRESHOLD, 128);
  // A higher threshold keeps pixels 2 and 6 only.
  const hi = maskedError(a, b, mask, { threshold: 200 });
  assert.equal(hi.pixels, 2);
  assert.ok(Math.abs(hi.mse - (9 + 1 + 100) / 6) < 1e-12);
});

test('psnrCenter: identical on the object is Infinity whatever the background; RGBA ignores alpha', () => {
  const mask = Uint8Array.from([255, 255, 0, 0]);
  const a = Uint8Array.from([1, 2, 3, 9, 4, 5, 6, 9, 7, 8, 9, 9, 10, 11, 12, 9]);
  const b = a.slice();
  b[3] = 0; // alpha of an object pixel
  b[8] = 200; // background pixel
  assert.equal(psnrCenter(a, b, mask, { channels: 4 }), Infinity);
  assert.equal(maskedError(a, b, mask, { channels: 4 }).mse, 0);
});

test('psnrCenter: equals psnr.ts with the same mask binarised to 0/255', () => {
  const r = rng(7);
  const n = 40 * 30;
  const a = Uint8Array.from({ length: n * 3 }, () => Math.floor(r() * 256));
  const b = a.map((v) => Math.max(0, Math.min(255, v + Math.round((r() - 0.5) * 30))));
  const grey = Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
  const binary = grey.map((v) => (v >= 128 ? 255 : 0));
  assert.ok(Math.abs(psnrCenter(a, b, grey) - psnr(a, b, { channels: 3, mask: binary })) < 1e-9);
});

test('psnrCenter: an empty mask has no value (NaN from maskedError, RangeError from psnrCenter); bad inputs are TypeErrors', () => {
  const a = new Uint8Array(12);
  const b = new Uint8Array(12).fill(3);
  const empty = Uint8Array.from([0, 127, 50, 0]);
  const r = maskedError(a, b, empty);
  assert.equal(r.pixels, 0);
  assert.ok(Number.isNaN(r.mse) && Number.isNaN(r.psnr));
  assert.throws(() => psnrCenter(a, b, empty), RangeError);
  assert.throws(() => maskedError(a, b, new Uint8Array(3)), /mask must be a Uint8Array of one byte per pixel \(4\)/);
  assert.throws(() => maskedError(a, b.subarray(3), empty), /b\.length/);
  assert.throws(() => maskedError(a, b, empty, { threshold: 0 }), /opts\.threshold/);
  assert.throws(() => maskedError(a, b, empty, { channels: 2 as 3 }), /opts\.channels/);
});
