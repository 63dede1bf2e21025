/**
 * The `.rlq` container: a fixed 40-byte header, a table of 24-byte section entries, then the section
 * payloads, each starting on an 8-byte boundary. All integers little-endian. `docs/FORMAT.md` is the
 * byte-by-byte specification; this module implements it and the constants below mirror its tables.
 *
 * Header (40 bytes):
 * ```
 *  0  u8[8] magic          89 52 4C 51 0D 0A 1A 0A  ("\x89RLQ\r\n\x1a\n")
 *  8  u16   version major  1
 * 10  u16   version minor  0
 * 12  u8    mode           0 = FP, 1 = PC
 * 13  u8    reserved       0
 * 14  u16   flags          bits 0-7 critical, 8-15 ancillary; none defined in 1.0
 * 16  u16   section count  n ≤ 64
 * 18  u16   reserved       0
 * 20  u32   table CRC-32   of the n·24 table bytes
 * 24  u64   file length    total bytes, = the end of the last section's padding
 * 32  u32   reserved       0
 * 36  u32   header CRC-32  of header bytes 0..35
 * ```
 * Section table entry (24 bytes, entry i at 40 + 24·i):
 * ```
 *  0  u16   type           see sections.ts
 *  2  u16   reserved       0
 *  4  u32   CRC-32         of the payload bytes (0 for an empty payload)
 *  8  u64   offset         from the start of the file
 * 16  u64   length         payload bytes, padding excluded
 * ```
 * Layout rule: section 0 starts at 40 + 24·n; section i+1 starts at align8(offset_i + length_i); each
 * payload is followed by 0-7 zero bytes up to the next multiple of 8. Hence
 * `file size = 40 + 24·n + Σ length_i + Σ pad(length_i)` with `pad(x) = (8 − x mod 8) mod 8`.
 *
 * The reader never allocates from a length field: payloads are `subarray` views into the input,
 * every count and length is checked against the bytes actually present before it is used, and every
 * failure is a {@link BitstreamError} naming the header, the table or the section at fault.
 */

import { BitstreamError } from '../errors.ts';
import { crc32 } from './crc32.ts';
import {
  type RlqMode,
  classifySection,
  sectionLabel,
  sectionName,
  sectionPresence,
} from './sections.ts';

export type { RlqMode } from './sections.ts';

/** The 8 magic bytes "\x89RLQ\r\n\x1a\n" (PNG-style: catches 7-bit and CR/LF-mangling transfers). */
export const RLQ_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0x89, 0x52, 0x4c, 0x51, 0x0d, 0x0a, 0x1a, 0x0a);
/** The format version this module writes; it reads every minor version of the same major. */
export const RLQ_VERSION = Object.freeze({ major: 1, minor: 0 });
/** Bytes in the header. */
export const RLQ_HEADER_SIZE = 40;
/** Bytes in one section-table entry. */
export const RLQ_ENTRY_SIZE = 24;
/** Alignment of every payload's offset (and of the file size). */
export const RLQ_ALIGN = 8;
/** Most sections a file may hold; a larger count in a header is rejected before anything is read. */
export const RLQ_MAX_SECTIONS = 64;
/** Header flag bits a reader must understand (it rejects a file with an unknown one set); 8-15 may be ignored. */
export const RLQ_CRITICAL_FLAGS = 0x00ff;
/** Header flag bits defined by this version (none in 1.0). */
export const RLQ_KNOWN_FLAGS = 0x0000;
/** The u8 mode codes of the header. */
export const RLQ_MODE_CODES: Readonly<Record<RlqMode, number>> = Object.freeze({ fp: 0, pc: 1 });

/** Header field offsets (bytes from the start of the file). */
const H = {
  magic: 0,
  major: 8,
  minor: 10,
  mode: 12,
  flags: 14,
  count: 16,
  tableCrc: 20,
  fileLength: 24,
  headerCrc: 36,
} as const;
/** Section-table entry field offsets (bytes from the start of the entry). */
const E = { type: 0, crc: 4, offset: 8, length: 16 } as const;

/** One section to write. */
export interface RlqSectionInput {
  /** u16 type code: a registered one (`SectionType`) or a vendor code 0x7F00–0x7FFF. */
  type: number;
  /** The payload, copied verbatim into the file. */
  payload: Uint8Array;
}

/** What {@link writeRlq} writes. */
export interface RlqWriteInput {
  /** Working mode stored in the header. */
  mode: RlqMode;
  /** Sections in file order (the writer keeps the given order); at most {@link RLQ_MAX_SECTIONS}, no type twice. */
  sections: readonly RlqSectionInput[];
}

/** One section of a file read by {@link readRlq}. */
export interface RlqSection {
  /** u16 type code. */
  type: number;
  /** Registered name, or `VENDOR_0x7F01` / `UNKNOWN_0x0042` for codes this reader does not know. */
  name: string;
  /** False for a section this reader does not know (vendor or unassigned): kept, but a decoder skips it. */
  known: boolean;
  /** Byte offset of the payload in the file (a multiple of 8). */
  offset: number;
  /** Payload length in bytes, padding excluded. */
  length: number;
  /** CRC-32 of the payload as stored in the table (verified unless `verifyCrc: false`). */
  crc32: number;
  /** The payload: a view into the bytes passed to `readRlq` (not a copy). */
  payload: Uint8Array;
}

/** A parsed `.rlq` file. */
export interface RlqFile {
  /** Format version of the file (major equals {@link RLQ_VERSION}.major; minor may be newer). */
  version: { major: number; minor: number };
  /** Working mode. */
  mode: RlqMode;
  /** Header flags (ancillary bits unknown to this reader are kept as read). */
  flags: number;
  /** Total file length in bytes, as stored in the header and checked against the input. */
  fileLength: number;
  /** Sections in file order. */
  sections: RlqSection[];
}

/** Options of {@link readRlq}. */
export interface RlqReadOptions {
  /** Verify each payload's CRC-32 (default true). Header and table CRCs are always verified. */
  verifyCrc?: boolean;
}

/** Zero bytes that follow a payload of `length` bytes: `(8 − length mod 8) mod 8`. */
export function rlqPadding(length: number): number {
  return (RLQ_ALIGN - (length % RLQ_ALIGN)) % RLQ_ALIGN;
}

/** Offset of the first payload (= bytes of header plus table) for `count` sections. */
export function rlqTableEnd(count: number): number {
  return RLQ_HEADER_SIZE + RLQ_ENTRY_SIZE * count;
}

function modeFromCode(code: number): RlqMode | undefined {
  return code === RLQ_MODE_CODES.fp ? 'fp' : code === RLQ_MODE_CODES.pc ? 'pc' : undefined;
}

function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}

/**
 * Serialises sections into a `.rlq` file (format {@link RLQ_VERSION}).
 *
 * @throws TypeError naming the offending field when the input is not writable: an unknown mode, more
 *   than {@link RLQ_MAX_SECTIONS} sections, a type code that is neither registered nor vendor, a type
 *   given twice, a section the mode forbids (background sections in FP mode), or a payload that is
 *   not a `Uint8Array`.
 */
export function writeRlq(input: RlqWriteInput): Uint8Array {
  const modeCode = (RLQ_MODE_CODES as Record<string, number | undefined>)[input?.mode as string];
  if (modeCode === undefined) throw new TypeError(`mode must be 'fp' or 'pc', got ${JSON.stringify(input?.mode)}`);
  const sections = input.sections;
  if (!Array.isArray(sections)) throw new TypeError('sections must be an array of { type, payload }');
  if (sections.length > RLQ_MAX_SECTIONS) {
    throw new TypeError(`sections holds ${sections.length} sections; a .rlq file holds at most ${RLQ_MAX_SECTIONS}`);
  }
  const seen = new Set<number>();
  sections.forEach((s, i) => {
    const kind = classifySection(s?.type);
    if (kind !== 'registered' && kind !== 'vendor') {
      throw new TypeError(
        `sections[${i}].type must be a registered section type or a vendor code 0x7F00-0x7FFF, got ${s?.type}`,
      );
    }
    if (seen.has(s.type)) throw new TypeError(`sections[${i}].type: ${sectionLabel(s.type)} is given twice`);
    seen.add(s.type);
    if (sectionPresence(s.type, input.mode) === 'forbidden') {
      throw new TypeError(`sections[${i}].type: ${sectionLabel(s.type)} is not allowed in ${input.mode.toUpperCase()} mode`);
    }
    if (!(s.payload instanceof Uint8Array)) throw new TypeError(`sections[${i}].payload must be a Uint8Array`);
  });

  const n = sections.length;
  const offsets: number[] = [];
  let end = rlqTableEnd(n);
  for (const s of sections) {
    offsets.push(end);
    end += s.payload.length + rlqPadding(s.payload.length);
  }
  const out = new Uint8Array(end); // zero-filled: reserved fields and padding are 0
  const view = new DataView(out.buffer);

  for (let i = 0; i < n; i++) {
    const s = sections[i];
    const at = rlqTableEnd(i);
    view.setUint16(at + E.type, s.type, true);
    view.setUint32(at + E.crc, crc32(s.payload), true);
    view.setBigUint64(at + E.offset, BigInt(offsets[i]), true);
    view.setBigUint64(at + E.length, BigInt(s.payload.length), true);
    out.set(s.payload, offsets[i]);
  }
  out.set(RLQ_MAGIC, H.magic);
  view.setUint16(H.major, RLQ_VERSION.major, true);
  view.setUint16(H.minor, RLQ_VERSION.minor, true);
  view.setUint8(H.mode, modeCode);
  view.setUint16(H.flags, 0, true);
  view.setUint16(H.count, n, true);
  view.setUint32(H.tableCrc, crc32(out.subarray(RLQ_HEADER_SIZE, rlqTableEnd(n))), true);
  view.setBigUint64(H.fileLength, BigInt(end), true);
  view.setUint32(H.headerCrc, crc32(out.subarray(0, H.headerCrc)), true);
  return out;
}

/**
 * Parses and validates a `.rlq` file, in the order `docs/FORMAT.md` ("Validation") lists: magic,
 * version, header CRC, mode and flags, section count, table bounds and CRC, each section's type,
 * offset, length and padding, the file length, then (unless disabled) each payload's CRC.
 *
 * Sections a decoder needs are not checked here (see `checkSectionsForMode` in `sections.ts`).
 *
 * @param bytes the whole file; payloads in the result are views into it.
 * @throws BitstreamError for a foreign, truncated, corrupted or newer-major file; `section` names the
 *   part at fault (`header`, `section table` or the section's name).
 */
export function readRlq(bytes: Uint8Array, opts: RlqReadOptions = {}): RlqFile {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  const size = bytes.length;
  const verifyCrc = opts.verifyCrc ?? true;

  // 1. Magic (a file shorter than the magic that matches its prefix is a truncated .rlq).
  const head = bytes.subarray(0, RLQ_MAGIC.length);
  const prefixMatches = head.every((b, i) => b === RLQ_MAGIC[i]);
  if (size === 0) throw new BitstreamError('not a Reliquary .rlq file: the file is empty', 'header');
  if (!prefixMatches) {
    throw new BitstreamError(
      `not a Reliquary .rlq file (magic ${hexBytes(head)}, expected ${hexBytes(RLQ_MAGIC)})`,
      'header',
    );
  }
  if (size < RLQ_HEADER_SIZE) {
    throw new BitstreamError(
      `truncated: the header needs bytes 0..${RLQ_HEADER_SIZE} but the file has ${size}`,
      'header',
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerCrcOk = view.getUint32(H.headerCrc, true) === crc32(bytes.subarray(0, H.headerCrc));

  // 2. Version: any minor of our major; a newer major may lay the header out differently.
  const major = view.getUint16(H.major, true);
  const minor = view.getUint16(H.minor, true);
  if (major !== RLQ_VERSION.major) {
    const hint = headerCrcOk ? '' : ' (or the header is corrupted: its CRC-32 does not match)';
    const what =
      major > RLQ_VERSION.major
        ? `format version ${major}.${minor} is newer than this reader, which reads ${RLQ_VERSION.major}.x; upgrade Reliquary to read it`
        : `format version ${major}.${minor} is not supported (this reader reads ${RLQ_VERSION.major}.x)`;
    throw new BitstreamError(what + hint, 'header');
  }

  // 3. Header CRC, then the fields it protects.
  if (!headerCrcOk) throw new BitstreamError('header: CRC-32 mismatch, the file is corrupted', 'header');
  const modeCode = view.getUint8(H.mode);
  const mode = modeFromCode(modeCode);
  if (mode === undefined) throw new BitstreamError(`header: unknown mode ${modeCode} (0 = FP, 1 = PC)`, 'header');
  const flags = view.getUint16(H.flags, true);
  const unknownCritical = flags & RLQ_CRITICAL_FLAGS & ~RLQ_KNOWN_FLAGS;
  if (unknownCritical !== 0) {
    throw new BitstreamError(
      `header: flags 0x${unknownCritical.toString(16).toUpperCase().padStart(4, '0')} are critical and unknown to this reader; upgrade Reliquary`,
      'header',
    );
  }
  const count = view.getUint16(H.count, true);
  if (count > RLQ_MAX_SECTIONS) {
    throw new BitstreamError(`header: section count ${count} exceeds the limit of ${RLQ_MAX_SECTIONS}`, 'header');
  }

  // 4. Section table: bounds, then CRC.
  const tableEnd = rlqTableEnd(count);
  if (tableEnd > size) {
    throw new BitstreamError(
      `truncated: the section table needs bytes ${RLQ_HEADER_SIZE}..${tableEnd} but the file has ${size}`,
      'section table',
    );
  }
  if (view.getUint32(H.tableCrc, true) !== crc32(bytes.subarray(RLQ_HEADER_SIZE, tableEnd))) {
    throw new BitstreamError('section table: CRC-32 mismatch, the file is corrupted', 'section table');
  }

  // 5. Each section: type, offset by the layout rule, bounds, zero padding. No payload is read yet.
  const sections: RlqSection[] = [];
  const types = new Set<number>();
  const bigSize = BigInt(size);
  let expected = tableEnd;
  for (let i = 0; i < count; i++) {
    const at = rlqTableEnd(i);
    const type = view.getUint16(at + E.type, true);
    const name = sectionName(type);
    const label = sectionLabel(type);
    if (type === 0) throw new BitstreamError(`section table: entry ${i} has the invalid type 0`, name);
    if (types.has(type)) throw new BitstreamError(`section table: section ${label} appears twice`, name);
    types.add(type);
    const offset = view.getBigUint64(at + E.offset, true);
    const length = view.getBigUint64(at + E.length, true);
    if (offset !== BigInt(expected)) {
      throw new BitstreamError(
        `section ${label}: offset ${offset} breaks the layout rule (expected ${expected}); the file is malformed`,
        name,
      );
    }
    const end = offset + length;
    if (end > bigSize) {
      throw new BitstreamError(`truncated: section ${label} needs bytes ${offset}..${end} but the file has ${size}`, name);
    }
    const start = expected;
    const len = Number(length); // ≤ size, so exact
    const padEnd = start + len + rlqPadding(len);
    if (padEnd > size) {
      throw new BitstreamError(
        `truncated: the padding after section ${label} needs bytes ${start + len}..${padEnd} but the file has ${size}`,
        name,
      );
    }
    for (let p = start + len; p < padEnd; p++) {
      if (bytes[p] !== 0) {
        throw new BitstreamError(
          `section ${label}: padding byte at offset ${p} is 0x${bytes[p].toString(16).toUpperCase().padStart(2, '0')}, not 0; the file is corrupted`,
          name,
        );
      }
    }
    sections.push({
      type,
      name,
      known: classifySection(type) === 'registered',
      offset: start,
      length: len,
      crc32: view.getUint32(at + E.crc, true),
      payload: bytes.subarray(start, start + len),
    });
    expected = padEnd;
  }

  // 6. File length: the header's field, the layout and the input must agree.
  const fileLength = view.getBigUint64(H.fileLength, true);
  if (fileLength !== BigInt(expected)) {
    throw new BitstreamError(
      `header: file length field is ${fileLength} but the sections end at ${expected}; the file is malformed`,
      'header',
    );
  }
  if (size > expected) {
    throw new BitstreamError(
      `${size - expected} unexpected trailing bytes after the end of the file at byte ${expected}`,
    );
  }

  // 7. Payload CRCs.
  if (verifyCrc) {
    for (const s of sections) {
      const actual = crc32(s.payload);
      if (actual !== s.crc32) {
        throw new BitstreamError(
          `section ${sectionLabel(s.type)}: CRC-32 mismatch, the file is corrupted (stored ${hex32(s.crc32)}, computed ${hex32(actual)})`,
          s.name,
        );
      }
    }
  }

  return { version: { major, minor }, mode, flags, fileLength: expected, sections };
}

/** The section of `type` in `file`, or `undefined` when the file has none. */
export function findSection(file: RlqFile, type: number): RlqSection | undefined {
  return file.sections.find((s) => s.type === type);
}
