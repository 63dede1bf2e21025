import { decodeFile } from '../../pipeline/decode.ts';

export interface DecodeFlags { out: string; size?: { width: number; height: number }; frames?: number; background?: [number, number, number]; json?: boolean }

export async function runDecode(input: string, f: DecodeFlags): Promise<void> {
  const r = await decodeFile({
    input, out: f.out, size: f.size, frames: f.frames, background: f.background,
    onStart: (s) => process.stderr.write(`reliquary decode: bitstream decoded in ${s.decodeSeconds.toFixed(1)} s; rendering ${s.frames} frames of ${s.width}x${s.height} on ${s.adapter}\n`),
    onFrame: (i, n) => {
      if (process.stderr.isTTY) process.stderr.write(`\rreliquary decode: frame ${i}/${n}`);
      else if (i === n || i % 16 === 0) process.stderr.write(`reliquary decode: frame ${i}/${n}\n`);
    },
  });
  process.stderr.write(`\nreliquary decode: ${r.frames} frames in ${(r.seconds.decode + r.seconds.render).toFixed(1)} s → ${r.out}\n`);
  if (f.json) process.stdout.write(JSON.stringify(r) + '\n');
}
