/**
 * Runs an exported model folder with onnxruntime-node on tensors that scripts/export_onnx.py saved
 * from PyTorch, and prints one JSON line: the max abs difference of every output, and the RMS
 * difference relative to PyTorch's RMS of latent and pred (the measure for quantised exports,
 * whose errors are expected and scale with the values).
 *
 *   tsx src/cli/verify-export.ts MODEL_DIR TENSOR_DIR
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import ort from 'onnxruntime-node';

import { parseModelConfig } from '../mae/config';
import { type NpyArray, parseNpy } from '../mae/npy';
import { errorText } from '../shared/errorText';

async function readNpy(folder: string, name: string): Promise<NpyArray> {
  return parseNpy(await readFile(join(folder, `${name}.npy`)));
}

function tensorOf(array: NpyArray): ort.Tensor {
  return new ort.Tensor(array.dtype === 'int64' ? 'int64' : 'float32', array.data, array.shape);
}

function checkShape(actual: ort.Tensor, expected: NpyArray): void {
  if (actual.dims.join() !== expected.shape.join()) {
    throw new Error(
      `shape [${actual.dims.join(', ')}] differs from PyTorch's [${expected.shape.join(', ')}]`,
    );
  }
}

function maxAbsDiff(actual: ort.Tensor, expected: NpyArray): number {
  checkShape(actual, expected);
  const a = actual.data as Float32Array;
  const e = expected.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - e[i]!));
  return worst;
}

/** sqrt(mean((actual - expected)^2)) / sqrt(mean(expected^2)); 0 when both are all zero. */
function relativeRms(actual: ort.Tensor, expected: NpyArray): number {
  checkShape(actual, expected);
  const a = actual.data as Float32Array;
  const e = expected.data as Float32Array;
  let error = 0;
  let energy = 0;
  for (let i = 0; i < a.length; i++) {
    error += (a[i]! - e[i]!) ** 2;
    energy += e[i]! ** 2;
  }
  return energy > 0 ? Math.sqrt(error / energy) : Math.sqrt(error);
}

async function main(): Promise<void> {
  const [modelDir, tensorDir] = process.argv.slice(2);
  if (!modelDir || !tensorDir) throw new Error('usage: verify-export.ts MODEL_DIR TENSOR_DIR');
  const config = parseModelConfig(JSON.parse(await readFile(join(modelDir, 'config.json'), 'utf8')));
  const encoder = await ort.InferenceSession.create(join(modelDir, config.files.encoder.path));
  const decoder = await ort.InferenceSession.create(join(modelDir, config.files.decoder.path));
  const expected = Object.fromEntries(
    await Promise.all(
      ['visible_patches', 'ids_keep', 'ids_restore', 'latent', 'attentions', 'pred', 'pred_per_layer'].map(
        async (name) => [name, await readNpy(tensorDir, name)] as const,
      ),
    ),
  );
  const encoded = await encoder.run({
    visible_patches: tensorOf(expected.visible_patches!),
    ids_keep: tensorOf(expected.ids_keep!),
  });
  // The decoder gets ONNX's own latent, so its error includes the encoder's.
  const decoded = await decoder.run({
    latent: encoded.latent!,
    ids_restore: tensorOf(expected.ids_restore!),
  });
  // The lean graphs read the same weights out of the full files and must agree with them.
  const leanFiles = [config.files.encoderLean, config.files.decoderLean];
  if (!leanFiles[0] || !leanFiles[1]) throw new Error('config.json lists no lean graphs');
  const leanEncoder = await ort.InferenceSession.create(join(modelDir, leanFiles[0].path));
  const leanDecoder = await ort.InferenceSession.create(join(modelDir, leanFiles[1].path));
  const leanLatent = (
    await leanEncoder.run({
      visible_patches: tensorOf(expected.visible_patches!),
      ids_keep: tensorOf(expected.ids_keep!),
    })
  ).latent!;
  const leanPred = (
    await leanDecoder.run({ latent: leanLatent, ids_restore: tensorOf(expected.ids_restore!) })
  ).pred!;
  const maxAbs = {
    lean_latent: maxAbsDiff(leanLatent, expected.latent!),
    lean_pred: maxAbsDiff(leanPred, expected.pred!),
    latent: maxAbsDiff(encoded.latent!, expected.latent!),
    attentions: maxAbsDiff(encoded.attentions!, expected.attentions!),
    pred: maxAbsDiff(decoded.pred!, expected.pred!),
    pred_per_layer: maxAbsDiff(decoded.pred_per_layer!, expected.pred_per_layer!),
  };
  await Promise.all([encoder, decoder, leanEncoder, leanDecoder].map((session) => session.release()));
  const relative = {
    latent: relativeRms(leanLatent, expected.latent!),
    pred: relativeRms(leanPred, expected.pred!),
  };
  console.log(JSON.stringify({ max_abs_diff: maxAbs, relative_rms: relative }));
}

main().catch((error: unknown) => {
  console.error(errorText(error));
  process.exit(1);
});
