/**
 * A tiny field architecture for end-to-end tests (6 hash levels, T = 2^12, one plane level, small
 * batches), so that an encode trains in seconds on lavapipe. Pass as `configure` to `encodeDataset`.
 */
import type { Preset } from '../../src/presets.ts';

export function tinyPreset(p: Preset): void {
  p.field.grid.hash = { levels: 6, featuresPerLevel: 2, log2TableSize: 12, nMin: 8, nMax: 64 };
  p.field.grid.planes = { levels: 1, featuresPerLevel: 2, log2TableSize: 11, nMin: 32, nMax: 32 };
  p.field.occupancy = { ...p.field.occupancy, warmupSteps: 8 };
  p.train.samplesPerStep = 1 << 12;
  p.train.rate = { ...p.train.rate!, samples: 2048, startStep: 8, projectionInterval: 16 };
}
