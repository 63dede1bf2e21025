import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testGpu, rng } from '../helpers/gpu.ts';
import { BufferPool } from '../../src/gpu/buffers.ts';
import { Field } from '../../src/field/field.ts';
import { OccupancyGrid } from '../../src/field/occupancy/occupancy-grid.ts';
import { ViewRenderer } from '../../src/render/render-view.ts';
import { getPreset } from '../../src/presets.ts';

test('incremental rendering equals one-shot rendering, and early termination happens', async () => {
  const ctx = await testGpu();
  const preset = getPreset('cpu');
  const field = new Field(ctx, { ...preset.field, grid: { hash: { levels: 4, featuresPerLevel: 2, log2TableSize: 12, nMin: 4, nMax: 32 } } }, 1 << 14);
  field.init(3);
  // Large grid features make densities swing from empty to opaque, so some rays terminate early.
  const r = rng(12);
  field.grid.writeParams(Float32Array.from({ length: field.grid.paramCount }, () => 60 * r() - 30));
  const pool = new BufferPool(ctx);
  const occupancy = new OccupancyGrid(pool, { ...preset.field.occupancy, resolution: 16 }, 1 << 14);
  const renderer = new ViewRenderer(field, occupancy, preset.field.march, 4096);
  const intr = { width: 23, height: 17, fx: 20, fy: 20, cx: 11.5, cy: 8.5, k1: 0, k2: 0, p1: 0, p2: 0 };
  const c2w = Float64Array.from([1, 0, 0, 0.5, 0, 1, 0, 0.5, 0, 0, 1, 1.6]); // in front of the box, looking down −z
  const a = await renderer.render(c2w, intr, [0.2, 0.3, 0.4], { incremental: true, perRound: 5 });
  const b = await renderer.render(c2w, intr, [0.2, 0.3, 0.4], { incremental: false });
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
  // The same samples in the same order with the same f32 operations: equal up to rounding.
  assert.ok(maxDiff < 1e-5, `max difference ${maxDiff}`);
  const alphas = Array.from({ length: a.length / 4 }, (_, i) => a[4 * i + 3]!);
  assert.ok(alphas.some((x) => x > 0.9999) && alphas.some((x) => x < 0.5), `both opaque and see-through pixels (alpha from ${Math.min(...alphas)} to ${Math.max(...alphas)})`);
  await ctx.check();
  renderer.destroy();
  field.destroy();
  pool.destroy();
});
