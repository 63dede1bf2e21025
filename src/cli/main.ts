/**
 * The `reliquary` command line: parses, calls the pipeline, shows progress, maps errors to exit codes.
 * The only place that sets process.exitCode.
 */
import { Command, Option, InvalidArgumentError } from 'commander';
import { runSample } from './commands/sample.ts';
import { runTrain } from './commands/train.ts';
import { runRender } from './commands/render.ts';
import { runGpuInfo } from './commands/gpu-info.ts';
import { runEncode } from './commands/encode.ts';
import { runDecode } from './commands/decode.ts';
import { runInfo } from './commands/info.ts';
import { exitCodeFor, describeError } from './exit-codes.ts';

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
  return n;
};
const num = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
  return n;
};

const program = new Command()
  .name('reliquary')
  .description('Neural 3-D compression of static-object videos (NeRF semantic codec) on WebGPU.')
  .version('0.1.0');

program.command('sample')
  .description('render a synthetic static-object capture (frames, masks, transforms.json, H.264 video)')
  .requiredOption('--out <dir>', 'output folder')
  .option('--frames <n>', 'number of frames', int('--frames'), 64)
  .option('--width <px>', 'frame width', int('--width'), 256)
  .option('--height <px>', 'frame height', int('--height'), 256)
  .option('--spp <n>', 'samples per pixel (anti-aliasing)', int('--spp'), 4)
  .option('--seed <n>', 'random seed', int('--seed'), 1)
  .action(runSample);

program.command('train')
  .description('train a radiance field on a posed capture (transforms.json with images, masks or alpha)')
  .argument('<dataset>', 'folder with transforms.json (or the json file)')
  .requiredOption('--out <dir>', 'model folder (model.ckpt, config.json, eval.json)')
  .addOption(new Option('--preset <name>', 'architecture and schedule').choices(['cpu', 'paper']).default('cpu'))
  .option('--steps <n>', 'training steps (default: the preset\'s)', int('--steps'))
  .option('--downscale <k>', 'downscale images by an integer factor', int('--downscale'), 1)
  .option('--max-minutes <m>', 'stop training after this many minutes', num('--max-minutes'))
  .option('--samples-per-step <n>', 'target samples per step (default: the preset\'s)', int('--samples-per-step'))
  .option('--eval-frames <n>', 'evaluate at most this many held-out frames', int('--eval-frames'))
  .option('--seed <n>', 'random seed', int('--seed'))
  .option('--df <n>', 'feature dimension d_f per level (default: the preset\'s, 2)', int('--df'))
  .option('--resume', 'continue from the model folder\'s checkpoint')
  .option('--profile', 'per-kernel GPU timings (timestamp queries)')
  .option('--json', 'print one JSON object with the results on stdout')
  .action(runTrain);

program.command('render')
  .description('render a trained model at the poses of a transforms.json (PNG frames or .mp4), with PSNR/SSIM when ground truth exists')
  .argument('<model>', 'model folder or .ckpt file')
  .requiredOption('--poses <file>', 'transforms.json with the poses (and intrinsics) to render')
  .requiredOption('--out <path>', 'folder for PNG frames, or a file ending in .mp4')
  .option('--downscale <k>', 'downscale the poses\' image size', int('--downscale'), 1)
  .option('--fps <n>', 'video frame rate', int('--fps'), 24)
  .option('--json', 'print one JSON object with the results on stdout')
  .action(runRender);

const size = (v: string) => {
  const m = /^(\d+)x(\d+)$/.exec(v);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new InvalidArgumentError('--size must be WIDTHxHEIGHT, e.g. 1280x720');
  return { width: Number(m[1]), height: Number(m[2]) };
};
const colour = (v: string) => {
  const m = /^#?([0-9a-f]{6})$/i.exec(v);
  if (!m) throw new InvalidArgumentError('--background must be a hex colour such as 000000 or ffffff');
  const n = parseInt(m[1]!, 16);
  return [(n >> 16) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
};
const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number ≥ 0`);
  return n;
};

program.command('encode')
  .description('compress an object video (or a posed capture) into one .rlq file: FP = the object, PC = object + background')
  .argument('<input>', 'a video file, or a posed capture: a folder with transforms.json (or the json file), images with alpha or masks')
  .requiredOption('-o, --out <file>', 'output .rlq file')
  .addOption(new Option('--mode <mode>', 'fp: the object only; pc: object and background (video input)').choices(['fp', 'pc']).default('fp'))
  .option('--lambda <λ>', 'rate weight λ of eq. 26 (paper: 1e-3 … 8e-3)', positive('--lambda'), 2e-3)
  .option('--df <n>', 'feature dimension d_f per level: 1, 2, 4 or 8', (v: string) => {
    if (!['1', '2', '4', '8'].includes(v)) throw new InvalidArgumentError('--df must be 1, 2, 4 or 8');
    return Number(v);
  }, 2)
  .addOption(new Option('--preset <name>', 'architecture and schedule').choices(['cpu', 'paper']).default('cpu'))
  .option('--max-minutes <m>', 'training budget in minutes', num('--max-minutes'))
  .option('--steps <n>', 'training steps (default: the preset\'s)', int('--steps'))
  .option('--prune <ε>', 'before coding, empty the occupancy cells whose largest weight T·α on a training ray stays under ε, then fine-tune (0 = off; default 1e-3)', positive('--prune'))
  .option('--downscale <k>', 'train on frames downscaled by an integer factor (the file keeps the source size)', int('--downscale'), 1)
  .option('--fps <n>', 'frame rate of the stored video (default: the source\'s, 24 for a posed capture)', num('--fps'))
  .option('--holdout <k>', 'hold out every k-th frame to measure quality (default 8 for a capture, 0 for a video)', int('--holdout'))
  .option('--train-frames <n>', 'train on at most n evenly spaced frames (default 200 for a video); every frame still gets its pose and output frame', int('--train-frames'))
  .option('--model <ref>', 'video: segmentation model isnet | isnet-small | onnx:PATH', 'isnet')
  .option('--masks <dir>', 'video: object masks made elsewhere, one per frame, instead of a model')
  .option('--poses <file>', 'video: known poses (transforms.json or a COLMAP model folder) instead of running COLMAP')
  .addOption(new Option('--pose-features <where>', 'video: COLMAP features on the object (the paper) or on the whole frame (default: the object, then the whole frame if that fails)').choices(['object', 'all']))
  .option('--pose-overlap <n>', 'video: match each frame with its next n frames', int('--pose-overlap'), 10)
  .addOption(new Option('--bg-codec <codec>', 'pc: background codec').choices(['x264', 'x265', 'av1']).default('x264'))
  .option('--bg-crf <n>', 'pc: background CRF (paper: 42-50)', int('--bg-crf'), 45)
  .option('--bg-gop <n>', 'pc: background GOP (paper: 30/60/90)', int('--bg-gop'), 60)
  .option('--eval-frames <n>', 'frames rendered for the quality report', int('--eval-frames'))
  .option('--seed <n>', 'random seed', int('--seed'))
  .option('--work <dir>', 'work folder: cached frames, masks, poses and training checkpoints (default <out>.work)')
  .option('--resume', 'continue training from the work folder\'s checkpoint')
  .option('--json', 'print one JSON object with the results on stdout')
  .action(runEncode);

program.command('decode')
  .description('render every stored pose of a .rlq file to an mp4 or PNG frames')
  .argument('<file>', 'the .rlq file')
  .requiredOption('-o, --out <path>', 'a file ending in .mp4, or a folder for PNG frames')
  .option('--size <WxH>', 'output size (default: the stored video\'s)', size)
  .option('--frames <n>', 'only the first n frames', int('--frames'))
  .option('--background <hex>', 'colour under the object (default 000000)', colour)
  .option('--json', 'print one JSON object with the results on stdout')
  .action(runDecode);

program.command('info')
  .description('the sections of a .rlq file with their sizes, bits per pixel and the configuration')
  .argument('<file>', 'the .rlq file')
  .option('--json', 'JSON output')
  .action(runInfo);

const compare = await import('./commands/compare.ts');
program.command('compare')
  .description('PSNR, SSIM, MS-SSIM, PSNR-CENTER, bpp and (with your ONNX model) LPIPS of a decoded video or frame folder against its reference')
  .argument('<ref>', 'reference: a video file or a folder of PNG/JPEG frames')
  .argument('<decoded>', 'the sequence to judge: a video file or a folder of PNG/JPEG frames')
  .option('--mask <dir|auto>', 'folder of masks, one per frame (white = object), or auto to segment REF: enables PSNR-CENTER')
  .option('--mask-model <ref>', 'with --mask auto: segmentation model isnet | isnet-small | onnx:PATH (default isnet)')
  .option('--bytes <file>', 'compressed file (e.g. the .rlq) whose size gives bpp')
  .option('--lpips <onnx>', 'LPIPS with this ONNX model (inputs in0, in1: [1, 3, H, W] in [-1, 1]; one output)')
  .option('--lpips-size <px>', 'with --lpips: resize both frames to a PX×PX square first (fixed-size models are resized automatically)', (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('--lpips-size must be a positive integer');
    return n;
  })
  .option('--json', 'print one JSON object with the means and per-frame values on stdout')
  .addHelpText('after', compare.COMPARE_HELP)
  .action(compare.runCompare);

const bench = await import('./commands/bench.ts');
program.command('bench')
  .description('benchmarks that write a report')
  .command('rd')
  .description('rate-distortion of FP and PC mode against x264, x265 and SVT-AV1 (the paper\'s Figs. 3-5), as an HTML report')
  .argument('<video>', 'the input video')
  .requiredOption('-o, --out <dir>', 'report folder (index.html, results.json, results.csv; cache/ makes a rerun resume)')
  .option('--quick', 'the CPU grid: fewer frames and points (see below)')
  .option('--experiments <list>', 'fp, pc or both', 'fp,pc')
  .option('--anchors <list>', 'anchor codecs among x264, x265, av1', 'x264,x265,av1')
  .option('--steps <n>', 'training steps per Reliquary field (default: the grid\'s)', int('--steps'))
  .option('--frame-step <k>', 'code every k-th input frame (default 1; with --quick, the smallest step that keeps at most 60 frames)', int('--frame-step'))
  .option('--short-side <px>', 'scale the input down to this short side (default: the grid\'s; 0 = source size)', int('--short-side'))
  .addOption(new Option('--preset <name>', 'architecture and schedule of the fields').choices(['cpu', 'paper']).default('cpu'))
  .option('--model <ref>', 'segmentation model isnet | isnet-small | onnx:PATH', 'isnet')
  .option('--masks <dir>', 'object masks made elsewhere, one per input frame (full grid only)')
  .option('--poses <file>', 'known poses, one per input frame (full grid only)')
  .addOption(new Option('--pose-features <which>', 'COLMAP features on the object or the whole frame (default: the object, then the whole frame if that fails)').choices(['object', 'all']))
  .option('--lpips <onnx>', 'LPIPS model (ONNX) to add LPIPS to every point')
  .option('--panel-frame <i>', 'frame shown in the panel (default: the middle one)', int('--panel-frame'))
  .option('--json', 'print results.json on stdout')
  .addHelpText('after', bench.BENCH_RD_HELP)
  .action(bench.runBenchRd);

program.command('gpu-info')
  .description('list WebGPU adapters with their features and limits')
  .option('--json', 'JSON output')
  .action(runGpuInfo);

// A closed pipe (`reliquary gpu-info | head`) is a normal end for a command-line tool.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

try {
  await program.parseAsync(process.argv);
} catch (e) {
  process.stderr.write(`reliquary: ${describeError(e)}\n`);
  process.exitCode = exitCodeFor(e);
}
