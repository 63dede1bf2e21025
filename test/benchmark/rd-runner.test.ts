/**
 * The grid runner of `reliquary bench rd` on a tiny synthetic run: every point measured once and
 * cached, a rerun resumes from the cache, a lost point is recomputed alone, the PC shortcut (one
 * render of the field composited over each background stream) equals the real decoder, and the
 * report is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testGpu } from '../helpers/gpu.ts';
import { tinyPreset } from '../helpers/tiny-preset.ts';
import { writeSample } from '../../src/data/sample/index.ts';
import { runRdBench, paretoFront, type RdBenchOptions } from '../../src/benchmark/rd-runner.ts';
import type { RdGrid } from '../../src/benchmark/rd-grid.ts';
import type { RdPoint } from '../../src/benchmark/rd-results.ts';
import { decodeFile } from '../../src/pipeline/decode.ts';
import { compareSequences } from '../../src/pipeline/compare.ts';


const grid: RdGrid = {
  fp: { lambdas: [2e-3, 3.2e-2], dfs: [2], anchors: { x264: { crfs: [30, 44], gops: [12] }, x265: { crfs: [30, 44], gops: [12] }, av1: { crfs: [40, 55], gops: [12] } } },
  pc: { lambda: 3.2e-2, df: 2, bgGops: [30], bgCrfs: [36, 48], anchors: { x264: { crfs: [30, 44], gops: [12] }, x265: { crfs: [30, 44], gops: [12] }, av1: { crfs: [40, 55], gops: [12] } } },
  frameStep: 1, maxShortSide: null, steps: 24, extensionStep: 6, maxExtensions: 1,
};

const strip = (ps: readonly RdPoint[]) => ps.map(({ encodeSeconds: _e, decodeSeconds: _d, sharedSeconds: _s, ...rest }) => rest).sort((a, b) => a.key.localeCompare(b.key));

test('bench rd: tiny grid → points, BD rows and report; rerun resumes; a lost point is recomputed alone', { timeout: 20 * 60_000 }, async () => {
  const gpu = await testGpu();
  const dir = mkdtempSync(join(tmpdir(), 'rlq-bench-'));
  try {
    const sample = join(dir, 'sample');
    await writeSample({ out: sample, frames: 12, width: 80, height: 64, samplesPerPixel: 1, video: true });
    const out = join(dir, 'report');
    const opts: RdBenchOptions = {
      video: join(sample, 'video.mp4'), out, grid, anchors: ['x264', 'av1'], gpu, configure: tinyPreset, configureKey: 'tiny',
      segmentation: { masks: join(sample, 'masks') }, poses: { file: join(sample, 'transforms.json') },
    };
    const r1 = await runRdBench(opts);
    const pts = r1.results.points;
    const count = (exp: string, codec: string) => pts.filter((p) => p.experiment === exp && p.codec === codec).length;
    assert.equal(count('fp', 'reliquary'), 2);
    assert.equal(count('pc', 'reliquary'), 2);
    for (const exp of ['fp', 'pc']) for (const codec of ['x264', 'av1']) assert.ok(count(exp, codec) >= 2 && count(exp, codec) <= 4, `${exp} ${codec}: ${count(exp, codec)}`);
    assert.equal(new Set(pts.map((p) => p.key)).size, pts.length, 'keys are unique');
    assert.deepEqual([...r1.computed].sort(), pts.map((p) => p.key).sort(), 'the first run computes every point');
    for (const p of pts) {
      assert.ok(p.bytes > 0 && p.bpp > 0 && Number.isFinite(p.psnr) && Number.isFinite(p.psnrCenter), `${p.key}: ${JSON.stringify(p)}`);
      assert.ok(existsSync(join(out, p.panelFrame!)), `${p.key} panel frame`);
    }
    // Extensions are only ever added beyond the grid's CRFs.
    for (const p of pts.filter((q) => q.extension)) assert.ok(![30, 44, 40, 55].includes(Number(p.params.crf)), p.key);
    // PC points share one field: the same bytes apart from the background.
    const pcs = pts.filter((p) => p.experiment === 'pc' && p.codec === 'reliquary');
    assert.ok(pcs[0]!.bytes !== pcs[1]!.bytes);
    // BD rows: every experiment × anchor × metric, for the one Reliquary curve of each experiment.
    assert.equal(r1.results.bd.length, 2 * 2 * 2);
    for (const b of r1.results.bd) assert.ok(b.bdRate !== null || (b.note ?? '').length > 0, JSON.stringify(b));
    for (const f of ['index.html', 'results.json', 'results.csv', 'plots/fp-psnr-center.svg', 'plots/pc-psnr.png']) assert.ok(existsSync(join(out, f)), f);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).points.length, pts.length);

    // The PC shortcut equals the real decoder: decodeFile of the PC .rlq measures the same.
    const pc = pcs[0]!;
    const decoded = join(dir, 'pc-decoded');
    await decodeFile({ input: join(out, 'cache', 'fields', `${pc.key}.rlq`), out: decoded, gpu });
    const c = await compareSequences({ ref: opts.video, decoded, masks: join(out, 'cache', 'capture', 'colmap-masks') });
    assert.ok(Math.abs(c.psnr.mean - pc.psnr) < 1e-9, `decodeFile ${c.psnr.mean} vs runner ${pc.psnr}`);
    assert.ok(Math.abs(c.psnrCenter!.mean - pc.psnrCenter) < 1e-9);

    // Rerun: everything from the cache.
    const r2 = await runRdBench(opts);
    assert.deepEqual(r2.computed, []);
    assert.deepEqual(strip(r2.results.points), strip(pts));

    // A lost point (an interrupted sweep) is recomputed alone, with the same result.
    const lost = [pts.find((p) => p.codec === 'x264' && p.experiment === 'fp')!, pcs[1]!];
    for (const p of lost) rmSync(join(out, 'cache', 'points', `${p.key}.json`));
    const r3 = await runRdBench(opts);
    assert.deepEqual([...r3.computed].sort(), lost.map((p) => p.key).sort());
    assert.deepEqual(strip(r3.results.points), strip(pts));

    // The same report folder for another video (8 frames instead of 12): nothing of the first may be
    // reused, the object-only reference included.
    const other = join(dir, 'other');
    await writeSample({ out: other, frames: 8, width: 80, height: 64, samplesPerPixel: 1, video: true, seed: 5 });
    const r4 = await runRdBench({
      ...opts, video: join(other, 'video.mp4'), experiments: ['fp'], anchors: ['x264'], grid: { ...grid, fp: { ...grid.fp, lambdas: [3.2e-2] } },
      segmentation: { masks: join(other, 'masks') }, poses: { file: join(other, 'transforms.json') },
    });
    assert.equal(r4.results.input.coded.frames, 8);
    assert.equal(readdirSync(join(out, 'cache', 'ref-fp')).filter((f) => f.endsWith('.png')).length, 8, 'the object-only reference was rebuilt');
    assert.deepEqual([...r4.computed].sort(), r4.results.points.map((p) => p.key).sort(), 'every point of the new video is computed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('paretoFront keeps the points no cheaper point beats', () => {
  const p = (key: string, bpp: number, psnr: number) => ({ key, bpp, psnr, psnrCenter: psnr }) as RdPoint;
  const front = paretoFront([p('a', 0.1, 30), p('b', 0.2, 29), p('c', 0.3, 32), p('d', 0.05, 25), p('e', 0.3, 31)], 'psnr');
  assert.deepEqual(front.map((x) => x.key), ['d', 'a', 'c']);
});
