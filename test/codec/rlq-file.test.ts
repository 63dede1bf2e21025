import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BitstreamError } from '../../src/codec/errors.ts';
import { CRC32_CHECK_VALUE, crc32 } from '../../src/codec/container/crc32.ts';
import {
  RLQ_ENTRY_SIZE,
  RLQ_HEADER_SIZE,
  RLQ_MAX_SECTIONS,
  findSection,
  readRlq,
  rlqPadding,
  writeRlq,
  type RlqSectionInput,
} from '../../src/codec/container/rlq-file.ts';
import {
  SECTION_REGISTRY,
  SectionType,
  checkSectionsForMode,
  requiredSections,
  sectionName,
} from '../../src/codec/container/sections.ts';
import { mulberry32 } from '../../src/util/mulberry32.ts';

/** Deterministic pseudo-random payload of `n` bytes. */
function bytesOf(n: number, seed: number): Uint8Array {
  const r = mulberry32(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

const ascii = (s: string) => new TextEncoder().encode(s);

/** An FP file with odd lengths, an empty payload and a vendor section (small, so exhaustive loops stay fast). */
const FP_SECTIONS: RlqSectionInput[] = [
  { type: SectionType.CONFIG, payload: ascii('{"grid":{"levels":12}}') }, // 22 bytes
  { type: SectionType.CAMERA, payload: bytesOf(37, 1) },
  { type: SectionType.OCCUPANCY, payload: new Uint8Array(0) },
  { type: SectionType.GRID_FEATURES, payload: bytesOf(64, 2) },
  { type: SectionType.MLP, payload: bytesOf(13, 3) },
  { type: 0x7f01, payload: bytesOf(1, 4) },
];
const FP_FILE = writeRlq({ mode: 'fp', sections: FP_SECTIONS });

/** Patches little-endian fields and reseals the table and header CRCs, as a valid-but-odd writer would. */
function patched(bytes: Uint8Array, edit: (v: DataView) => void): Uint8Array {
  const out = bytes.slice();
  const v = new DataView(out.buffer);
  edit(v);
  const n = v.getUint16(16, true);
  v.setUint32(20, crc32(out.subarray(RLQ_HEADER_SIZE, RLQ_HEADER_SIZE + RLQ_ENTRY_SIZE * n)), true);
  v.setUint32(36, crc32(out.subarray(0, 36)), true);
  return out;
}

/** Runs `fn`, asserting it throws a BitstreamError (not any other type) whose message matches `re`. */
function throwsBitstream(fn: () => unknown, re?: RegExp, what = ''): BitstreamError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, `expected a BitstreamError ${what}, nothing was thrown`);
  assert.ok(caught instanceof BitstreamError, `expected a BitstreamError ${what}, got ${String(caught)}`);
  if (re) assert.match(caught.message, re, what);
  return caught;
}

test('crc32: standard check value, empty input and incremental use', () => {
  assert.equal(crc32(ascii('123456789')), 0xcbf43926);
  assert.equal(CRC32_CHECK_VALUE, 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  assert.equal(crc32(ascii('The quick brown fox jumps over the lazy dog')), 0x414fa339);
  const data = bytesOf(1000, 9);
  assert.equal(crc32(data.subarray(300), crc32(data.subarray(0, 300))), crc32(data));
});

test('section registry: unique codes, names match SectionType, vendor/unknown names', () => {
  const codes = SECTION_REGISTRY.map((s) => s.code);
  assert.equal(new Set(codes).size, codes.length);
  for (const s of SECTION_REGISTRY) assert.equal(SectionType[s.name as keyof typeof SectionType], s.code);
  assert.equal(sectionName(4), 'GRID_FEATURES');
  assert.equal(sectionName(0x7f01), 'VENDOR_0x7F01');
  assert.equal(sectionName(0x42), 'UNKNOWN_0x0042');
  assert.equal(sectionName(0x8000), 'UNKNOWN_0x8000');
  assert.ok(requiredSections('pc').length > requiredSections('fp').length);
});

test('round trip: FP file with odd lengths, an empty payload and a vendor section', () => {
  const file = readRlq(FP_FILE);
  assert.deepEqual(file.version, { major: 1, minor: 0 });
  assert.equal(file.mode, 'fp');
  assert.equal(file.flags, 0);
  assert.equal(file.fileLength, FP_FILE.length);
  assert.equal(file.sections.length, FP_SECTIONS.length);
  file.sections.forEach((s, i) => {
    assert.equal(s.type, FP_SECTIONS[i].type);
    assert.deepEqual(s.payload, FP_SECTIONS[i].payload);
    assert.equal(s.length, FP_SECTIONS[i].payload.length);
    assert.equal(s.crc32, crc32(FP_SECTIONS[i].payload));
    assert.equal(s.offset % 8, 0);
    assert.equal(s.payload.buffer, FP_FILE.buffer, 'payloads are views, not copies');
  });
  assert.equal(file.sections[3].name, 'GRID_FEATURES');
  assert.equal(file.sections[3].known, true);
  assert.equal(file.sections[5].name, 'VENDOR_0x7F01');
  assert.equal(file.sections[5].known, false);
  assert.equal(findSection(file, SectionType.MLP)?.length, 13);
  assert.equal(findSection(file, SectionType.FREQUENCIES), undefined);
});

test('round trip: PC file with every registered section; mode rules', () => {
  const sections = SECTION_REGISTRY.map((s, i) => ({ type: s.code, payload: bytesOf(5 + 3 * i, 10 + i) }));
  const bytes = writeRlq({ mode: 'pc', sections });
  const file = readRlq(bytes);
  assert.equal(file.mode, 'pc');
  assert.deepEqual(
    file.sections.map((s) => [s.type, Array.from(s.payload)]),
    sections.map((s) => [s.type, Array.from(s.payload)]),
  );
  checkSectionsForMode('pc', file.sections.map((s) => s.type));
  const fpTypes = sections.map((s) => s.type).filter((t) => t < SectionType.BACKGROUND_VIDEO);
  checkSectionsForMode('fp', fpTypes);
  throwsBitstream(() => checkSectionsForMode('fp', file.sections.map((s) => s.type)), /BACKGROUND_VIDEO \(type 8\) is not allowed/);
  throwsBitstream(() => checkSectionsForMode('pc', fpTypes), /BACKGROUND_VIDEO \(type 8\) is missing/);
  throwsBitstream(() => checkSectionsForMode('fp', fpTypes.filter((t) => t !== SectionType.MLP)), /MLP \(type 7\) is missing/);
});

test('round trip: no sections, and a file read from a view at a non-zero byteOffset', () => {
  const empty = writeRlq({ mode: 'pc', sections: [] });
  assert.equal(empty.length, RLQ_HEADER_SIZE);
  assert.deepEqual(readRlq(empty).sections, []);
  const host = new Uint8Array(FP_FILE.length + 11);
  host.set(FP_FILE, 3);
  const file = readRlq(host.subarray(3, 3 + FP_FILE.length));
  assert.deepEqual(file.sections[1].payload, FP_SECTIONS[1].payload);
});

test('size identity: header + table + Σ section lengths + padding == file size', () => {
  for (const sections of [FP_SECTIONS, [], [{ type: 1, payload: bytesOf(8, 5) }], FP_SECTIONS.slice(1, 4)]) {
    const bytes = writeRlq({ mode: 'fp', sections });
    const file = readRlq(bytes);
    const table = RLQ_ENTRY_SIZE * file.sections.length;
    const lengths = file.sections.reduce((a, s) => a + s.length, 0);
    const padding = file.sections.reduce((a, s) => a + rlqPadding(s.length), 0);
    assert.equal(RLQ_HEADER_SIZE + table + lengths + padding, bytes.length);
    assert.equal(bytes.length % 8, 0);
  }
});

test('every single-byte corruption of the header and table gives a BitstreamError', () => {
  const tableEnd = RLQ_HEADER_SIZE + RLQ_ENTRY_SIZE * FP_SECTIONS.length;
  for (let p = 0; p < tableEnd; p++) {
    for (const x of [0x01, 0x80, 0xff]) {
      const bad = FP_FILE.slice();
      bad[p] ^= x;
      throwsBitstream(() => readRlq(bad), undefined, `(byte ${p} ^ 0x${x.toString(16)})`);
    }
  }
});

test('every single-byte corruption of a payload or padding byte names the section', () => {
  const file = readRlq(FP_FILE);
  const tableEnd = RLQ_HEADER_SIZE + RLQ_ENTRY_SIZE * FP_SECTIONS.length;
  for (let p = tableEnd; p < FP_FILE.length; p++) {
    const owner = file.sections.filter((s) => s.offset <= p).at(-1)!;
    const bad = FP_FILE.slice();
    bad[p] ^= 0x5a;
    const inPayload = p < owner.offset + owner.length;
    const err = throwsBitstream(
      () => readRlq(bad),
      inPayload
        ? new RegExp(`^section ${owner.name} \\(type ${owner.type}\\): CRC-32 mismatch, the file is corrupted`)
        : new RegExp(`^section ${owner.name} \\(type ${owner.type}\\): padding byte at offset ${p}`),
      `(byte ${p})`,
    );
    assert.equal(err.section, owner.name);
    if (inPayload) assert.doesNotThrow(() => readRlq(bad, { verifyCrc: false }));
  }
});

test('every truncation 0..size-1 gives a BitstreamError naming what is cut', () => {
  const file = readRlq(FP_FILE);
  const tableEnd = RLQ_HEADER_SIZE + RLQ_ENTRY_SIZE * FP_SECTIONS.length;
  for (let n = 0; n < FP_FILE.length; n++) {
    const cut = FP_FILE.subarray(0, n);
    let re: RegExp;
    if (n === 0) re = /^not a Reliquary \.rlq file: the file is empty/;
    else if (n < RLQ_HEADER_SIZE) re = new RegExp(`^truncated: the header needs bytes 0\\.\\.40 but the file has ${n}$`);
    else if (n < tableEnd) re = new RegExp(`^truncated: the section table needs bytes 40\\.\\.${tableEnd} but the file has ${n}$`);
    else {
      const s = file.sections.find((x) => x.offset + x.length + rlqPadding(x.length) > n)!;
      re = new RegExp(`^truncated: (the padding after )?section ${s.name} \\(type ${s.type}\\) needs bytes \\d+\\.\\.\\d+ but the file has ${n}$`);
    }
    throwsBitstream(() => readRlq(cut), re, `(length ${n})`);
  }
  throwsBitstream(() => readRlq(FP_FILE.subarray(0, 230)), /^truncated: section CAMERA \(type 2\) needs bytes 208\.\.245 but the file has 230$/);
});

test('foreign files: PNG signature, random bytes, an empty file', () => {
  const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52);
  throwsBitstream(() => readRlq(png), /^not a Reliquary \.rlq file \(magic 89 50 4E 47 0D 0A 1A 0A, expected 89 52 4C 51 0D 0A 1A 0A\)$/);
  for (let seed = 0; seed < 20; seed++) {
    throwsBitstream(() => readRlq(bytesOf(1 + seed * 37, 100 + seed)), /^not a Reliquary \.rlq file/);
  }
  throwsBitstream(() => readRlq(new Uint8Array(0)), /^not a Reliquary \.rlq file/);
  throwsBitstream(() => readRlq(ascii('%PDF-1.7\n')), /^not a Reliquary \.rlq file/);
});

test('absurd count, length or offset fields give a clear error at once, with no large allocation', () => {
  const t0 = performance.now();
  throwsBitstream(
    () => readRlq(patched(FP_FILE, (v) => v.setUint16(16, 0xffff, true))),
    /^header: section count 65535 exceeds the limit of 64$/,
  );
  throwsBitstream(
    () => readRlq(patched(FP_FILE, (v) => v.setBigUint64(40 + 16, 2n ** 63n, true))),
    /^truncated: section CONFIG \(type 1\) needs bytes 184\.\.9223372036854775992 but the file has \d+$/,
  );
  throwsBitstream(
    () => readRlq(patched(FP_FILE, (v) => v.setBigUint64(40 + 24 + 16, 0xffffffffffffffffn, true))),
    /^truncated: section CAMERA \(type 2\) needs bytes 208\.\.\d+ but the file has \d+$/,
  );
  throwsBitstream(
    () => readRlq(patched(FP_FILE, (v) => v.setBigUint64(40 + 8, 2n ** 60n, true))),
    /^section CONFIG \(type 1\): offset 1152921504606846976 breaks the layout rule \(expected 184\)/,
  );
  throwsBitstream(
    () => readRlq(patched(FP_FILE, (v) => v.setBigUint64(24, 2n ** 62n, true))),
    /^header: file length field is 4611686018427387904 but the sections end at/,
  );
  assert.ok(performance.now() - t0 < 1000);
});

test('version, mode, flags, types and trailing bytes', () => {
  const v2 = patched(FP_FILE, (v) => v.setUint16(8, 2, true));
  const e = throwsBitstream(() => readRlq(v2), /^format version 2\.0 is newer than this reader, which reads 1\.x; upgrade Reliquary to read it$/);
  assert.equal(e.section, 'header');
  const v2bad = FP_FILE.slice();
  v2bad[8] = 2;
  throwsBitstream(() => readRlq(v2bad), /upgrade Reliquary.*or the header is corrupted/);
  throwsBitstream(() => readRlq(patched(FP_FILE, (v) => v.setUint16(8, 0, true))), /^format version 0\.0 is not supported/);
  assert.deepEqual(readRlq(patched(FP_FILE, (v) => v.setUint16(10, 7, true))).version, { major: 1, minor: 7 });
  throwsBitstream(() => readRlq(patched(FP_FILE, (v) => v.setUint8(12, 7))), /^header: unknown mode 7/);
  throwsBitstream(() => readRlq(patched(FP_FILE, (v) => v.setUint16(14, 0x0004, true))), /critical and unknown/);
  assert.equal(readRlq(patched(FP_FILE, (v) => v.setUint16(14, 0x0100, true))).flags, 0x0100);
  throwsBitstream(() => readRlq(patched(FP_FILE, (v) => v.setUint16(40, 0, true))), /entry 0 has the invalid type 0/);
  throwsBitstream(() => readRlq(patched(FP_FILE, (v) => v.setUint16(64, 1, true))), /section CONFIG \(type 1\) appears twice/);
  const unknown = readRlq(patched(FP_FILE, (v) => v.setUint16(64, 0x42, true)));
  assert.equal(unknown.sections[1].name, 'UNKNOWN_0x0042');
  assert.equal(unknown.sections[1].known, false);
  const longer = new Uint8Array(FP_FILE.length + 8);
  longer.set(FP_FILE);
  throwsBitstream(() => readRlq(longer), /^8 unexpected trailing bytes after the end of the file at byte 336$/);
  assert.equal(FP_FILE.length, 336);
});

test('writeRlq rejects unwritable input with a TypeError naming the field', () => {
  const p = new Uint8Array(1);
  assert.throws(() => writeRlq({ mode: 'xx' as 'fp', sections: [] }), /mode must be 'fp' or 'pc'/);
  assert.throws(() => writeRlq({ mode: 'fp', sections: [{ type: 1, payload: p }, { type: 1, payload: p }] }), /sections\[1\]\.type: CONFIG \(type 1\) is given twice/);
  assert.throws(() => writeRlq({ mode: 'fp', sections: [{ type: 0x42, payload: p }] }), /sections\[0\]\.type must be a registered/);
  assert.throws(() => writeRlq({ mode: 'fp', sections: [{ type: 0x8001, payload: p }] }), TypeError);
  assert.throws(() => writeRlq({ mode: 'fp', sections: [{ type: 0, payload: p }] }), TypeError);
  assert.throws(() => writeRlq({ mode: 'fp', sections: [{ type: 8, payload: p }] }), /BACKGROUND_VIDEO \(type 8\) is not allowed in FP mode/);
  assert.throws(() => writeRlq({ mode: 'fp', sections: [{ type: 1, payload: [1] as unknown as Uint8Array }] }), /sections\[0\]\.payload must be a Uint8Array/);
  const many = Array.from({ length: RLQ_MAX_SECTIONS + 1 }, (_, i) => ({ type: 0x7f00 + i, payload: p }));
  assert.throws(() => writeRlq({ mode: 'fp', sections: many }), /at most 64/);
  assert.equal(readRlq(writeRlq({ mode: 'fp', sections: many.slice(0, 64) })).sections.length, 64);
});
