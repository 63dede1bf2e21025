import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codedFrameStep, QUICK_GRID, FULL_GRID } from '../../src/benchmark/rd-grid.ts';

test('codedFrameStep: the grid\'s step, raised so at most maxFrames frames are coded', () => {
  assert.equal(codedFrameStep({ frameStep: 1, maxFrames: 60 }, 50), 1, 'a short orbit keeps every frame');
  assert.equal(codedFrameStep({ frameStep: 1, maxFrames: 60 }, 60), 1);
  assert.equal(codedFrameStep({ frameStep: 1, maxFrames: 60 }, 61), 2);
  assert.equal(codedFrameStep({ frameStep: 1, maxFrames: 60 }, 600), 10);
  assert.equal(codedFrameStep({ frameStep: 3, maxFrames: 60 }, 50), 3, 'an explicit larger step wins');
  assert.equal(codedFrameStep({ frameStep: 2, maxFrames: null }, 5000), 2, 'no limit');
  assert.equal(codedFrameStep({ frameStep: 1 }, 5000), 1);
  assert.throws(() => codedFrameStep({ frameStep: 0 }, 10), /frame step/);
  assert.throws(() => codedFrameStep({ frameStep: 1, maxFrames: 1 }, 10), /frame limit/);
  // The quick grid bounds the work; the full grid codes every frame.
  assert.ok(600 / codedFrameStep(QUICK_GRID, 600) <= 60);
  assert.equal(codedFrameStep(FULL_GRID, 600), 1);
});
