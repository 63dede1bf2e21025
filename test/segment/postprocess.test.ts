import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fillHoles,
  keepLargestComponent,
  maskIoU,
  postprocessAlpha,
  refineAlpha,
  thresholdAlpha,
} from '../../src/segment/postprocess.ts';

/** A mask from rows of '#' (object) and '.' (background). */
function grid(rows: string[]): { mask: Uint8Array; width: number; height: number } {
  const width = rows[0]!.length;
  const height = rows.length;
  const mask = new Uint8Array(width * height);
  rows.forEach((r, y) => [...r].forEach((c, x) => (mask[y * width + x] = c === '#' ? 255 : 0)));
  return { mask, width, height };
}

function show(mask: Uint8Array, width: number): string[] {
  const rows: string[] = [];
  for (let y = 0; y < mask.length / width; y++) rows.push([...mask.subarray(y * width, (y + 1) * width)].map((v) => (v ? '#' : '.')).join(''));
  return rows;
}

test('thresholdAlpha: alpha ≥ threshold is object', () => {
  assert.deepEqual(thresholdAlpha(Uint8Array.of(0, 127, 128, 255), 128), Uint8Array.of(0, 0, 255, 255));
});

test('keepLargestComponent keeps the biggest 8-connected blob', () => {
  const g = grid([
    '##......',
    '##...#..',
    '.....##.',
    '......#.',
    '.......#', // diagonal neighbour: same component under 8-connectivity
  ]);
  const r = keepLargestComponent(g.mask, g.width, g.height);
  assert.equal(r.components, 2);
  assert.deepEqual(show(r.mask, g.width), ['........', '.....#..', '.....##.', '......#.', '.......#']);
  assert.equal(keepLargestComponent(new Uint8Array(4), 2, 2).components, 0);
});

test('fillHoles fills enclosed background up to a size, never regions touching the border', () => {
  const g = grid([
    '..........',
    '.#######..',
    '.#.#...#..',
    '.#.#...#..',
    '.#######..',
    '..........',
  ]);
  // Holes: a 2-pixel one (x=2, y=2..3) and a 6-pixel one (x=4..6, y=2..3).
  const all = fillHoles(g.mask, g.width, g.height);
  assert.equal(all.filledPixels, 8);
  const small = fillHoles(g.mask, g.width, g.height, 5);
  assert.equal(small.filledPixels, 2);
  assert.deepEqual(show(small.mask, g.width), ['..........', '.#######..', '.###...#..', '.###...#..', '.#######..', '..........']);
  // A concavity open to the border is not a hole.
  const open = grid(['#.#', '#.#', '###']);
  assert.equal(fillHoles(open.mask, 3, 3).filledPixels, 0);
  // 4-connectivity of the background: a gap closed only diagonally still encloses the hole.
  const diag = grid(['.#.', '#.#', '.#.']);
  assert.equal(fillHoles(diag.mask, 3, 3).filledPixels, 1);
});

test('refineAlpha keeps soft edges next to the object, clears dropped blobs, fills holes with 255', () => {
  // 1-D strip: object 200,200 at x=2..3; soft edge 60 at x=1 and x=4,5; a dropped blob 250 at x=8 with halo 40.
  const alpha = Uint8Array.of(0, 60, 200, 200, 60, 30, 0, 40, 250, 40);
  const mask = Uint8Array.of(0, 0, 255, 255, 0, 0, 0, 0, 0, 0);
  assert.deepEqual(refineAlpha(alpha, mask, 10, 1, 128, 4), Uint8Array.of(0, 60, 200, 200, 60, 30, 0, 0, 0, 0));
  assert.deepEqual(refineAlpha(alpha, mask, 10, 1, 128, 1), Uint8Array.of(0, 60, 200, 200, 60, 0, 0, 0, 0, 0));
  assert.deepEqual(refineAlpha(alpha, mask, 10, 1, 128, 0), Uint8Array.of(0, 0, 200, 200, 0, 0, 0, 0, 0, 0));
  // A filled hole (mask set, alpha low) becomes 255.
  assert.deepEqual(refineAlpha(Uint8Array.of(200, 10, 200), Uint8Array.of(255, 255, 255), 3, 1, 128, 2), Uint8Array.of(200, 255, 200));
});

test('postprocessAlpha chains threshold, largest component, hole filling and refinement', () => {
  const W = 20;
  const H = 12;
  const alpha = new Uint8Array(W * H);
  const set = (x: number, y: number, v: number): void => void (alpha[y * W + x] = v);
  for (let y = 2; y < 10; y++) for (let x = 2; x < 12; x++) set(x, y, 230); // object 10×8 = 80 px
  set(6, 5, 20); // a 1-px hole (specular highlight)
  for (let y = 2; y < 10; y++) set(12, y, 90); // soft right edge
  for (let y = 0; y < 3; y++) for (let x = 16; x < 19; x++) set(x, y, 240); // a 9-px blob to drop
  const r = postprocessAlpha(alpha, W, H);
  assert.equal(r.components, 2);
  assert.equal(r.filledPixels, 1);
  assert.equal(r.area, 80);
  assert.equal(r.mask[5 * W + 6], 255);
  assert.equal(r.alpha[5 * W + 6], 255, 'hole filled in the alpha too');
  assert.equal(r.alpha[4 * W + 12], 90, 'soft edge kept');
  assert.equal(r.mask[4 * W + 12], 0, 'soft edge is not object');
  assert.equal(r.alpha[1 * W + 17], 0, 'dropped blob cleared');
  const loose = postprocessAlpha(alpha, W, H, { largestComponent: false, fillHoles: false, threshold: 80 });
  assert.equal(loose.area, 80 - 1 + 8 + 9);
  assert.throws(() => postprocessAlpha(alpha, W, H, { maxHoleFraction: 2 }), /options\.maxHoleFraction/);
  assert.throws(() => postprocessAlpha(alpha, W, H + 1), /alpha must be a Uint8Array/);
});

test('maskIoU', () => {
  assert.equal(maskIoU(Uint8Array.of(255, 255, 0, 0), Uint8Array.of(0, 255, 255, 0)), 1 / 3);
  assert.equal(maskIoU(new Uint8Array(3), new Uint8Array(3)), 1);
});
