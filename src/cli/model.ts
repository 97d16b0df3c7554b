/** A model folder run with onnxruntime-node. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { parseModelConfig, patchDim, type ModelConfig } from '../mae/config';
import type { Masking } from '../mae/masking';
import { gatherRows } from '../mae/patches';

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

const toInt64 = (ids: Int32Array) => BigInt64Array.from(ids, (id) => BigInt(id));

export async function loadNodeModel(folder: string, threads = 0): Promise<NodeModel> {
  const config = parseModelConfig(JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')));
  const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: threads };
  const encoder = await ort.InferenceSession.create(join(folder, config.files.encoder.path), options);
  const decoder = await ort.InferenceSession.create(join(folder, config.files.decoder.path), options);
  const dim = patchDim(config);
  return {
    config,
    async reconstruct(patches, masking) {
      const keep = masking.idsKeep.length;
      const visible = gatherRows(patches, dim, masking.idsKeep); // [K, P*P*3]
      const started = performance.now();
      const { latent } = await encoder.run(
        {
          visible_patches: new ort.Tensor('float32', visible, [1, keep, dim]),
          ids_keep: new ort.Tensor('int64', toInt64(masking.idsKeep), [1, keep]),
        },
        ['latent'],
      );
      const encoded = performance.now();
      const { pred } = await decoder.run(
        {
          latent: latent!,
          ids_restore: new ort.Tensor('int64', toInt64(masking.idsRestore), [1, config.numPatches]),
        },
        ['pred'],
      );
      return {
        latent: latent!.data as Float32Array,
        pred: pred!.data as Float32Array,
        encoderMs: encoded - started,
        decoderMs: performance.now() - encoded,
      };
    },
    async release() {
      await encoder.release();
      await decoder.release();
    },
  };
}
