/**
 * CRC-32 as used by the `.rlq` container (and by zlib, PNG, gzip and Ethernet): the IEEE 802.3
 * polynomial in reflected form 0xEDB88320, initial value 0xFFFFFFFF, input and output reflected,
 * final XOR 0xFFFFFFFF. Check value: `crc32("123456789") === 0xCBF43926`; the CRC of no bytes is 0.
 *
 * Table-driven, one byte per step (a 1 KiB table built once at module load). That is fast enough for
 * the container (a few MB/s are plenty for files of a few hundred KB) and is simple to verify.
 */

/** The reflected IEEE 802.3 generator polynomial. */
export const CRC32_POLYNOMIAL = 0xedb88320;

/** `crc32` of the ASCII bytes "123456789": the standard check value of this CRC variant. */
export const CRC32_CHECK_VALUE = 0xcbf43926;

/** CRC of every byte value 0..255, processed bit by bit (LSB first). */
const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? CRC32_POLYNOMIAL ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 of `data`, as an unsigned 32-bit integer.
 *
 * @param data the bytes to checksum.
 * @param previous the CRC of the bytes that precede `data` when checksumming in pieces (zlib
 *   convention): `crc32(b, crc32(a)) === crc32(a ‖ b)`. Defaults to 0, the CRC of no bytes.
 */
export function crc32(data: Uint8Array, previous = 0): number {
  let c = ~previous >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
