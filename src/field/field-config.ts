/**
 * The radiance field's architecture (the paper's Sect. 3.1 and 3.4): a hybrid 3-D hash grid + 2-D plane
 * encoding, a density MLP → (σ logit, geometry feature), a colour MLP on (density outputs, SH degree-4
 * view encoding) → RGB, an occupancy grid and the marcher's step.
 */
import { validateGridConfig, type GridEncodingConfig } from './encoding/grid-config.ts';
import { OCCUPANCY_DEFAULTS, type OccupancyOptions } from './occupancy/occupancy-grid.ts';
import { MARCH_DEFAULTS, type MarchOptions } from '../render/march/march.ts';

/** Widths of the two MLPs. */
export interface NetworkConfig {
  /** Hidden width of the density MLP (paper/CNC: 160; CPU preset 64). */
  densityWidth: number;
  /** Hidden layers of the density MLP (1). */
  densityHiddenLayers: number;
  /** Outputs of the density MLP: σ's logit plus a geometry feature (16, as Instant-NGP). */
  densityOutputs: number;
  /** Hidden width of the colour MLP (paper/CNC: 160; CPU preset 64). */
  colorWidth: number;
  /** Hidden layers of the colour MLP (2). */
  colorHiddenLayers: number;
}

/** Everything that fixes the field's parameters and how it is rendered. */
export interface FieldConfig {
  grid: GridEncodingConfig;
  network: NetworkConfig;
  occupancy: OccupancyOptions;
  march: MarchOptions;
}

/** Spherical-harmonics coefficients of the view direction (degree 4). */
export const SH_COEFFS = 16;

/** Input width of the colour MLP: the density MLP's outputs plus the SH coefficients. */
export function colorInputDim(net: NetworkConfig): number {
  return net.densityOutputs + SH_COEFFS;
}

function int(v: unknown, path: string, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new TypeError(`${path} must be an integer in [${min}, ${max}] (got ${String(v)})`);
}

/** Validates a field config; throws a TypeError naming the field. */
export function validateFieldConfig(c: FieldConfig, name = 'field'): FieldConfig {
  validateGridConfig(c.grid, `${name}.grid`);
  int(c.network.densityWidth, `${name}.network.densityWidth`, 8, 256);
  int(c.network.densityHiddenLayers, `${name}.network.densityHiddenLayers`, 1, 4);
  int(c.network.densityOutputs, `${name}.network.densityOutputs`, 1, 32);
  int(c.network.colorWidth, `${name}.network.colorWidth`, 8, 256);
  int(c.network.colorHiddenLayers, `${name}.network.colorHiddenLayers`, 1, 4);
  int(c.occupancy.resolution, `${name}.occupancy.resolution`, 8, 512);
  if (!(c.march.dt > 0 && c.march.dt < 0.5)) throw new TypeError(`${name}.march.dt must be in (0, 0.5) (got ${c.march.dt})`);
  return c;
}

export const NETWORK_PRESETS = Object.freeze({
  paper: Object.freeze({ densityWidth: 160, densityHiddenLayers: 1, densityOutputs: 16, colorWidth: 160, colorHiddenLayers: 2 }),
  cpu: Object.freeze({ densityWidth: 64, densityHiddenLayers: 1, densityOutputs: 16, colorWidth: 64, colorHiddenLayers: 2 }),
} satisfies Record<string, NetworkConfig>);

export { OCCUPANCY_DEFAULTS, MARCH_DEFAULTS };
