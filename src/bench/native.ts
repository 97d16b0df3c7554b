/** The native half of `npm run bench`: onnxruntime-node in this process, PyTorch eager in a helper. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import ort from 'onnxruntime-node';

import { type ModelConfig, patchDim } from '../formats/config';
import { parseNpy, writeNpy } from '../formats/npy';
import { randomMasking } from '../mae/masking';
import { gatherRows } from '../mae/patches';
import { prepareImage } from '../mae/pipeline';
import { type MaeModelBytes, MaeRunner } from '../runtime/maeRunner';
import { syntheticPhoto } from './workload';

/** The interpreter with Debian's torch and onnx (the first python3 on PATH may lack them). */
export const PYTHON = '/usr/bin/python3';

export interface LoadedModel {
  config: ModelConfig;
  bytes: MaeModelBytes;
}

/**
 * Runs `body` with an onnxruntime-node runner on `threads` intra-op threads. `graphs: 'full'`
 * drops the lean graphs, so plain runs go through the contract's graphs with every output.
 */
export async function withNodeRunner<T>(
  model: LoadedModel,
  threads: number,
  graphs: 'lean' | 'full',
  body: (runner: MaeRunner) => Promise<T>,
): Promise<T> {
  // A checkpoint's built graphs keep their weights apart (`weights`): the full graphs need them too.
  const { encoder, decoder, weights } = model.bytes;
  const bytes = graphs === 'lean' ? model.bytes : { encoder, decoder, ...(weights && { weights }) };
  // One image at a time: nothing for inter-op threads to overlap.
  const options = { intraOpNumThreads: threads, interOpNumThreads: 1 };
  const runner = await MaeRunner.create(ort, bytes, model.config, options);
  try {
    return await body(runner);
  } finally {
    await runner.dispose();
  }
}

export interface TorchRun {
  torch: string;
  threads: number;
  load_s: number;
  encoder_ms: number[];
  decoder_ms: number[];
  /** Largest |PyTorch pred - onnxruntime-node pred| on the same input: 0-ish means same weights. */
  maxAbsDiff: number;
}

/** The encoder inputs of the bench image at `maskRatio` (mask seed 0) and onnxruntime's pred for them. */
export interface ReferenceRun {
  visiblePatches: Float32Array;
  idsKeep: Int32Array;
  idsRestore: Int32Array;
  pred: Float32Array;
}

export async function referenceRun(
  runner: MaeRunner,
  config: ModelConfig,
  maskRatio: number,
): Promise<ReferenceRun> {
  const prepared = prepareImage(syntheticPhoto(), config);
  const { idsKeep, idsRestore } = randomMasking(config.numPatches, maskRatio, 0);
  const visiblePatches = gatherRows(prepared.patches, patchDim(config), idsKeep); // [K, P*P*3]
  const { pred } = await runner.run({ visiblePatches, idsKeep, idsRestore });
  return { visiblePatches, idsKeep, idsRestore, pred };
}

/**
 * Times PyTorch eager (scripts/bench_torch.py) on the reference run's input, in one process per
 * thread count (OpenBLAS fixes its threads at load), and compares its prediction with onnxruntime's.
 */
export async function runTorch(
  repoRoot: string,
  folder: string,
  config: ModelConfig,
  reference: ReferenceRun,
  options: { threads: number; warmup: number; iterations: number },
): Promise<TorchRun> {
  const keep = reference.idsKeep.length;
  const ids = (values: Int32Array) => BigInt64Array.from(values, (v) => BigInt(v));
  const dir = await mkdtemp(join(tmpdir(), 'mae-bench-torch-'));
  try {
    const dim = patchDim(config);
    await writeFile(join(dir, 'visible_patches.npy'), writeNpy(reference.visiblePatches, [1, keep, dim]));
    await writeFile(join(dir, 'ids_keep.npy'), writeNpy(ids(reference.idsKeep), [1, keep]));
    await writeFile(
      join(dir, 'ids_restore.npy'),
      writeNpy(ids(reference.idsRestore), [1, config.numPatches]),
    );
    const args = [
      ...['-m', 'scripts.bench_torch'],
      folder,
      dir,
      ...['--threads', String(options.threads), '--warmup', String(options.warmup)],
      ...['--iterations', String(options.iterations)],
    ];
    const { stdout } = await promisify(execFile)(PYTHON, args, { cwd: repoRoot, maxBuffer: 1 << 24 }).catch(
      (error: { stderr?: string; message: string }) => {
        // The helper's last line says why (e.g. PyTorch is not installed).
        throw new Error((error.stderr ?? error.message).trim().split('\n').pop());
      },
    );
    const report = JSON.parse(stdout.trim().split('\n').pop()!) as Omit<TorchRun, 'maxAbsDiff'>;
    const torchPred = parseNpy(await readFile(join(dir, 'torch_pred.npy'))).data as Float32Array;
    const { pred } = reference;
    let maxAbsDiff = 0;
    for (let i = 0; i < pred.length; i++)
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(pred[i]! - torchPred[i]!));
    return { ...report, maxAbsDiff };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
