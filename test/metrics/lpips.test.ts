/**
 * LPIPS with a user-supplied ONNX model (src/metrics/lpips.ts), run on the stand-in fixture
 * `test/fixtures/lpips-mse.onnx` (distance = mean((in0 − in1)²), see scripts/make-test-onnx.ts), whose
 * value the tests compute in float64. Tolerances: the model sums in float32 (ReduceMean over at
 * most 3·64·64 values, relative error ~1e-6) and the resampler runs in float32; 1e-5 absolute on
 * distances ≤ 4 leaves a wide margin (measured on the CPU execution provider of onnxruntime-node).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeLpipsMseModel } from '../../scripts/make-test-onnx.ts';
import { DatasetError } from '../../src/data/dataset-error.ts';
import { LpipsModelError, loadLpipsModel, lpipsInput } from '../../src/metrics/lpips.ts';
import { mulberry32 as rng } from '../../src/util/mulberry32.ts';
import { FIXTURE_ONNX, resampleTwin } from '../segment/helpers.ts';

/** Absolute path of the committed LPIPS stand-in. */
const LPIPS_FIXTURE = fileURLToPath(new URL('../fixtures/lpips-mse.onnx', import.meta.url));

/** The planes of an RGB24 frame scaled to [−1, 1], float64, channel-major. */
function scaledPlanes(rgb: Uint8Array, w: number, h: number): Float64Array[] {
  const n = w * h;
  return [0, 1, 2].map((c) => Float64Array.from({ length: n }, (_, p) => rgb[3 * p + c]! / 127.5 - 1));
}

/** mean((a − b)²) of two [−1, 1] frames in float64, resampled with the float64 twin when `size` is given. */
function expectedMse(a: Uint8Array, b: Uint8Array, w: number, h: number, size?: { width: number; height: number }): number {
  const pa = scaledPlanes(a, w, h);
  const pb = scaledPlanes(b, w, h);
  let sum = 0;
  let count = 0;
  for (let c = 0; c < 3; c++) {
    const x = size ? resampleTwin(pa[c]!, w, h, size.width, size.height) : pa[c]!;
    const y = size ? resampleTwin(pb[c]!, w, h, size.width, size.height) : pb[c]!;
    for (let i = 0; i < x.length; i++) {
      sum += (x[i]! - y[i]!) ** 2;
      count++;
    }
  }
  return sum / count;
}

function randomFrame(w: number, h: number, seed: number): Uint8Array {
  const r = rng(seed);
  return Uint8Array.from({ length: w * h * 3 }, () => Math.floor(r() * 256));
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'reliquary-lpips-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('the committed fixture is what scripts/make-test-onnx.ts writes', async () => {
  const committed = new Uint8Array(await readFile(LPIPS_FIXTURE));
  assert.ok(committed.length < 1024, `fixture is ${committed.length} bytes`);
  assert.deepEqual(committed, makeLpipsMseModel());
});

test('lpipsInput: NCHW RGB scaled to [-1, 1]; RGBA alpha ignored', () => {
  // Two pixels (0, 255, 51) and (102, 254, 0): planes R, G, B, each v / 127.5 − 1.
  const rgb = Uint8Array.from([0, 255, 51, 102, 254, 0]);
  const x = lpipsInput(rgb, 2, 1);
  const want = [-1, -0.2, 1, 254 / 127.5 - 1, -0.6, -1];
  assert.equal(x.length, 6);
  want.forEach((v, i) => assert.ok(Math.abs(x[i]! - v) < 1e-7, `${i}: ${x[i]} vs ${v}`));
  const rgba = Uint8Array.from([0, 255, 51, 7, 102, 254, 0, 9]);
  assert.deepEqual(lpipsInput(rgba, 2, 1), x);
  assert.throws(() => lpipsInput(new Uint8Array(5), 2, 1), /must hold width·height·3/);
});

test('the fixture model gives mean((a − b)²) of the [-1, 1] frames, at frame size or resized', async () => {
  const w = 20;
  const h = 12;
  const a = randomFrame(w, h, 1);
  const b = randomFrame(w, h, 2);
  const m = await loadLpipsModel(LPIPS_FIXTURE);
  try {
    assert.deepEqual(m.inputNames, ['in0', 'in1']);
    assert.equal(m.outputName, 'distance');
    assert.deepEqual(m.fixedSize, { width: undefined, height: undefined });
    assert.deepEqual(m.inputSizeFor(w, h), { width: w, height: h });
    assert.match(m.sha256, /^[0-9a-f]{64}$/);
    const d = await m.distance(a, b, w, h);
    const e = expectedMse(a, b, w, h);
    assert.ok(Math.abs(d - e) < 1e-5, `${d} vs ${e}`);
    assert.equal(await m.distance(a, a, w, h), 0);
  } finally {
    await m.release();
    await m.release(); // idempotent
  }
  const sized = await loadLpipsModel(LPIPS_FIXTURE, { size: 8 });
  try {
    assert.deepEqual(sized.inputSizeFor(w, h), { width: 8, height: 8 });
    const d = await sized.distance(a, b, w, h);
    const e = expectedMse(a, b, w, h, { width: 8, height: 8 });
    assert.ok(Math.abs(d - e) < 1e-5, `${d} vs ${e}`);
  } finally {
    await sized.release();
  }
});

test('a model with a fixed input size gets frames resized to it; a contradicting size is a TypeError', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'fixed.onnx');
    await writeFile(file, makeLpipsMseModel({ size: { width: 10, height: 6 } }));
    const m = await loadLpipsModel(file);
    try {
      assert.deepEqual(m.fixedSize, { width: 10, height: 6 });
      assert.deepEqual(m.inputSizeFor(20, 12), { width: 10, height: 6 });
      const a = randomFrame(20, 12, 3);
      const b = randomFrame(20, 12, 4);
      const d = await m.distance(a, b, 20, 12);
      const e = expectedMse(a, b, 20, 12, { width: 10, height: 6 });
      assert.ok(Math.abs(d - e) < 1e-5, `${d} vs ${e}`);
    } finally {
      await m.release();
    }
    await assert.rejects(() => loadLpipsModel(file, { size: 16 }), (e: unknown) =>
      e instanceof TypeError && /options\.size must be left out or equal to the model's fixed input width 10 \(got 16\)/.test(e.message));
  });
});

test('models that do not fit, and missing files, are LpipsModelErrors saying what the model must look like', async () => {
  // The segmentation fixture has one input.
  await assert.rejects(() => loadLpipsModel(FIXTURE_ONNX), (e: unknown) =>
    e instanceof LpipsModelError && e instanceof DatasetError && e.name === 'LpipsModelError' &&
    /has 1 input\(s\) \(x\); an LPIPS model must have exactly two image inputs .*in0 and in1.*\[1, 3, H, W\].*\[-1, 1\]/.test(e.message));
  await assert.rejects(() => loadLpipsModel('/nonexistent/lpips.onnx'), (e: unknown) =>
    e instanceof LpipsModelError && /lpips\.onnx cannot be read \(ENOENT\)/.test(e.message));
  await withTempDir(async (dir) => {
    const junk = join(dir, 'junk.onnx');
    await writeFile(junk, 'not a model');
    await assert.rejects(() => loadLpipsModel(junk), (e: unknown) => e instanceof LpipsModelError && /onnxruntime cannot load/.test(e.message));
  });
  await assert.rejects(() => loadLpipsModel(LPIPS_FIXTURE, { size: 0 }), /options\.size, when provided, must be an integer/);
  await assert.rejects(() => loadLpipsModel(''), TypeError);
});
