/**
 * `reliquary info` as a library call: the container's section table (bytes per section, share of the
 * file), the container's own overhead, bits per pixel of the stored video, the configuration and the
 * number of occupied cells. Reads the container, CONFIG and OCCUPANCY (the one section it entropy-decodes:
 * G³ binary symbols, under a second for G = 128); the grid features are left alone.
 */
import { readFileSync } from 'node:fs';
import { readRlq, RLQ_HEADER_SIZE, RLQ_ENTRY_SIZE, rlqPadding } from '../codec/container/rlq-file.ts';
import { SectionType } from '../codec/container/sections.ts';
import { decodeConfig, type CodecConfig } from '../codec/field-file.ts';
import { BitstreamError } from '../codec/errors.ts';
import { decodeOccupancy } from '../codec/occupancy/occupancy-codec.ts';

export interface FileInfo {
  path: string;
  bytes: number;
  version: string;
  mode: 'fp' | 'pc';
  /** Every section in file order; `share` is payload / file bytes. */
  sections: { name: string; type: number; bytes: number; share: number; crc32: string }[];
  /** Header + section table + alignment padding: bytes − Σ section bytes. */
  containerBytes: number;
  /** bytes·8 / (width·height·frames). */
  bpp: number;
  config: CodecConfig;
  /** Occupied cells of the G³ occupancy grid (what the renderer samples). */
  occupiedCells: number;
}

export function inspectFile(path: string): FileInfo {
  const bytes = readFileSync(path);
  const file = readRlq(bytes);
  const cfg = file.sections.find((s) => s.type === SectionType.CONFIG);
  if (!cfg) throw new BitstreamError('section CONFIG is missing', 'CONFIG');
  const config = decodeConfig(cfg.payload);
  const sections = file.sections.map((s) => ({
    name: s.name, type: s.type, bytes: s.length, share: s.length / bytes.length, crc32: s.crc32.toString(16).padStart(8, '0'),
  }));
  const payload = sections.reduce((a, s) => a + s.bytes, 0);
  const containerBytes = RLQ_HEADER_SIZE + RLQ_ENTRY_SIZE * sections.length + file.sections.reduce((a, s) => a + rlqPadding(s.length), 0);
  if (payload + containerBytes !== bytes.length) throw new BitstreamError(`sections (${payload} bytes) and container (${containerBytes}) do not add up to the file's ${bytes.length} bytes`, 'section table');
  const occ = file.sections.find((s) => s.type === SectionType.OCCUPANCY);
  if (!occ) throw new BitstreamError('section OCCUPANCY is missing', 'OCCUPANCY');
  let occupiedCells = 0;
  for (const w of decodeOccupancy(occ.payload).bits) for (let x = w; x; x &= x - 1) occupiedCells++;
  const v = config.video;
  return {
    path, bytes: bytes.length, version: `${file.version.major}.${file.version.minor}`, mode: file.mode, sections, containerBytes,
    bpp: (bytes.length * 8) / (v.width * v.height * v.frames), config, occupiedCells,
  };
}

/** The human-readable report of {@link inspectFile}. */
export function formatInfo(i: FileInfo): string {
  const g = i.config.field.grid;
  const n = i.config.field.network;
  const lines = [
    `${i.path}: Reliquary ${i.version}, ${i.mode.toUpperCase()} mode, ${i.bytes} bytes`,
    `video: ${i.config.video.frames} frames of ${i.config.video.width}x${i.config.video.height} at ${i.config.video.fps} fps → ${i.bpp.toPrecision(4)} bpp`,
    '',
    'section            bytes    share',
    ...i.sections.map((s) => `${s.name.padEnd(16)} ${String(s.bytes).padStart(8)}  ${(100 * s.share).toFixed(1).padStart(5)} %`),
    `${'(container)'.padEnd(16)} ${String(i.containerBytes).padStart(8)}  ${((100 * i.containerBytes) / i.bytes).toFixed(1).padStart(5)} %`,
    '',
    `grid: 3-D L=${g.hash.levels}, N ${g.hash.nMin}…${g.hash.nMax}, T=2^${g.hash.log2TableSize}; ` +
      (g.planes && g.planes.levels > 0 ? `planes L2=${g.planes.levels}, N ${g.planes.nMin}…${g.planes.nMax}, T=2^${g.planes.log2TableSize}; ` : 'no planes; ') +
      `d_f=${g.hash.featuresPerLevel}, binarized`,
    `MLPs: density width ${n.densityWidth}×${n.densityHiddenLayers}, colour width ${n.colorWidth}×${n.colorHiddenLayers}, ${i.config.coding.mlpBits}-bit weights`,
    `context models: L_C=${i.config.coding.contextLevels}, K=${i.config.coding.hashCombine}; ` +
      `occupancy ${i.config.field.occupancy.resolution}³, ${i.occupiedCells.toLocaleString('en')} cells occupied (${((100 * i.occupiedCells) / i.config.field.occupancy.resolution ** 3).toFixed(2)} %)`,
  ];
  return lines.join('\n');
}
