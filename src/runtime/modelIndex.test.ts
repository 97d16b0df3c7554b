import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { tinyEvaluation } from '../../tests/helpers/evaluation';
import { tinyConfigJson } from '../../tests/helpers/fixture';
import { buildModelIndex, scanModels } from '../build/modelIndex';
import { evaluationJson } from '../formats/config';
import { parseModelIndex } from './modelIndex';

function modelFolder(root: string, id: string, extra: Record<string, unknown> = {}) {
  const dir = join(root, id);
  mkdirSync(dir, { recursive: true });
  const json = {
    ...tinyConfigJson(),
    ...extra,
    name: `Model ${id}`,
    files: { encoder: { path: 'encoder.onnx' }, decoder: { path: 'decoder.onnx' } },
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(json));
  writeFileSync(join(dir, 'encoder.onnx'), new Uint8Array(10));
  writeFileSync(join(dir, 'decoder.onnx'), new Uint8Array(5));
}

describe('model index', () => {
  it('lists every folder with a config.json, sizes summed, the default first choice mae-small', () => {
    const root = mkdtempSync(join(tmpdir(), 'models-'));
    modelFolder(root, 'zeta');
    modelFolder(root, 'mae-small', { parameters: 5_663_360, evaluation: evaluationJson(tinyEvaluation()) });
    mkdirSync(join(root, 'not-a-model'));
    const index = buildModelIndex(scanModels(root));
    expect(index.default).toBe('mae-small');
    expect(index.models.map((m) => m.id)).toEqual(['mae-small', 'zeta']);
    expect(index.models[0]).toEqual({
      id: 'mae-small',
      name: 'Model mae-small',
      config: 'models/mae-small/config.json',
      bytes: 15,
      parameters: 5_663_360,
      imageSize: 224,
      patchSize: 16,
      evaluation: tinyEvaluation(),
    });
    expect(index.models[1]!.parameters).toBeNull();
    expect(index.models[1]!.evaluation).toBeNull();
    // What the build writes is what the app accepts.
    expect(parseModelIndex(JSON.parse(JSON.stringify(index)))).toEqual(index);
  });

  it('names the folder and field of an invalid config.json', () => {
    const root = mkdtempSync(join(tmpdir(), 'models-'));
    modelFolder(root, 'broken', { num_patches: 100 });
    expect(() => scanModels(root)).toThrow(/broken\/config\.json: config\.json: "num_patches"/);
  });

  it('rejects an index whose default is not listed', () => {
    expect(() => parseModelIndex({ format: 'mae-lens-model-index/1', default: 'gone', models: [] })).toThrow(
      'default "gone" is not one of the models',
    );
  });

  it('rejects malformed entries, naming the field', () => {
    expect(() =>
      parseModelIndex({ format: 'mae-lens-model-index/1', default: null, models: [{ id: 'a' }] }),
    ).toThrow('models[0].name is missing or invalid');
    const entry = {
      id: 'a',
      name: 'A',
      config: 'models/a/config.json',
      bytes: 1,
      parameters: null,
      imageSize: 224,
      patchSize: 16,
      evaluation: { images: 0 },
    };
    expect(() =>
      parseModelIndex({ format: 'mae-lens-model-index/1', default: null, models: [entry] }),
    ).toThrow(/models\[0\]\.evaluation .*"evaluation.images" must be a positive integer/);
  });
});
