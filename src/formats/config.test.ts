import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { tinyEvaluation } from '../../tests/helpers/evaluation';
import { tinyConfigJson } from '../../tests/helpers/fixture';
import {
  evaluationJson,
  gridSize,
  ModelConfigError,
  numPatchesOf,
  parseModelConfig,
  parseModelEvaluation,
  patchDim,
} from './config';

function withField(path: string, value: unknown): Record<string, unknown> {
  const json = tinyConfigJson();
  const keys = path.split('.');
  let target: Record<string, unknown> = json;
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete target[last];
  else target[last] = value;
  return json;
}

describe('parseModelConfig', () => {
  it('parses the fixture model and derives its geometry', () => {
    const config = parseModelConfig(tinyConfigJson());
    expect(config).toMatchObject({
      imageSize: 224,
      patchSize: 16,
      numPatches: 196,
      encoder: { embedDim: 192, depth: 3, numHeads: 3, mlpHidden: 768 },
      decoder: { embedDim: 128, depth: 2, numHeads: 4, mlpHidden: 512 },
      layerNormEps: 1e-6,
      normPixLoss: false,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      files: { encoder: { path: 'encoder.onnx', bytes: 123 }, decoder: { path: 'decoder.onnx', bytes: 456 } },
    });
    expect(gridSize(config)).toBe(14);
    expect(numPatchesOf(config)).toBe(196);
    expect(patchDim(config)).toBe(768);
  });

  it('derives sizes from the config, not from constants', () => {
    const json = { ...withField('image_size', 96), patch_size: 8, num_patches: 144 };
    const config = parseModelConfig(json);
    expect([gridSize(config), config.numPatches, patchDim(config)]).toEqual([12, 144, 192]);
  });

  it.each([
    ['patch_size', 15, 'config.json: "patch_size" must be a positive integer dividing image_size (got 15)'],
    ['image_size', -224, 'config.json: "image_size" must be a positive integer (got -224)'],
    ['num_patches', 197, 'config.json: "num_patches" must be (image_size / patch_size)^2 = 196 (got 197)'],
    [
      'format',
      'mae-lens-model/2',
      'config.json: "format" must be "mae-lens-model/1" (got "mae-lens-model/2")',
    ],
    ['in_chans', 1, 'config.json: "in_chans" must be 3 (got 1)'],
    [
      'encoder.num_heads',
      5,
      'config.json: "encoder.num_heads" must be a divisor of encoder.embed_dim (192) (got 5)',
    ],
    ['decoder.depth', 0, 'config.json: "decoder.depth" must be a positive integer (got 0)'],
    ['decoder', undefined, 'config.json: "decoder" must be an object (got nothing)'],
    ['std', [0.2, 0, 0.2], 'config.json: "std" must be an array of 3 positive numbers (got [0.2,0,0.2])'],
    ['mean', [0.5, 0.5], 'config.json: "mean" must be an array of 3 finite numbers (got [0.5,0.5])'],
    ['norm_pix_loss', 'no', 'config.json: "norm_pix_loss" must be true or false (got "no")'],
    ['layer_norm_eps', 0, 'config.json: "layer_norm_eps" must be a positive number (got 0)'],
    [
      'source.format',
      'onnx',
      'config.json: "source.format" must be one of meta, hf, mae-lens, random (got "onnx")',
    ],
    ['files.decoder.path', '', 'config.json: "files.decoder.path" must be a non-empty string (got "")'],
    [
      'files.encoder.bytes',
      1.5,
      'config.json: "files.encoder.bytes" must be a non-negative integer (got 1.5)',
    ],
    ['files.encoder.sha256', 'ABC', 'config.json: "files.encoder.sha256" must be a lowercase hex SHA-256'],
    ['quantization', 'int8', 'config.json: "quantization" must be an object (got "int8")'],
    [
      'quantization',
      { mode: 'fp16' },
      'config.json: "quantization.mode" must be one of int8, int4 (got "fp16")',
    ],
    [
      'quantization',
      { mode: 'int4', block_size: 0 },
      'config.json: "quantization.block_size" must be a positive integer (got 0)',
    ],
  ])('rejects a bad %s with a message naming it', (field, value, message) => {
    expect(() => parseModelConfig(withField(field, value))).toThrow(ModelConfigError);
    expect(() => parseModelConfig(withField(field, value))).toThrow(message);
  });

  it('reads the quantisation of a quantised export and leaves fp32 exports without one', () => {
    expect(parseModelConfig(tinyConfigJson()).quantization).toBeUndefined();
    const int4 = withField('quantization', { mode: 'int4', block_size: 32, matrices: 23 });
    expect(parseModelConfig(int4).quantization).toEqual({ mode: 'int4', blockSize: 32 });
    const int8 = withField('quantization', { mode: 'int8', matrices: 23 });
    expect(parseModelConfig(int8).quantization).toEqual({ mode: 'int8' });
  });

  it('reads a held-out evaluation, names a bad field, and writes back what it read', () => {
    const json = {
      data: 'tuxpaint-data, never trained on',
      images: 21,
      mask_ratio: 0.75,
      seeds: [0, 1, 2],
      model_psnr: 17.634,
      interpolation_psnr: 16.543,
      converged_diffusion_psnr: 17.086,
      wins_over_interpolation: 19,
      wins_over_converged_diffusion: 16,
    };
    const evaluation = tinyEvaluation();
    expect(parseModelConfig(tinyConfigJson()).evaluation).toBeUndefined();
    expect(parseModelConfig(withField('evaluation', json)).evaluation).toEqual(evaluation);
    expect(evaluationJson(evaluation)).toEqual(json);
    expect(parseModelEvaluation(evaluation, false)).toEqual(evaluation);
    const bad: [string, unknown, RegExp][] = [
      [
        'wins_over_converged_diffusion',
        22,
        /"evaluation.wins_over_converged_diffusion" must be at most images \(21\)/,
      ],
      ['mask_ratio', 1, /"evaluation.mask_ratio" must be a fraction between 0 and 1/],
      ['seeds', [], /"evaluation.seeds" must be a non-empty array/],
      ['model_psnr', 'high', /"evaluation.model_psnr" must be a finite number/],
      ['data', '', /"evaluation.data" must be a non-empty string/],
    ];
    for (const [field, value, message] of bad) {
      expect(() => parseModelConfig(withField('evaluation', { ...json, [field]: value }))).toThrow(message);
    }
    expect(() => parseModelEvaluation(json, false)).toThrow(/"evaluation.images"|"evaluation.maskRatio"/);
  });

  it('rejects non-objects at the root', () => {
    for (const json of [null, 3, 'config', [], undefined]) {
      expect(() => parseModelConfig(json)).toThrow(/config.json: "\(root\)" must be a JSON object/);
    }
  });

  it('accepts optional fields being absent and unknown extra fields', () => {
    const json = withField('source.sha256', undefined);
    delete (json.files as Record<string, Record<string, unknown>>).encoder!.sha256;
    json.exporter = { torch: '1.13.1' };
    expect(parseModelConfig(json).source).toEqual({ format: 'meta', file: 'checkpoint.pth' });
  });

  it('throws only ModelConfigError on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        try {
          parseModelConfig(json);
        } catch (error) {
          return error instanceof ModelConfigError;
        }
        return false; // random JSON is never a complete valid config
      }),
      { numRuns: 500 },
    );
  });

  it('throws only ModelConfigError when fields of a valid config are replaced by arbitrary JSON', () => {
    const fields = [
      'format',
      'name',
      'source',
      'source.format',
      'source.file',
      'image_size',
      'patch_size',
      'in_chans',
      'num_patches',
      'encoder',
      'encoder.embed_dim',
      'decoder.num_heads',
      'decoder.mlp_hidden',
      'layer_norm_eps',
      'norm_pix_loss',
      'mean',
      'std',
      'opset',
      'files',
      'files.encoder',
      'files.decoder.bytes',
      'files.decoder.sha256',
      'evaluation',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.jsonValue(), (field, value) => {
        try {
          parseModelConfig(withField(field, value));
          return true;
        } catch (error) {
          return error instanceof ModelConfigError && error.message.startsWith('config.json: "');
        }
      }),
      { numRuns: 1000 },
    );
  });
});
