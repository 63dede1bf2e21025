import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { FfmpegError, probeVideo, readVideoFrames, writeVideo } from '../../src/video/ffmpeg.ts';
import { FfmpegNotFoundError, NoFramesError, NotAVideoError } from '../../src/video/errors.ts';

const W = 64;
const H = 48;
const N = 10;

/** Frame i: a flat colour that changes per frame, plus a white square moving right. */
function colourOf(i: number): [number, number, number] {
  return [20 + 20 * i, 200 - 15 * i, i % 2 === 0 ? 60 : 180];
}

function* syntheticFrames(): Generator<Uint8Array> {
  const frame = new Uint8Array(W * H * 3); // reused on purpose: writeVideo must copy.
  for (let i = 0; i < N; i++) {
    const [r, g, b] = colourOf(i);
    for (let p = 0; p < W * H; p++) {
      const x = p % W;
      const y = (p / W) | 0;
      const inSquare = y >= 8 && y < 24 && x >= 4 + 4 * i && x < 20 + 4 * i;
      frame[3 * p] = inSquare ? 255 : r;
      frame[3 * p + 1] = inSquare ? 255 : g;
      frame[3 * p + 2] = inSquare ? 255 : b;
    }
    yield frame;
  }
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'reliquary-ffmpeg-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('writeVideo → probeVideo → readVideoFrames round trip', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'clip.mp4');
    await writeVideo(path, syntheticFrames(), { width: W, height: H, fps: 24 });
    assert.deepEqual(await readdir(dir), ['clip.mp4'], 'no temporary file is left behind');

    const info = await probeVideo(path);
    assert.equal(info.width, W);
    assert.equal(info.height, H);
    assert.equal(info.codec, 'h264');
    assert.ok(Math.abs(info.fps - 24) < 1e-6, `fps ${info.fps}`);
    assert.equal(info.frameCount, N);

    const frames: Uint8Array[] = [];
    for await (const f of readVideoFrames(path)) frames.push(f);
    assert.equal(frames.length, N);
    for (let i = 0; i < N; i++) {
      const f = frames[i]!;
      assert.equal(f.length, W * H * 3);
      // Mean colour of a patch away from the white square and chroma edges (bottom-right corner).
      const want = colourOf(i);
      const sum = [0, 0, 0];
      let n = 0;
      for (let y = 32; y < 46; y++) {
        for (let x = 50; x < 62; x++) {
          for (let c = 0; c < 3; c++) sum[c]! += f[3 * (y * W + x) + c]!;
          n++;
        }
      }
      for (let c = 0; c < 3; c++) {
        // crf 18 + yuv420p + BT.601 round trip: a few levels of error on flat colour.
        assert.ok(Math.abs(sum[c]! / n - want[c]!) < 8, `frame ${i} channel ${c}: ${sum[c]! / n} vs ${want[c]}`);
      }
      // The white square is where it should be.
      const sq = 3 * (16 * W + 12 + 4 * i);
      assert.ok(f[sq]! > 230 && f[sq + 1]! > 230 && f[sq + 2]! > 230, `frame ${i} square`);
    }

    // Resized read: only width given keeps the aspect ratio.
    let count = 0;
    for await (const f of readVideoFrames(path, { width: 32 })) {
      assert.equal(f.length, 32 * 24 * 3);
      count++;
      if (count === 3) break; // early exit must stop ffmpeg cleanly
    }
    assert.equal(count, 3);
  });
});

test('writeVideo pads odd sizes and accepts async rgba frames', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'odd.mp4');
    async function* rgba(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 3; i++) yield new Uint8Array(15 * 9 * 4).fill(128);
    }
    await writeVideo(path, rgba(), { width: 15, height: 9, fps: 10, pixFmtIn: 'rgba' });
    const info = await probeVideo(path);
    assert.equal(info.width, 16);
    assert.equal(info.height, 10);
    await assert.rejects(
      writeVideo(path, rgba(), { width: 15, height: 9, fps: 10, oddSize: 'error' }),
      (e: unknown) => e instanceof TypeError && /even/.test(e.message),
    );
  });
});

test('writeVideo rejects bad options and bad frames without leaving files', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'bad.mp4');
    await assert.rejects(writeVideo(path, [], { width: 0, height: 48, fps: 24 }), /options\.width/);
    await assert.rejects(writeVideo(path, [], { width: 64, height: 48, fps: -1 }), /options\.fps/);
    await assert.rejects(writeVideo(path, [], { width: 64, height: 48, fps: 24, crf: 99 }), /options\.crf/);
    await assert.rejects(
      writeVideo(path, [new Uint8Array(10)], { width: 64, height: 48, fps: 24 }),
      (e: unknown) => e instanceof TypeError && /frames\[0\]/.test(e.message),
    );
    assert.deepEqual(await readdir(dir), []);
  });
});

test('FfmpegError on a file that is not a video', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'notes.mp4');
    await writeFile(path, 'this is not a video\n'.repeat(100));
    await assert.rejects(probeVideo(path), (e: unknown) => {
      assert.ok(e instanceof FfmpegError);
      assert.equal(e.argv[0], 'ffprobe');
      assert.ok(e.argv.includes(path));
      assert.notEqual(e.exitCode, 0);
      assert.ok(e.stderrTail.length > 0, 'stderr tail is kept');
      return true;
    });
    await assert.rejects(probeVideo(path), (e: unknown) => e instanceof NotAVideoError && /is not a video ffmpeg can read/.test(e.message));
    for (const size of [{}, { width: 8, height: 8 }]) {
      await assert.rejects(async () => {
        for await (const _ of readVideoFrames(path, size)) void _;
      }, (e: unknown) => e instanceof NotAVideoError && e.exitCode !== 0);
    }
    // A container without a video stream (audio only) is not a video either.
    const audio = join(dir, 'tone.m4a');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.3', audio]);
    await assert.rejects(probeVideo(audio), (e: unknown) => e instanceof NotAVideoError && /has no video stream/.test(e.message));
  });
});

test('NoFramesError on a video whose stream data decodes to no frame', async () => {
  await withTempDir(async (dir) => {
    const good = join(dir, 'five.mp4');
    await writeVideo(good, syntheticFrames(), { width: W, height: H, fps: 10 });
    // Keep the container (moov, written first with +faststart) and zero the coded frames in mdat.
    const { readFile } = await import('node:fs/promises');
    const bytes = new Uint8Array(await readFile(good));
    const mdat = Buffer.from(bytes).indexOf('mdat');
    assert.ok(mdat > 0, 'the file has an mdat box');
    bytes.fill(0, mdat + 4);
    const damaged = join(dir, 'damaged.mp4');
    await writeFile(damaged, bytes);
    const info = await probeVideo(damaged);
    assert.equal(info.width, W, 'the container still probes as a video');
    for (const size of [{}, { width: 8, height: 8 }]) {
      await assert.rejects(async () => {
        for await (const _ of readVideoFrames(damaged, size)) void _;
      }, (e: unknown) => e instanceof NoFramesError && /holds no video frame/.test(e.message));
    }
  });
});

test('FfmpegError tells the user how to install a missing ffmpeg', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'x.mp4');
    await assert.rejects(
      writeVideo(path, syntheticFrames(), { width: W, height: H, fps: 24, ffmpegPath: 'reliquary-no-such-ffmpeg' }),
      (e: unknown) =>
        e instanceof FfmpegNotFoundError && /not found on PATH/.test(e.message) && /apt-get install ffmpeg/.test(e.message) &&
        e.exitCode === null,
    );
    await assert.rejects(probeVideo(path, { ffprobePath: 'reliquary-no-such-ffprobe' }), /ffprobe was not found on PATH/);
    assert.deepEqual(await readdir(dir), []);
  });
});

test('writeVideo honours gop (-g) and encodes H.265 and AV1', async () => {
  await withTempDir(async (dir) => {
    const flat = (): Uint8Array[] => Array.from({ length: 6 }, (_, i) => new Uint8Array(64 * 64 * 3).fill(40 + 10 * i));
    for (const [codec, name] of [['libx265', 'hevc'], ['libsvtav1', 'av1']] as const) {
      const path = join(dir, `${codec}.mp4`);
      await writeVideo(path, flat(), { width: 64, height: 64, fps: 10, codec, crf: 40, gop: 3 });
      const info = await probeVideo(path);
      assert.equal(info.codec, name);
      assert.equal(info.frameCount, 6);
    }
    // -g bounds the key-frame distance: 6 identical frames give key frames 0 and 3 at gop 3, only 0 by default.
    const keyFrames = (path: string): number[] =>
      execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=key_frame', '-of', 'csv=p=0', path])
        .toString()
        .trim()
        .split(/\s+/)
        .flatMap((k, i) => (k.startsWith('1') ? [i] : []));
    const same = (): Uint8Array[] => Array.from({ length: 6 }, () => new Uint8Array(64 * 64 * 3).fill(90));
    await writeVideo(join(dir, 'gop3.mp4'), same(), { width: 64, height: 64, fps: 10, gop: 3 });
    await writeVideo(join(dir, 'gop-default.mp4'), same(), { width: 64, height: 64, fps: 10 });
    assert.deepEqual(keyFrames(join(dir, 'gop3.mp4')), [0, 3]);
    assert.deepEqual(keyFrames(join(dir, 'gop-default.mp4')), [0]);
    await assert.rejects(writeVideo(join(dir, 'g.mp4'), flat(), { width: 64, height: 64, fps: 10, gop: 0 }), /options\.gop/);
    await assert.rejects(
      writeVideo(join(dir, 'c.mp4'), flat(), { width: 64, height: 64, fps: 10, codec: 'libsvtav1', crf: 40.5 }),
      /options\.crf.*libsvtav1/,
    );
    await assert.rejects(
      writeVideo(join(dir, 'c.mp4'), flat(), { width: 64, height: 64, fps: 10, codec: 'mpeg2' as 'libx264' }),
      /options\.codec/,
    );
  });
});
