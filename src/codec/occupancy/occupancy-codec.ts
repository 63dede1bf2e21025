/**
 * Occupancy-grid codec: the G³ bitfield of {@link ../../field/occupancy/occupancy-grid.ts} (bit index
 * i = x + G·(y + G·z), bit (i & 31) of word i >> 5), coded losslessly with the binary range coder
 * ({@link BinaryEncoder}) under a context model of its own.
 *
 * ## Scan and context
 *
 * Cells are visited in bit-index order (x fastest, then y, then z). The context of a cell is 6 bits,
 * one per already-coded causal neighbour (a neighbour outside the grid counts as empty):
 *
 *     bit 0: (x−1, y,   z  )      bit 3: (x−1, y−1, z  )
 *     bit 1: (x,   y−1, z  )      bit 4: (x+1, y−1, z  )
 *     bit 2: (x,   y,   z−1)      bit 5: (x+1, y,   z−1)
 *
 * i.e. the three causal face neighbours, the row diagonal behind and the two "look-ahead" diagonals in
 * the previous row and slice (they are coded already and tell where a surface continues), 64 contexts.
 * Chosen by measurement on the 128³ sphere tests: the three causal-corner edge diagonals
 * (x−1,y−1), (x−1,z−1), (y−1,z−1) instead of bits 3-5 cost 28 % (solid) / 22 % (shell) more; adding
 * (x−1,z−1) and (y−1,z−1) as bits 6-7 (256 contexts) saves only another 5 %.
 *
 * ## Adaptive model (integer arithmetic only)
 *
 * Each context holds two counts n0, n1, both starting at 1. The probability of a 1 is
 *
 *     p1 = clamp(floor(65536 · n1 / (n0 + n1)), 1, 65535)
 *
 * computed as an integer division (the operands stay below 2^30, so the IEEE-754 quotient — correctly
 * rounded in every engine — is never within a rounding error of the next integer, and the floor is
 * exact). After coding a bit its count grows by 1; when n0 + n1 reaches {@link COUNT_LIMIT} both counts
 * are halved, rounding up (so they stay ≥ 1). Encoder and decoder run the same integer updates, so the
 * bytes and the decoded grid are identical on every machine.
 *
 * ## Stream layout (little-endian)
 *
 *     offset 0  u8   version        = {@link OCCUPANCY_CODEC_VERSION} (1)
 *     offset 1  u16  resolution G   multiple of 4 in [8, 512]
 *     offset 3  u8   reserved       = 0
 *     offset 4  u32  codedBytes     length of the range-coded payload
 *     offset 8  …    payload        exactly codedBytes bytes, G³ symbols; nothing may follow
 *
 * The decoder validates every header field before it allocates (the largest grid, G = 512, is 16 MiB
 * of bits), requires the stream length to be exactly 8 + codedBytes, and after the last symbol calls
 * {@link BinaryDecoder.checkEnd}, so truncated, over-long or corrupted payloads throw a
 * {@link BitstreamError} (section `OCCUPANCY`) instead of returning a wrong grid silently (a corruption
 * that happens to consume exactly the payload still decodes to some grid: there is no checksum here,
 * the container's CRC covers that).
 *
 * Measured (test/codec/occupancy-codec.test.ts, G = 128, raw 262 144 bytes, header included): solid
 * sphere r = 0.3: 2 556 bytes (1:103); sphere shell of thickness 3 cells at r = 0.3: 4 992 bytes (1:53).
 */

import { BitstreamError } from '../errors.ts';
import { BinaryDecoder, BinaryEncoder } from '../entropy/range-coder.ts';

/** The format version written in byte 0; the decoder rejects any other. */
export const OCCUPANCY_CODEC_VERSION = 1;
/** Bytes before the range-coded payload. */
export const OCCUPANCY_HEADER_BYTES = 8;
/** Number of contexts (2^6: six causal neighbours). */
export const OCCUPANCY_CONTEXTS = 64;
/** Counts of a context are halved when n0 + n1 reaches this (bounds p1 to [8, 65528] and keeps adapting). */
export const COUNT_LIMIT = 1 << 13;

const MIN_RESOLUTION = 8;
const MAX_RESOLUTION = 512;
const SECTION = 'OCCUPANCY';

/** True for a valid grid resolution: an integer multiple of 4 in [8, 512]. */
function validResolution(g: number): boolean {
  return Number.isInteger(g) && g >= MIN_RESOLUTION && g <= MAX_RESOLUTION && g % 4 === 0;
}

/** The per-context adaptive binary models: counts n0 (even slots) and n1 (odd slots). */
class ContextModels {
  private readonly counts = new Uint32Array(2 * OCCUPANCY_CONTEXTS).fill(1);

  /** p1 ∈ [1, 65535] of context `ctx`, integer arithmetic only. */
  p1(ctx: number): number {
    const n0 = this.counts[2 * ctx]!;
    const n1 = this.counts[2 * ctx + 1]!;
    const p = Math.floor((n1 * 65536) / (n0 + n1));
    return p < 1 ? 1 : p > 65535 ? 65535 : p;
  }

  update(ctx: number, bit: number): void {
    const c = this.counts;
    const i0 = 2 * ctx;
    c[i0 + bit]!++;
    if (c[i0]! + c[i0 + 1]! >= COUNT_LIMIT) {
      c[i0] = (c[i0]! + 1) >>> 1;
      c[i0 + 1] = (c[i0 + 1]! + 1) >>> 1;
    }
  }
}

/** Reads bit `i` of a packed bitfield. */
function getBit(bits: Uint32Array, i: number): number {
  return (bits[i >> 5]! >>> (i & 31)) & 1;
}

/**
 * The 6-bit context of cell (x, y, z) at index i from the already-coded bits (see the module doc).
 * Neighbours outside the grid are 0.
 */
function context(bits: Uint32Array, g: number, x: number, y: number, z: number, i: number): number {
  const gg = g * g;
  let ctx = 0;
  if (x > 0) ctx |= getBit(bits, i - 1);
  if (y > 0) {
    ctx |= getBit(bits, i - g) << 1;
    if (x > 0) ctx |= getBit(bits, i - 1 - g) << 3;
    if (x + 1 < g) ctx |= getBit(bits, i + 1 - g) << 4;
  }
  if (z > 0) {
    ctx |= getBit(bits, i - gg) << 2;
    if (x + 1 < g) ctx |= getBit(bits, i + 1 - gg) << 5;
  }
  return ctx;
}
/**
 * Encodes an occupancy bitfield.
 *
 * @param bits the G³ cells, bit (i & 31) of word i >> 5 for i = x + G·(y + G·z); length G³/32 words.
 * @param resolution G, cells per axis: an integer multiple of 4 in [8, 512].
 * @returns the stream: 8-byte header followed by the range-coded payload (see the module doc).
 */
export function encodeOccupancy(bits: Uint32Array, resolution: number): Uint8Array {
  if (!validResolution(resolution)) {
    throw new TypeError(
      `encodeOccupancy: resolution must be an integer multiple of 4 in [${MIN_RESOLUTION}, ${MAX_RESOLUTION}], got ${String(resolution)}`,
    );
  }
  if (!(bits instanceof Uint32Array)) throw new TypeError('encodeOccupancy: bits must be a Uint32Array');
  const g = resolution;
  const cells = g * g * g;
  if (bits.length !== cells / 32) {
    throw new TypeError(`encodeOccupancy: bits must have G³/32 = ${cells / 32} words, got ${bits.length}`);
  }
  const models = new ContextModels();
  const enc = new BinaryEncoder();
  let i = 0;
  for (let z = 0; z < g; z++) {
    for (let y = 0; y < g; y++) {
      for (let x = 0; x < g; x++, i++) {
        const ctx = context(bits, g, x, y, z, i);
        const bit = getBit(bits, i) as 0 | 1;
        enc.encode(bit, models.p1(ctx));
        models.update(ctx, bit);
      }
    }
  }
  const payload = enc.finish();
  const out = new Uint8Array(OCCUPANCY_HEADER_BYTES + payload.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, OCCUPANCY_CODEC_VERSION);
  view.setUint16(1, g, true);
  view.setUint8(3, 0);
  view.setUint32(4, payload.length, true);
  out.set(payload, OCCUPANCY_HEADER_BYTES);
  return out;
}

/**
 * Decodes a stream written by {@link encodeOccupancy}.
 *
 * @param bytes the whole stream (header and payload, nothing after it).
 * @throws BitstreamError (section `OCCUPANCY`) when the stream is truncated, over-long, from another
 *   version, or has an invalid header or payload.
 */
export function decodeOccupancy(bytes: Uint8Array): { resolution: number; bits: Uint32Array } {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeOccupancy: bytes must be a Uint8Array');
  if (bytes.length < OCCUPANCY_HEADER_BYTES) {
    throw new BitstreamError(
      `section ${SECTION}: truncated header, ${bytes.length} of ${OCCUPANCY_HEADER_BYTES} bytes`,
      SECTION,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(0);
  if (version !== OCCUPANCY_CODEC_VERSION) {
    throw new BitstreamError(
      `section ${SECTION}: unsupported version ${version} (this decoder reads ${OCCUPANCY_CODEC_VERSION})`,
      SECTION,
    );
  }
  const g = view.getUint16(1, true);
  if (!validResolution(g)) {
    throw new BitstreamError(
      `section ${SECTION}: resolution ${g} is not a multiple of 4 in [${MIN_RESOLUTION}, ${MAX_RESOLUTION}]`,
      SECTION,
    );
  }
  const reserved = view.getUint8(3);
  if (reserved !== 0) {
    throw new BitstreamError(`section ${SECTION}: reserved byte is ${reserved}, must be 0`, SECTION);
  }
  const coded = view.getUint32(4, true);
  if (coded !== bytes.length - OCCUPANCY_HEADER_BYTES) {
    throw new BitstreamError(
      `section ${SECTION}: header says ${coded} payload bytes, the stream has ${bytes.length - OCCUPANCY_HEADER_BYTES}` +
        (coded > bytes.length - OCCUPANCY_HEADER_BYTES ? ' (truncated)' : ' (trailing bytes)'),
      SECTION,
    );
  }
  // G³ ≥ 512 symbols always produce at least the 4 termination bytes.
  if (coded < 4) {
    throw new BitstreamError(`section ${SECTION}: payload of ${coded} bytes is too short (at least 4)`, SECTION);
  }
  const cells = g * g * g;
  const bits = new Uint32Array(cells / 32);
  const models = new ContextModels();
  const dec = new BinaryDecoder(bytes.subarray(OCCUPANCY_HEADER_BYTES));
  let i = 0;
  for (let z = 0; z < g; z++) {
    for (let y = 0; y < g; y++) {
      for (let x = 0; x < g; x++, i++) {
        const ctx = context(bits, g, x, y, z, i);
        const bit = dec.decode(models.p1(ctx));
        if (bit) bits[i >> 5]! |= 1 << (i & 31);
        models.update(ctx, bit);
      }
    }
    // An intact payload is never read past its end before the last symbol: stop at once when it is.
    if (dec.overrun > 0) dec.checkEnd(SECTION);
  }
  dec.checkEnd(SECTION);
  return { resolution: g, bits };
}
