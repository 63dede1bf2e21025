/**
 * The CLI's exit codes: every failure a user can act on has its own code (README, "Exit codes"),
 * checked by running `reliquary` on inputs that fail before any GPU work starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EXIT, exitCodeFor } from '../../src/cli/exit-codes.ts';
import { NoFramesError, NotAVideoError, FfmpegNotFoundError, FfmpegError } from '../../src/video/errors.ts';
import { NoObjectError } from '../../src/segment/errors.ts';
import { ColmapNotFoundError, TooFewRegisteredError } from '../../src/poses/errors.ts';
import { OutputError } from '../../src/pipeline/output-target.ts';

const BIN = resolve('bin/reliquary.js');

function reliquary(args: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stderr: r.stderr };
}

test('the exit codes are distinct', () => {
  const codes = Object.values(EXIT);
  assert.equal(new Set(codes).size, codes.length);
});

test('specific errors map to their own codes before their domain\'s', () => {
  const ff = { argv: ['ffmpeg'], exitCode: 1 };
  assert.equal(exitCodeFor(new NotAVideoError('x', ff)), EXIT.notAVideo);
  assert.equal(exitCodeFor(new NoFramesError('x', ff)), EXIT.noFrames);
  assert.equal(exitCodeFor(new FfmpegNotFoundError('x', ff)), EXIT.missingTool);
  assert.equal(exitCodeFor(new FfmpegError('x', ff)), EXIT.ffmpeg);
  assert.equal(exitCodeFor(new ColmapNotFoundError('colmap')), EXIT.missingTool);
  assert.equal(exitCodeFor(new TooFewRegisteredError(['a'], ['b', 'c'], '90%')), EXIT.poses);
  assert.equal(exitCodeFor(new OutputError('x', '/x')), EXIT.output);
  assert.equal(exitCodeFor(new NoObjectError({ frames: 10, emptyFrames: 9 } as never, 'isnet')), EXIT.noObject);
  assert.equal(exitCodeFor(new TypeError('--df must be 1, 2, 4 or 8')), EXIT.usage);
  assert.equal(exitCodeFor(new Error('other')), EXIT.failure);
});

test('reliquary encode / decode exit with the documented code and say what to do', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reliquary-exit-'));
  try {
    const notes = join(dir, 'notes.mp4');
    writeFileSync(notes, 'not a video\n'.repeat(50));
    let r = reliquary(['encode', notes, '-o', join(dir, 'x.rlq')]);
    assert.equal(r.code, EXIT.notAVideo, r.stderr);
    assert.match(r.stderr, /is not a video ffmpeg can read/);

    // The output is checked before anything runs: a file stands where the output folder should be.
    writeFileSync(join(dir, 'file'), '');
    r = reliquary(['encode', notes, '-o', join(dir, 'file', 'x.rlq')]);
    assert.equal(r.code, EXIT.output, r.stderr);
    assert.match(r.stderr, /choose another output path with -o/);
    r = reliquary(['encode', notes, '-o', dir]);
    assert.equal(r.code, EXIT.output, r.stderr);
    assert.match(r.stderr, /is a folder; give a file name/);

    r = reliquary(['decode', join(dir, 'missing.rlq'), '-o', join(dir, 'out.mp4')]);
    assert.equal(r.code, EXIT.dataset, r.stderr);
    assert.match(r.stderr, /cannot read .*missing\.rlq \(ENOENT\)/);

    r = reliquary(['decode', notes, '-o', join(dir, 'file', 'out.mp4')]);
    assert.equal(r.code, EXIT.bitstream, r.stderr); // the input is read (and rejected) first
    assert.ok(!existsSync(join(dir, 'out.mp4')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
