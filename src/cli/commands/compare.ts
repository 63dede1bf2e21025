/**
 * `reliquary compare REF DECODED [--mask DIR] [--bytes FILE] [--json]`: PSNR, SSIM, MS-SSIM,
 * PSNR-CENTER and bpp of a decoded sequence against its reference (src/pipeline/compare.ts).
 * The table goes to stdout; with --json stdout holds only the JSON object and the table goes to
 * stderr. Progress goes to stderr.
 */
import { compareSequences, formatCompare } from '../../pipeline/compare.ts';

/** Flags of `reliquary compare`, as commander parses them. */
export interface CompareFlags {
  /** Folder of mask images, one per frame (white = object): enables PSNR-CENTER. */
  mask?: string;
  /** The compressed file whose size gives bpp. */
  bytes?: string;
  /** Print one JSON object on stdout. */
  json?: boolean;
}

/** Shown after `reliquary compare --help`. */
export const COMPARE_HELP = `
REF and DECODED are each a video file ffmpeg reads or a folder of PNG/JPEG frames (name order);
both must have the same size and frame count (nothing is resized). Metrics are per frame, then
averaged (mean) and the worst frame is shown (min): PSNR on RGB, SSIM and MS-SSIM on luma
(MS-SSIM uses fewer than 5 scales below 176 px), PSNR-CENTER over the mask's white pixels
(threshold 128; "-" without --mask), bpp = bytes·8 / (W·H·frames) of --bytes FILE.
Identical frames have an infinite PSNR: "inf" in the table, null in JSON (with "mse": 0).
LPIPS is not computed: it needs a learned network that cannot be installed offline.`;

export async function runCompare(ref: string, decoded: string, f: CompareFlags): Promise<void> {
  const r = await compareSequences({
    ref, decoded, masks: f.mask, bytesFile: f.bytes,
    onFrame: (i, n) => {
      const of = n === undefined ? '' : `/${n}`;
      if (process.stderr.isTTY) process.stderr.write(`\rreliquary compare: frame ${i}${of}`);
      else if (i === n || i % 16 === 0) process.stderr.write(`reliquary compare: frame ${i}${of}\n`);
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  process.stderr.write(`reliquary compare: ${r.frames} frames in ${r.seconds.toFixed(1)} s\n`);
  const table = formatCompare(r) + '\n';
  if (f.json) {
    process.stderr.write(table);
    process.stdout.write(JSON.stringify(r) + '\n');
  } else {
    process.stdout.write(table);
  }
}
