/**
 * Turns a field file into a PC-mode file with a given background stream (or swaps the stream of a
 * PC file): the field's sections are kept byte for byte, BACKGROUND_VIDEO and BACKGROUND_META are
 * replaced, and the header says `pc`. The field of a PC file does not depend on its background,
 * so one trained field serves every background setting (the paper's PC sweep over GOP × CRF).
 */
import { readRlq, writeRlq } from './container/rlq-file.ts';
import { SectionType } from './container/sections.ts';
import { encodeBackgroundMeta } from './background/background-meta.ts';
import type { EncodedBackground } from '../background/background-stream.ts';

/**
 * The bytes of a PC-mode `.rlq`: `fieldFile`'s field sections plus `background`.
 *
 * @throws BitstreamError when `fieldFile` is not a valid `.rlq`.
 */
export function withBackground(fieldFile: Uint8Array, background: EncodedBackground): Uint8Array {
  const file = readRlq(fieldFile);
  const drop = new Set<number>([SectionType.BACKGROUND_VIDEO, SectionType.BACKGROUND_META]);
  const sections = file.sections.filter((s) => !drop.has(s.type)).map((s) => ({ type: s.type, payload: s.payload }));
  sections.push({ type: SectionType.BACKGROUND_VIDEO, payload: background.video });
  sections.push({ type: SectionType.BACKGROUND_META, payload: encodeBackgroundMeta(background.meta) });
  return writeRlq({ mode: 'pc', sections });
}
