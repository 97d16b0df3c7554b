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
import { type ModelConfig, parseModelConfig } from '../../src/formats/config';
import { loadCheckpointModel } from '../../src/runtime/checkpointModel';
import { MaeRunner, type MaeRunResult } from '../../src/runtime/maeRunner';
import { expectClose, relativeRms } from '../helpers/arrays';
import { asFloat32, asIndices, loadReference, referenceDir, tinyConfigJson } from '../helpers/fixture';

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
    // The fixture's geometry as docs/model-format.md's config.json states it.
    const stated = parseModelConfig(tinyConfigJson());
    const fields = [
      'imageSize',
      'patchSize',
      'numPatches',
      'encoder',
      'decoder',
      'layerNormEps',
      'normPixLoss',
    ];
    for (const field of fields)
      expect(derived[field as keyof ModelConfig], field).toEqual(stated[field as keyof ModelConfig]);
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

describe('int8 weights built from a checkpoint', () => {
  it('stay within 5 % RMS of fp32 in latent and pred (the rule of scripts/quantize_onnx.py)', async () => {
    const files = (int8: boolean) => ({
      weights: { name: 'model.safetensors', bytes: readFileSync(referenceDir + 'hf/model.safetensors') },
      configJson: JSON.parse(readFileSync(referenceDir + 'hf/config.json', 'utf8')) as unknown,
      int8,
    });
    const quantized = loadCheckpointModel(files(true));
    expect(quantized.config.quantization).toEqual({ mode: 'int8' });
    const fp32 = await run(loadCheckpointModel(files(false)));
    const int8 = await run(quantized);
    const latent = relativeRms(fp32.latent, int8.latent);
    const pred = relativeRms(fp32.pred, int8.pred);
    console.info(`int8 vs fp32 relative RMS: latent ${latent.toFixed(4)}, pred ${pred.toFixed(4)}`);
    expect(latent).toBeLessThanOrEqual(0.05);
    expect(pred).toBeLessThanOrEqual(0.05);
    expect(pred).toBeGreaterThan(0); // the weights really are quantised
  });
});
