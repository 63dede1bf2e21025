/**
 * The compressed object field as a `.rlq` file (the paper's Sect. 3.4 bitstream: feature embeddings,
 * MLP parameters, context-model parameters, occupancy grid, camera intrinsics and extrinsics): which
 * section carries what, and the two functions that turn a {@link FieldPayload} into file bytes and back.
 *
 * Sections written (docs/FORMAT.md, "Payloads"):
 * - CONFIG          UTF-8 JSON {@link CodecConfig}: field architecture, coding parameters, video size.
 * - CAMERA          src/codec/camera/pose-codec.ts: intrinsics + predictively coded poses.
 * - OCCUPANCY       src/codec/occupancy/occupancy-codec.ts.
 * - FREQUENCIES     one u16 LE per grid level (layout order): v_+ · 65536 (docs/CONTEXT-MODEL.md §2).
 * - CONTEXT_MODELS  u8 version (1), u8 model count (1 = η_c, 2 = η_c then η_dim), u16 reserved, then the
 *                   models' float32 LE parameters in the MLP layout, sizes from CONFIG.
 * - GRID_FEATURES   src/codec/grid/grid-codec.ts: the range-coded signs of the active entries.
 * - MLP             the density then the colour network, each src/codec/mlp/mlp-quant.ts (10 bits).
 *
 * The decoder validates CONFIG before any other section and sizes everything from it, with bounds
 * that keep a hostile file from asking for large allocations.
 */
import { readRlq, writeRlq, type RlqFile, type RlqMode } from './container/rlq-file.ts';
import { SectionType, checkSectionsForMode, type SectionName } from './container/sections.ts';
import { BitstreamError } from './errors.ts';
import { encodePoses, decodePoses, type PoseCodecOptions } from './camera/pose-codec.ts';
import { encodeOccupancy, decodeOccupancy } from './occupancy/occupancy-codec.ts';
import { encodeMlpWeights, decodeMlpWeights, mlpWeightsByteLength, MLP_QUANT_BITS } from './mlp/mlp-quant.ts';
import { encodeGridFeatures, decodeGridFeatures, gridFrequencies, type GridLevelStats } from './grid/grid-codec.ts';
import { contextMlpConfig, CONTEXT_LEVELS, HASH_COMBINE_DEFAULT } from './grid/context-config.ts';
import { gridLayout, type GridLayout } from '../field/encoding/grid-config.ts';
import { mlpParamCount, type MlpConfig } from '../field/network/mlp-config.ts';
import { validateFieldConfig, colorInputDim, type FieldConfig } from '../field/field-config.ts';
import type { Intrinsics } from '../data/camera.ts';
import type { WorldToUnit } from '../data/unit-box.ts';

/** Coding parameters that a decoder needs (CONFIG.coding). */
export interface CodingParams {
  /** L_C: coarser levels in η_c's context (3). */
  contextLevels: number;
  /** K of docs/CONTEXT-MODEL.md §3.4: active vertices averaged per hashed entry. */
  hashCombine: number;
  /** Bits per quantized MLP value (10). */
  mlpBits: number;
}

export const CODING_DEFAULTS: Readonly<CodingParams> = Object.freeze({ contextLevels: CONTEXT_LEVELS, hashCombine: HASH_COMBINE_DEFAULT, mlpBits: MLP_QUANT_BITS });

/** The stored video: what the decoder renders by default. */
export interface StreamInfo {
  /** Number of stored poses (= output frames). */
  frames: number;
  /** Source frame size (the intrinsics' size). */
  width: number;
  height: number;
  /** Frame rate of the source, frames per second. */
  fps: number;
}

/** The CONFIG section. */
export interface CodecConfig {
  format: 'reliquary-field';
  version: 1;
  field: FieldConfig;
  coding: CodingParams;
  video: StreamInfo;
  /** Source world → unit box (to give poses back in the capture's coordinates). */
  worldToUnit: WorldToUnit;
}

/** Everything the file holds, decoded. */
export interface FieldPayload {
  config: CodecConfig;
  intrinsics: Intrinsics;
  /** Camera-to-world 3x4 poses in unit-box coordinates, one per frame. */
  c2w: Float64Array[];
  occupancy: { resolution: number; bits: Uint32Array };
  /** Grid latents θ (the encoder reads their signs); the decoder returns ±1 (inactive entries −1). */
  theta: Float32Array;
  density: Float32Array;
  color: Float32Array;
  context: { level: Float32Array; dim: Float32Array | null };
}

/** Sizes and statistics of a written file. */
export interface EncodedField {
  bytes: Uint8Array;
  /** Payload bytes per section, in file order. */
  sections: { name: string; bytes: number }[];
  /** Per grid level: active entries and ideal bits. */
  gridLevels: GridLevelStats[];
  frequencies: Uint16Array;
}

/** The density and colour MLP shapes of a field configuration. */
export function fieldMlpConfigs(field: FieldConfig): { density: MlpConfig; color: MlpConfig } {
  const layout = gridLayout(field.grid.hash, field.grid.planes);
  const n = field.network;
  return {
    density: { inputDim: layout.outputDim, width: n.densityWidth, hiddenLayers: n.densityHiddenLayers, outputDim: n.densityOutputs },
    color: { inputDim: colorInputDim(n), width: n.colorWidth, hiddenLayers: n.colorHiddenLayers, outputDim: 3 },
  };
}

/** Largest grid a decoder accepts, in f32 parameters (256 MiB: WebGPU's default largest buffer). */
export const MAX_GRID_PARAMS = (256 * 2 ** 20) / 4;
/** Most frames a file may declare. */
export const MAX_FRAMES = 1 << 20;

const u8 = (s: string) => new TextEncoder().encode(s);

/** Writes the file bytes of an FP-mode field (PC-mode background sections are appended by the caller via `extra`). */
export function encodeFieldFile(
  p: FieldPayload,
  opts: { mode?: RlqMode; pose?: Partial<PoseCodecOptions>; extra?: { type: number; payload: Uint8Array }[] } = {},
): EncodedField {
  const cfg = p.config;
  validateFieldConfig(cfg.field, 'config.field');
  if (!cfg.field.grid.binarize) throw new TypeError('config.field.grid.binarize must be true: only binarized grids have a compressed form');
  const layout = gridLayout(cfg.field.grid.hash, cfg.field.grid.planes);
  const mlps = fieldMlpConfigs(cfg.field);
  const G = p.occupancy.resolution;
  if (p.theta.length !== layout.paramCount) throw new TypeError(`theta holds ${p.theta.length} floats; the grid has ${layout.paramCount}`);
  if (p.c2w.length !== cfg.video.frames) throw new TypeError(`c2w holds ${p.c2w.length} poses; config.video.frames is ${cfg.video.frames}`);
  const frequencies = gridFrequencies(layout, p.theta, p.occupancy.bits, G);
  const grid = encodeGridFeatures(layout, p.theta, p.occupancy.bits, G, frequencies, p.context, { hashCombine: cfg.coding.hashCombine });
  const freqBytes = new Uint8Array(frequencies.length * 2);
  const fv = new DataView(freqBytes.buffer);
  frequencies.forEach((q, i) => fv.setUint16(2 * i, q, true));
  const density = encodeMlpWeights(mlps.density, p.density, cfg.coding.mlpBits);
  const color = encodeMlpWeights(mlps.color, p.color, cfg.coding.mlpBits);
  const mlp = new Uint8Array(density.length + color.length);
  mlp.set(density, 0);
  mlp.set(color, density.length);
  const sections: { type: number; payload: Uint8Array; name: SectionName }[] = [
    { name: 'CONFIG', type: SectionType.CONFIG, payload: u8(JSON.stringify(cfg)) },
    { name: 'CAMERA', type: SectionType.CAMERA, payload: encodePoses(p.intrinsics, p.c2w, opts.pose) },
    { name: 'OCCUPANCY', type: SectionType.OCCUPANCY, payload: encodeOccupancy(p.occupancy.bits, G) },
    { name: 'FREQUENCIES', type: SectionType.FREQUENCIES, payload: freqBytes },
    { name: 'CONTEXT_MODELS', type: SectionType.CONTEXT_MODELS, payload: encodeContextModels(layout, p.context) },
    { name: 'GRID_FEATURES', type: SectionType.GRID_FEATURES, payload: grid.bytes },
    { name: 'MLP', type: SectionType.MLP, payload: mlp },
  ];
  const all = [...sections.map(({ type, payload }) => ({ type, payload })), ...(opts.extra ?? [])];
  const bytes = writeRlq({ mode: opts.mode ?? 'fp', sections: all });
  return { bytes, sections: sections.map((s) => ({ name: s.name, bytes: s.payload.length })), gridLevels: grid.levels, frequencies };
}

function encodeContextModels(layout: GridLayout, m: FieldPayload['context']): Uint8Array {
  const F = layout.featuresPerLevel;
  const hasPlanes = layout.planes.levels > 0;
  const sizes = [mlpParamCount(contextMlpConfig('level', F)), hasPlanes ? mlpParamCount(contextMlpConfig('dim', F)) : 0];
  if (m.level.length !== sizes[0]) throw new TypeError(`context.level holds ${m.level.length} floats; η_c has ${sizes[0]}`);
  if (hasPlanes && m.dim?.length !== sizes[1]) throw new TypeError(`context.dim holds ${m.dim?.length ?? 0} floats; η_dim has ${sizes[1]}`);
  const out = new Uint8Array(4 + 4 * (sizes[0]! + sizes[1]!));
  const v = new DataView(out.buffer);
  v.setUint8(0, 1);
  v.setUint8(1, hasPlanes ? 2 : 1);
  let o = 4;
  for (const t of hasPlanes ? [m.level, m.dim!] : [m.level]) for (const x of t) { v.setFloat32(o, x, true); o += 4; }
  return out;
}

function decodeContextModels(layout: GridLayout, b: Uint8Array): FieldPayload['context'] {
  const F = layout.featuresPerLevel;
  const hasPlanes = layout.planes.levels > 0;
  const nl = mlpParamCount(contextMlpConfig('level', F));
  const nd = hasPlanes ? mlpParamCount(contextMlpConfig('dim', F)) : 0;
  const fail = (m: string) => new BitstreamError(`section CONTEXT_MODELS: ${m}`, 'CONTEXT_MODELS');
  if (b.length < 4) throw fail(`${b.length} bytes, shorter than its 4-byte header`);
  if (b[0] !== 1) throw fail(`version ${b[0]} is not supported (this decoder reads 1)`);
  if (b[1] !== (hasPlanes ? 2 : 1)) throw fail(`holds ${b[1]} models; the configuration needs ${hasPlanes ? 2 : 1}`);
  if (b.length !== 4 + 4 * (nl + nd)) throw fail(`${b.length} bytes; the configuration needs ${4 + 4 * (nl + nd)}`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const read = (off: number, n: number) => {
    const t = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      t[i] = v.getFloat32(off + 4 * i, true);
      if (!Number.isFinite(t[i]!)) throw fail(`parameter ${i} is not finite`);
    }
    return t;
  };
  return { level: read(4, nl), dim: hasPlanes ? read(4 + 4 * nl, nd) : null };
}

/** Parses and validates the CONFIG section. */
export function decodeConfig(b: Uint8Array): CodecConfig {
  const fail = (m: string) => new BitstreamError(`section CONFIG: ${m}`, 'CONFIG');
  let c: CodecConfig;
  try {
    c = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b)) as CodecConfig;
  } catch (e) {
    throw fail(`not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof c !== 'object' || c === null || c.format !== 'reliquary-field') throw fail('not a Reliquary field configuration');
  if (c.version !== 1) throw fail(`configuration version ${String(c.version)} is not supported (this decoder reads 1)`);
  try {
    validateFieldConfig(c.field, 'field');
    if (!c.field.grid.binarize) throw new TypeError('field.grid.binarize must be true');
    const layout = gridLayout(c.field.grid.hash, c.field.grid.planes);
    if (layout.paramCount > MAX_GRID_PARAMS) throw new TypeError(`the grid has ${layout.paramCount} parameters, more than ${MAX_GRID_PARAMS}`);
    const k = c.coding;
    if (!k || k.contextLevels !== CONTEXT_LEVELS) throw new TypeError(`coding.contextLevels must be ${CONTEXT_LEVELS}`);
    if (!Number.isInteger(k.hashCombine) || k.hashCombine < 1 || k.hashCombine > 64) throw new TypeError('coding.hashCombine must be an integer in [1, 64]');
    if (!Number.isInteger(k.mlpBits) || k.mlpBits < 1 || k.mlpBits > 16) throw new TypeError('coding.mlpBits must be an integer in [1, 16]');
    const v = c.video;
    if (!v || !Number.isInteger(v.frames) || v.frames < 1 || v.frames > MAX_FRAMES) throw new TypeError(`video.frames must be an integer in [1, ${MAX_FRAMES}]`);
    if (!Number.isInteger(v.width) || !Number.isInteger(v.height) || v.width < 1 || v.height < 1 || v.width > 16384 || v.height > 16384) throw new TypeError('video.width/height must be integers in [1, 16384]');
    if (!(v.fps > 0 && v.fps <= 1000)) throw new TypeError('video.fps must be in (0, 1000]');
    const w = c.worldToUnit;
    if (!w || !(w.scale > 0) || !Array.isArray(w.offset) || w.offset.length !== 3 || !w.offset.every(Number.isFinite)) throw new TypeError('worldToUnit must be { scale > 0, offset: [x, y, z] }');
  } catch (e) {
    throw fail((e as Error).message);
  }
  return c;
}

/** A decoded file: the payload plus the container (for `info`). */
export interface DecodedField extends FieldPayload {
  file: RlqFile;
  frequencies: Uint16Array;
}

/** Reads and decodes every FP section of a `.rlq` file. Throws BitstreamError naming the bad section. */
export function decodeFieldFile(bytes: Uint8Array, opts: { hook?: { onProbability?: (p1: number, bit: number) => void } } = {}): DecodedField {
  const file = readRlq(bytes);
  checkSectionsForMode(file.mode, file.sections.map((s) => s.type));
  const get = (name: SectionName) => {
    const s = file.sections.find((x) => x.type === SectionType[name]);
    if (!s) throw new BitstreamError(`section ${name} is missing`, name);
    return s.payload;
  };
  const config = decodeConfig(get('CONFIG'));
  const layout = gridLayout(config.field.grid.hash, config.field.grid.planes);
  const mlps = fieldMlpConfigs(config.field);
  const poses = decodePoses(get('CAMERA'));
  if (poses.c2w.length !== config.video.frames) {
    throw new BitstreamError(`section CAMERA holds ${poses.c2w.length} poses; CONFIG declares ${config.video.frames} frames`, 'CAMERA');
  }
  const occ = decodeOccupancy(get('OCCUPANCY'));
  if (occ.resolution !== config.field.occupancy.resolution) {
    throw new BitstreamError(`section OCCUPANCY has resolution ${occ.resolution}; CONFIG declares ${config.field.occupancy.resolution}`, 'OCCUPANCY');
  }
  const fb = get('FREQUENCIES');
  if (fb.length !== 2 * layout.levels.length) throw new BitstreamError(`section FREQUENCIES: ${fb.length} bytes; the grid has ${layout.levels.length} levels (2 bytes each)`, 'FREQUENCIES');
  const frequencies = new Uint16Array(layout.levels.length);
  const fv = new DataView(fb.buffer, fb.byteOffset, fb.byteLength);
  for (let i = 0; i < frequencies.length; i++) {
    frequencies[i] = fv.getUint16(2 * i, true);
    if (frequencies[i] === 0) throw new BitstreamError(`section FREQUENCIES: level ${i} has frequency 0 (must be 1..65535)`, 'FREQUENCIES');
  }
  const context = decodeContextModels(layout, get('CONTEXT_MODELS'));
  const theta = decodeGridFeatures(layout, get('GRID_FEATURES'), occ.bits, occ.resolution, frequencies, context, {
    hashCombine: config.coding.hashCombine, onProbability: opts.hook?.onProbability,
  });
  const mb = get('MLP');
  const nd = mlpWeightsByteLength(mlps.density, config.coding.mlpBits);
  const nc = mlpWeightsByteLength(mlps.color, config.coding.mlpBits);
  if (mb.length !== nd + nc) throw new BitstreamError(`section MLP: ${mb.length} bytes; the configuration needs ${nd + nc}`, 'MLP');
  const density = decodeMlpWeights(mlps.density, mb.subarray(0, nd));
  const color = decodeMlpWeights(mlps.color, mb.subarray(nd));
  return { file, config, intrinsics: poses.intrinsics, c2w: poses.c2w, occupancy: occ, theta, density, color, context, frequencies };
}
