import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compositeFrames, compositeOverBackground } from '../../src/background/composite.ts';

test('composite: straight alpha, out = obj·α + bg·(1 − α) rounded to nearest', () => {
  const obj = Uint8Array.from([
    200, 100, 0, 255, // opaque: the object
    200, 100, 0, 0, // transparent: the background
    200, 100, 0, 128, // half: (200·128 + 50·127) / 255 = 125.29 → 125, (100·128 + 60·127)/255 = 80.08 → 80, (0 + 70·127)/255 = 34.86 → 35
    255, 255, 255, 1, // (255 + 0·254) / 255 = 1
  ]);
  const bg = Uint8Array.from([50, 60, 70, 50, 60, 70, 50, 60, 70, 0, 0, 0]);
  assert.deepEqual(Array.from(compositeOverBackground(obj, bg)), [200, 100, 0, 50, 60, 70, 125, 80, 35, 1, 1, 1]);
  // Exhaustive check of the rounding against the real-valued formula on one channel.
  const o = new Uint8Array(4);
  const b = new Uint8Array(3);
  for (const ov of [0, 1, 127, 128, 254, 255]) {
    for (const bv of [0, 3, 128, 255]) {
      for (let a = 0; a < 256; a++) {
        o[0] = ov;
        o[3] = a;
        b[0] = bv;
        const want = Math.round((ov * a + bv * (255 - a)) / 255);
        assert.equal(compositeOverBackground(o, b)[0], want, `obj ${ov} bg ${bv} a ${a}`);
      }
    }
  }
});

test('composite: premultiplied alpha, out = obj + bg·(1 − α), clamped', () => {
  const obj = Uint8Array.from([
    100, 50, 0, 128, // premultiplied half-transparent: 100 + round(50·127/255 = 24.9) = 125
    0, 0, 0, 0, // empty: the background
    255, 255, 255, 255, // opaque white
    200, 0, 0, 100, // invalid (200 > 100) but tolerated: 200 + round(200·155/255 = 121.6) = 321 → 255
  ]);
  const bg = Uint8Array.from([50, 50, 50, 9, 8, 7, 1, 2, 3, 200, 200, 200]);
  const out = compositeOverBackground(obj, bg, { alpha: 'premultiplied' });
  assert.deepEqual(Array.from(out), [125, 75, 25, 9, 8, 7, 255, 255, 255, 255, 122, 122]);
  // The same pixel straight vs premultiplied: obj·α premultiplied gives the straight result ±1.
  const straight = compositeOverBackground(Uint8Array.of(200, 100, 0, 128), Uint8Array.of(50, 60, 70));
  const pre = compositeOverBackground(Uint8Array.of(100, 50, 0, 128), Uint8Array.of(50, 60, 70), { alpha: 'premultiplied' });
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(straight[c] - pre[c]) <= 1);
  // out parameter, bad sizes and modes.
  const target = new Uint8Array(3);
  assert.equal(compositeOverBackground(Uint8Array.of(1, 2, 3, 255), Uint8Array.of(0, 0, 0), { out: target }), target);
  assert.deepEqual(Array.from(target), [1, 2, 3]);
  assert.throws(() => compositeOverBackground(new Uint8Array(8), new Uint8Array(3)), /RGBA/);
  assert.throws(() => compositeOverBackground(new Uint8Array(4), new Uint8Array(3), { alpha: 'linear' as 'straight' }), /options\.alpha/);
});

test('compositeFrames pairs two streams and rejects unequal lengths', async () => {
  async function* bgs(n: number): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < n; i++) yield Uint8Array.of(i, i, i);
  }
  const objs = [Uint8Array.of(9, 9, 9, 0), Uint8Array.of(9, 9, 9, 255)];
  const out: number[][] = [];
  for await (const f of compositeFrames(objs, bgs(2))) out.push(Array.from(f));
  assert.deepEqual(out, [[0, 0, 0], [9, 9, 9]]);
  await assert.rejects(async () => {
    for await (const _ of compositeFrames(objs, bgs(3))) void _;
  }, /object stream ended after 2 frames/);
});
