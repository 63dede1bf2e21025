/**
 * Pose estimation end to end with the real COLMAP on a short, downscaled cut of a real orbit
 * (`shared/data/apple-orbit/apple.mp4`: 50 frames, 1296x720, around an apple on a counter):
 * 16 frames at 270x150, features on the whole frame. Checks that the frames register, that the
 * camera centres lie on a horizontal circle around the object, that a rerun is served from the
 * work folder, that transforms.json and the model folder load back to the same poses, and that the
 * binary and text readers agree on COLMAP's own model files. Skipped when COLMAP is missing.
 *
 * Also the pair list (no COLMAP needed).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { projectPoint } from '../../src/data/camera.ts';
import { opticalAxesCentre } from '../../src/data/unit-box.ts';
import { readVideoFrames } from '../../src/video/ffmpeg.ts';
import { colmapVersion, formatPairList, orbitPairs } from '../../src/poses/colmap-run.ts';
import { readColmapModel } from '../../src/poses/colmap-model.ts';
import {
  ColmapNotFoundError,
  estimatePoses,
  loadPoseSource,
  type PoseProgress,
} from '../../src/poses/estimate-poses.ts';

const VIDEO = fileURLToPath(new URL('../../../shared/data/apple-orbit/apple.mp4', import.meta.url));
const WIDTH = 270;
/** Every STRIDE-th frame of the 50, the first FRAMES of them: 16 frames over ~96% of the clip. */
const STRIDE = 3;
const FRAMES = 16;

test('orbitPairs: each frame with its next `overlap`, plus the loop closure, without duplicates', () => {
  const pairs = orbitPairs(10, 2, 3);
  const keys = pairs.map(([a, b]) => `${a}-${b}`);
  assert.equal(new Set(keys).size, keys.length, 'no duplicates');
  assert.ok(pairs.every(([a, b]) => a < b));
  for (let i = 0; i < 9; i++) assert.ok(keys.includes(`${i}-${i + 1}`));
  for (let i = 0; i < 8; i++) assert.ok(keys.includes(`${i}-${i + 2}`));
  assert.ok(!keys.includes('0-3'));
  for (const a of [0, 1, 2]) for (const b of [7, 8, 9]) assert.ok(keys.includes(`${a}-${b}`), `loop pair ${a}-${b}`);
  // 9 + 8 sequential pairs, 9 loop pairs (none of them within 2 frames of each other).
  assert.equal(pairs.length, 9 + 8 + 9);
  assert.equal(orbitPairs(5, 10, 0).length, 10, 'an overlap beyond the clip is exhaustive');
  assert.equal(formatPairList(['a.png', 'b.png', 'c.png'], [[0, 2]]), 'a.png c.png\n');
  assert.throws(() => formatPairList(['a b.png', 'c.png'], [[0, 1]]), /white space/);
});

async function colmapInstalled(): Promise<string | undefined> {
  try {
    return await colmapVersion();
  } catch (e) {
    if (e instanceof ColmapNotFoundError) return undefined;
    throw e;
  }
}

/**
 * Decodes the cut with ffmpeg and writes it as PNG frames, plus crude apple masks in COLMAP's
 * naming (`NAME.png.png`): red pixels, dilated by 2 pixels.
 */
async function writeCut(dir: string, maskDir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  await mkdir(maskDir, { recursive: true });
  const names: string[] = [];
  let i = 0;
  for await (const rgb of readVideoFrames(VIDEO, { width: WIDTH })) {
    const height = rgb.length / 3 / WIDTH;
    if (i % STRIDE === 0 && names.length < FRAMES) {
      const name = `frame_${String(names.length).padStart(4, '0')}.png`;
      await sharp(rgb, { raw: { width: WIDTH, height, channels: 3 } }).png().toFile(path.join(dir, name));
      const red = new Uint8Array(WIDTH * height);
      for (let p = 0; p < red.length; p++) {
        const [r, g, b] = [rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]];
        red[p] = r > 110 && r > 1.6 * g && r > 1.4 * b ? 1 : 0;
      }
      const mask = new Uint8Array(WIDTH * height);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < WIDTH; x++) {
          let on = 0;
          for (let dy = -2; dy <= 2 && !on; dy++) for (let dx = -2; dx <= 2 && !on; dx++) on = red[Math.min(height - 1, Math.max(0, y + dy)) * WIDTH + Math.min(WIDTH - 1, Math.max(0, x + dx))];
          mask[y * WIDTH + x] = on ? 255 : 0;
        }
      }
      await sharp(mask, { raw: { width: WIDTH, height, channels: 1 } }).png().toFile(path.join(maskDir, `${name}.png`));
      names.push(name);
    }
    i++;
  }
  return names;
}

test('estimatePoses on a real 16-frame orbit of an apple (COLMAP, CPU)', { timeout: 600_000 }, async (t) => {
  const version = await colmapInstalled();
  if (version === undefined) {
    t.skip('COLMAP is not installed: apt-get install colmap');
    return;
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'reliquary-poses-'));
  try {
    const frames = path.join(dir, 'frames');
    const masks = path.join(dir, 'masks');
    const names = await writeCut(frames, masks);
    assert.equal(names.length, FRAMES);

    const events: PoseProgress[] = [];
    const t0 = performance.now();
    const opts = { frames, workDir: path.join(dir, 'work'), poseFeatures: 'all' as const, threads: 2, onProgress: (e: PoseProgress) => events.push(e) };
    const est = await estimatePoses(opts);
    const totalMs = performance.now() - t0;
    t.diagnostic(
      `COLMAP ${est.colmapVersion}: extract ${(est.timings.extract.ms / 1000).toFixed(1)} s, match ${(est.timings.match.ms / 1000).toFixed(1)} s, ` +
        `map ${(est.timings.map.ms / 1000).toFixed(1)} s, convert ${(est.timings.convert.ms / 1000).toFixed(2)} s; total ${(totalMs / 1000).toFixed(1)} s`,
    );
    assert.equal(est.colmapVersion, version);
    for (const stage of ['extract', 'match', 'map', 'convert'] as const) {
      assert.ok(events.some((e) => e.stage === stage && e.phase === 'start'), `${stage} start reported`);
      assert.ok(events.some((e) => e.stage === stage && e.phase === 'done'), `${stage} done reported`);
    }
    assert.ok(events.some((e) => e.stage === 'extract' && e.phase === 'progress' && e.total === FRAMES), 'extraction progress has the frame count');

    // Most frames register (all do at the time of writing).
    assert.deepEqual(est.names, names);
    assert.ok(est.registered.length >= FRAMES - 2, `registered ${est.registered.length}/${FRAMES}; missing ${est.unregistered.join(', ')}`);
    assert.equal(est.c2w.length, FRAMES);
    assert.equal(est.intrinsics.width, WIDTH);
    assert.equal(est.intrinsics.height, 150);
    assert.ok(est.intrinsics.fx > 100 && est.intrinsics.fx < 1000, `focal length ${est.intrinsics.fx}`);

    // The camera centres lie on a horizontal circle around the point the cameras look at.
    const centre = opticalAxesCentre(est.c2w);
    const horiz = est.c2w.map((m) => Math.hypot(m[3] - centre[0], m[11] - centre[2]));
    const heights = est.c2w.map((m) => m[7] - centre[1]);
    const mean = horiz.reduce((a, b) => a + b, 0) / horiz.length;
    const sd = Math.sqrt(horiz.reduce((a, b) => a + (b - mean) ** 2, 0) / horiz.length);
    const hMean = heights.reduce((a, b) => a + b, 0) / heights.length;
    const hSd = Math.sqrt(heights.reduce((a, b) => a + (b - hMean) ** 2, 0) / heights.length);
    const angles = est.c2w.map((m) => Math.atan2(m[11] - centre[2], m[3] - centre[0]));
    let span = 0;
    for (let i = 1; i < angles.length; i++) {
      let d = angles[i] - angles[i - 1];
      if (d > Math.PI) d -= 2 * Math.PI;
      if (d < -Math.PI) d += 2 * Math.PI;
      span += d;
    }
    t.diagnostic(
      `orbit: horizontal radius ${mean.toFixed(3)} ± ${sd.toFixed(3)} (unit box), height ${hMean.toFixed(3)} ± ${hSd.toFixed(3)}, ` +
        `arc ${((Math.abs(span) * 180) / Math.PI).toFixed(0)}°; box: ${est.normalization.method}, ${est.normalization.pointsUsed} points, ` +
        `${est.normalization.camerasInsideBox} cameras inside`,
    );
    assert.ok(sd / mean < 0.1, `radius spread ${sd / mean}`);
    assert.ok(hSd / mean < 0.1, `height spread ${hSd / mean} (y is up after alignment, so the orbit is level)`);
    assert.ok(hMean > 0, 'the cameras look down at the object from above');
    assert.ok(Math.abs(span) > Math.PI / 6, `the cameras move around the object (arc ${span} rad)`);
    // Consecutive frames move the same way round: the orbit is monotone.
    const steps = angles.slice(1).map((a, i) => Math.sign(Math.sin(a - angles[i])));
    assert.ok(steps.filter((s) => s === Math.sign(span)).length >= steps.length - 1, 'monotone orbit');

    // A rerun is served from the work folder and gives the same poses.
    const events2: PoseProgress[] = [];
    const t1 = performance.now();
    const again = await estimatePoses({ ...opts, onProgress: (e) => events2.push(e) });
    t.diagnostic(`rerun from the work folder: ${((performance.now() - t1) / 1000).toFixed(2)} s`);
    for (const stage of ['extract', 'match', 'map'] as const) {
      assert.ok(again.timings[stage].cached, `${stage} cached`);
      assert.ok(events2.some((e) => e.stage === stage && e.phase === 'cached'));
    }
    assert.deepEqual(again.c2w.map((m) => [...m]), est.c2w.map((m) => [...m]));

    // With masks (features still on the whole frame, so COLMAP's work is reused), the box is
    // placed on the apple's sparse points: its centre projects onto the apple in every frame.
    const boxed = await estimatePoses({ ...opts, masks, onProgress: undefined });
    assert.ok(boxed.timings.map.cached, 'masks only change the conversion when poseFeatures is all');
    assert.equal(boxed.normalization.method, 'object-points');
    assert.equal(boxed.normalization.camerasInsideBox, 0);
    let onApple = 0;
    for (let i = 0; i < FRAMES; i++) {
      const px = projectPoint(boxed.intrinsics, boxed.c2w[i], [0.5, 0.5, 0.5])!;
      const { data } = await sharp(path.join(masks, `${names[i]}.png`)).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      const x = Math.floor(px[0]);
      const y = Math.floor(px[1]);
      if (x >= 0 && x < WIDTH && y >= 0 && y < 150 && data[y * WIDTH + x] > 0) onApple++;
    }
    t.diagnostic(`with masks: ${boxed.normalization.pointsUsed} object points, box half-size ${boxed.normalization.halfSize.toFixed(3)} (COLMAP units); centre on the apple in ${onApple}/${FRAMES} frames`);
    assert.ok(onApple >= FRAMES - 1, `box centre on the apple in ${onApple}/${FRAMES} frames`);

    // transforms.json (last written: by the run with masks) and the model folder (with and
    // without masks) load back to the same unit-box poses.
    const json = JSON.parse(await readFile(boxed.transformsPath, 'utf8')) as Record<string, unknown>;
    for (const k of ['fl_x', 'fl_y', 'cx', 'cy', 'k1', 'k2', 'w', 'h', 'frames']) assert.ok(k in json, `transforms.json has ${k}`);
    const cases = [
      ['transforms.json', boxed.transformsPath, undefined, boxed],
      ['colmap', path.dirname(est.modelDir), undefined, est],
      ['colmap', est.modelDir, masks, boxed],
    ] as const;
    for (const [source, file, maskDir, want] of cases) {
      const loaded = await loadPoseSource(file, { frames: names, masks: maskDir });
      assert.equal(loaded.source, source);
      assert.deepEqual(loaded.unregistered, want.unregistered);
      for (let i = 0; i < FRAMES; i++) {
        for (let k = 0; k < 12; k++) assert.ok(Math.abs(loaded.c2w[i][k] - want.c2w[i][k]) < 1e-9, `${source} ${file}: frame ${i} entry ${k}`);
      }
      assert.ok(Math.abs(loaded.intrinsics.fx - want.intrinsics.fx) < 1e-9);
    }

    // COLMAP's own text export of the model reads back like its binary files.
    const txtDir = path.join(dir, 'txt');
    await mkdir(txtDir);
    execFileSync('colmap', ['model_converter', '--input_path', est.modelDir, '--output_path', txtDir, '--output_type', 'TXT'], {
      env: { ...process.env, QT_QPA_PLATFORM: 'offscreen' },
      stdio: 'ignore',
    });
    const bin = await readColmapModel(est.modelDir);
    const txt = await readColmapModel(txtDir);
    assert.equal(txt.format, 'txt');
    assert.deepEqual([...txt.cameras.values()].map((c) => ({ ...c, params: [...c.params] })), [...bin.cameras.values()].map((c) => ({ ...c, params: [...c.params] })));
    assert.equal(txt.images.size, bin.images.size);
    for (const [id, img] of bin.images) {
      const other = txt.images.get(id)!;
      assert.equal(other.name, img.name);
      assert.deepEqual(other.qvec, img.qvec);
      assert.deepEqual(other.tvec, img.tvec);
      assert.deepEqual([...other.point3DIds], [...img.point3DIds]);
      assert.deepEqual([...other.xys], [...img.xys]);
    }
    assert.equal(txt.points3D.size, bin.points3D.size);
    for (const [id, p] of bin.points3D) {
      const other = txt.points3D.get(id)!;
      assert.deepEqual(other.xyz, p.xyz);
      assert.deepEqual([...other.track], [...p.track]);
    }

    // Aborting stops the running COLMAP step and rejects with the signal's reason.
    const ac = new AbortController();
    const aborted = estimatePoses({ ...opts, workDir: path.join(dir, 'work-aborted'), signal: ac.signal, onProgress: (e) => {
      if (e.stage === 'extract' && e.phase === 'start') ac.abort();
    } });
    await assert.rejects(aborted, (e: unknown) => e instanceof Error && e.name === 'AbortError');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('estimatePoses: option mistakes are TypeErrors naming the field; missing masks say what to do', async () => {
  await assert.rejects(estimatePoses({ frames: 'x', workDir: 'y' }), /options\.masks must be given with poseFeatures 'object'/);
  await assert.rejects(estimatePoses({ frames: 'x', workDir: 'y', poseFeatures: 'all', overlap: 0 }), /options\.overlap/);
  await assert.rejects(estimatePoses({ frames: 'x', workDir: 'y', poseFeatures: 'all', minRegisteredFraction: 2 }), /minRegisteredFraction/);
  const dir = await mkdtemp(path.join(tmpdir(), 'reliquary-poses-'));
  try {
    const frames = path.join(dir, 'frames');
    const masks = path.join(dir, 'masks');
    await mkdir(frames);
    await mkdir(masks);
    for (const n of ['a.png', 'b.png', 'c.png']) {
      await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toFile(path.join(frames, n));
    }
    await writeFile(path.join(masks, 'a.png.png'), '');
    await assert.rejects(estimatePoses({ frames, masks, workDir: path.join(dir, 'w') }), /2 of 3 frames have no mask .*b\.png\.png.*--pose-features all/);
    await assert.rejects(estimatePoses({ frames, masks, workDir: path.join(dir, 'w'), colmapPath: path.join(dir, 'no-colmap') }), /2 of 3 frames have no mask/);
    await assert.rejects(
      estimatePoses({ frames, workDir: path.join(dir, 'w'), poseFeatures: 'all', colmapPath: path.join(dir, 'no-colmap') }),
      (e: unknown) => e instanceof ColmapNotFoundError && /apt-get install colmap/.test(e.message),
    );
    await assert.rejects(loadPoseSource(frames), /neither a transforms\.json nor a COLMAP model/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
