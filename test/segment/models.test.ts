import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeLinearSegmentModel } from '../../scripts/make-test-onnx.ts';
import { SegmentationError } from '../../src/segment/errors.ts';
import {
  SEGMENT_MODELS,
  loadSegmentationModel,
  parseModelRef,
  readModelBytes,
  reassembleResource,
} from '../../src/segment/models.ts';
import { FIXTURE_ONNX } from './helpers.ts';

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'reliquary-models-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function isSegError(reason: string, pattern?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => e instanceof SegmentationError && e.reason === reason && (pattern === undefined || pattern.test(e.message));
}

/** Writes `bytes` as an imgly-style chunked resource under `dist`, in chunks of `chunk` bytes. */
async function writeChunked(dist: string, key: string, bytes: Uint8Array, chunk: number): Promise<void> {
  await mkdir(dist, { recursive: true });
  const chunks = [];
  for (let o = 0; o < bytes.length; o += chunk) {
    const part = bytes.subarray(o, Math.min(bytes.length, o + chunk));
    const hash = sha(part);
    await writeFile(join(dist, hash), part);
    chunks.push({ hash, offsets: [o, o + part.length] });
  }
  await writeFile(join(dist, 'resources.json'), JSON.stringify({ [key]: { chunks, size: bytes.length, mime: 'application/octet-stream' } }));
}

test('model references: registry ids and onnx:PATH; no u2netp', () => {
  assert.deepEqual(Object.keys(SEGMENT_MODELS).sort(), ['isnet', 'isnet-small']);
  for (const e of Object.values(SEGMENT_MODELS)) {
    assert.match(e.sha256, /^[0-9a-f]{64}$/);
    assert.match(e.license, /AGPL-3\.0/);
    assert.ok(Object.isFrozen(e) && Object.isFrozen(e.io));
  }
  assert.equal(parseModelRef('isnet').kind, 'registry');
  const f = parseModelRef('onnx:some/model.onnx');
  assert.ok(f.kind === 'file' && f.path.endsWith('/some/model.onnx') && f.path.startsWith('/'));
  assert.throws(() => parseModelRef('u2netp'), /no u2netp entry since no npm package ships its weights/);
  assert.throws(() => parseModelRef('onnx:'), /must name a file/);
  assert.throws(() => parseModelRef('toString'), /model must be one of/);
});

test('onnx:PATH: sha256 is computed, and checked when expected', async () => {
  const bytes = new Uint8Array(await readFile(FIXTURE_ONNX));
  const ref = `onnx:${FIXTURE_ONNX}`;
  const m = await readModelBytes(ref);
  assert.equal(m.sha256, sha(bytes));
  assert.equal(m.path, FIXTURE_ONNX);
  const loaded = await loadSegmentationModel(ref, { expectedSha256: m.sha256.toUpperCase() });
  assert.equal(loaded.sha256, m.sha256);
  assert.equal(loaded.byteLength, bytes.length);
  assert.equal(loaded.license, undefined);
  assert.deepEqual(loaded.io.inputSize, { width: 1024, height: 1024 }, 'symbolic size → default 1024');
  assert.deepEqual(loaded.io.mean, [0.485, 0.456, 0.406], 'BiRefNet / RMBG-2.0 defaults');
  await loaded.release();
  await assert.rejects(() => loadSegmentationModel(ref, { expectedSha256: '0'.repeat(64) }), isSegError('model-hash', /has sha256 [0-9a-f]{64}, expected 0{64}/));
  await assert.rejects(() => loadSegmentationModel(ref, { expectedSha256: 'abc' }), /options\.expectedSha256/);
  await assert.rejects(() => loadSegmentationModel('onnx:/nonexistent/model.onnx'), isSegError('model-missing', /ENOENT/));
});

test('onnx:PATH: a file that is not ONNX, and a fixed input size', async () => {
  await withTempDir(async (dir) => {
    const junk = join(dir, 'junk.onnx');
    await writeFile(junk, 'not a model');
    await assert.rejects(() => loadSegmentationModel(`onnx:${junk}`), isSegError('model-load', /onnxruntime cannot load/));
    const fixed = join(dir, 'fixed.onnx');
    await writeFile(fixed, makeLinearSegmentModel({ size: { width: 6, height: 4 } }));
    const m = await loadSegmentationModel(`onnx:${fixed}`);
    assert.deepEqual(m.io.inputSize, { width: 6, height: 4 }, 'fixed size read from the model');
    await m.release();
    await assert.rejects(() => loadSegmentationModel(`onnx:${fixed}`, { inputSize: 8 }), /options\.inputSize must match the model's fixed input size 6x4/);
  });
});

test('reassembleResource joins chunks listed in resources.json, in memory', async () => {
  await withTempDir(async (dir) => {
    const bytes = new Uint8Array(await readFile(FIXTURE_ONNX));
    await writeChunked(dir, '/models/tiny', bytes, 100);
    const back = await reassembleResource(dir, '/models/tiny', 'tiny');
    assert.deepEqual(back, bytes);
    await assert.rejects(() => reassembleResource(dir, '/models/other', 'tiny'), isSegError('model-load', /no entry/));
    // Non-contiguous offsets.
    const idx = JSON.parse(await readFile(join(dir, 'resources.json'), 'utf8'));
    idx['/models/tiny'].chunks[1].offsets[0] += 1;
    await writeFile(join(dir, 'resources.json'), JSON.stringify(idx));
    await assert.rejects(() => reassembleResource(dir, '/models/tiny', 'tiny'), isSegError('model-load', /non-contiguous/));
    idx['/models/tiny'].chunks[1].offsets[0] -= 1;
    idx['/models/tiny'].chunks[1].hash = 'f'.repeat(64);
    await writeFile(join(dir, 'resources.json'), JSON.stringify(idx));
    await assert.rejects(() => reassembleResource(dir, '/models/tiny', 'tiny'), isSegError('model-missing'));
  });
});

test('registry models: a missing optional package and wrong weights are SegmentationErrors', async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      () => loadSegmentationModel('isnet', { resolveFrom: dir }),
      isSegError('model-missing', /npm install --save-optional --save-exact @imgly\/background-removal-data@1\.4\.5.*--masks DIR/s),
    );
    // A package of that name whose '/models/medium' is the fixture: the sha256 check refuses it.
    const pkg = join(dir, 'node_modules', '@imgly', 'background-removal-data');
    await mkdir(pkg, { recursive: true });
    await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: '@imgly/background-removal-data', version: '0.0.0' }));
    await writeChunked(join(pkg, 'dist'), '/models/medium', new Uint8Array(await readFile(FIXTURE_ONNX)), 64);
    await assert.rejects(() => readModelBytes('isnet', { resolveFrom: dir }), isSegError('model-hash', new RegExp(`expected ${SEGMENT_MODELS.isnet!.sha256}`)));
  });
});
