/** A model folder run with onnxruntime-node through the same MaeRunner as the browser. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { parseModelConfig, patchDim, type ModelConfig } from '../mae/config';
import type { Masking } from '../mae/masking';
import { gatherRows } from '../mae/patches';
import { MaeRunner, type MaeModelBytes } from '../runtime/maeRunner';
import { readModelBytes } from '../runtime/modelBytes';

export { prepareImage } from '../mae/pipeline';

export interface Reconstruction {
  /** `[K+1, D]` encoder output, row 0 = cls. */
  latent: Float32Array;
  /** `[N, P*P*3]` decoder output in patch order. */
  pred: Float32Array;
  encoderMs: number;
  decoderMs: number;
}

export interface NodeModel {
  config: ModelConfig;
  reconstruct(patches: Float32Array, masking: Masking): Promise<Reconstruction>;
  release(): Promise<void>;
}

/** A model folder's config.json and graph files, as MaeRunner.create takes them. */
export async function readNodeModel(folder: string): Promise<{ config: ModelConfig; bytes: MaeModelBytes }> {
  const config = parseModelConfig(JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')));
  const bytes = await readModelBytes(config, (file) => readFile(join(folder, file.path)));
  return { config, bytes };
}

/** `threads` = 0 lets onnxruntime choose (all cores). */
export async function loadNodeModel(folder: string, threads = 0): Promise<NodeModel> {
  const { config, bytes } = await readNodeModel(folder);
  const runner = await MaeRunner.create(ort, bytes, config, { intraOpNumThreads: threads });
  const dim = patchDim(config);
  return {
    config,
    async reconstruct(patches, masking) {
      const visiblePatches = gatherRows(patches, dim, masking.idsKeep); // [K, P*P*3]
      const { latent, pred, encoderMs, decoderMs } = await runner.run({
        visiblePatches,
        idsKeep: masking.idsKeep,
        idsRestore: masking.idsRestore,
      });
      return { latent, pred, encoderMs, decoderMs };
    },
    release: () => runner.dispose(),
  };
}
