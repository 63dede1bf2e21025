import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { BdRow, RdCodec, RdExperiment, RdPoint, RdResults } from '../../src/benchmark/rd-results.ts';
import { resultsCsv } from '../../src/benchmark/report/csv.ts';
import { buildPanel, cropRect } from '../../src/benchmark/report/panel.ts';
import { curveOf, rdChartSpec, renderSvg } from '../../src/benchmark/report/rd-plots.ts';
import { writeReport } from '../../src/benchmark/report/write-report.ts';

/** Coded frame size of the synthetic run. */
const W = 64;
const H = 48;
const EVIL_LABEL = 'λ 0.004, d_f 2 <b>& "best"';

function point(
  experiment: RdExperiment,
  codec: RdCodec,
  key: string,
  label: string,
  params: Record<string, number | string>,
  bpp: number,
  psnrCenter: number,
  extra: Partial<RdPoint> = {},
): RdPoint {
  return {
    key,
    experiment,
    codec,
    label,
    params,
    bytes: Math.round((bpp * W * H * 10) / 8),
    bpp,
    psnr: psnrCenter + 8.123456789,
    psnrCenter,
    ssim: 0.9 + bpp,
    msssim: 0.92 + bpp,
    lpips: null,
    encodeSeconds: codec === 'reliquary' ? 30.5 : 0.25,
    decodeSeconds: 0.1,
    adapter: codec === 'reliquary' ? 'NVIDIA (vulkan)' : `cpu (lib${codec})`,
    panelFrame: `frames/${key}.png`,
    ...extra,
  };
}

function syntheticResults(): RdResults {
  const points: RdPoint[] = [
    // FP: Reliquary, two d_f curves ordered by λ (given out of order on purpose).
    point('fp', 'reliquary', 'fp-reliquary-l0.008-df1', 'λ 0.008, d_f 1', { lambda: 0.008, df: 1, steps: 2000 }, 0.004, 24.1),
    point('fp', 'reliquary', 'fp-reliquary-l0.002-df1', 'λ 0.002, d_f 1', { lambda: 0.002, df: 1, steps: 2000 }, 0.009, 26.0),
    point('fp', 'reliquary', 'fp-reliquary-l0.004-df2', EVIL_LABEL, { lambda: 0.004, df: 2, steps: 2000 }, 0.012, 27.5, { lpips: 0.1234 }),
    point('fp', 'reliquary', 'fp-reliquary-l0.008-df2', 'λ 0.008, d_f 2', { lambda: 0.008, df: 2, steps: 2000 }, 0.007, 25.2, { panelFrame: undefined }),
    // FP anchors.
    point('fp', 'x264', 'fp-x264-crf44-gop25', 'CRF 44, GOP 25', { crf: 44, gop: 25 }, 0.006, 22.0),
    point('fp', 'x264', 'fp-x264-crf38-gop25', 'CRF 38, GOP 25', { crf: 38, gop: 25 }, 0.0135, 25.0),
    point('fp', 'x264', 'fp-x264-crf32-gop25', 'CRF 32, GOP 25', { crf: 32, gop: 25 }, 0.03, 28.0, { extension: true }),
    point('fp', 'x265', 'fp-x265-crf40-gop25', 'CRF 40, GOP 25', { crf: 40, gop: 25 }, 0.005, 23.0),
    point('fp', 'x265', 'fp-x265-crf34-gop25', 'CRF 34, GOP 25', { crf: 34, gop: 25 }, 0.011, 26.1),
    // PC: one bg-GOP curve ordered by bg CRF; a param with a comma and a quote.
    point('pc', 'reliquary', 'pc-reliquary-bgcrf45', 'λ 0.008, d_f 2, bg CRF 45 GOP 60', { lambda: 0.008, df: 2, steps: 2000, bgCrf: 45, bgGop: 60, bgCodec: 'x265, "slow"' }, 0.02, 27.0, { sharedSeconds: 12 }),
    point('pc', 'reliquary', 'pc-reliquary-bgcrf40', 'λ 0.008, d_f 2, bg CRF 40 GOP 60', { lambda: 0.008, df: 2, steps: 2000, bgCrf: 40, bgGop: 60, bgCodec: 'x265, "slow"' }, 0.04, 29.0),
    point('pc', 'x264', 'pc-x264-crf40-gop60', 'CRF 40, GOP 60', { crf: 40, gop: 60 }, 0.025, 26.0),
    point('pc', 'x264', 'pc-x264-crf34-gop60', 'CRF 34, GOP 60', { crf: 34, gop: 60 }, 0.05, 28.5),
    point('pc', 'x265', 'pc-x265-crf36-gop60', 'CRF 36, GOP 60', { crf: 36, gop: 60 }, 0.03, 27.5, { panelFrame: 'frames/missing.png' }),
  ];
  const bd: BdRow[] = [
    { experiment: 'fp', anchor: 'x264', curve: 'd_f 2', metric: 'psnrCenter', bdRate: -41.2345, bdQuality: 1.23456, overlap: [25.0, 27.5] },
    { experiment: 'fp', anchor: 'x265', curve: 'd_f 1', metric: 'psnr', bdRate: null, bdQuality: null, overlap: null, note: 'no overlap of quality ranges <none>' },
    { experiment: 'pc', anchor: 'x264', curve: 'bg GOP 60', metric: 'psnrCenter', bdRate: 12.5, bdQuality: -0.5, overlap: [27.0, 28.5], note: 'overlap covers 75% of Reliquary’s range' },
  ];
  return {
    version: 1,
    date: '2025-06-01T12:00:00.000Z',
    input: { video: 'clips/statue <1>.mp4', width: 128, height: 96, frames: 40, fps: 25, coded: { width: W, height: H, frames: 10 } },
    settings: { quick: true, preset: 'paper', panelFrame: 3, grids: { L: 16, T: 19 } },
    machine: { cpus: 2, cpuModel: 'Test CPU', adapter: 'NVIDIA (vulkan)' },
    points,
    bd,
  };
}

/** A solid frame with a lighter square where the "object" is. */
async function writeFrame(file: string, width: number, height: number, shade: number): Promise<void> {
  const data = Buffer.alloc(width * height * 3, shade);
  for (let y = Math.floor(height / 4); y < Math.floor((3 * height) / 4); y++) {
    for (let x = Math.floor(width / 4); x < Math.floor((3 * width) / 4); x++) data.fill(shade + 100, (y * width + x) * 3, (y * width + x) * 3 + 3);
  }
  await mkdir(path.dirname(file), { recursive: true });
  await sharp(data, { raw: { width, height, channels: 3 } }).png().toFile(file);
}

/** RFC 4180 parser (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field), rows.push(row), (row = []), (field = ''), i++;
    } else field += c;
  }
  if (field !== '' || row.length) row.push(field), rows.push(row);
  return rows;
}

let dir = '';
let results: RdResults;
let files: string[] = [];

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rd-report-'));
  results = syntheticResults();
  let shade = 10;
  for (const p of results.points) {
    if (p.panelFrame && !p.panelFrame.includes('missing')) await writeFrame(path.join(dir, p.panelFrame), W, H, (shade += 7));
  }
  // The reference at the input's full resolution: cropped at the scaled rectangle, resized to match.
  await writeFrame(path.join(dir, 'frames/reference.png'), 128, 96, 20);
  files = await writeReport(results, dir, {
    panel: { objectBox: { x: 16, y: 12, width: 32, height: 24 }, margin: 4, referenceFrame: { fp: 'frames/reference.png' } },
  });
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('writeReport: writes every file it lists, and all the expected ones', async () => {
  const rel = files.map((f) => path.relative(dir, f).split(path.sep).join('/'));
  for (const f of files) assert.ok((await stat(f)).size > 0, `${f} is empty`);
  const expected = ['results.json', 'results.csv', 'index.html'];
  for (const exp of ['fp', 'pc']) {
    for (const m of ['psnr', 'psnr-center', 'ssim', 'msssim']) expected.push(`plots/${exp}-${m}.svg`, `plots/${exp}-${m}.png`);
    expected.push(`plots/${exp}-encode-time.svg`, `plots/${exp}-encode-time.png`);
  }
  expected.push('plots/fp-lpips.svg', 'plots/fp-lpips.png'); // only FP has a point with LPIPS
  for (const e of expected) assert.ok(rel.includes(e), `missing ${e}`);
  assert.ok(!rel.includes('plots/pc-lpips.svg'));
  assert.equal(new Set(rel).size, rel.length, 'no file listed twice');
  assert.deepEqual(JSON.parse(await readFile(path.join(dir, 'results.json'), 'utf8')), JSON.parse(JSON.stringify(results)));
});

test('charts: SVGs with titles, axis titles, legend entries and one symbol per point', async () => {
  const svg = await readFile(path.join(dir, 'plots/fp-psnr-center.svg'), 'utf8');
  assert.ok(svg.startsWith('<svg'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  for (const text of ['FP mode: PSNR-CENTER vs bpp', 'PSNR-CENTER (dB)', 'bpp (bits per pixel)', 'Reliquary', 'x264', 'x265', 'd_f 1', 'd_f 2', 'GOP 25']) {
    assert.ok(svg.includes(`>${text}<`), `SVG lacks text ${text}`);
  }
  assert.ok(!svg.includes('SVT-AV1'), 'no AV1 points, no AV1 legend entry');
  const symbols = (name: string): number => {
    const m = svg.match(new RegExp(`<g class="mark-symbol role-mark ${name}_marks"[^>]*>(.*?)</g>`));
    return m ? (m[1].match(/<path /g) ?? []).length : 0;
  };
  const fp = results.points.filter((p) => p.experiment === 'fp');
  assert.equal(symbols('points'), fp.filter((p) => !p.extension).length);
  assert.equal(symbols('extensions'), fp.filter((p) => p.extension).length);
  // Lines: one line mark per curve (d_f 1, d_f 2, x264 GOP 25, x265 GOP 25).
  assert.equal((svg.match(/<g class="mark-line role-mark lines_marks"/g) ?? []).length, 4);

  const lpips = await readFile(path.join(dir, 'plots/fp-lpips.svg'), 'utf8');
  assert.ok(lpips.includes('>LPIPS (lower is better)<'));
  const pc = await readFile(path.join(dir, 'plots/pc-psnr.svg'), 'utf8');
  assert.ok(pc.includes('>PC mode: PSNR vs bpp<') && pc.includes('>bg GOP 60<') && pc.includes('>GOP 60<'));
});

test('charts: curve grouping and order follow the paper, and a log axis can be asked for', async () => {
  const [a, b] = results.points;
  assert.deepEqual(curveOf(a), { series: 'Reliquary d_f 1', variant: 'd_f 1', order: 0.008 });
  assert.deepEqual(curveOf(b).order, 0.002);
  assert.equal(curveOf(results.points[9]).series, 'Reliquary bg GOP 60');
  assert.equal(curveOf(results.points[9]).order, 45);
  assert.deepEqual(curveOf(results.points[4]), { series: 'x264 GOP 25', variant: 'GOP 25', order: 0.006 });
  const spec = rdChartSpec(results, 'fp', 'psnr', { logX: true }) as unknown as { encoding: { x: { scale: { type: string } }; y: { scale: { zero: boolean } } } };
  assert.equal(spec.encoding.x.scale.type, 'log');
  assert.equal(spec.encoding.y.scale.zero, false);
  assert.ok(JSON.stringify(spec).includes('"values"') && !JSON.stringify(spec).includes('"url"'));
  const svg = await renderSvg(spec as never);
  assert.ok(svg.startsWith('<svg') && svg.includes('log scale'));
});

test('PNGs decode with sharp and are not empty', async () => {
  for (const f of files.filter((f) => f.endsWith('.png'))) {
    const meta = await sharp(f).metadata();
    assert.equal(meta.format, 'png', f);
    assert.ok((meta.width ?? 0) > 0 && (meta.height ?? 0) > 0, f);
  }
  const chart = await sharp(path.join(dir, 'plots/fp-psnr.png')).metadata();
  assert.ok((chart.width ?? 0) > 600, 'charts rasterised at 2x');
});

test('CSV: RFC 4180 round trip, one row per point, param columns', async () => {
  const text = await readFile(path.join(dir, 'results.csv'), 'utf8');
  assert.equal(text, resultsCsv(results));
  const rows = parseCsv(text);
  const [header, ...body] = rows;
  assert.equal(body.length, results.points.length);
  for (const r of body) assert.equal(r.length, header.length);
  for (const c of ['param_bgCodec', 'param_bgCrf', 'param_bgGop', 'param_crf', 'param_df', 'param_gop', 'param_lambda', 'param_steps']) {
    assert.ok(header.includes(c), `no column ${c}`);
  }
  const params = header.filter((h) => h.startsWith('param_'));
  assert.deepEqual(params, [...params].sort());
  const col = (name: string): number => header.indexOf(name);
  const evil = body.find((r) => r[col('key')] === 'fp-reliquary-l0.004-df2')!;
  assert.equal(evil[col('label')], EVIL_LABEL);
  assert.ok(text.includes('"λ 0.004, d_f 2 <b>& ""best"""'), 'quotes doubled inside a quoted field');
  assert.equal(evil[col('lpips')], '0.1234');
  assert.equal(evil[col('param_bgCrf')], '', 'absent param is empty');
  const pc = body.find((r) => r[col('key')] === 'pc-reliquary-bgcrf45')!;
  assert.equal(pc[col('param_bgCodec')], 'x265, "slow"');
  assert.equal(pc[col('sharedSeconds')], '12');
  const anchor = body.find((r) => r[col('key')] === 'fp-x264-crf44-gop25')!;
  assert.equal(anchor[col('lpips')], '', 'null is empty');
  assert.equal(Number(anchor[col('psnr')]), 22 + 8.123456789, 'full precision');
  assert.equal(anchor[col('extension')], 'false');
});

test('HTML: self-contained, escaped, with formatted BD values and notes', async () => {
  const html = await readFile(path.join(dir, 'index.html'), 'utf8');
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.ok(!/<script|<link|@import|url\(|https?:\/\/(?!vega)/i.test(html), 'nothing external');
  assert.ok(html.includes('λ 0.004, d_f 2 &lt;b&gt;&amp; &quot;best&quot;'), 'escaped label');
  assert.ok(!html.includes('<b>&'), 'raw label never inserted');
  assert.ok(html.includes('clips/statue &lt;1&gt;.mp4'));
  // BD: -41.2345 % → -41.2; 1.23456 dB → +1.23; overlap 25.00 – 27.50; null → dash with its note.
  assert.ok(html.includes('>-41.2<'));
  assert.ok(html.includes('>+1.23<'));
  assert.ok(html.includes('25.00 – 27.50'));
  assert.ok(html.includes('>+12.5<') && html.includes('>-0.50<'));
  assert.ok(html.includes('title="no overlap of quality ranges &lt;none&gt;">—</span>'));
  assert.ok(html.includes('<td>no overlap of quality ranges &lt;none&gt;</td>'));
  assert.ok(html.includes('PSNR-CENTER') && html.includes('black background') && html.includes('never extrapolated'));
  for (const f of ['plots/fp-psnr-center.svg', 'plots/pc-msssim.svg', 'plots/fp-psnr.png']) assert.ok(html.includes(`"${f}"`), f);
  assert.ok(html.includes('settings.panelFrame') && html.includes('{&quot;L&quot;:16,&quot;T&quot;:19}'));
  assert.ok(html.includes('Test CPU (2 logical CPUs)'));
  // Every point appears in a points table (by key, in the label's title).
  for (const p of results.points) assert.ok(html.includes(`title="${p.key}"`), p.key);
});

test('panel: chosen points, captions, identical crop sizes, missing frames left out', async () => {
  const html = await readFile(path.join(dir, 'index.html'), 'utf8');
  // FP: best PSNR-CENTER Reliquary point with a frame is l0.004-df2 (bpp 0.012); x264 nearest in
  // ratio is crf38 (0.0135), x265 crf34 (0.011).
  const fpCrops = ['panel/fp-reference.png', 'panel/fp-reliquary-l0.004-df2.png', 'panel/fp-x264-crf38-gop25.png', 'panel/fp-x265-crf34-gop25.png'];
  // PC: Reliquary bgcrf40 (29 dB, bpp 0.04) → x264 crf34 (0.05); x265's only frame is missing.
  const pcCrops = ['panel/pc-reliquary-bgcrf40.png', 'panel/pc-x264-crf34-gop60.png'];
  const sizes = new Set<string>();
  for (const rel of fpCrops) {
    assert.ok(html.includes(`src="${rel}"`), rel);
    const m = await sharp(path.join(dir, rel)).metadata();
    sizes.add(`${m.width}x${m.height}`);
  }
  // Object box 32×24 at (16, 12) plus 4 px: 40×32.
  assert.deepEqual([...sizes], ['40x32']);
  const pcSizes = new Set<string>();
  for (const rel of pcCrops) {
    assert.ok(html.includes(`src="${rel}"`), rel);
    const m = await sharp(path.join(dir, rel)).metadata();
    pcSizes.add(`${m.width}x${m.height}`);
  }
  assert.deepEqual([...pcSizes], ['40x32'], 'the same box for PC');
  assert.ok(html.includes('frames/missing.png not found'));
  assert.ok(html.includes('x264 — bpp 0.0135, PSNR 33.1 dB, PSNR-CENTER 25.0 dB'));
  assert.ok(html.includes('Reliquary — bpp 0.0120, PSNR 35.6 dB, PSNR-CENTER 27.5 dB'));
  // The reference (128×96) is cropped at the scaled rectangle: its object edge stays in the same place.
  const ref = await sharp(path.join(dir, 'panel/fp-reference.png')).raw().toBuffer({ resolveWithObject: true });
  const ours = await sharp(path.join(dir, 'panel/fp-reliquary-l0.004-df2.png')).raw().toBuffer({ resolveWithObject: true });
  const px = (img: typeof ref, x: number, y: number): number => img.data[(y * img.info.width + x) * img.info.channels];
  assert.equal(px(ref, 2, 2), 20);
  assert.equal(px(ref, 20, 16), 120);
  assert.ok(px(ours, 20, 16) > px(ours, 2, 2));
});

test('buildPanel: without a box, the centre half; a given Reliquary key; a bad key throws', async () => {
  const out = await mkdtemp(path.join(tmpdir(), 'rd-panel-'));
  try {
    // Frames stay in the report folder of the first test; panelFrame paths are relative to reportDir.
    const moved: RdResults = { ...results, points: results.points.map((p) => (p.panelFrame ? { ...p, panelFrame: path.join(dir, p.panelFrame) } : p)) };
    const panel = await buildPanel(moved, 'fp', out, { reliquaryKey: 'fp-reliquary-l0.002-df1', cropWidth: 64 });
    assert.deepEqual(panel.crop, { x: 16, y: 12, width: 32, height: 24 });
    assert.deepEqual(panel.size, { width: 64, height: 48 });
    // x264: 0.006 and 0.0135 are equally far from 0.009 in ratio (×1.5); the tie goes to the higher PSNR-CENTER.
    assert.deepEqual(
      panel.entries.map((e) => e.point?.key),
      ['fp-reliquary-l0.002-df1', 'fp-x264-crf38-gop25', 'fp-x265-crf34-gop25'],
    );
    for (const f of panel.files) {
      const m = await sharp(f).metadata();
      assert.deepEqual([m.width, m.height], [64, 48]);
    }
    await assert.rejects(buildPanel(moved, 'fp', out, { reliquaryKey: 'fp-reliquary-l0.008-df2' }), /opts\.reliquaryKey/);
    await assert.rejects(buildPanel(moved, 'fp', out, { margin: -1 }), /opts\.margin/);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('cropRect: margin, clamping and the centre fallback', () => {
  assert.deepEqual(cropRect(64, 48, { x: 2, y: 40, width: 10, height: 20 }, 5), { x: 0, y: 35, width: 17, height: 13 });
  assert.deepEqual(cropRect(64, 48), { x: 16, y: 12, width: 32, height: 24 });
  assert.deepEqual(cropRect(64, 48, { x: 100, y: 100, width: 5, height: 5 }, 0), { x: 16, y: 12, width: 32, height: 24 });
  assert.throws(() => cropRect(0, 48), TypeError);
});
