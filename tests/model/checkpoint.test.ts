/**
 * Issue 12: the fixture's Hugging Face (safetensors, bin) and Meta (.pth) checkpoints, read and
 * built into graphs by the TypeScript loader (no Python at run time), reproduce upstream's r75
 * latent and pred, and their attentions and per-layer predictions equal those of the Python
 * export of the same weights (tests/fixtures/onnx, built by `npm run fixtures`).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

import { readNodeModel } from '../../src/cli/model';
import { loadCheckpointModel } from '../../src/runtime/checkpointModel';
import { MaeRunner, type MaeRunResult } from '../../src/runtime/maeRunner';
import { expectClose } from '../helpers/arrays';
import { asFloat32, asIndices, loadReference, referenceDir } from '../helpers/fixture';

const onnxDir = fileURLToPath(new URL('../fixtures/onnx/', import.meta.url));

const request = {
  visiblePatches: asFloat32(loadReference('r75_visible_patches.npy')), // [49, 768]
  idsKeep: asIndices(loadReference('r75_ids_keep.npy')),
  idsRestore: asIndices(loadReference('r75_ids_restore.npy')),
  attentions: true,
  predPerLayer: true,
};

async function run(model: Awaited<ReturnType<typeof readNodeModel>>): Promise<MaeRunResult> {
  const runner = await MaeRunner.create(ort, model.bytes, model.config);
  try {
    return await runner.run(request);
  } finally {
    await runner.dispose();
  }
}

const cases = [
  { weights: 'hf/model.safetensors', config: 'hf/config.json', exported: 'hf-safetensors', format: 'hf' },
  { weights: 'hf/pytorch_model.bin', config: 'hf/config.json', exported: 'hf-bin', format: 'hf' },
  {
    weights: 'official/checkpoint.pth',
    config: 'official/config.json',
    exported: 'official',
    format: 'meta',
  },
];

describe.each(cases)('the TypeScript loader on $weights', ({ weights, config, exported, format }) => {
  const load = () =>
    loadCheckpointModel({
      weights: { name: weights.split('/').pop()!, bytes: readFileSync(referenceDir + weights) },
      configJson: JSON.parse(readFileSync(referenceDir + config, 'utf8')),
    });

  it('derives the fixture geometry from the checkpoint', () => {
    const { config: derived } = load();
    expect(derived.source.format).toBe(format);
    expect(derived).toMatchObject({
      imageSize: 224,
      patchSize: 16,
      numPatches: 196,
      encoder: { embedDim: 192, depth: 3, numHeads: 3, mlpHidden: 768 },
      decoder: { embedDim: 128, depth: 2, numHeads: 4, mlpHidden: 512 },
      layerNormEps: 1e-6,
      normPixLoss: false,
    });
  });

  it('reproduces upstream latent and pred for r75 to 1e-4, and the Python export’s attentions and pred_per_layer', async () => {
    const ours = await run(load());
    expect(ours.latentDims).toEqual([1, 50, 192]);
    expectClose(ours.latent, asFloat32(loadReference('r75_latent.npy')), 1e-4);
    expectClose(ours.pred, asFloat32(loadReference('r75_pred.npy')), 1e-4);

    const python = await run(await readNodeModel(onnxDir + exported));
    expect(ours.attentions!.dims).toEqual([1, 3, 3, 50, 50]);
    expect(ours.predPerLayer!.dims).toEqual([1, 2, 196, 768]);
    expectClose(ours.attentions!.data, python.attentions!.data, 1e-4);
    expectClose(ours.predPerLayer!.data, python.predPerLayer!.data, 1e-4);
  });
});
