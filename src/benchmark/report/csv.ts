/**
 * `results.csv` of `reliquary bench rd`: one row per {@link RdPoint}, a header row, RFC 4180 text
 * (CRLF line ends; a field holding a comma, a double quote, CR or LF is quoted, its quotes doubled).
 *
 * Columns: the point's scalar fields in {@link POINT_COLUMNS} order, then its params flattened as
 * `param_<name>`, the union over all points, sorted by name. Numbers are written with full precision
 * (JavaScript's shortest round-trip form, e.g. `0.1234567890123`), `null` and absent values as an
 * empty field, booleans as `true` / `false`.
 */

import type { RdPoint, RdResults } from '../rd-results.ts';

/** The fixed columns, in order: the scalar fields of {@link RdPoint}. */
export const POINT_COLUMNS = Object.freeze([
  'key',
  'experiment',
  'codec',
  'label',
  'bytes',
  'bpp',
  'psnr',
  'psnrCenter',
  'ssim',
  'msssim',
  'lpips',
  'encodeSeconds',
  'decodeSeconds',
  'sharedSeconds',
  'adapter',
  'panelFrame',
  'extension',
] as const satisfies readonly (keyof RdPoint)[]);

/** One CSV field, quoted per RFC 4180 when it needs to be. */
export function csvField(value: unknown): string {
  let s: string;
  if (value === null || value === undefined) s = '';
  else if (typeof value === 'number') s = String(value);
  else if (typeof value === 'boolean') s = value ? 'true' : 'false';
  else if (typeof value === 'string') s = value;
  else s = JSON.stringify(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The sorted union of the params' names over `points`. */
export function paramNames(points: readonly RdPoint[]): string[] {
  const names = new Set<string>();
  for (const p of points) for (const k of Object.keys(p.params ?? {})) names.add(k);
  return [...names].sort();
}

/** `results.csv`: the header, then one row per point in `results.points` order; ends with CRLF. */
export function resultsCsv(results: RdResults): string {
  const params = paramNames(results.points);
  const header = [...POINT_COLUMNS, ...params.map((n) => `param_${n}`)];
  const lines = [header.map(csvField).join(',')];
  for (const p of results.points) {
    const cells: unknown[] = POINT_COLUMNS.map((c) => (c === 'extension' ? p.extension === true : p[c]));
    for (const n of params) cells.push(p.params?.[n]);
    lines.push(cells.map(csvField).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}
