import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BinaryDecoder,
  BinaryEncoder,
  idealBits,
  quantizeProbability,
} from '../../src/codec/entropy/range-coder.ts';
import { BitstreamError } from '../../src/codec/errors.ts';
import { mulberry32 } from '../../src/util/mulberry32.ts';

/** A seeded stream of symbols, each drawn from its own quantized probability. */
interface Symbols {
  bits: Uint8Array;
  p1s: Uint32Array;
}

/**
 * `n` symbols whose P(1) comes from `draw` (a float in [0, 1]), quantized; each bit is then drawn with
 * exactly that quantized probability, so −Σ log2 P is the length an ideal coder would reach.
 */
function randomSymbols(n: number, seed: number, draw: (rng: () => number) => number): Symbols {
  const rng = mulberry32(seed);
  const bits = new Uint8Array(n);
  const p1s = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const p1 = quantizeProbability(draw(rng));
    p1s[i] = p1;
    bits[i] = Math.floor(rng() * 65536) < p1 ? 1 : 0;
  }
  return { bits, p1s };
}

function encodeAll({ bits, p1s }: Symbols): Uint8Array {
  const enc = new BinaryEncoder();
  for (let i = 0; i < bits.length; i++) enc.encode(bits[i] as 0 | 1, p1s[i]);
  return enc.finish();
}

/** Decodes `p1s.length` symbols; returns the bits and the decoder (for its consumption counters). */
function decodeAll(bytes: Uint8Array, p1s: ArrayLike<number>): { bits: Uint8Array; dec: BinaryDecoder } {
  const dec = new BinaryDecoder(bytes);
  const bits = new Uint8Array(p1s.length);
  for (let i = 0; i < p1s.length; i++) bits[i] = dec.decode(p1s[i]);
  return { bits, dec };
}

/** Index of the first difference, or -1 (a readable failure instead of a 1M-element diff). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/**
 * The readable twin of the encoder: the whole code value `low` is one BigInt (no cache byte, no carry
 * flag: a carry just propagates in the BigInt), `bound` computed in float64 (exact: range · p1 < 2^48).
 * Also counts carries and carries that rippled through a pending 0xFF byte, to show the fast encoder's
 * carry path was exercised.
 */
function referenceEncode({ bits, p1s }: Symbols): { bytes: Uint8Array; carries: number; ripples: number } {
  let low = 0n;
  let range = 2 ** 32 - 1;
  let shifts = 0;
  let carries = 0;
  let ripples = 0;
  for (let i = 0; i < bits.length; i++) {
    const bound = Math.floor((range * p1s[i]) / 65536);
    if (bits[i] === 1) {
      range = bound;
    } else {
      const next = low + BigInt(bound);
      if (next >> 32n !== low >> 32n) carries++;
      if (next >> 40n !== low >> 40n) ripples++;
      low = next;
      range -= bound;
    }
    while (range < 2 ** 24) {
      range *= 256;
      low <<= 8n;
      shifts++;
    }
  }
  if (bits.length === 0) return { bytes: new Uint8Array(0), carries, ripples };
  const n = shifts + 4;
  assert.ok(low < 1n << BigInt(8 * n), 'reference: the code value must fit in shifts + 4 bytes');
  const bytes = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) {
    bytes[i] = Number(low & 0xffn);
    low >>= 8n;
  }
  return { bytes, carries, ripples };
}

test('range coder: 1M random bits under random probabilities round-trip within 0.1% of ideal', (t) => {
  const N = 1_000_000;
  const symbols = randomSymbols(N, 20240601, (rng) => rng());
  const t0 = performance.now();
  const bytes = encodeAll(symbols);
  const t1 = performance.now();
  const { bits, dec } = decodeAll(bytes, symbols.p1s);
  const t2 = performance.now();
  assert.equal(firstDifference(bits, symbols.bits), -1, 'decoded bits differ from the encoded ones');
  assert.equal(dec.bytesConsumed, bytes.length, 'an intact stream is consumed exactly');
  assert.equal(dec.overrun, 0);
  dec.checkEnd();

  const ideal = idealBits(symbols.bits, symbols.p1s);
  const actual = bytes.length * 8;
  // 0.1% of the ideal length plus a few bytes for the termination (4 bytes flushed by finish()).
  assert.ok(actual <= ideal * 1.001 + 64, `coded ${actual} bits, ideal ${ideal.toFixed(1)}`);
  assert.ok(actual >= ideal - 64, `coded ${actual} bits is impossibly below ideal ${ideal.toFixed(1)}`);
  t.diagnostic(
    `1M symbols: ${bytes.length} bytes, ideal ${(ideal / 8).toFixed(1)} bytes, overhead ` +
      `${(actual - ideal).toFixed(1)} bits (${((100 * (actual - ideal)) / ideal).toFixed(4)}%); ` +
      `encode ${((N / (t1 - t0)) * 1e3 / 1e6).toFixed(1)} M symbols/s, ` +
      `decode ${((N / (t2 - t1)) * 1e3 / 1e6).toFixed(1)} M symbols/s`,
  );
});

test('range coder: skewed (low-entropy) probabilities also stay within 0.1% of ideal', () => {
  // P(1) near 0 or 1 most of the time: about 0.2 bit per symbol, long runs of cheap symbols.
  const symbols = randomSymbols(200_000, 7, (rng) => {
    const u = rng() ** 4;
    return rng() < 0.5 ? u : 1 - u;
  });
  const bytes = encodeAll(symbols);
  const { bits, dec } = decodeAll(bytes, symbols.p1s);
  assert.equal(firstDifference(bits, symbols.bits), -1);
  dec.checkEnd();
  const ideal = idealBits(symbols.bits, symbols.p1s);
  assert.ok(bytes.length * 8 <= ideal * 1.001 + 64, `coded ${bytes.length * 8} bits, ideal ${ideal}`);
});

test('range coder: bytes equal those of a BigInt reference (carry propagation exercised)', () => {
  let carries = 0;
  let ripples = 0;
  const draws: ((rng: () => number) => number)[] = [
    (rng) => rng(),
    (rng) => (rng() < 0.5 ? 0.999 : 0.001), // runs of cheap symbols and rare 16-bit ones
    (rng) => rng() ** 8, // mostly bit 0 under P(1) ≈ 0: low creeps up, 0xFF bytes pile up
  ];
  for (const [k, draw] of draws.entries()) {
    for (let seed = 1; seed <= 4; seed++) {
      const symbols = randomSymbols(20_000, 1000 * k + seed, draw);
      const fast = encodeAll(symbols);
      const ref = referenceEncode(symbols);
      assert.equal(firstDifference(fast, ref.bytes), -1, `draw ${k}, seed ${seed}: bytes differ`);
      carries += ref.carries;
      ripples += ref.ripples;
    }
  }
  assert.ok(carries > 0 && ripples > 0, `carries ${carries}, through 0xFF bytes ${ripples}`);
});

test('range coder: extreme probabilities (p1 = 1 and 65535), with bits against the odds', () => {
  const rng = mulberry32(99);
  const n = 5000;
  const p1s = new Uint32Array(n);
  const bits = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    p1s[i] = rng() < 0.5 ? 1 : 65535;
    const likely = p1s[i] === 65535 ? 1 : 0;
    bits[i] = rng() < 0.3 ? 1 - likely : likely; // 30% of symbols cost 16 bits each
  }
  // Also whole runs of the least likely symbol (every symbol shrinks range by 2^16).
  for (const [bit, p1] of [
    [1, 1],
    [0, 65535],
  ] as const) {
    const runBits = new Uint8Array(300).fill(bit);
    const runP1s = new Uint32Array(300).fill(p1);
    const bytes = encodeAll({ bits: runBits, p1s: runP1s });
    const back = decodeAll(bytes, runP1s);
    assert.equal(firstDifference(back.bits, runBits), -1, `run of ${bit} under p1 = ${p1}`);
    back.dec.checkEnd();
    assert.ok(bytes.length <= 2 * 300 + 4, `${bytes.length} bytes for 300 × 16 bits`);
  }
  const bytes = encodeAll({ bits, p1s });
  const back = decodeAll(bytes, p1s);
  assert.equal(firstDifference(back.bits, bits), -1);
  back.dec.checkEnd();
});

test('range coder: empty input and a single symbol', () => {
  const empty = new BinaryEncoder().finish();
  assert.equal(empty.length, 0, 'no symbols encode to no bytes');
  const dec = new BinaryDecoder(empty);
  dec.checkEnd(); // nothing decoded, nothing read

  for (const bit of [0, 1] as const) {
    for (const p1 of [1, 100, 32768, 65535]) {
      const enc = new BinaryEncoder();
      enc.encode(bit, p1);
      const bytes = enc.finish();
      // 4 termination bytes plus one per byte of information (2 for a 16-bit symbol).
      assert.ok(bytes.length >= 4 && bytes.length <= 6, `${bytes.length} bytes`);
      const ref = referenceEncode({ bits: Uint8Array.of(bit), p1s: Uint32Array.of(p1) }).bytes;
      assert.equal(firstDifference(bytes, ref), -1);
      assert.equal(enc.bytesWritten, bytes.length);
      const d = new BinaryDecoder(bytes);
      assert.equal(d.decode(p1), bit, `bit ${bit}, p1 ${p1}`);
      d.checkEnd();
    }
  }
});

test('range coder: encoding the same sequence twice gives identical bytes; finish is idempotent', () => {
  const symbols = randomSymbols(50_000, 3, (rng) => rng());
  const a = encodeAll(symbols);
  const b = encodeAll(symbols);
  assert.equal(firstDifference(a, b), -1);

  const enc = new BinaryEncoder();
  enc.encode(1, 1000);
  const first = enc.finish();
  assert.equal(enc.finish(), first);
  assert.throws(() => enc.encode(0, 1000), /already finished/);
});

test('range coder: golden bytes of a fixed sequence (catches any change to the arithmetic)', () => {
  const seq: [0 | 1, number][] = [
    [1, 32768], [0, 32768], [1, 1], [0, 65535], [1, 65535], [0, 1], [1, 40000], [1, 40000],
    [0, 12345], [1, 60000], [0, 3000], [1, 500], [0, 65000], [1, 20000], [0, 20000], [1, 32768],
  ];
  const enc = new BinaryEncoder();
  for (const [bit, p1] of seq) enc.encode(bit, p1);
  const bytes = enc.finish();
  assert.equal(Buffer.from(bytes).toString('hex'), '40003ffec56e4f401909');
  const dec = new BinaryDecoder(bytes);
  assert.deepEqual(
    seq.map(([, p1]) => dec.decode(p1)),
    seq.map(([bit]) => bit),
  );
  dec.checkEnd();
});

test('range coder: a truncated stream decodes without throwing or hanging; the byte count reveals it', () => {
  const symbols = randomSymbols(10_000, 11, (rng) => rng());
  const bytes = encodeAll(symbols);
  for (const cut of [1, 3, 100, bytes.length]) {
    const truncated = bytes.subarray(0, bytes.length - cut);
    const { dec } = decodeAll(truncated, symbols.p1s); // must return
    // Every decision before the first missing byte is read is made on intact data, so the decoder
    // keeps in step with the encoder at least until it has pulled the whole original length.
    assert.ok(dec.bytesConsumed >= bytes.length, `${dec.bytesConsumed} bytes consumed`);
    assert.ok(dec.overrun >= cut, `overrun ${dec.overrun} for ${cut} missing bytes`);
    assert.throws(
      () => dec.checkEnd('GRID_FEATURES'),
      (e: unknown) =>
        e instanceof BitstreamError && e.section === 'GRID_FEATURES' && /truncated/.test(e.message),
    );
  }
  // Far more symbols than the stream holds: still returns (zeros are fed past the end).
  const { dec } = decodeAll(bytes, new Uint32Array(100_000).fill(32768));
  assert.ok(dec.overrun > 0);
  // Trailing garbage (or decoding too few symbols) is reported too.
  const longer = new Uint8Array(bytes.length + 2);
  longer.set(bytes);
  const extra = decodeAll(longer, symbols.p1s);
  assert.equal(firstDifference(extra.bits, symbols.bits), -1);
  assert.throws(
    () => extra.dec.checkEnd(),
    (e: unknown) => e instanceof BitstreamError && /2 unread/.test(e.message),
  );
});

test('range coder: the decoder reproduces the encoder probability stream bit for bit (adaptive model)', () => {
  // An integer adaptive model (LZMA-style shift update) with context = the previous two bits: the
  // probabilities depend on the decoded bits, so any decoding error would show up in the stream.
  class Model {
    private readonly p = new Uint32Array(4).fill(32768);
    private ctx = 0;
    readonly stream: number[] = [];
    next(): number {
      const p1 = this.p[this.ctx];
      this.stream.push(p1);
      return p1;
    }
    update(bit: 0 | 1): void {
      const p = this.p[this.ctx];
      this.p[this.ctx] = bit ? p + ((65536 - p) >> 4) : p - (p >> 4);
      this.ctx = ((this.ctx << 1) | bit) & 3;
    }
  }
  const rng = mulberry32(5);
  const n = 100_000;
  const bits = new Uint8Array(n);
  for (let i = 1; i < n; i++) bits[i] = rng() < (bits[i - 1] ? 0.9 : 0.2) ? 1 : 0; // a Markov source
  const encModel = new Model();
  const enc = new BinaryEncoder();
  for (let i = 0; i < n; i++) {
    enc.encode(bits[i] as 0 | 1, encModel.next());
    encModel.update(bits[i] as 0 | 1);
  }
  const bytes = enc.finish();
  const decModel = new Model();
  const dec = new BinaryDecoder(bytes);
  const decoded = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const bit = dec.decode(decModel.next());
    decModel.update(bit);
    decoded[i] = bit;
  }
  assert.equal(firstDifference(decoded, bits), -1);
  assert.deepEqual(decModel.stream, encModel.stream);
  dec.checkEnd();
  assert.ok(bytes.length * 8 <= idealBits(bits, encModel.stream) * 1.001 + 64);
});

test('range coder: quantizeProbability rounds half up and clamps; invalid arguments throw TypeError', () => {
  assert.equal(quantizeProbability(0), 1);
  assert.equal(quantizeProbability(1), 65535);
  assert.equal(quantizeProbability(0.5), 32768);
  assert.equal(quantizeProbability(100.5 / 65536), 101, 'half rounds up');
  assert.equal(quantizeProbability(100.49 / 65536), 100);
  assert.equal(quantizeProbability(1e-300), 1);
  for (const p of [NaN, -0.1, 1.5]) assert.throws(() => quantizeProbability(p), TypeError);

  const enc = new BinaryEncoder();
  for (const p1 of [0, 65536, 1.5, NaN, -1]) {
    assert.throws(() => enc.encode(1, p1), (e: unknown) => e instanceof TypeError && /p1/.test(e.message));
    assert.throws(() => new BinaryDecoder(new Uint8Array(8)).decode(p1), TypeError);
  }
  assert.throws(() => enc.encode(2 as 0, 100), (e: unknown) => e instanceof TypeError && /bit/.test(e.message));
  assert.throws(() => new BinaryDecoder([1, 2] as unknown as Uint8Array), TypeError);
  assert.throws(() => idealBits([1], []), TypeError);
  assert.equal(idealBits([1, 0], [32768, 32768]), 2);
  assert.equal(idealBits([0], [1]), -Math.log2(65535 / 65536));
});

test('range coder: bitsEstimate tracks the coded size', () => {
  const symbols = randomSymbols(100_000, 17, (rng) => rng());
  const enc = new BinaryEncoder();
  for (let i = 0; i < symbols.bits.length; i++) enc.encode(symbols.bits[i] as 0 | 1, symbols.p1s[i]);
  const estimate = enc.bitsEstimate;
  const ideal = idealBits(symbols.bits, symbols.p1s);
  assert.ok(Math.abs(estimate - ideal) < 1e-3 * ideal, `estimate ${estimate}, ideal ${ideal}`);
  const bytes = enc.finish();
  assert.ok(bytes.length * 8 - estimate >= 0 && bytes.length * 8 - estimate <= 32);
  assert.equal(enc.symbolCount, 100_000);
});
