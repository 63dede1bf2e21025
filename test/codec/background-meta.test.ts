import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BACKGROUND_META_HEADER_BYTES,
  type BackgroundMeta,
  decodeBackgroundMeta,
  encodeBackgroundMeta,
} from '../../src/codec/background/background-meta.ts';
import { BitstreamError } from '../../src/codec/errors.ts';

function sample(frames = 5): BackgroundMeta {
  return {
    codec: 'x264',
    crf: 45,
    gop: 60,
    width: 97,
    height: 64,
    frameCount: frames,
    fps: 29.97,
    maskThreshold: 128,
    fillColour: [12, 200, 255],
    dilate: 2,
    edgeBand: 8,
    sigma: 4,
    frameMeans: Uint8Array.from({ length: 3 * frames }, (_, i) => (i * 37) & 0xff),
  };
}

const isMetaError = (e: unknown): boolean =>
  e instanceof BitstreamError && e.section === 'BACKGROUND_META' && /BACKGROUND_META/.test(e.message);

test('BACKGROUND_META round trip, exact layout', () => {
  for (const meta of [sample(), { ...sample(1), codec: 'x265' as const, crf: 51, gop: 1 }, { ...sample(3), codec: 'av1' as const, crf: 63, sigma: 1.7 }]) {
    const bytes = encodeBackgroundMeta(meta);
    assert.equal(bytes.length, BACKGROUND_META_HEADER_BYTES + 3 * meta.frameCount);
    const back = decodeBackgroundMeta(bytes);
    assert.deepEqual(back, { ...meta, sigma: Math.fround(meta.sigma) });
  }
  const bytes = encodeBackgroundMeta(sample(2));
  const v = new DataView(bytes.buffer);
  assert.deepEqual(
    [bytes[0], bytes[1], bytes[2], bytes[3], v.getUint16(4, true), v.getUint16(6, true), v.getUint16(8, true), v.getUint32(10, true)],
    [1, 0, 45, 128, 60, 97, 64, 2],
  );
  assert.equal(v.getFloat64(14, true), 29.97);
  assert.deepEqual(Array.from(bytes.subarray(22, 28)), [12, 200, 255, 2, 8, 0]);
  assert.equal(v.getFloat32(28, true), 4);
  assert.deepEqual(Array.from(bytes.subarray(32)), [0, 37, 74, 111, 148, 185]);
  // Decoding a subarray of a larger buffer works and copies the means.
  const big = new Uint8Array(bytes.length + 10);
  big.set(bytes, 5);
  const back = decodeBackgroundMeta(big.subarray(5, 5 + bytes.length));
  big.fill(0);
  assert.deepEqual(Array.from(back.frameMeans), [0, 37, 74, 111, 148, 185]);
});

test('BACKGROUND_META: every truncation and trailing byte throws BitstreamError', () => {
  const bytes = encodeBackgroundMeta(sample());
  for (let n = 0; n < bytes.length; n++) {
    assert.throws(() => decodeBackgroundMeta(bytes.subarray(0, n)), isMetaError, `length ${n}`);
  }
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  assert.throws(() => decodeBackgroundMeta(longer), (e: unknown) => isMetaError(e) && /trailing bytes/.test((e as Error).message));
  assert.throws(() => decodeBackgroundMeta([1, 2] as unknown as Uint8Array), TypeError);
});

test('BACKGROUND_META: every bad field throws BitstreamError naming it', () => {
  const good = encodeBackgroundMeta(sample());
  const cases: [string, (v: DataView) => void, RegExp][] = [
    ['version', (v) => v.setUint8(0, 2), /unsupported version 2/],
    ['codec', (v) => v.setUint8(1, 3), /unknown codec id 3/],
    ['crf x264', (v) => v.setUint8(2, 52), /CRF 52/],
    ['crf av1', (v) => { v.setUint8(1, 2); v.setUint8(2, 64); }, /CRF 64/],
    ['threshold', (v) => v.setUint8(3, 0), /mask threshold 0/],
    ['gop', (v) => v.setUint16(4, 0, true), /GOP 0/],
    ['width 0', (v) => v.setUint16(6, 0, true), /frame size 0x64/],
    ['width big', (v) => v.setUint16(6, 16385, true), /frame size 16385x64/],
    ['height', (v) => v.setUint16(8, 0, true), /frame size 97x0/],
    ['frames 0', (v) => v.setUint32(10, 0, true), /frame count 0/],
    ['frames huge', (v) => v.setUint32(10, 0xffffffff, true), /frame count 4294967295/],
    ['frames mismatch', (v) => v.setUint32(10, 6, true), /truncated.*expected 50/],
    ['fps NaN', (v) => v.setFloat64(14, NaN, true), /frame rate NaN/],
    ['fps 0', (v) => v.setFloat64(14, 0, true), /frame rate 0/],
    ['fps big', (v) => v.setFloat64(14, 1001, true), /frame rate 1001/],
    ['flags', (v) => v.setUint8(27, 1), /flags/],
    ['sigma neg', (v) => v.setFloat32(28, -1, true), /σ -1/],
    ['sigma inf', (v) => v.setFloat32(28, Infinity, true), /σ Infinity/],
    ['sigma big', (v) => v.setFloat32(28, 256, true), /σ 256/],
  ];
  for (const [name, mutate, message] of cases) {
    const bytes = good.slice();
    mutate(new DataView(bytes.buffer));
    assert.throws(() => decodeBackgroundMeta(bytes), (e: unknown) => isMetaError(e) && message.test((e as Error).message), name);
  }
});

test('encodeBackgroundMeta rejects fields it cannot store', () => {
  const bad: [Partial<BackgroundMeta>, RegExp][] = [
    [{ codec: 'vp9' as 'x264' }, /meta\.codec/],
    [{ crf: 52 }, /meta\.crf/],
    [{ crf: 44.5 }, /meta\.crf/],
    [{ gop: 0 }, /meta\.gop/],
    [{ width: 16385 }, /meta\.width/],
    [{ frameCount: 4 }, /meta\.frameMeans/],
    [{ fps: Infinity }, /meta\.fps/],
    [{ fillColour: [0, 0, 256] }, /meta\.fillColour/],
    [{ edgeBand: 256 }, /meta\.edgeBand/],
    [{ sigma: -0.5 }, /meta\.sigma/],
    [{ maskThreshold: 0 }, /meta\.maskThreshold/],
  ];
  for (const [patch, message] of bad) assert.throws(() => encodeBackgroundMeta({ ...sample(), ...patch }), message);
});
