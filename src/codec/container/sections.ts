/**
 * The registry of `.rlq` section types: the u16 code of each section, its name, a one-line doc, and
 * whether a decoder needs it in each mode. This is the one source of truth for section codes;
 * `docs/FORMAT.md` ("Section registry") lists the same table and must be kept in step.
 *
 * Code ranges (u16):
 * - `0x0000`: invalid; a reader rejects a section with this type.
 * - `0x0001`–`0x7EFF`: assigned by the format (this registry). A newer minor version may assign more;
 *   a reader that does not know a code keeps the section (it is skippable) and flags it as unknown.
 * - `0x7F00`–`0x7FFF`: vendor / experimental sections, never assigned by the format; skippable.
 * - `0x8000`–`0xFFFF`: reserved; writers of format 1.x must not use them; readers treat them as unknown.
 *
 * The container layer (`rlq-file.ts`) only checks structure; which sections a decoder requires is
 * {@link checkSectionsForMode}'s business, so that tools can still open and inspect partial files.
 */

import { BitstreamError } from '../errors.ts';

/** Working mode of a file (paper Sect. 3.2): FP = foreground (object) only; PC = object plus coded background. */
export type RlqMode = 'fp' | 'pc';

/** Whether a section must, may or must not appear in a file of a given mode. */
export type SectionPresence = 'required' | 'optional' | 'forbidden';

/** One registered section type. */
export interface SectionInfo {
  /** The u16 type code stored in the section table. */
  readonly code: number;
  /** Upper-case name used in messages and in `docs/FORMAT.md`. */
  readonly name: string;
  /** One-line description of the payload. */
  readonly doc: string;
  /** Presence rule in FP mode. */
  readonly fp: SectionPresence;
  /** Presence rule in PC mode. */
  readonly pc: SectionPresence;
}

/** Type codes of the registered sections, by name. */
export const SectionType = Object.freeze({
  CONFIG: 1,
  CAMERA: 2,
  OCCUPANCY: 3,
  GRID_FEATURES: 4,
  FREQUENCIES: 5,
  CONTEXT_MODELS: 6,
  MLP: 7,
  BACKGROUND_VIDEO: 8,
  BACKGROUND_META: 9,
} as const);

/** Name of a registered section type. */
export type SectionName = keyof typeof SectionType;

/** First code of the vendor / experimental range. */
export const VENDOR_SECTION_FIRST = 0x7f00;
/** Last code of the vendor / experimental range. */
export const VENDOR_SECTION_LAST = 0x7fff;
/** First code of the reserved range (0x8000–0xFFFF). */
export const RESERVED_SECTION_FIRST = 0x8000;

/** Every registered section, in code order. */
export const SECTION_REGISTRY: readonly SectionInfo[] = Object.freeze(([
  {
    code: SectionType.CONFIG,
    name: 'CONFIG',
    doc: 'UTF-8 JSON of the resolved field configuration (grid, network, occupancy, coding parameters).',
    fp: 'required',
    pc: 'required',
  },
  {
    code: SectionType.CAMERA,
    name: 'CAMERA',
    doc: 'Camera intrinsics K and the predictively coded extrinsics [R_i | t_i] of the N frames.',
    fp: 'required',
    pc: 'required',
  },
  {
    code: SectionType.OCCUPANCY,
    name: 'OCCUPANCY',
    doc: 'Arithmetic-coded occupancy grid O.',
    fp: 'required',
    pc: 'required',
  },
  {
    code: SectionType.GRID_FEATURES,
    name: 'GRID_FEATURES',
    doc: 'Arithmetic-coded binary (±1) hash-grid and plane features F.',
    fp: 'required',
    pc: 'required',
  },
  {
    code: SectionType.FREQUENCIES,
    name: 'FREQUENCIES',
    doc: 'Per-level frequency side information for the entropy coder.',
    fp: 'required',
    pc: 'required',
  },
  {
    code: SectionType.CONTEXT_MODELS,
    name: 'CONTEXT_MODELS',
    doc: 'Context-model parameters Θ as float32.',
    fp: 'required',
    pc: 'required',
  },
  {
    code: SectionType.MLP,
    name: 'MLP',
    doc: 'Rendering-MLP weights Φ, quantized to 10 bits per tensor with its float32 min/max.',
    fp: 'required',
    pc: 'required',
  },
  {
    code: SectionType.BACKGROUND_VIDEO,
    name: 'BACKGROUND_VIDEO',
    doc: 'PC mode: the background video E_B (H.264/H.265/AV1 elementary stream or MP4).',
    fp: 'forbidden',
    pc: 'required',
  },
  {
    code: SectionType.BACKGROUND_META,
    name: 'BACKGROUND_META',
    doc: 'PC mode: background metadata (codec, per-frame mean colours, fill colour, compositing).',
    fp: 'forbidden',
    pc: 'required',
  },
] satisfies SectionInfo[]).map((info) => Object.freeze(info)));

const BY_CODE: ReadonlyMap<number, SectionInfo> = new Map(SECTION_REGISTRY.map((s) => [s.code, s]));

/** How a reader of this version classifies a u16 section type code. */
export type SectionClass = 'registered' | 'vendor' | 'unassigned' | 'reserved' | 'invalid';

/** Classifies a section type code into the ranges listed in the module doc. */
export function classifySection(code: number): SectionClass {
  if (!Number.isInteger(code) || code <= 0 || code > 0xffff) return 'invalid';
  if (BY_CODE.has(code)) return 'registered';
  if (code >= VENDOR_SECTION_FIRST && code <= VENDOR_SECTION_LAST) return 'vendor';
  if (code >= RESERVED_SECTION_FIRST) return 'reserved';
  return 'unassigned';
}

/** The registry entry of `code`, or `undefined` for an unregistered code. */
export function sectionInfo(code: number): SectionInfo | undefined {
  return BY_CODE.get(code);
}

/** `0x7F01`-style four-digit upper-case hex of a u16. */
function hex16(code: number): string {
  return `0x${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The name of a section type: the registered name (`GRID_FEATURES`), or `VENDOR_0x7F01`,
 * `UNKNOWN_0x0042` (unassigned or reserved) or `INVALID_0x0000` for codes outside the registry.
 */
export function sectionName(code: number): string {
  const info = BY_CODE.get(code);
  if (info) return info.name;
  switch (classifySection(code)) {
    case 'vendor':
      return `VENDOR_${hex16(code)}`;
    case 'invalid':
      return `INVALID_${hex16(code & 0xffff)}`;
    default:
      return `UNKNOWN_${hex16(code)}`;
  }
}

/** The label used in error messages: `GRID_FEATURES (type 4)`. */
export function sectionLabel(code: number): string {
  return `${sectionName(code)} (type ${code})`;
}

/** The presence rule of `code` in `mode`; unregistered (vendor, unknown) sections are optional. */
export function sectionPresence(code: number, mode: RlqMode): SectionPresence {
  const info = BY_CODE.get(code);
  return info ? info[mode] : 'optional';
}

/** The registered sections a decoder needs in `mode`, in code order. */
export function requiredSections(mode: RlqMode): readonly SectionInfo[] {
  return SECTION_REGISTRY.filter((s) => s[mode] === 'required');
}

/**
 * Checks that a file's section types suit its mode: every required section is present and no
 * forbidden one (a background section in an FP file) is. Decoders call this after `readRlq`.
 *
 * @throws BitstreamError naming the first missing or forbidden section.
 */
export function checkSectionsForMode(mode: RlqMode, types: Iterable<number>): void {
  const present = new Set(types);
  for (const info of SECTION_REGISTRY) {
    const rule = info[mode];
    if (rule === 'required' && !present.has(info.code)) {
      throw new BitstreamError(
        `section ${sectionLabel(info.code)} is missing; a ${mode.toUpperCase()}-mode file needs it`,
        info.name,
      );
    }
    if (rule === 'forbidden' && present.has(info.code)) {
      throw new BitstreamError(
        `section ${sectionLabel(info.code)} is not allowed in a ${mode.toUpperCase()}-mode file`,
        info.name,
      );
    }
  }
}
