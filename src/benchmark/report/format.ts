/**
 * Text helpers of the RD report: HTML escaping and the number formats of its tables and captions.
 * Every missing value (null, undefined, NaN) is shown as an em dash.
 */

/** The placeholder of a missing value. */
export const DASH = '—';

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** `n` with `digits` decimals; ±∞ as `∞` / `−∞`; missing as {@link DASH}. */
export function fixed(n: number | null | undefined, digits: number): string {
  if (n === null || n === undefined || Number.isNaN(n)) return DASH;
  if (!Number.isFinite(n)) return n > 0 ? '∞' : '−∞';
  return n.toFixed(digits);
}

/** Like {@link fixed} with an explicit `+` on positive values (deltas). */
export function signed(n: number | null | undefined, digits: number): string {
  const s = fixed(n, digits);
  return typeof n === 'number' && n > 0 && Number.isFinite(n) ? `+${s}` : s;
}

/** Bits per pixel with 3 significant digits (`0.0123`, `0.456`, `1.23`). */
export function bppText(bpp: number | null | undefined): string {
  if (bpp === null || bpp === undefined || !Number.isFinite(bpp)) return fixed(bpp, 0);
  return bpp === 0 ? '0' : bpp.toPrecision(3);
}

/** A value of the settings table: strings as they are, numbers and booleans as text, others as JSON. */
export function settingText(value: unknown): string {
  if (value === null || value === undefined) return DASH;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
