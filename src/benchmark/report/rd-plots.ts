/**
 * Rate-distortion charts of `reliquary bench rd` (Zhang & Chen 2025, Sect. 4.3, Figs. 3-4): one
 * chart per experiment × quality metric, x = bpp, y = the metric, one line with points per curve.
 *
 * Curves (see {@link curveOf}):
 * - Reliquary FP: one curve per feature-grid dimension d_f, its points ordered by λ;
 * - Reliquary PC: one curve per background GOP, ordered by the background CRF;
 * - anchors (x264, x265, SVT-AV1): one curve per (codec, GOP), ordered by bpp.
 * Colour encodes the codec, stroke dash and point shape the curve within it (d_f or GOP). Points
 * flagged `extension` (added to stretch an anchor's range over Reliquary's, for BD) are drawn hollow.
 *
 * Charts are vega-lite specs with inline data only, compiled to Vega and rendered to SVG headless in
 * Node ({@link renderSvg}); {@link renderPng} rasterises that SVG with sharp. The renderer's loader
 * refuses every URL and file, so rendering never touches the network or the disk.
 */

import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import sharp from 'sharp';
import type { RdCodec, RdExperiment, RdMetric, RdPoint, RdResults } from '../rd-results.ts';

/** Display names of the codecs, in legend order. */
export const CODEC_NAMES: Readonly<Record<RdCodec, string>> = Object.freeze({
  reliquary: 'Reliquary',
  x264: 'x264',
  x265: 'x265',
  av1: 'SVT-AV1',
});

/** Fixed colours per codec, so a codec has the same colour in every chart. */
export const CODEC_COLOURS: Readonly<Record<RdCodec, string>> = Object.freeze({
  reliquary: '#d62728',
  x264: '#1f77b4',
  x265: '#2ca02c',
  av1: '#9467bd',
});

/** Codecs in legend / table order. */
export const CODEC_ORDER: readonly RdCodec[] = Object.freeze(['reliquary', 'x264', 'x265', 'av1'] as RdCodec[]);

/** Display names of the metrics (PSNR-CENTER is the paper's masked PSNR). */
export const METRIC_NAMES: Readonly<Record<RdMetric, string>> = Object.freeze({
  psnr: 'PSNR',
  psnrCenter: 'PSNR-CENTER',
  ssim: 'SSIM',
  msssim: 'MS-SSIM',
  lpips: 'LPIPS',
});

/** Axis titles of the metrics, with unit or direction. */
export const METRIC_AXIS_TITLES: Readonly<Record<RdMetric, string>> = Object.freeze({
  psnr: 'PSNR (dB)',
  psnrCenter: 'PSNR-CENTER (dB)',
  ssim: 'SSIM',
  msssim: 'MS-SSIM',
  lpips: 'LPIPS (lower is better)',
});

/** Display names of the experiments. */
export const EXPERIMENT_NAMES: Readonly<Record<RdExperiment, string>> = Object.freeze({
  fp: 'FP mode',
  pc: 'PC mode',
});

/** Where a point sits: which curve, and its position along it. */
export interface RdCurve {
  /** Unique series name within an experiment, e.g. `Reliquary d_f 2`, `x264 GOP 25`. */
  series: string;
  /** The curve within its codec, e.g. `d_f 2`, `bg GOP 60`, `GOP 25` (`` when the params lack it). */
  variant: string;
  /** Sort key along the curve: λ (FP), background CRF (PC) or bpp (anchors). */
  order: number;
}

/** Options of {@link rdChartSpec}. */
export interface RdChartOptions {
  /** Log-scale bpp axis; default false. Points with bpp ≤ 0 are then left out. */
  logX?: boolean;
  /** Plot width in px; default 440. */
  width?: number;
  /** Plot height in px; default 300. */
  height?: number;
}

/** Options of {@link renderPng}. */
export interface RenderPngOptions {
  /** Rasterisation density in DPI (72 = the SVG's px size); default 144. */
  density?: number;
}

/** A finite number from a param, else undefined. */
function numParam(p: RdPoint, name: string): number | undefined {
  const v = p.params[name];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The curve a point belongs to (see the module doc). Points whose params lack the curve's key fall
 * into one curve per codec (variant ``), ordered by bpp.
 */
export function curveOf(p: RdPoint): RdCurve {
  const name = CODEC_NAMES[p.codec] ?? String(p.codec);
  let variant = '';
  let order: number | undefined;
  if (p.codec === 'reliquary') {
    if (p.experiment === 'pc') {
      const gop = p.params.bgGop;
      if (gop !== undefined) variant = `bg GOP ${gop}`;
      order = numParam(p, 'bgCrf');
    } else {
      const df = p.params.df;
      if (df !== undefined) variant = `d_f ${df}`;
      order = numParam(p, 'lambda');
    }
  } else {
    const gop = p.params.gop;
    if (gop !== undefined) variant = `GOP ${gop}`;
  }
  return { series: variant ? `${name} ${variant}` : name, variant, order: order ?? p.bpp };
}

/** The metric's value of a point, or null when missing or not finite (e.g. LPIPS without a model). */
export function metricValue(p: RdPoint, metric: RdMetric): number | null {
  const v = p[metric];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * The metrics plotted for an experiment: PSNR, PSNR-CENTER, SSIM and MS-SSIM, and LPIPS when any
 * point of the experiment has it; a metric no point has a finite value of is left out.
 */
export function chartMetrics(results: RdResults, experiment: RdExperiment): RdMetric[] {
  const points = results.points.filter((p) => p.experiment === experiment);
  const all: RdMetric[] = ['psnr', 'psnrCenter', 'ssim', 'msssim', 'lpips'];
  return all.filter((m) => points.some((p) => metricValue(p, m) !== null));
}

/** Codecs present among points, in {@link CODEC_ORDER}. */
function presentCodecs(points: readonly RdPoint[]): RdCodec[] {
  return CODEC_ORDER.filter((c) => points.some((p) => p.codec === c));
}

function checkDim(value: number | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 50 || value > 4000) {
    throw new TypeError(`${field}, when provided, must be a number of px in 50…4000 (got ${String(value)})`);
  }
  return value;
}

/**
 * The vega-lite spec of one RD chart: `experiment`'s points, x = bpp, y = `metric` (not forced to
 * zero), a line per curve in curve order, filled points, hollow points for extensions; data inline.
 *
 * @throws TypeError on an unknown metric or a bad option (naming it).
 */
export function rdChartSpec(
  results: RdResults,
  experiment: RdExperiment,
  metric: RdMetric,
  opts: RdChartOptions = {},
): TopLevelSpec {
  if (!(metric in METRIC_NAMES)) throw new TypeError(`metric must be one of ${Object.keys(METRIC_NAMES).join(', ')} (got ${String(metric)})`);
  const width = checkDim(opts.width, 'opts.width', 440);
  const height = checkDim(opts.height, 'opts.height', 300);
  const logX = opts.logX ?? false;
  const points = results.points.filter((p) => p.experiment === experiment);
  const rows = [];
  for (const p of points) {
    const y = metricValue(p, metric);
    if (y === null || !Number.isFinite(p.bpp) || (logX && p.bpp <= 0)) continue;
    const c = curveOf(p);
    rows.push({
      key: p.key,
      codec: CODEC_NAMES[p.codec] ?? String(p.codec),
      series: c.series,
      curve: c.variant || CODEC_NAMES[p.codec] || String(p.codec),
      order: c.order,
      bpp: p.bpp,
      value: y,
      extension: p.extension === true,
    });
  }
  const codecs = presentCodecs(points);
  const anyExtension = rows.some((r) => r.extension);
  const title = `${EXPERIMENT_NAMES[experiment] ?? experiment}: ${METRIC_NAMES[metric]} vs bpp`;
  const x = {
    field: 'bpp',
    type: 'quantitative' as const,
    title: logX ? 'bpp (bits per pixel, log scale)' : 'bpp (bits per pixel)',
    scale: logX ? { type: 'log' as const } : { zero: false },
  };
  const y = { field: 'value', type: 'quantitative' as const, title: METRIC_AXIS_TITLES[metric], scale: { zero: false } };
  const color = {
    field: 'codec',
    type: 'nominal' as const,
    title: 'codec',
    scale: { domain: codecs.map((c) => CODEC_NAMES[c]), range: codecs.map((c) => CODEC_COLOURS[c]) },
  };
  const curveTitle = experiment === 'pc' ? 'curve (bg GOP / GOP)' : 'curve (d_f / GOP)';
  const shape = { field: 'curve', type: 'nominal' as const, title: curveTitle };
  // An empty layer would give its scales an infinite extent, so only layers with data are added.
  const layer: object[] = [
    {
      name: 'lines',
      mark: { type: 'line', strokeWidth: 1.5 },
      encoding: {
        detail: { field: 'series', type: 'nominal' },
        order: { field: 'order', type: 'quantitative' },
        strokeDash: { field: 'curve', type: 'nominal', title: curveTitle },
      },
    },
  ];
  if (rows.some((r) => !r.extension)) {
    layer.push({
      name: 'points',
      transform: [{ filter: '!datum.extension' }],
      mark: { type: 'point', filled: true, size: 45, opacity: 1 },
      encoding: { shape },
    });
  }
  if (anyExtension) {
    layer.push({
      name: 'extensions',
      transform: [{ filter: 'datum.extension' }],
      mark: { type: 'point', filled: false, size: 45, strokeWidth: 1.5, opacity: 1, fill: 'white' },
      encoding: { shape },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: anyExtension ? { text: title, subtitle: 'hollow points: range extensions of an anchor' } : title,
    width,
    height,
    background: 'white',
    data: { values: rows },
    encoding: { x, y, color },
    layer,
    config: { legend: { orient: 'right' }, axis: { grid: true } },
  } as TopLevelSpec;
}

/** Which timing {@link timeChartSpec} plots. */
export type TimeField = 'encodeSeconds' | 'decodeSeconds';

/**
 * A bar chart of wall time per codec for one experiment: the bar is the mean over the codec's points,
 * a tick marks each point. Timings of different adapters are not comparable; the subtitle says so.
 */
export function timeChartSpec(
  results: RdResults,
  experiment: RdExperiment,
  field: TimeField = 'encodeSeconds',
  opts: Pick<RdChartOptions, 'width'> = {},
): TopLevelSpec {
  if (field !== 'encodeSeconds' && field !== 'decodeSeconds') {
    throw new TypeError(`field must be 'encodeSeconds' or 'decodeSeconds' (got ${String(field)})`);
  }
  const width = checkDim(opts.width, 'opts.width', 440);
  const points = results.points.filter((p) => p.experiment === experiment && Number.isFinite(p[field]));
  const codecs = presentCodecs(points);
  const rows = points.map((p) => ({ key: p.key, codec: CODEC_NAMES[p.codec] ?? String(p.codec), seconds: p[field] }));
  const what = field === 'encodeSeconds' ? 'encode' : 'decode';
  const color = {
    field: 'codec',
    type: 'nominal' as const,
    legend: null,
    scale: { domain: codecs.map((c) => CODEC_NAMES[c]), range: codecs.map((c) => CODEC_COLOURS[c]) },
  };
  const yEnc = { field: 'codec', type: 'nominal' as const, title: null, sort: codecs.map((c) => CODEC_NAMES[c]) };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${EXPERIMENT_NAMES[experiment] ?? experiment}: ${what} seconds per point`,
      subtitle: 'bar: mean over the codec’s points; tick: one point. Compare only on the same adapter.',
    },
    width,
    background: 'white',
    data: { values: rows },
    layer: [
      {
        name: 'bars',
        mark: { type: 'bar', opacity: 0.45 },
        encoding: {
          y: yEnc,
          x: { aggregate: 'mean', field: 'seconds', type: 'quantitative', title: `${what} wall time (s)` },
          color,
        },
      },
      {
        name: 'ticks',
        mark: { type: 'tick', thickness: 2 },
        encoding: { y: yEnc, x: { field: 'seconds', type: 'quantitative' }, color },
      },
    ],
  } as TopLevelSpec;
}

/** A Vega loader that refuses every load: charts carry their data inline and must fetch nothing. */
function refusingLoader(): vega.Loader {
  const refuse = async (uri: string): Promise<never> => {
    throw new Error(`report charts load nothing; refused ${uri}`);
  };
  return { load: refuse, sanitize: refuse, http: refuse, file: refuse };
}

/**
 * Renders a vega-lite spec to a standalone SVG document (starting `<svg`), headless: no DOM, no
 * canvas, nothing loaded.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader: refusingLoader(), logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG document to PNG with sharp (librsvg) at `opts.density` DPI (default 144). */
export async function renderPng(svg: string, opts: RenderPngOptions = {}): Promise<Buffer> {
  const density = opts.density ?? 144;
  if (!Number.isFinite(density) || density < 18 || density > 1200) {
    throw new TypeError(`opts.density, when provided, must be a DPI in 18…1200 (got ${String(opts.density)})`);
  }
  return sharp(Buffer.from(svg), { density }).png().toBuffer();
}
