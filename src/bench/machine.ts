/** What the machine is, so a reader can tell which kernels produced a number. */
import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';

import { REPO_ROOT } from './models';
import type { MachineInfo } from './report';

/** The instruction sets that pick onnxruntime's int8 kernels (docs/model-format.md). */
const CPU_FEATURES = ['avx2', 'avx512f', 'avx512_vnni', 'avx_vnni'];

async function packageVersion(name: string): Promise<string> {
  const json = await readFile(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8');
  return (JSON.parse(json) as { version: string }).version;
}

/** The instruction sets, of those that pick onnxruntime's int8 kernels, the first CPU's flags list. */
function cpuFeatures(cpuinfo: string): string[] {
  const flags = new Set(/^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.split(/\s+/));
  return CPU_FEATURES.filter((feature) => flags.has(feature));
}

export async function machineBase(): Promise<Omit<MachineInfo, 'chromium' | 'webgpu_adapter' | 'torch'>> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const osRelease = await readFile('/etc/os-release', 'utf8').catch(() => '');
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown',
    cpu_features: cpuFeatures(cpuinfo),
    cores: availableParallelism(),
    memory_gib: Number((totalmem() / 2 ** 30).toFixed(1)),
    os: `${/^PRETTY_NAME="?([^"\n]+)"?$/m.exec(osRelease)?.[1] ?? process.platform}, kernel ${release()}`,
    node: process.version,
    onnxruntime_node: await packageVersion('onnxruntime-node'),
    onnxruntime_web: await packageVersion('onnxruntime-web'),
    load_average: loadavg().map((v) => Number(v.toFixed(2))),
  };
}
