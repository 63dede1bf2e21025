import { inspectFile, formatInfo } from '../../pipeline/inspect.ts';

export function runInfo(input: string, f: { json?: boolean }): void {
  const info = inspectFile(input);
  if (f.json) process.stdout.write(JSON.stringify(info) + '\n');
  else process.stdout.write(formatInfo(info) + '\n');
}
