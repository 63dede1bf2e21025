import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TemporalMedian, medianOfAlphas } from '../../src/segment/temporal.ts';

test('medianOfAlphas: odd windows take the middle value, even ones the rounded mean of the middle two', () => {
  const a = (...v: number[]): Uint8Array => Uint8Array.from(v);
  assert.deepEqual(medianOfAlphas([a(1, 9), a(5, 5), a(3, 0)]), a(3, 5));
  assert.deepEqual(medianOfAlphas([a(10), a(21)]), a(16));
  assert.deepEqual(medianOfAlphas([a(7), a(1), a(9), a(3), a(5)]), a(5));
  assert.deepEqual(medianOfAlphas([a(7), a(1), a(9), a(4)]), a(6), 'middle two 4 and 7 → 5.5 → 6');
  const nine = [8, 3, 255, 0, 4, 4, 100, 2, 9].map((v) => a(v));
  assert.deepEqual(medianOfAlphas(nine), a(4));
});

/** Runs a whole sequence through a TemporalMedian, checking the latency, and returns the outputs. */
function runAll(alphas: Uint8Array[], radius: number): { alphas: number[][]; items: number[] } {
  const f = new TemporalMedian<number>({ radius });
  const out: { alpha: Uint8Array; item: number }[] = [];
  alphas.forEach((a, i) => {
    const got = f.push(a, i);
    assert.equal(got.length, i >= radius ? 1 : 0, `push ${i} emits once the window is complete`);
    out.push(...got);
  });
  out.push(...f.flush());
  assert.deepEqual(f.flush(), [], 'a second flush has nothing');
  return { alphas: out.map((o) => [...o.alpha]), items: out.map((o) => o.item) };
}

test('TemporalMedian removes a one-frame failure, keeps a steady change, emits in order', () => {
  // Pixel 0: object everywhere except a one-frame dropout at frame 3. Pixel 1: an edge moving steadily.
  // Pixel 2: a background blob in frame 5 only.
  const seq = [
    [255, 0, 0],
    [255, 40, 0],
    [255, 80, 0],
    [0, 120, 0],
    [255, 160, 0],
    [255, 200, 255],
    [255, 240, 0],
  ].map((v) => Uint8Array.from(v));
  const r = runAll(seq, 1);
  assert.deepEqual(r.items, [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(r.alphas.map((a) => a[0]), [255, 255, 255, 255, 255, 255, 255], 'dropout removed');
  assert.deepEqual(r.alphas.map((a) => a[1]), [20, 40, 80, 120, 160, 200, 220], 'steady change kept (edges: mean of 2)');
  assert.deepEqual(r.alphas.map((a) => a[2]), [0, 0, 0, 0, 0, 0, 128], 'blob removed (halved at the last frame)');
  // A two-frame failure needs r = 2.
  const two = [255, 255, 0, 0, 255, 255, 255].map((v) => Uint8Array.of(v));
  assert.deepEqual(runAll(two, 1).alphas.flat(), [255, 255, 0, 0, 255, 255, 255]);
  assert.deepEqual(runAll(two, 2).alphas.flat().slice(2, 5), [255, 255, 255]);
  // r = 0 is the identity.
  assert.deepEqual(runAll(seq, 0).alphas, seq.map((a) => [...a]));
  // Shorter sequences than the window.
  assert.deepEqual(runAll([Uint8Array.of(9)], 2).alphas, [[9]]);
});

test('TemporalMedian holds at most 2r + 1 alphas and rejects a size change', () => {
  const f = new TemporalMedian<number>({ radius: 2 });
  for (let i = 0; i < 50; i++) {
    f.push(Uint8Array.of(i), i);
    const held = (f as unknown as { buf: unknown[] }).buf.length;
    assert.ok(held <= 5, `holds ${held} after push ${i}`);
  }
  assert.throws(() => f.push(Uint8Array.of(1, 2), 99), /all frames must have one size/);
  assert.throws(() => new TemporalMedian({ radius: 5 }), /options\.radius/);
});
