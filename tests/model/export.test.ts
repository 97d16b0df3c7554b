/**
 * The ONNX files that scripts/export_onnx.py writes from each upstream checkpoint format reproduce
 * the upstream fixture (Meta's and Hugging Face's own outputs) for case r75.
 * The models are built by `npm run fixtures` (scripts/build_test_models.py).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

import { asFloat32, loadReference } from '../helpers/fixture';

const onnxDir = fileURLToPath(new URL('../fixtures/onnx/', import.meta.url));
const formats = ['official', 'hf-bin', 'hf-safetensors'];

function maxAbsDiff(actual: ort.Tensor, expected: Float32Array): number {
  const values = actual.data as Float32Array;
  expect(values.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i]! - expected[i]!));
  return worst;
}

function tensor(name: string): ort.Tensor {
  const array = loadReference(name);
  return new ort.Tensor(array.dtype === 'int64' ? 'int64' : 'float32', array.data, array.shape);
}

describe.each(formats)('ONNX export of the %s fixture checkpoint', (format) => {
  const folder = `${onnxDir}${format}/`;

  it('exists (run `npm run fixtures`)', () => {
    expect(existsSync(`${folder}encoder.onnx`) && existsSync(`${folder}decoder.onnx`)).toBe(true);
  });

  it('matches the upstream latent and pred for case r75 to 1e-4', async () => {
    const encoder = await ort.InferenceSession.create(`${folder}encoder.onnx`);
    const decoder = await ort.InferenceSession.create(`${folder}decoder.onnx`);
    const { latent, attentions } = await encoder.run({
      visible_patches: tensor('r75_visible_patches.npy'),
      ids_keep: tensor('r75_ids_keep.npy'),
    });
    const { pred, pred_per_layer } = await decoder.run({
      latent: latent!,
      ids_restore: tensor('r75_ids_restore.npy'),
    });
    expect(latent!.dims).toEqual([1, 50, 192]);
    expect(attentions!.dims).toEqual([1, 3, 3, 50, 50]);
    expect(pred!.dims).toEqual([1, 196, 768]);
    expect(pred_per_layer!.dims).toEqual([1, 2, 196, 768]);
    expect(maxAbsDiff(latent!, asFloat32(loadReference('r75_latent.npy')))).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(pred!, asFloat32(loadReference('r75_pred.npy')))).toBeLessThanOrEqual(1e-4);
    await encoder.release();
    await decoder.release();
  });
});
