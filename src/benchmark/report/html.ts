/**
 * `index.html` of the RD report: one self-contained page (inline CSS; no script, no web font, no
 * remote resource; images referenced by paths relative to the report folder). All text taken from
 * the results is escaped; only the panel fragment of {@link ./panel.ts}, which escapes its own text,
 * is inserted as HTML.
 */

import type { BdRow, RdExperiment, RdPoint, RdResults } from '../rd-results.ts';
import { CODEC_NAMES, CODEC_ORDER, EXPERIMENT_NAMES, METRIC_NAMES, curveOf } from './rd-plots.ts';
import { DASH, bppText, escapeHtml, fixed, settingText, signed } from './format.ts';

/** A chart of the page: its SVG and, optionally, PNG, relative to the report folder. */
export interface PlotRef {
  /** Alt text and caption, e.g. `FP mode: PSNR-CENTER vs bpp`. */
  title: string;
  svg: string;
  png?: string;
}

/** What the page shows for one experiment. */
export interface ExperimentSection {
  experiment: RdExperiment;
  plots: PlotRef[];
  /** The panel's HTML fragment from `buildPanel` (trusted, inserted as is); `` for none. */
  panelHtml: string;
}

/** Options of {@link reportHtml}. */
export interface ReportHtmlOptions {
  /** Page title; default `Reliquary RD benchmark`. */
  title?: string;
}

const EXPERIMENT_LONG: Record<RdExperiment, string> = {
  fp: 'FP mode (foreground only)',
  pc: 'PC mode (foreground + background)',
};

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.ext td { color: #666; font-style: italic; }
tr.null td.num { color: #999; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; }
.plots figure { margin: 0; }
.plots img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; }
.panel { margin: 1em 0; }
.panel-row { display: flex; flex-wrap: wrap; gap: 0.8em; }
.crop { margin: 0; max-width: 320px; }
.crop img { display: block; max-width: 100%; height: auto; image-rendering: pixelated; border: 1px solid #ccc; }
.crop.ours img { border: 2px solid #d62728; }
.sub { color: #777; }
.note { color: #666; font-size: 0.9em; }
code { font-size: 0.9em; }
`;

/** A `<table>` with a header row; header and cells are already-escaped HTML. */
function table(header: string[], rows: { cells: string[]; numeric?: boolean[]; cls?: string }[], cls = ''): string {
  const head = `<thead><tr>${header.map((h) => `<th>${h}</th>`).join('')}</tr></thead>\n`;
  const body = rows
    .map(
      (r) =>
        `<tr${r.cls ? ` class="${r.cls}"` : ''}>` +
        r.cells.map((c, i) => `<td${r.numeric?.[i] ? ' class="num"' : ''}>${c}</td>`).join('') +
        '</tr>',
    )
    .join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}>\n${head}<tbody>\n${body}\n</tbody>\n</table>`;
}

/** The input, settings and machine of the run as a two-column table. */
export function settingsTableHtml(results: RdResults): string {
  const rows: [string, string][] = [];
  const i = results.input;
  if (i) {
    rows.push(['input video', i.video]);
    rows.push(['input size', `${i.width}×${i.height}, ${i.frames} frames at ${i.fps} fps`]);
    if (i.coded) rows.push(['coded', `${i.coded.width}×${i.coded.height}, ${i.coded.frames} frames`]);
  }
  rows.push(['date', results.date]);
  for (const [k, v] of Object.entries(results.settings ?? {})) rows.push([`settings.${k}`, settingText(v)]);
  const m = results.machine;
  if (m) {
    rows.push(['CPU', `${m.cpuModel} (${m.cpus} logical CPUs)`]);
    rows.push(['WebGPU adapter', m.adapter]);
  }
  const body = rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('\n');
  return `<table class="settings">\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** One BD value cell: the number, or a dash whose tooltip is the row's note. */
function bdCell(v: number | null, digits: number, note: string | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) {
    return note ? `<span title="${escapeHtml(note)}">${DASH}</span>` : DASH;
  }
  return escapeHtml(signed(v, digits));
}

/**
 * The BD table: experiment, anchor, Reliquary curve, metric, BD-rate (%), BD-PSNR (dB, in the row's
 * metric), the quality overlap integrated over, and the note; undefined values as a dash.
 */
export function bdTableHtml(rows: readonly BdRow[]): string {
  if (rows.length === 0) return '<p class="note">No Bjøntegaard deltas in these results.</p>';
  return table(
    ['experiment', 'anchor', 'Reliquary curve', 'metric', 'BD-rate (%)', 'BD-PSNR (dB)', 'overlap (dB)', 'note'],
    rows.map((r) => ({
      cls: r.bdRate === null || r.bdQuality === null ? 'null' : undefined,
      cells: [
        escapeHtml(EXPERIMENT_NAMES[r.experiment] ?? r.experiment),
        escapeHtml(CODEC_NAMES[r.anchor] ?? r.anchor),
        escapeHtml(r.curve),
        escapeHtml(METRIC_NAMES[r.metric] ?? r.metric),
        bdCell(r.bdRate, 1, r.note),
        bdCell(r.bdQuality, 2, r.note),
        r.overlap ? escapeHtml(`${fixed(r.overlap[0], 2)} – ${fixed(r.overlap[1], 2)}`) : DASH,
        r.note ? escapeHtml(r.note) : '',
      ],
      numeric: [false, false, false, false, true, true, true, false],
    })),
    'bd',
  );
}

/** Points sorted for the table: codec order, then curve, then position along the curve. */
function sortPoints(points: readonly RdPoint[]): RdPoint[] {
  const rank = (p: RdPoint): number => {
    const i = CODEC_ORDER.indexOf(p.codec);
    return i < 0 ? CODEC_ORDER.length : i;
  };
  return [...points].sort((a, b) => {
    const d = rank(a) - rank(b);
    if (d !== 0) return d;
    const ca = curveOf(a);
    const cb = curveOf(b);
    if (ca.series !== cb.series) return ca.series < cb.series ? -1 : 1;
    return ca.order - cb.order || a.bpp - b.bpp;
  });
}

/** The table of points: codec, label, bytes, bpp, the metrics, timings and adapter; extensions marked. */
export function pointsTableHtml(points: readonly RdPoint[]): string {
  if (points.length === 0) return '<p class="note">No points.</p>';
  return table(
    ['codec', 'label', 'bytes', 'bpp', 'PSNR (dB)', 'PSNR-CENTER (dB)', 'SSIM', 'MS-SSIM', 'LPIPS', 'encode (s)', 'decode (s)', 'adapter'],
    sortPoints(points).map((p) => {
      const enc =
        fixed(p.encodeSeconds, 2) + (p.sharedSeconds ? ` (+${fixed(p.sharedSeconds, 2)} shared)` : '');
      return {
        cls: p.extension ? 'ext' : undefined,
        cells: [
          escapeHtml(CODEC_NAMES[p.codec] ?? p.codec),
          `<span title="${escapeHtml(p.key)}">${escapeHtml(p.label)}</span>` + (p.extension ? ' <small>(range extension)</small>' : ''),
          escapeHtml(Number.isFinite(p.bytes) ? String(p.bytes) : DASH),
          escapeHtml(bppText(p.bpp)),
          escapeHtml(fixed(p.psnr, 2)),
          escapeHtml(fixed(p.psnrCenter, 2)),
          escapeHtml(fixed(p.ssim, 4)),
          escapeHtml(fixed(p.msssim, 4)),
          escapeHtml(fixed(p.lpips, 4)),
          escapeHtml(enc),
          escapeHtml(fixed(p.decodeSeconds, 2)),
          escapeHtml(p.adapter),
        ],
        numeric: [false, false, true, true, true, true, true, true, true, true, true, false],
      };
    }),
    'points',
  );
}

/** The explanation of the ranking metric and of how BD values are computed. */
const METHOD_NOTE =
  '<p>Points are ranked by <strong>PSNR-CENTER</strong>, the PSNR over the object mask only (the paper’s measure). ' +
  'In FP mode the object is coded without its background, so full-frame PSNR of object-only video is dominated ' +
  'by the black background: it rewards getting black pixels right and says little about the object. Full-frame PSNR, ' +
  'SSIM, MS-SSIM (and LPIPS when a model was given) are plotted as well.</p>\n' +
  '<p>Bjøntegaard deltas (BD-rate, BD-PSNR) of Reliquary against each anchor are computed only over the overlap of the ' +
  'two curves’ quality ranges (the interval in the <em>overlap</em> column) and are never extrapolated; where the ' +
  'curves do not overlap the value is undefined (—) and the note says why. Hollow points are encodes added to an ' +
  'anchor to extend its range over Reliquary’s. Timings are comparable only between points on the same adapter.</p>';

/** The whole page. */
export function reportHtml(results: RdResults, sections: readonly ExperimentSection[], opts: ReportHtmlOptions = {}): string {
  const title = opts.title ?? 'Reliquary RD benchmark';
  const parts: string[] = [];
  parts.push(`<h1>${escapeHtml(title)}</h1>`);
  parts.push(
    `<p class="note">Rate–distortion comparison of Reliquary with x264, x265 and SVT-AV1 after Zhang &amp; Chen 2025, ` +
      `“Ultra-low storage NeRF-based semantic compression”, Sect. 4.3, Figs. 3–5. Run finished ${escapeHtml(results.date)}. ` +
      `Data: <a href="results.json">results.json</a>, <a href="results.csv">results.csv</a>.</p>`,
  );
  parts.push(METHOD_NOTE);
  parts.push('<h2>Input and settings</h2>');
  parts.push(settingsTableHtml(results));
  for (const s of sections) {
    const name = EXPERIMENT_LONG[s.experiment] ?? s.experiment;
    const id = escapeHtml(s.experiment);
    parts.push(`<h2 id="${id}">${escapeHtml(name)}</h2>`);
    parts.push(`<h3>Rate–distortion curves</h3>`);
    if (s.plots.length === 0) parts.push('<p class="note">No plottable points.</p>');
    else {
      parts.push(
        '<div class="plots">\n' +
          s.plots
            .map(
              (p) =>
                `<figure><img src="${escapeHtml(p.svg)}" alt="${escapeHtml(p.title)}">` +
                `<figcaption>${escapeHtml(p.title)}` +
                (p.png ? ` · <a href="${escapeHtml(p.png)}">PNG</a>` : '') +
                ` · <a href="${escapeHtml(p.svg)}">SVG</a></figcaption></figure>`,
            )
            .join('\n') +
          '\n</div>',
      );
    }
    parts.push(`<h3>Bjøntegaard deltas</h3>`);
    parts.push(bdTableHtml(results.bd.filter((r) => r.experiment === s.experiment)));
    if (s.panelHtml) {
      parts.push(`<h3>Same frame at similar bpp</h3>`);
      parts.push(s.panelHtml);
    }
    parts.push(`<h3>All points</h3>`);
    parts.push(pointsTableHtml(results.points.filter((p) => p.experiment === s.experiment)));
  }
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<title>${escapeHtml(title)}</title>\n<style>${CSS}</style>\n</head>\n<body>\n` +
    parts.join('\n') +
    '\n</body>\n</html>\n'
  );
}
