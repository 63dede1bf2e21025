/**
 * IS-Net from the optional package `@imgly/background-removal-data` on two frames of the shared apple
 * video. Skipped when the package (an optional dependency) or the video (in ../shared/data, never
 * copied into the repository) is absent. About 10-20 s on a 2-core CPU: IS-Net always runs at
 * 1024×1024, whatever the frame size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { readVideoFrames } from '../../src/video/ffmpeg.ts';
import { SEGMENT_MODELS, loadSegmentationModel } from '../../src/segment/models.ts';
import { segmentFrames, type RgbFrame } from '../../src/segment/segmenter.ts';

const VIDEO = fileURLToPath(new URL('../../../shared/data/apple-orbit/apple.mp4', import.meta.url));
const W = 320;

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function hasPackage(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

test('isnet finds the apple in two frames of apple.mp4', async (t) => {
  if (!hasPackage(SEGMENT_MODELS.isnet!.npmPackage)) return t.skip(`optional package ${SEGMENT_MODELS.isnet!.npmPackage} is not installed`);
  if (!(await exists(VIDEO))) return t.skip(`${VIDEO} is absent`);

  const frames: RgbFrame[] = [];
  for await (const rgb of readVideoFrames(VIDEO, { width: W })) {
    frames.push({ rgb, width: W, height: rgb.length / 3 / W });
    if (frames.length === 2) break;
  }
  const H = frames[0]!.height;

  const t0 = performance.now();
  const model = await loadSegmentationModel('isnet');
  const loadMs = performance.now() - t0;
  assert.equal(model.sha256, SEGMENT_MODELS.isnet!.sha256);
  assert.deepEqual(model.io.inputSize, { width: 1024, height: 1024 });
  try {
    await assert.rejects(() => loadSegmentationModel('isnet', { inputSize: 512 }), /fixed input size 1024x1024/);
    const t1 = performance.now();
    const results = [];
    for await (const s of segmentFrames(frames, { model })) results.push(s);
    const perFrameMs = (performance.now() - t1) / frames.length;
    t.diagnostic(`isnet: load ${loadMs.toFixed(0)} ms, ${perFrameMs.toFixed(0)} ms per ${W}x${H} frame`);
    assert.equal(results.length, 2);

    for (const s of results) {
      const { rgb } = s.frame;
      // "Red" pixels: the apple's skin (the table is beige/grey).
      let red = 0;
      let redInMask = 0;
      let maskRed = 0;
      let cx = 0;
      let cy = 0;
      for (let p = 0; p < W * H; p++) {
        const isRed = rgb[3 * p]! > rgb[3 * p + 1]! + 60 && rgb[3 * p]! > rgb[3 * p + 2]! + 40;
        if (isRed) red++;
        if (s.mask[p]) {
          if (isRed) {
            redInMask++;
            maskRed++;
          }
          cx += p % W;
          cy += Math.floor(p / W);
        }
      }
      const frac = s.area / (W * H);
      cx /= s.area;
      cy /= s.area;
      const msg = `frame ${s.index}: area ${(100 * frac).toFixed(1)} %, centroid (${(cx / W).toFixed(2)}, ${(cy / H).toFixed(2)}), ` +
        `${red} red px, ${redInMask} of them in the mask, ${maskRed} red of ${s.area} mask px`;
      t.diagnostic(msg);
      assert.ok(!s.empty, msg);
      assert.ok(frac > 0.03 && frac < 0.4, `plausible object size; ${msg}`);
      assert.ok(cx / W > 0.15 && cx / W < 0.85 && cy / H > 0.15 && cy / H < 0.85, `central object; ${msg}`);
      assert.ok(redInMask >= 0.85 * red, `the mask covers the apple; ${msg}`);
      assert.ok(maskRed >= 0.5 * s.area, `the mask is mostly apple; ${msg}`);
      assert.ok(s.iouWithPrevious === undefined || s.iouWithPrevious > 0.8, `stable between frames; ${msg}`);
    }
  } finally {
    await model.release();
  }
});
