/**
 * Checks docs/FORMAT.md against the reference implementation: a minimal reader written from the
 * document alone (field offsets parsed from its header and table-entry tables, the CRC from its
 * bit-at-a-time definition; nothing imported from rlq-file.ts or crc32.ts) must parse what writeRlq
 * writes, the worked example must be byte-identical to writeRlq's output, and the registry table must
 * match sections.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { writeRlq } from '../../src/codec/container/rlq-file.ts';
import { SECTION_REGISTRY } from '../../src/codec/container/sections.ts';

const DOC = readFileSync(new URL('../../docs/FORMAT.md', import.meta.url), 'utf8');

/** The markdown lines of the document section whose heading starts with `## ${n}.`. */
function docSection(n: number): string[] {
  const start = DOC.indexOf(`\n## ${n}. `);
  assert.ok(start >= 0, `FORMAT.md has a section ${n}`);
  const end = DOC.indexOf('\n## ', start + 1);
  return DOC.slice(start, end < 0 ? undefined : end).split('\n');
}

/** Field name → [offset, type] from the first markdown table of a doc section (columns offset | type | field). */
function fieldTable(n: number): Map<string, [number, string]> {
  const fields = new Map<string, [number, string]>();
  for (const line of docSection(n)) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length > 4 && /^\d+$/.test(cells[1])) fields.set(cells[3], [Number(cells[1]), cells[2]]);
  }
  return fields;
}

const HEADER = fieldTable(3);
const ENTRY = fieldTable(4);

/** CRC-32 exactly as § 5 defines it, bit by bit. */
function docCrc(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Minimal reader from §§ 2-5 and 8: throws a plain Error on any violation. */
function docRead(bytes: Uint8Array) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = (t: Map<string, [number, string]>, name: string, base = 0): number => {
    const f = t.get(name);
    if (!f) throw new Error(`FORMAT.md table lacks field '${name}'`);
    const o = base + f[0];
    if (f[1] === 'u8') return v.getUint8(o);
    if (f[1] === 'u16') return v.getUint16(o, true);
    if (f[1] === 'u32') return v.getUint32(o, true);
    if (f[1] === 'u64') return Number(v.getBigUint64(o, true));
    throw new Error(`unexpected type ${f[1]}`);
  };
  const magic = [0x89, 0x52, 0x4c, 0x51, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 40 || magic.some((b, i) => bytes[HEADER.get('magic')![0] + i] !== b)) throw new Error('magic');
  if (at(HEADER, 'version major') !== 1) throw new Error('version');
  if (docCrc(bytes.subarray(0, 36)) !== at(HEADER, 'header CRC-32')) throw new Error('header CRC');
  const n = at(HEADER, 'section count');
  if (n > 64 || 40 + 24 * n > bytes.length) throw new Error('count');
  if (docCrc(bytes.subarray(40, 40 + 24 * n)) !== at(HEADER, 'table CRC-32')) throw new Error('table CRC');
  const sections: { type: number; payload: number[] }[] = [];
  let expected = 40 + 24 * n;
  for (let i = 0; i < n; i++) {
    const base = 40 + 24 * i;
    const offset = at(ENTRY, 'offset', base);
    const length = at(ENTRY, 'length', base);
    if (offset !== expected || offset + length > bytes.length) throw new Error(`entry ${i} bounds`);
    const payload = bytes.subarray(offset, offset + length);
    if (docCrc(payload) !== at(ENTRY, 'CRC-32', base)) throw new Error(`entry ${i} CRC`);
    expected = Math.ceil((offset + length) / 8) * 8;
    if (bytes.subarray(offset + length, expected).some((b) => b !== 0)) throw new Error('padding');
    sections.push({ type: at(ENTRY, 'type', base), payload: Array.from(payload) });
  }
  if (at(HEADER, 'file length') !== expected || bytes.length !== expected) throw new Error('file length');
  return {
    major: at(HEADER, 'version major'),
    minor: at(HEADER, 'version minor'),
    mode: ['fp', 'pc'][at(HEADER, 'mode')],
    sections,
  };
}

test('FORMAT.md: the tables give every field the reader needs, and the CRC check value holds', () => {
  for (const f of ['magic', 'version major', 'version minor', 'mode', 'flags', 'section count', 'table CRC-32', 'file length', 'header CRC-32']) {
    assert.ok(HEADER.has(f), `header table has '${f}'`);
  }
  for (const f of ['type', 'CRC-32', 'offset', 'length']) assert.ok(ENTRY.has(f), `entry table has '${f}'`);
  assert.equal(docCrc(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.match(DOC, /0xCBF43926/);
});

test('FORMAT.md: a reader written from the document parses files written by writeRlq', () => {
  const sections = SECTION_REGISTRY.map((s, i) => ({
    type: s.code,
    payload: Uint8Array.from({ length: (i * 7) % 19 }, (_, k) => (k * 31 + i) & 0xff),
  }));
  sections.push({ type: 0x7f05, payload: Uint8Array.of(9) });
  const file = docRead(writeRlq({ mode: 'pc', sections }));
  assert.equal(file.major, 1);
  assert.equal(file.mode, 'pc');
  assert.deepEqual(file.sections, sections.map((s) => ({ type: s.type, payload: Array.from(s.payload) })));
  const fp = docRead(writeRlq({ mode: 'fp', sections: [] }));
  assert.deepEqual(fp, { major: 1, minor: 0, mode: 'fp', sections: [] });
});

test('FORMAT.md: the worked example is byte-identical to writeRlq output and parses', () => {
  const at = DOC.indexOf('<!-- rlq-example:');
  assert.ok(at >= 0, 'the worked example is marked');
  const block = DOC.slice(DOC.indexOf('```text', at) + 7, DOC.indexOf('```', DOC.indexOf('```text', at) + 7));
  const bytes = Uint8Array.from(
    block
      .trim()
      .split('\n')
      .flatMap((line) => line.trim().split(/\s+/).slice(1).map((h) => parseInt(h, 16))),
  );
  const expected = writeRlq({
    mode: 'fp',
    sections: [
      { type: 1, payload: new TextEncoder().encode('{"L":2}') },
      { type: 5, payload: new Uint8Array(0) },
      { type: 0x7f00, payload: Uint8Array.of(1, 2, 3) },
    ],
  });
  assert.deepEqual(bytes, expected);
  assert.deepEqual(docRead(bytes).sections, [
    { type: 1, payload: Array.from(new TextEncoder().encode('{"L":2}')) },
    { type: 5, payload: [] },
    { type: 0x7f00, payload: [1, 2, 3] },
  ]);
});

test('FORMAT.md: the section registry table matches sections.ts', () => {
  const rows = docSection(6)
    .map((line) => line.split('|').map((c) => c.trim()))
    .filter((c) => c.length > 5 && /^\d+$/.test(c[1]));
  const presence = { req: 'required', opt: 'optional', '—': 'forbidden' } as const;
  assert.deepEqual(
    rows.map((c) => ({ code: Number(c[1]), name: c[2].replace(/`/g, ''), fp: presence[c[3] as keyof typeof presence], pc: presence[c[4] as keyof typeof presence] })),
    SECTION_REGISTRY.map(({ code, name, fp, pc }) => ({ code, name, fp, pc })),
  );
});
