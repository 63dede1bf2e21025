/**
 * The `reliquary` command line: parses, calls the pipeline, shows progress, maps errors to exit codes.
 * The only place that sets process.exitCode.
 */
import { Command, Option, InvalidArgumentError } from 'commander';
import { runSample } from './commands/sample.ts';
import { runTrain } from './commands/train.ts';
import { runRender } from './commands/render.ts';
import { runGpuInfo } from './commands/gpu-info.ts';
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
