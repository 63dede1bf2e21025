/**
 * The Fig. 5-style panel of the RD report (Zhang & Chen 2025, Fig. 5): the same decoded frame from
 * Reliquary and from each anchor codec at a similar bpp, all cropped to one rectangle around the
 * object, with bpp, PSNR and PSNR-CENTER under each crop, and the reference frame's crop first.
 *
 * Choice of points (within one experiment; points without a `panelFrame` are never chosen):
 * - Reliquary: the point named by `opts.reliquaryKey`, else the one with the best PSNR-CENTER;
 * - each anchor codec: the point whose bpp is closest to that Reliquary point's, in ratio
 *   (|ln(bpp / bpp_R)|, so 0.01 is as far from 0.02 as 0.04 is); ties go to the higher PSNR-CENTER.
 *
 * The crop rectangle is `opts.objectBox` grown by `opts.margin` on each side and clamped to the
 * frame, in pixels of the coded frames (`results.input.coded`); without a box it is the centre
 * half of the frame (half its width and half its height). A frame whose size differs from the coded
 * size (e.g. a full-resolution reference) is cropped at the proportionally scaled rectangle; every
 * crop is then resized to one output size, so all crops have identical dimensions.
 */

import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { RdCodec, RdExperiment, RdPoint, RdResults } from '../rd-results.ts';
import { CODEC_NAMES, CODEC_ORDER, EXPERIMENT_NAMES } from './rd-plots.ts';
import { bppText, escapeHtml, fixed } from './format.ts';

/** An axis-aligned pixel rectangle. */
export interface PixelBox {
  /** Left edge, px. */
  x: number;
  /** Top edge, px. */
  y: number;
  width: number;
  height: number;
}

/** Options of {@link buildPanel}. */
export interface PanelOptions {
  /** Key of the Reliquary point to show; default: the experiment's best PSNR-CENTER point with a panel frame. */
  reliquaryKey?: string;
  /** The object's bounding box in the panel frame, px of the coded frame; default: centre crop. */
  objectBox?: PixelBox;
  /** Margin added on every side of `objectBox`, px; default 16. */
  margin?: number;
  /** PNG of the reference (uncoded) frame; a relative path is taken relative to the report folder. */
  referenceFrame?: string;
  /** Index of the panel frame, for the caption; default `results.settings.panelFrame` when a number. */
  frameIndex?: number;
  /** Width of every written crop, px (height follows the rectangle's aspect); default: the rectangle's width. */
  cropWidth?: number;
}

/** One crop of the panel. */
export interface PanelEntry {
  role: 'reference' | 'reliquary' | 'anchor';
  /** The point shown, absent for the reference. */
  point?: RdPoint;
  /** The crop PNG, relative to the report folder (`panel/…`, forward slashes). */
  file: string;
  /** The caption's first line, e.g. `x264 — bpp 0.0123, PSNR 31.2 dB, PSNR-CENTER 25.1 dB`. */
  caption: string;
}

/** What {@link buildPanel} made. */
export interface PanelResult {
  /** The HTML fragment (a `<figure>`), or `` when there was nothing to show. */
  html: string;
  /** Absolute paths of the PNGs written. */
  files: string[];
  /** The crop rectangle in coded-frame px, or null when nothing was cropped. */
  crop: PixelBox | null;
  /** Size of every written crop, or null. */
  size: { width: number; height: number } | null;
  /** The crops, in panel order: reference, Reliquary, anchors in codec order. */
  entries: PanelEntry[];
  /** Why a chosen frame was left out (e.g. a missing file), one line each. */
  skipped: string[];
}

/**
 * The crop rectangle (integer px, inside the frame) of `box` grown by `margin` and clamped to a
 * `frameWidth`×`frameHeight` frame; the centre half of the frame when `box` is absent or lies
 * outside the frame.
 */
export function cropRect(frameWidth: number, frameHeight: number, box?: PixelBox, margin = 16): PixelBox {
  if (!(Number.isInteger(frameWidth) && frameWidth > 0 && Number.isInteger(frameHeight) && frameHeight > 0)) {
    throw new TypeError(`frame size must be positive integers (got ${frameWidth}×${frameHeight})`);
  }
  if (box) {
    const x0 = Math.max(0, Math.floor(box.x - margin));
    const y0 = Math.max(0, Math.floor(box.y - margin));
    const x1 = Math.min(frameWidth, Math.ceil(box.x + box.width + margin));
    const y1 = Math.min(frameHeight, Math.ceil(box.y + box.height + margin));
    if (x1 > x0 && y1 > y0) return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  }
  const width = Math.max(1, Math.round(frameWidth / 2));
  const height = Math.max(1, Math.round(frameHeight / 2));
  return { x: Math.floor((frameWidth - width) / 2), y: Math.floor((frameHeight - height) / 2), width, height };
}

function checkOptions(opts: PanelOptions): void {
  const b = opts.objectBox;
  if (b !== undefined) {
    for (const k of ['x', 'y', 'width', 'height'] as const) {
      if (typeof b[k] !== 'number' || !Number.isFinite(b[k])) {
        throw new TypeError(`opts.objectBox.${k}, when objectBox is provided, must be a finite number (got ${String(b[k])})`);
      }
    }
    if (b.width <= 0 || b.height <= 0) {
      throw new TypeError(`opts.objectBox must have a positive width and height (got ${b.width}×${b.height})`);
    }
  }
  if (opts.margin !== undefined && !(Number.isFinite(opts.margin) && opts.margin >= 0)) {
    throw new TypeError(`opts.margin, when provided, must be a number of px ≥ 0 (got ${String(opts.margin)})`);
  }
  if (opts.cropWidth !== undefined && !(Number.isInteger(opts.cropWidth) && opts.cropWidth >= 8 && opts.cropWidth <= 8192)) {
    throw new TypeError(`opts.cropWidth, when provided, must be an integer in 8…8192 (got ${String(opts.cropWidth)})`);
  }
}

/** The Reliquary point and, per anchor codec, the point nearest in bpp (see the module doc). */
export function choosePanelPoints(
  results: RdResults,
  experiment: RdExperiment,
  reliquaryKey?: string,
): { reliquary: RdPoint; anchors: RdPoint[] } | null {
  const framed = results.points.filter((p) => p.experiment === experiment && typeof p.panelFrame === 'string' && p.panelFrame !== '');
  let reliquary: RdPoint | undefined;
  if (reliquaryKey !== undefined) {
    reliquary = framed.find((p) => p.key === reliquaryKey && p.codec === 'reliquary');
    if (!reliquary) {
      throw new TypeError(`opts.reliquaryKey (${reliquaryKey}) names no ${experiment} Reliquary point with a panelFrame`);
    }
  } else {
    for (const p of framed) {
      if (p.codec !== 'reliquary') continue;
      if (!reliquary || (p.psnrCenter ?? -Infinity) > (reliquary.psnrCenter ?? -Infinity)) reliquary = p;
    }
  }
  if (!reliquary) return null;
  const target = reliquary.bpp;
  const distance = (p: RdPoint): number =>
    target > 0 && p.bpp > 0 ? Math.abs(Math.log(p.bpp / target)) : Math.abs(p.bpp - target);
  const anchors: RdPoint[] = [];
  for (const codec of CODEC_ORDER) {
    if (codec === 'reliquary') continue;
    let best: RdPoint | undefined;
    for (const p of framed) {
      if (p.codec !== codec || !Number.isFinite(p.bpp)) continue;
      if (!best) best = p;
      else {
        // Equal ratios (up to rounding of the logarithms) are a tie.
        const d = distance(p) - distance(best);
        if (d < -1e-9 || (Math.abs(d) <= 1e-9 && p.psnrCenter > best.psnrCenter)) best = p;
      }
    }
    if (best) anchors.push(best);
  }
  return { reliquary, anchors };
}

/** A file-name-safe version of a point key. */
function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** The caption line of a point: `codec — bpp …, PSNR … dB, PSNR-CENTER … dB`. */
export function panelCaption(p: RdPoint): string {
  const codec = CODEC_NAMES[p.codec as RdCodec] ?? String(p.codec);
  return `${codec} — bpp ${bppText(p.bpp)}, PSNR ${fixed(p.psnr, 1)} dB, PSNR-CENTER ${fixed(p.psnrCenter, 1)} dB`;
}

/**
 * Builds the panel of `experiment`: chooses the points, crops their `panelFrame`s (and
 * `opts.referenceFrame`) to one rectangle, writes `reportDir/panel/<key>.png` (prefixed with
 * `<experiment>-` when the key lacks it) and `panel/<experiment>-reference.png`, and returns the
 * HTML fragment, whose image paths are relative to `reportDir`. Frames whose files are missing are
 * left out and listed in `skipped`.
 *
 * @throws TypeError on a bad option (naming it), e.g. a `reliquaryKey` that names no framed Reliquary point.
 */
export async function buildPanel(
  results: RdResults,
  experiment: RdExperiment,
  reportDir: string,
  opts: PanelOptions = {},
): Promise<PanelResult> {
  checkOptions(opts);
  const empty: PanelResult = { html: '', files: [], crop: null, size: null, entries: [], skipped: [] };
  const chosen = choosePanelPoints(results, experiment, opts.reliquaryKey);
  if (!chosen) return empty;

  const skipped: string[] = [];
  const sources: { role: PanelEntry['role']; point?: RdPoint; src: string; name: string }[] = [];
  if (opts.referenceFrame) {
    sources.push({ role: 'reference', src: path.resolve(reportDir, opts.referenceFrame), name: 'reference' });
  }
  sources.push({ role: 'reliquary', point: chosen.reliquary, src: path.resolve(reportDir, chosen.reliquary.panelFrame!), name: chosen.reliquary.key });
  for (const p of chosen.anchors) sources.push({ role: 'anchor', point: p, src: path.resolve(reportDir, p.panelFrame!), name: p.key });

  const present: (typeof sources[number] & { width: number; height: number })[] = [];
  for (const s of sources) {
    if (!(await exists(s.src))) {
      skipped.push(`${s.role === 'reference' ? 'reference frame' : s.name}: ${s.src} not found`);
      continue;
    }
    const meta = await sharp(s.src).metadata();
    if (!meta.width || !meta.height) {
      skipped.push(`${s.name}: ${s.src} has no size`);
      continue;
    }
    present.push({ ...s, width: meta.width, height: meta.height });
  }
  if (!present.some((s) => s.role !== 'reference')) return { ...empty, skipped };

  // Rectangle in coded-frame px; the coded size, else the Reliquary frame's own size.
  const coded = results.input?.coded;
  const first = present.find((s) => s.role === 'reliquary') ?? present.find((s) => s.role !== 'reference')!;
  const baseW = coded && Number.isInteger(coded.width) && coded.width > 0 ? coded.width : first.width;
  const baseH = coded && Number.isInteger(coded.height) && coded.height > 0 ? coded.height : first.height;
  const rect = cropRect(baseW, baseH, opts.objectBox, opts.margin ?? 16);
  const outW = opts.cropWidth ?? rect.width;
  const outH = Math.max(1, Math.round((outW * rect.height) / rect.width));

  const panelDir = path.join(reportDir, 'panel');
  await mkdir(panelDir, { recursive: true });
  const files: string[] = [];
  const entries: PanelEntry[] = [];
  for (const s of present) {
    const sx = s.width / baseW;
    const sy = s.height / baseH;
    const left = Math.min(s.width - 1, Math.max(0, Math.round(rect.x * sx)));
    const top = Math.min(s.height - 1, Math.max(0, Math.round(rect.y * sy)));
    const width = Math.max(1, Math.min(s.width - left, Math.round(rect.width * sx)));
    const height = Math.max(1, Math.min(s.height - top, Math.round(rect.height * sy)));
    // Keys already start with their experiment (`fp-x264-…`); the reference gets `<experiment>-reference`.
    const stem = s.role === 'reference' || !s.name.startsWith(`${experiment}-`) ? `${experiment}-${s.name}` : s.name;
    const rel = `panel/${safeName(stem)}.png`;
    const out = path.join(reportDir, rel);
    await sharp(s.src).extract({ left, top, width, height }).resize(outW, outH, { fit: 'fill' }).png().toFile(out);
    files.push(out);
    const caption = s.point ? panelCaption(s.point) : 'Reference (uncoded)';
    entries.push({ role: s.role, ...(s.point ? { point: s.point } : {}), file: rel, caption });
  }

  const settingsFrame = results.settings?.panelFrame;
  const frameIndex = opts.frameIndex ?? (typeof settingsFrame === 'number' ? settingsFrame : undefined);
  const crops = entries
    .map((e) => {
      const sub = e.point ? `<span class="sub">${escapeHtml(e.point.label)} · <code>${escapeHtml(e.point.key)}</code></span>` : '';
      return (
        `<figure class="crop${e.role === 'reliquary' ? ' ours' : ''}">` +
        `<img src="${escapeHtml(e.file)}" width="${outW}" height="${outH}" alt="${escapeHtml(e.caption)}">` +
        `<figcaption>${escapeHtml(e.caption)}${sub ? '<br>' + sub : ''}</figcaption></figure>`
      );
    })
    .join('\n');
  const what =
    `${EXPERIMENT_NAMES[experiment] ?? experiment}: the same frame` +
    (frameIndex !== undefined ? ` (index ${frameIndex})` : '') +
    ` from each codec at a bpp close to Reliquary's, cropped to x ${rect.x}…${rect.x + rect.width}, y ${rect.y}…${rect.y + rect.height}` +
    (opts.objectBox ? ' (object box plus margin)' : ' (centre of the frame)') +
    '.';
  const note = skipped.length ? `<p class="note">Left out: ${skipped.map(escapeHtml).join('; ')}</p>` : '';
  const html =
    `<figure class="panel">\n<div class="panel-row">\n${crops}\n</div>\n` +
    `<figcaption>${escapeHtml(what)}</figcaption>\n${note}</figure>`;
  return { html, files, crop: rect, size: { width: outW, height: outH }, entries, skipped };
}
