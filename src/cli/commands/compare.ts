/**
 * `reliquary compare REF DECODED [--mask DIR|auto [--mask-model REF]] [--bytes FILE]
 * [--lpips MODEL.onnx [--lpips-size PX]] [--json]`: PSNR, SSIM, MS-SSIM, PSNR-CENTER, bpp and
 * optionally LPIPS of a decoded sequence against its reference (src/pipeline/compare.ts).
 * The table goes to stdout; with --json stdout holds only the JSON object and the table goes to
 * stderr. Progress goes to stderr.
 */
import { compareSequences, formatCompare } from '../../pipeline/compare.ts';

/** Flags of `reliquary compare`, as commander parses them. */
export interface CompareFlags {
  /**
   * Folder of mask images, one per frame (white = object), or `auto` to segment the REF frames with
   * {@link maskModel}: enables PSNR-CENTER. (A folder named `auto` is given as `./auto`.)
   */
  mask?: string;
  /** With `--mask auto`: the segmentation model, `isnet` | `isnet-small` | `onnx:PATH`; default `isnet`. */
  maskModel?: string;
  /** The compressed file whose size gives bpp. */
  bytes?: string;
  /** An ONNX LPIPS model (two inputs in0/in1, [1, 3, H, W] in [-1, 1]; one output): enables LPIPS. */
  lpips?: string;
  /** With --lpips: side in px of the square both frames are resized to (models with a symbolic input size). */
  lpipsSize?: number;
  /** Print one JSON object on stdout. */
  json?: boolean;
}

/** The default model of `--mask auto`. */
export const DEFAULT_MASK_MODEL = 'isnet';

/** Shown after `reliquary compare --help`. */
export const COMPARE_HELP = `
REF and DECODED are each a video file ffmpeg reads or a folder of PNG/JPEG frames (name order);
both must have the same size and frame count (nothing is resized). Metrics are per frame, then
averaged (mean) and the worst frame is shown (min; max for LPIPS): PSNR on RGB, SSIM and MS-SSIM
on luma (MS-SSIM uses fewer than 5 scales below 176 px), PSNR-CENTER over the mask's white pixels
(threshold 128; "-" without --mask), bpp = bytes·8 / (W·H·frames) of --bytes FILE.
--mask auto segments the REF frames themselves with --mask-model (default isnet, from the
optional package @imgly/background-removal-data; isnet-small; or onnx:PATH), as encode does, and
fails when most frames show no object; a mask folder named "auto" is given as ./auto.
LPIPS needs your own ONNX export (no weights can be installed offline): --lpips MODEL.onnx with
two inputs (in0 and in1, or the first two) float32 [1, 3, H, W] RGB in [-1, 1] and a first output
holding one value. Frames are resized to the model's input size when it is fixed, else to
--lpips-size PX (a square) when given, else fed at their own size.
Identical frames have an infinite PSNR: "inf" in the table, null in JSON (with "mse": 0).`;

export async function runCompare(ref: string, decoded: string, f: CompareFlags): Promise<void> {
  if (f.maskModel !== undefined && f.mask !== 'auto') throw new TypeError('--mask-model must be used with --mask auto');
  if (f.lpipsSize !== undefined && f.lpips === undefined) throw new TypeError('--lpips-size must be used with --lpips MODEL.onnx');
  const masks = f.mask === 'auto' ? { auto: { model: f.maskModel ?? DEFAULT_MASK_MODEL } } : f.mask;
  if (f.mask === 'auto') process.stderr.write(`reliquary compare: masks from the REF frames with model ${f.maskModel ?? DEFAULT_MASK_MODEL}\n`);
  const r = await compareSequences({
    ref, decoded, masks, bytesFile: f.bytes, lpips: f.lpips, lpipsSize: f.lpipsSize,
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
