/** Loads a trained model (checkpoint) for rendering: the field, its occupancy grid and the header. */
import type { GpuContext } from '../gpu/device.ts';
import { BufferPool } from '../gpu/buffers.ts';
import { readCheckpoint } from '../train/checkpoint.ts';
import type { CheckpointHeader } from '../train/trainer.ts';
import { Field } from './field.ts';
import { OccupancyGrid } from './occupancy/occupancy-grid.ts';

export interface LoadedModel {
  header: CheckpointHeader;
  field: Field;
  occupancy: OccupancyGrid;
  destroy(): void;
}

/** `maxSamples` sizes the render scratch buffers (more = fewer, larger chunks). */
export function loadModel(ctx: GpuContext, path: string, maxSamples = 1 << 16): LoadedModel {
  const { header, tensors } = readCheckpoint<CheckpointHeader>(path);
  if (header.format !== 'reliquary-model') throw new Error(`${path} is not a Reliquary model checkpoint`);
  const field = new Field(ctx, header.field, maxSamples);
  field.writeParams(tensors);
  const pool = new BufferPool(ctx);
  const occupancy = new OccupancyGrid(pool, header.field.occupancy, maxSamples);
  const occ = tensors.get('occupancy');
  if (!occ) throw new Error(`${path} has no occupancy grid`);
  occupancy.setValues(occ);
  return {
    header, field, occupancy,
    destroy() {
      field.destroy();
      pool.destroy();
    },
  };
}

/** The parts of a decoded `.rlq` field that rebuild it on the GPU (see src/codec/field-file.ts). */
export interface FieldParts {
  field: import('./field-config.ts').FieldConfig;
  /** Grid parameters (±1 for a decoded binarized grid). */
  theta: Float32Array;
  density: Float32Array;
  color: Float32Array;
  occupancy: { resolution: number; bits: Uint32Array };
}

/** A field and its occupancy grid rebuilt from decoded parts, ready for a ViewRenderer. */
export function fieldFromParts(ctx: GpuContext, parts: FieldParts, maxSamples = 1 << 16): Omit<LoadedModel, 'header'> {
  const field = new Field(ctx, parts.field, maxSamples);
  field.writeParams(new Map([['grid', parts.theta], ['density-mlp', parts.density], ['color-mlp', parts.color]]));
  const pool = new BufferPool(ctx);
  const occupancy = new OccupancyGrid(pool, parts.field.occupancy, maxSamples);
  occupancy.setBits(parts.occupancy.bits);
  return {
    field, occupancy,
    destroy() {
      field.destroy();
      pool.destroy();
    },
  };
}
