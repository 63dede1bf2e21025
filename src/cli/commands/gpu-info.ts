import { listAdapters, adapterName } from '../../gpu/device.ts';

export async function runGpuInfo(f: { json?: boolean }): Promise<void> {
  const list = await listAdapters();
  if (f.json) {
    process.stdout.write(JSON.stringify(list, null, 2) + '\n');
    return;
  }
  if (!list.length) process.stdout.write('no WebGPU adapter found\n');
  for (const a of list) {
    process.stdout.write(`${adapterName(a.summary)}\n  vendor ${a.summary.vendor}, architecture ${a.summary.architecture}, device ${a.summary.device}\n`);
    process.stdout.write(`  features: ${a.features.join(', ')}\n  limits:\n`);
    for (const [k, v] of Object.entries(a.limits)) process.stdout.write(`    ${k.padEnd(44)} ${v}\n`);
  }
}
