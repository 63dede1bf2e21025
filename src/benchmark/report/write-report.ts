/**
 * Writes the report of `reliquary bench rd` into a folder:
 *
 *   results.json                      the {@link RdResults} verbatim (2-space JSON)
 *   results.csv                       one row per point (see ./csv.ts)
 *   plots/<exp>-<metric>.svg / .png   an RD chart per experiment × metric (see ./rd-plots.ts)
 *   plots/<exp>-encode-time.svg/.png  encode wall time per codec (unless `timeCharts: false`)
 *   panel/<key>.png, <exp>-reference.png  the Fig. 5-style crops (see ./panel.ts)
 *   index.html                        the page tying them together (see ./html.ts)
 *
 * Experiments are those with points or BD rows, FP first. Charts are rendered one after another
 * (the report is written on machines that may be benchmarking).
 */

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RdExperiment, RdResults } from '../rd-results.ts';
import { resultsCsv } from './csv.ts';
import { reportHtml } from './html.ts';
import type { ExperimentSection, PlotRef } from './html.ts';
import { buildPanel } from './panel.ts';
import type { PanelOptions } from './panel.ts';
import { EXPERIMENT_NAMES, METRIC_NAMES, chartMetrics, rdChartSpec, renderPng, renderSvg, timeChartSpec } from './rd-plots.ts';
import type { TopLevelSpec } from 'vega-lite';

/** Panel options of {@link writeReport}; per-experiment where the two experiments differ. */
export interface ReportPanelOptions extends Omit<PanelOptions, 'reliquaryKey' | 'referenceFrame'> {
  /** Key of the Reliquary point to show, per experiment; default the best PSNR-CENTER point. */
  reliquaryKey?: Partial<Record<RdExperiment, string>>;
  /**
   * Reference frame PNG, one for both experiments or one each (FP's is typically the object-only
   * frame); a relative path is taken relative to the report folder.
   */
  referenceFrame?: string | Partial<Record<RdExperiment, string>>;
}

/** Options of {@link writeReport}. */
export interface WriteReportOptions {
  /** Log-scale bpp axes; default false. */
  logX?: boolean;
  /** Also write a PNG beside each SVG chart; default true. */
  png?: boolean;
  /** DPI of the PNGs; default 144 (twice the SVG's px size). */
  pngDensity?: number;
  /** Encode-time chart per experiment; default true. */
  timeCharts?: boolean;
  /** The Fig. 5-style panel; default: best PSNR-CENTER Reliquary point, centre crop, no reference. */
  panel?: ReportPanelOptions;
  /** Page title; default `Reliquary RD benchmark`. */
  title?: string;
}

const EXPERIMENTS: readonly RdExperiment[] = ['fp', 'pc'];

/** The file-name part of a metric: `psnr`, `psnr-center`, `ssim`, `msssim`, `lpips`. */
function metricSlug(metric: string): string {
  return metric.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Writes the report into `reportDir` (created if needed; existing files of the same names are
 * replaced) and returns the absolute paths of all files written, in writing order.
 *
 * @throws TypeError on results that are not version 1 or a bad option (naming it).
 */
export async function writeReport(results: RdResults, reportDir: string, opts: WriteReportOptions = {}): Promise<string[]> {
  if (!results || results.version !== 1) {
    throw new TypeError(`results.version must be 1 (got ${String(results?.version)})`);
  }
  if (!Array.isArray(results.points)) throw new TypeError('results.points must be an array');
  if (!Array.isArray(results.bd)) throw new TypeError('results.bd must be an array');
  if (typeof reportDir !== 'string' || reportDir === '') throw new TypeError('reportDir must be a non-empty path');
  const dir = path.resolve(reportDir);
  const png = opts.png ?? true;
  const files: string[] = [];
  const write = async (rel: string, data: string | Buffer): Promise<void> => {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, data);
    files.push(file);
  };

  await write('results.json', JSON.stringify(results, null, 2) + '\n');
  await write('results.csv', resultsCsv(results));

  const chart = async (spec: TopLevelSpec, name: string, title: string): Promise<PlotRef> => {
    const svg = await renderSvg(spec);
    const ref: PlotRef = { title, svg: `plots/${name}.svg` };
    await write(ref.svg, svg);
    if (png) {
      ref.png = `plots/${name}.png`;
      await write(ref.png, await renderPng(svg, { density: opts.pngDensity }));
    }
    return ref;
  };

  const sections: ExperimentSection[] = [];
  for (const experiment of EXPERIMENTS) {
    const hasPoints = results.points.some((p) => p.experiment === experiment);
    if (!hasPoints && !results.bd.some((r) => r.experiment === experiment)) continue;
    const plots: PlotRef[] = [];
    const exName = EXPERIMENT_NAMES[experiment];
    for (const metric of chartMetrics(results, experiment)) {
      const spec = rdChartSpec(results, experiment, metric, { logX: opts.logX });
      plots.push(await chart(spec, `${experiment}-${metricSlug(metric)}`, `${exName}: ${METRIC_NAMES[metric]} vs bpp`));
    }
    if ((opts.timeCharts ?? true) && hasPoints) {
      const spec = timeChartSpec(results, experiment, 'encodeSeconds');
      plots.push(await chart(spec, `${experiment}-encode-time`, `${exName}: encode seconds per point`));
    }
    const p = opts.panel ?? {};
    const ref = typeof p.referenceFrame === 'string' ? p.referenceFrame : p.referenceFrame?.[experiment];
    const panel = await buildPanel(results, experiment, dir, {
      objectBox: p.objectBox,
      margin: p.margin,
      frameIndex: p.frameIndex,
      cropWidth: p.cropWidth,
      reliquaryKey: p.reliquaryKey?.[experiment],
      referenceFrame: ref,
    });
    files.push(...panel.files);
    sections.push({ experiment, plots, panelHtml: panel.html });
  }

  await write('index.html', reportHtml(results, sections, { title: opts.title }));
  return files;
}
