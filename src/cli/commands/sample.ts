import { writeSample } from '../../data/sample/index.ts';

export async function runSample(o: { out: string; frames: number; width: number; height: number; spp: number; seed: number }): Promise<void> {
  const s = await writeSample({
    out: o.out, frames: o.frames, width: o.width, height: o.height, samplesPerPixel: o.spp, seed: o.seed,
    onProgress: (f: number, n: number) => {
      if (process.stderr.isTTY) process.stderr.write(`\rreliquary sample: frame ${f}/${n}`);
    },
  });
  process.stderr.write(`\nreliquary sample: ${s.frames} frames of ${s.width}x${s.height} in ${s.seconds.toFixed(1)} s → ${s.out}\n`);
}
