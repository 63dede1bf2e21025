/**
 * Binary arithmetic (range) coder driven by external, 16-bit quantized probabilities.
 *
 * Algorithm: the LZMA range coder (Igor Pavlov's `rc`), with the probability of the symbol supplied by
 * the caller on every call instead of an adaptive model inside the coder. The coder keeps an interval
 * `[low, low + range)`; a symbol splits it at
 *
 *     bound = floor(range · p1 / 2^16)      (computed exactly, see below)
 *
 * and bit 1 takes the lower part `[low, low + bound)`, bit 0 the upper part `[low + bound, low + range)`.
 * The decoder keeps `code = value − low` and compares it with the same `bound`.
 *
 * Precision: `range` is a 32-bit unsigned integer kept in [2^24, 2^32) between symbols (whenever it
 * falls below 2^24 it is shifted left by 8 and one byte of `low` is emitted); probabilities are 16-bit
 * integers `p1` ∈ [1, 65535] meaning P(bit = 1) = p1 / 65536. `bound` is the exact floor of
 * `range · p1 / 2^16`, computed from two 16×16-bit products
 * (`(range >>> 16)·p1 + ((range & 0xffff)·p1 >>> 16)`), each below 2^32; since `range ≥ 2^24`, both
 * parts are at least 256 wide, so no probability in [1, 65535] can empty a part. Everything is
 * `Math.imul` / `>>>` / unsigned comparisons on 32-bit values: there is no floating point inside the
 * coder, so the bytes (and the decoded bits) are identical in every conforming JS engine.
 *
 * Carry handling: LZMA's cache byte. `low` is 32 bits plus a one-bit carry (the interval never spans
 * more than 2^33, so a single carry bit suffices). The top byte of `low` is not written at once but
 * held in `cache`, followed by a count of pending 0xFF bytes; when a carry arrives it is added to the
 * cache byte and turns the pending 0xFF bytes into 0x00. No bit-stuffing, no follow bits.
 *
 * Termination: `finish()` shifts out the cache byte, the pending 0xFF run and all 4 bytes of `low`.
 * LZMA's first output byte is always 0 (a carry can never reach above the initial interval) and is not
 * written, so the decoder starts by reading 4 bytes. The stream is exactly `4 + (number of byte shifts)`
 * bytes long, and a decoder that decodes the same number of symbols consumes exactly all of them, which
 * is what {@link BinaryDecoder.checkEnd} verifies. An empty symbol sequence encodes to zero bytes.
 *
 * Expected overhead over the ideal code length −Σ log2 P(bit) of the quantized probabilities: the 4
 * termination bytes (at most 32 bits, about 24 bits on average) plus the truncation of `bound` to an
 * integer, which changes a probability by less than one part in `bound` (≥ 256, typically ≥ 2^20) and
 * costs of the order of 1e-6 bit per symbol on average. Measured on 10^6 symbols with uniformly
 * random probabilities: see `test/codec/range-coder.test.ts` (well under 0.01 %).
 *
 * Reading past the end of the input never throws or loops: the decoder feeds zero bytes, as LZMA
 * does, and counts them, so a caller detects a truncated (or over-long) stream with
 * {@link BinaryDecoder.bytesConsumed} / {@link BinaryDecoder.overrun} / {@link BinaryDecoder.checkEnd}.
 */

import { BitstreamError } from '../errors.ts';

/** Probabilities are integers in units of 2^-16: P(bit = 1) = p1 / PROB_ONE. */
export const PROB_BITS = 16;
/** 2^16, the probability 1 in the coder's fixed-point units (not itself a valid `p1`). */
export const PROB_ONE = 1 << PROB_BITS;
/** The smallest valid quantized probability, 1 / 65536. */
export const PROB_MIN = 1;
/** The largest valid quantized probability, 65535 / 65536. */
export const PROB_MAX = PROB_ONE - 1;

/** `range` is renormalized (shifted by a byte) whenever it falls below this. */
const TOP = 1 << 24;

/**
 * Maps a float probability P(bit = 1) ∈ [0, 1] to the coder's 16-bit integer `p1` ∈ [1, 65535].
 *
 * Rounding rule: round half up, `Math.round(p · 65536)` (= floor(p · 65536 + 0.5) in exact arithmetic;
 * the product is exact because 65536 is a power of two, and `Math.round` is exactly specified by
 * ECMAScript, so the result is the same in every engine), then clamped to [1, 65535] so that neither
 * symbol ever becomes impossible. Note that the *input* must itself be computed identically by encoder
 * and decoder: `Math.exp`/`Math.log` are not exactly specified across engines, so a model whose output
 * feeds this function should use exactly specified operations (or integer arithmetic / tables).
 *
 * @param p probability of a 1 bit; a number in [0, 1] (NaN and values outside throw a `TypeError`).
 */
export function quantizeProbability(p: number): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new TypeError(`quantizeProbability: p must be a number in [0, 1], got ${String(p)}`);
  }
  const q = Math.round(p * PROB_ONE);
  return q < PROB_MIN ? PROB_MIN : q > PROB_MAX ? PROB_MAX : q;
}

/**
 * The ideal code length in bits, −Σ log2 P(bits[i]), of a bit sequence under quantized probabilities
 * (P(1) = p1 / 65536, P(0) = 1 − P(1)). Uses floating point: for tests and rate estimates, never for
 * coding decisions.
 *
 * @param bits the symbols, each 0 or 1.
 * @param p1s the quantized probabilities P(bit = 1) · 65536, same length as `bits`.
 */
export function idealBits(bits: ArrayLike<number>, p1s: ArrayLike<number>): number {
  if (bits.length !== p1s.length) {
    throw new TypeError(
      `idealBits: bits and p1s must have the same length, got ${bits.length} and ${p1s.length}`,
    );
  }
  let sum = 0;
  for (let i = 0; i < bits.length; i++) {
    const p1 = p1s[i];
    checkP1(p1, 'idealBits: p1s[i]');
    sum -= Math.log2((bits[i] ? p1 : PROB_ONE - p1) / PROB_ONE);
  }
  return sum;
}

/** Throws a `TypeError` naming `field` unless `p1` is an integer in [1, 65535]. */
function checkP1(p1: number, field: string): void {
  // `p1 & 0xffff` is p1 only for integers in [0, 65535]; NaN, fractions and out-of-range values differ.
  if (p1 === 0 || (p1 & 0xffff) !== p1) {
    throw new TypeError(
      `${field} must be an integer in [${PROB_MIN}, ${PROB_MAX}] (P(bit = 1) · 65536), got ${String(p1)}`,
    );
  }
}

/** floor(range · p1 / 2^16), exactly, for range < 2^32 and p1 < 2^16, in 32-bit integer arithmetic. */
function splitPoint(range: number, p1: number): number {
  return (Math.imul(range >>> 16, p1) + (Math.imul(range & 0xffff, p1) >>> 16)) >>> 0;
}

/**
 * Encodes a sequence of bits, each with its own probability, into bytes. Create one per stream, call
 * {@link encode} for every symbol, then {@link finish} once.
 */
export class BinaryEncoder {
  private low = 0; // low 32 bits of the interval's lower end (relative to the bytes already shifted out)
  private carry = 0; // bit 32 of low
  private range = 0xffffffff;
  private cache = 0; // the byte to be written before the pending 0xFF run (initially LZMA's phantom 0)
  private cacheSize = 1; // 1 (the cache byte) + the number of pending 0xFF bytes
  private shifts = 0; // bytes shifted out of low so far
  private symbols = 0;
  private out = new Uint8Array(1024);
  private pos = 0; // bytes in `out`, including the phantom leading zero once it is written
  private result: Uint8Array | undefined; // set by finish()

  /**
   * Encodes one bit.
   *
   * @param bit the symbol, 0 or 1.
   * @param p1 P(bit = 1) as a 16-bit quantized integer in [1, 65535]: the probability is p1 / 65536
   *   (see {@link quantizeProbability}). The decoder must be given the same `p1` for this symbol.
   */
  encode(bit: 0 | 1, p1: number): void {
    if (this.result !== undefined) {
      throw new Error('BinaryEncoder.encode: the encoder is already finished');
    }
    if (bit !== 0 && bit !== 1) {
      throw new TypeError(`BinaryEncoder.encode: bit must be 0 or 1, got ${String(bit)}`);
    }
    checkP1(p1, 'BinaryEncoder.encode: p1');
    const range = this.range;
    const bound = splitPoint(range, p1);
    if (bit === 1) {
      this.range = bound;
    } else {
      const low = (this.low + bound) >>> 0;
      if (low < this.low) this.carry = 1;
      this.low = low;
      this.range = range - bound;
    }
    while (this.range < TOP) {
      this.range = (this.range << 8) >>> 0;
      this.shiftLow();
    }
    this.symbols++;
  }

  /**
   * Flushes the coder (the pending bytes and the 4 bytes of `low`) and returns the stream: exactly
   * `4 + shifts` bytes, or no bytes at all when no symbol was encoded. Idempotent: later calls return
   * the same array; {@link encode} may not be called afterwards.
   */
  finish(): Uint8Array {
    if (this.result !== undefined) return this.result;
    if (this.symbols === 0) {
      this.result = new Uint8Array(0);
    } else {
      for (let i = 0; i < 5; i++) this.shiftLow();
      // out[0] is LZMA's phantom byte, always 0: no carry can leave the initial interval [0, 2^32).
      this.result = this.out.slice(1, this.pos);
    }
    this.out = new Uint8Array(0); // release the growth buffer
    return this.result;
  }

  /** Bytes written to the output so far (excluding bytes still held for carry propagation). */
  get bytesWritten(): number {
    return this.result !== undefined ? this.result.length : Math.max(0, this.pos - 1);
  }

  /** Number of symbols encoded so far. */
  get symbolCount(): number {
    return this.symbols;
  }

  /**
   * The information coded so far, in bits: 8 per byte shifted out of the coder plus 32 − log2(range)
   * for the current interval. Excludes the (≤ 32-bit) termination; a float estimate for rate control,
   * not part of the bitstream.
   */
  get bitsEstimate(): number {
    return 8 * this.shifts + 32 - Math.log2(this.range);
  }

  /** LZMA's ShiftLow: moves the top byte of `low` into the cache, resolving any pending carry. */
  private shiftLow(): void {
    if (this.low < 0xff000000 || this.carry !== 0) {
      const carry = this.carry;
      let byte = this.cache;
      do {
        this.put((byte + carry) & 0xff);
        byte = 0xff;
      } while (--this.cacheSize !== 0);
      this.cache = this.low >>> 24;
      this.carry = 0;
    }
    // else: the top byte is 0xFF and a later carry could still ripple through it: keep it pending.
    this.cacheSize++;
    this.low = (this.low & 0x00ffffff) << 8 >>> 0;
    this.shifts++;
  }

  private put(byte: number): void {
    if (this.pos === this.out.length) {
      const grown = new Uint8Array(this.out.length * 2);
      grown.set(this.out);
      this.out = grown;
    }
    this.out[this.pos++] = byte;
  }
}

/**
 * Decodes bits from a stream written by {@link BinaryEncoder}, given the same probabilities in the same
 * order. Past the end of the input it reads zero bytes (never throws, never loops); use
 * {@link checkEnd} (or {@link bytesConsumed} / {@link overrun}) after the last symbol to detect a
 * truncated or over-long stream.
 */
export class BinaryDecoder {
  private readonly bytes: Uint8Array;
  private code = 0; // value − low, always < range
  private range = 0xffffffff;
  private pos = 0; // bytes pulled so far, including zeros fed past the end
  private started = false;

  /** @param bytes the stream from {@link BinaryEncoder.finish}; not copied, must not change while decoding. */
  constructor(bytes: Uint8Array) {
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError('BinaryDecoder: bytes must be a Uint8Array');
    }
    this.bytes = bytes;
  }

  /**
   * Decodes one bit.
   *
   * @param p1 P(bit = 1) as a 16-bit quantized integer in [1, 65535], the same value the encoder was
   *   given for this symbol.
   */
  decode(p1: number): 0 | 1 {
    checkP1(p1, 'BinaryDecoder.decode: p1');
    if (!this.started) this.start();
    const range = this.range;
    const bound = splitPoint(range, p1);
    let bit: 0 | 1;
    if (this.code < bound) {
      this.range = bound;
      bit = 1;
    } else {
      this.code -= bound;
      this.range = range - bound;
      bit = 0;
    }
    while (this.range < TOP) {
      this.range = (this.range << 8) >>> 0;
      this.code = ((this.code << 8) | this.next()) >>> 0;
    }
    return bit;
  }

  /**
   * Bytes pulled from the input so far, counting the zero bytes fed past its end. After decoding
   * every symbol of an intact stream this equals `bytes.length` exactly.
   */
  get bytesConsumed(): number {
    return this.pos;
  }

  /** Zero bytes fed past the end of the input so far; nonzero means the stream was truncated. */
  get overrun(): number {
    return Math.max(0, this.pos - this.bytes.length);
  }

  /**
   * Call after the last symbol: throws a {@link BitstreamError} unless the decoder consumed exactly
   * the whole input (fewer bytes: trailing garbage or a symbol count mismatch; more: truncation).
   *
   * @param section the stream's name for the error (e.g. a container section name).
   */
  checkEnd(section?: string): void {
    if (this.pos === this.bytes.length) return;
    const where = section === undefined ? 'range-coded stream' : `section ${section}`;
    throw new BitstreamError(
      this.pos > this.bytes.length
        ? `${where}: truncated, decoding needed ${this.pos} bytes but the stream has ${this.bytes.length}`
        : `${where}: ${this.bytes.length - this.pos} unread bytes after the last symbol (stream has ` +
            `${this.bytes.length}, decoding used ${this.pos}); corrupted or wrong symbol count`,
      section,
    );
  }

  /** Reads the 4 bytes the encoder's interval starts with (done lazily: an empty stream reads none). */
  private start(): void {
    this.started = true;
    for (let i = 0; i < 4; i++) this.code = ((this.code << 8) | this.next()) >>> 0;
  }

  private next(): number {
    const i = this.pos++;
    return i < this.bytes.length ? this.bytes[i] : 0;
  }
}
