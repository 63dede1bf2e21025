/**
 * Occupancy codec: lossless round trips (empty, full, random, sphere shapes at 128³), determinism and
 * a golden stream, and BitstreamError on truncated / corrupted / invalid streams.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BitstreamError } from '../../src/codec/errors.ts';
import {
  OCCUPANCY_HEADER_BYTES,
  decodeOccupancy,
  encodeOccupancy,
} from '../../src/codec/occupancy/occupancy-codec.ts';

/** A bitfield of G³ cells with bit i set when `f(x, y, z)`. */
function grid(g: number, f: (x: number, y: number, z: number) => boolean): Uint32Array {
  const bits = new Uint32Array((g * g * g) / 32);
  let i = 0;
  for (let z = 0; z < g; z++) {
    for (let y = 0; y < g; y++) {
      for (let x = 0; x < g; x++, i++) if (f(x, y, z)) bits[i >> 5]! |= 1 << (i & 31);
    }
  }
  return bits;
}

/** Distance of cell (x, y, z)'s centre from the box centre, in unit-box coordinates. */
const radius = (g: number, x: number, y: number, z: number): number =>
  Math.hypot((x + 0.5) / g - 0.5, (y + 0.5) / g - 0.5, (z + 0.5) / g - 0.5);

/** Mulberry32: a deterministic PRNG for test inputs. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function roundTrip(bits: Uint32Array, g: number): Uint8Array {
  const bytes = encodeOccupancy(bits, g);
  const out = decodeOccupancy(bytes);
  assert.equal(out.resolution, g);
  assert.deepEqual(out.bits, bits);
  return bytes;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('empty and full grids round-trip and cost almost nothing', () => {
  for (const g of [8, 16, 64]) {
    const empty = roundTrip(new Uint32Array(g ** 3 / 32), g);
    const full = roundTrip(new Uint32Array(g ** 3 / 32).fill(0xffffffff), g);
    assert.ok(empty.length < 64 + g, `empty ${g}³: ${empty.length} bytes`);
    assert.ok(full.length < 64 + g, `full ${g}³: ${full.length} bytes`);
  }
});

test('random 10 % grid at G = 16 round-trips near its entropy', () => {
  const r = rng(1234);
  const bits = grid(16, () => r() < 0.1);
  const bytes = roundTrip(bits, 16);
  // H(0.1) ≈ 0.469 bit/cell → 240 bytes for 4096 cells; allow the context dilution overhead.
  assert.ok(bytes.length < 300, `random 10 %: ${bytes.length} bytes`);
});

test('sphere shapes at G = 128 round-trip in a few KB (raw: 256 KiB)', (t) => {
  const g = 128;
  const raw = g ** 3 / 8;
  const solid = grid(g, (x, y, z) => radius(g, x, y, z) <= 0.3);
  const shell = grid(g, (x, y, z) => Math.abs(radius(g, x, y, z) - 0.3) <= 1.5 / g);
  const bSolid = roundTrip(solid, g);
  const bShell = roundTrip(shell, g);
  t.diagnostic(`solid sphere r=0.3 @128³: ${bSolid.length} B (raw ${raw} B, ratio 1:${(raw / bSolid.length).toFixed(0)})`);
  t.diagnostic(`sphere shell @128³: ${bShell.length} B (raw ${raw} B, ratio 1:${(raw / bShell.length).toFixed(0)})`);
  assert.ok(bSolid.length < 4096, `solid sphere: ${bSolid.length} bytes`);
  assert.ok(bShell.length < 8192, `sphere shell: ${bShell.length} bytes`);
});

test('deterministic, and a golden stream for a tiny grid', () => {
  const g = 8;
  const bits = grid(g, (x, y, z) => (x + y + z) % 3 === 0 || (x < 4 && y < 4 && z < 4));
  const a = encodeOccupancy(bits, g);
  const b = encodeOccupancy(bits.slice(), g);
  assert.deepEqual(a, b);
  assert.deepEqual(decodeOccupancy(a).bits, bits);
  // Header: version 1, resolution 8 (u16 LE), reserved 0, payload length (u32 LE).
  assert.deepEqual([...a.subarray(0, 4)], [1, 8, 0, 0]);
  assert.equal(new DataView(a.buffer, a.byteOffset).getUint32(4, true), a.length - OCCUPANCY_HEADER_BYTES);
  assert.equal(hex(a), GOLDEN);
});

test('truncated, over-long and corrupted streams throw BitstreamError', () => {
  const g = 16;
  const r = rng(7);
  const bits = grid(g, (x, y, z) => radius(g, x, y, z) < 0.35 && r() < 0.9);
  const bytes = encodeOccupancy(bits, g);
  const bad = (s: Uint8Array): void => assert.throws(() => decodeOccupancy(s), BitstreamError);
  // Any cut: header, payload.
  for (let n = 0; n < bytes.length; n++) bad(bytes.subarray(0, n));
  // Cut payload with the length field patched to match: caught by checkEnd.
  for (const cut of [1, 2, 5]) {
    const s = bytes.slice(0, bytes.length - cut);
    new DataView(s.buffer).setUint32(4, s.length - OCCUPANCY_HEADER_BYTES, true);
    bad(s);
  }
  // Trailing byte, with and without a patched length.
  const long = new Uint8Array(bytes.length + 1);
  long.set(bytes);
  bad(long);
  new DataView(long.buffer).setUint32(4, long.length - OCCUPANCY_HEADER_BYTES, true);
  bad(long);
  // Header fields: version, resolutions, reserved byte.
  const patch = (off: number, v: number, u16 = false): Uint8Array => {
    const s = bytes.slice();
    const d = new DataView(s.buffer);
    if (u16) d.setUint16(off, v, true);
    else d.setUint8(off, v);
    return s;
  };
  bad(patch(0, 2));
  for (const res of [0, 4, 10, 516, 1024, 65532]) bad(patch(1, res, true));
  bad(patch(3, 1));
  // A huge resolution field must not allocate: rejected before any decoding.
  bad(patch(1, 0xffff, true));
});

test('encoder rejects bad arguments with TypeError', () => {
  assert.throws(() => encodeOccupancy(new Uint32Array(16), 8.5), TypeError);
  assert.throws(() => encodeOccupancy(new Uint32Array(16), 12 - 2), TypeError);
  assert.throws(() => encodeOccupancy(new Uint32Array(15), 8), TypeError);
  assert.throws(() => encodeOccupancy(new Uint32Array(2 ** 27 / 32 * 8), 1024), TypeError);
});

/** encodeOccupancy of the tiny grid above, format version 1 (changes only with the format). */
const GOLDEN = '010800001a0000001e990366f2eeed11dd81f301855a45362145216a3a8147125900';
