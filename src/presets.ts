/**
 * Named presets, in one registry: the paper's architecture and schedule (for GPUs) and a smaller one
 * that trains on a 2-core CPU through lavapipe in minutes.
 */
import { GRID_PRESETS } from './field/encoding/grid-config.ts';
import { NETWORK_PRESETS, OCCUPANCY_DEFAULTS, MARCH_DEFAULTS, type FieldConfig } from './field/field-config.ts';
import { TRAIN_PRESETS, type TrainConfig } from './train/train-config.ts';

export interface Preset {
  description: string;
  field: FieldConfig;
  train: TrainConfig;
}

const clone = <T>(x: T): T => structuredClone(x) as T;

export const PRESETS: Readonly<Record<'paper' | 'cpu', Preset>> = Object.freeze({
  paper: {
    description: 'The paper: 3-D L=12, N 16…512, T=2^19; planes L2=4, N 128…1024, T=2^17; MLP width 160; 2^16 kept samples/step.',
    field: { grid: clone(GRID_PRESETS.paper), network: clone(NETWORK_PRESETS.paper), occupancy: clone(OCCUPANCY_DEFAULTS), march: clone(MARCH_DEFAULTS) },
    train: clone(TRAIN_PRESETS.paper),
  },
  cpu: {
    description: 'For a 2-core CPU (lavapipe): 3-D L=16, N 16…1024, T=2^17; planes L2=2, N 64…256; MLP width 64; 2^15 samples/step.',
    field: {
      grid: clone(GRID_PRESETS.cpu),
      network: clone(NETWORK_PRESETS.cpu),
      occupancy: { ...OCCUPANCY_DEFAULTS, warmupSteps: 64 },
      march: clone(MARCH_DEFAULTS),
    },
    train: clone(TRAIN_PRESETS.cpu),
  },
});

export type PresetName = keyof typeof PRESETS;

export function getPreset(name: string): Preset {
  if (!(name in PRESETS)) throw new TypeError(`--preset must be one of ${Object.keys(PRESETS).join(', ')} (got ${name})`);
  return clone(PRESETS[name as PresetName]);
}
