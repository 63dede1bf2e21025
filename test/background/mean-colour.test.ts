import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BACKGROUND_ALPHA_THRESHOLD,
  DEFAULT_FILL_COLOUR,
  DominantColour,
  backgroundMeanColour,
  dominantBin,
  dominantColour,
  roundColour,
  type Rgb,
} from '../../src/background/mean-colour.ts';

const W = 8;
const H = 4;

/** A frame of one background colour with an object square (alpha 255, colour `obj`) in the middle. */
function frame(bg: Rgb, obj: Rgb = [0, 255, 0]): { pixels: Uint8Array; mask: Uint8Array } {
  const pixels = new Uint8Array(W * H * 3);
  const mask = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      const inObj = x >= 2 && x < 6 && y >= 1 && y < 3;
      mask[p] = inObj ? 255 : 0;
      pixels.set(inObj ? obj : bg, 3 * p);
    }
  }
  return { pixels, mask };
}

test('eq. 17: the mean is over pixels with alpha < 128 only, RGB or RGBA input', () => {
  const { pixels, mask } = frame([10, 20, 30]);
  assert.deepEqual(backgroundMeanColour(pixels, mask, W, H), [10, 20, 30]);
  // Soft alpha: 127 is background (counts fully), 128 is object (ignored).
  const px = new Uint8Array([0, 0, 0, 100, 100, 100, 200, 50, 0, 255, 255, 255]);
  const m = new Uint8Array([0, 127, 128, 255]);
  assert.equal(BACKGROUND_ALPHA_THRESHOLD, 128);
  assert.deepEqual(backgroundMeanColour(px, m, 2, 2), [50, 50, 50]);
  // RGBA: the 4th byte is ignored.
  const rgba = new Uint8Array([0, 0, 0, 9, 100, 100, 100, 9, 200, 50, 0, 9, 255, 255, 255, 9]);
  assert.deepEqual(backgroundMeanColour(rgba, m, 2, 2), [50, 50, 50]);
  // Fractional means are kept as floats.
  assert.deepEqual(backgroundMeanColour(new Uint8Array([1, 2, 3, 2, 2, 2]), new Uint8Array([0, 0]), 2, 1), [1.5, 2, 2.5]);
  // No background pixel: null.
  assert.equal(backgroundMeanColour(new Uint8Array(12), new Uint8Array(4).fill(200), 2, 2), null);
  assert.throws(() => backgroundMeanColour(new Uint8Array(5), new Uint8Array(4), 2, 2), /pixels must be/);
  assert.throws(() => backgroundMeanColour(new Uint8Array(12), new Uint8Array(3), 2, 2), /mask must be/);
});

test('dominant colour: most frames grey, a few red → the grey frames average', () => {
  const means: (Rgb | null)[] = [];
  // 9 frames grey around 128 (all in bin 16,16,16), 3 red frames.
  for (const g of [124, 125, 126, 127, 128, 129, 130, 131, 127]) {
    const { pixels, mask } = frame([g, g, g], [255, 255, 0]);
    means.push(backgroundMeanColour(pixels, mask, W, H));
  }
  for (let i = 0; i < 3; i++) {
    const { pixels, mask } = frame([230, 20, 20]);
    means.push(backgroundMeanColour(pixels, mask, W, H));
  }
  means.push(null); // a frame without background does not vote
  // Grey values 124…127 fall in bin 15 (·8…), 128…131 in bin 16: 5 vs 4 frames. Bin 15 wins.
  assert.deepEqual(dominantColour(means), [126, 126, 126]); // (124+125+126+127+127)/5 = 125.8 → 126
  assert.equal(dominantBin([126, 126, 126]), (15 << 10) | (15 << 5) | 15);
});

test('dominant colour: ties go to the lowest bin, rounding is half up, no votes → mid grey', () => {
  // Two bins with two frames each: red bin (31,0,0) index 31·1024 and blue (0,0,31) index 31 → blue wins.
  assert.deepEqual(dominantColour([[250, 0, 0], [0, 0, 250], [250, 0, 0], [0, 0, 252]]), [0, 0, 251]);
  // Means are rounded before binning and averaging: 7.5 → 8 moves a frame into the next bin.
  assert.deepEqual(roundColour([7.5, 7.49, 254.5]), [8, 7, 255]);
  assert.deepEqual(dominantColour([[7.5, 0, 0], [8, 0, 0], [7, 0, 0]]), [8, 0, 0]);
  assert.deepEqual(dominantColour([null, null]), DEFAULT_FILL_COLOUR);
  assert.deepEqual(dominantColour([]), [128, 128, 128]);
  const acc = new DominantColour();
  assert.deepEqual(acc.add([1.5, 2.5, 3.49]), [2, 3, 3]);
  assert.equal(acc.add(null), null);
  assert.equal(acc.frames, 1);
  assert.throws(() => acc.add([NaN, 0, 0]), /finite/);
});
