/**
 * Loads a Hugging Face checkpoint written by scripts/make_hf_checkpoint.py through the TypeScript
 * loader (the page's and the CLI's), and prints one JSON line: the load's wall time and peak
 * memory, and the max abs difference of pred from PyTorch's and from the Python export's
 * (OUT/export) on the same masked input. One file per process, so that the peak is that file's.
 *
 *   npx tsx src/cli/verify-checkpoint.ts out/random-base-hf/model.safetensors
 */
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import ort from 'onnxruntime-node';

import { parseNpy } from '../formats/npy';
import { MaeRunner } from '../runtime/maeRunner';
import { readNodeModel } from './model';

/** Peak resident memory of this process so far (Linux), in bytes. */
function peakRss(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

async function main(): Promise<void> {
  const weights = process.argv[2];
  if (!weights) throw new Error('usage: tsx src/cli/verify-checkpoint.ts FOLDER/WEIGHTS');
  const folder = dirname(weights);
  const npy = async (name: string) => parseNpy(await readFile(join(folder, 'reference', `${name}.npy`)));
  const request = {
    visiblePatches: (await npy('visible_patches')).data as Float32Array,
    idsKeep: Array.from((await npy('ids_keep')).data as BigInt64Array, Number),
    idsRestore: Array.from((await npy('ids_restore')).data as BigInt64Array, Number),
  };
  const torchPred = (await npy('pred')).data as Float32Array;

  const before = process.memoryUsage().rss;
  const started = performance.now();
  const model = await readNodeModel(weights);
  const runner = await MaeRunner.create(ort, model.bytes, model.config);
  const loadMs = performance.now() - started;
  const peak = peakRss();
  const ours = await runner.run(request);
  await runner.dispose();

  const exported = await readNodeModel(join(folder, 'export'));
  const python = await MaeRunner.create(ort, exported.bytes, exported.config);
  const theirs = await python.run(request);
  await python.dispose();

  const maxAbs = (a: Float32Array, b: Float32Array) =>
    a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i]!)), 0);
  const fileBytes = (await stat(weights)).size;
  console.log(
    JSON.stringify({
      weights,
      file_mb: +(fileBytes / 1e6).toFixed(1),
      load_ms: Math.round(loadMs),
      rss_before_mb: Math.round(before / 1e6),
      peak_rss_mb: Math.round(peak / 1e6),
      peak_over_file: +((peak - before) / fileBytes).toFixed(2),
      pred_vs_python_export: maxAbs(ours.pred, theirs.pred),
      pred_vs_pytorch: maxAbs(ours.pred, torchPred),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
