import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCheckpoint, readCheckpoint, CheckpointError } from '../../src/train/checkpoint.ts';

test('checkpoint round-trips header and tensors; truncation is detected', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlq-ckpt-'));
  const path = join(dir, 'model.ckpt');
  const a = Float32Array.from({ length: 1001 }, (_, i) => Math.sin(i));
  const b = Float32Array.from([1, -2, 3.5]);
  writeCheckpoint(path, { step: 42, note: 'é' }, new Map([['a', a], ['b', b]]));
  const c = readCheckpoint<{ step: number; note: string }>(path);
  assert.equal(c.header.step, 42);
  assert.equal(c.header.note, 'é');
  assert.deepEqual(c.tensors.get('a'), a);
  assert.deepEqual(c.tensors.get('b'), b);
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, bytes.length - 5));
  assert.throws(() => readCheckpoint(path), CheckpointError);
  writeFileSync(path, 'not a checkpoint');
  assert.throws(() => readCheckpoint(path), /not a Reliquary checkpoint/);
});
