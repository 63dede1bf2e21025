/**
 * Checkpoints: one binary file holding a JSON header (configs, dataset normalization, step, RNG state)
 * and named f32 tensors (grid, MLPs, occupancy, Adam moments), written atomically (temp file, fsync,
 * rename) so a kill mid-write leaves the previous checkpoint intact.
 *
 * Layout: "RLQCKPT1" (8 bytes) | u32 LE header length H | H bytes UTF-8 JSON | padding to 4 bytes |
 * tensors back to back (f32 LE), each described in the header by { name, offset (from the start of the
 * tensor area, bytes), length (floats) }.
 */
import { openSync, writeSync, fsyncSync, closeSync, renameSync, readFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';

const MAGIC = 'RLQCKPT1';

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

export interface Checkpoint<H> {
  header: H;
  tensors: Map<string, Float32Array>;
}

/** Writes `path` atomically. */
export function writeCheckpoint<H extends object>(path: string, header: H, tensors: Map<string, Float32Array>): void {
  mkdirSync(dirname(path), { recursive: true });
  let offset = 0;
  const index = [...tensors].map(([name, t]) => {
    const e = { name, offset, length: t.length };
    offset += t.byteLength;
    return e;
  });
  const json = Buffer.from(JSON.stringify({ ...header, tensors: index }), 'utf8');
  const pre = Buffer.alloc(12);
  pre.write(MAGIC, 0, 'latin1');
  pre.writeUInt32LE(json.length, 8);
  const pad = Buffer.alloc((4 - ((12 + json.length) % 4)) % 4);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    for (const b of [pre, json, pad]) writeSync(fd, b);
    for (const t of tensors.values()) writeSync(fd, new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Reads a checkpoint written by {@link writeCheckpoint}; validates every offset against the file size. */
export function readCheckpoint<H>(path: string): Checkpoint<H> {
  if (!existsSync(path)) throw new CheckpointError(`no checkpoint at ${path}`);
  const buf = readFileSync(path);
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw new CheckpointError(`${path} is not a Reliquary checkpoint`);
  const h = buf.readUInt32LE(8);
  if (12 + h > buf.length) throw new CheckpointError(`${path} is truncated (header)`);
  const header = JSON.parse(buf.toString('utf8', 12, 12 + h)) as H & { tensors: { name: string; offset: number; length: number }[] };
  const base = 12 + h + ((4 - ((12 + h) % 4)) % 4);
  const tensors = new Map<string, Float32Array>();
  for (const t of header.tensors) {
    const start = base + t.offset;
    if (!(Number.isInteger(t.offset) && Number.isInteger(t.length) && t.offset >= 0 && t.length >= 0 && start + 4 * t.length <= buf.length)) {
      throw new CheckpointError(`${path} is truncated or corrupt (tensor ${t.name})`);
    }
    const copy = new Float32Array(t.length);
    new Uint8Array(copy.buffer).set(buf.subarray(start, start + 4 * t.length));
    tensors.set(t.name, copy);
  }
  return { header, tensors };
}
