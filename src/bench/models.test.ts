import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { givenModel, modelPath, REPO_ROOT } from './models';

const fixture = (path: string) => join(REPO_ROOT, 'tests/fixtures', path);

describe('givenModel (--model PATH)', () => {
  it('serves an export folder as it is, and a checkpoint from the folder that holds it', async () => {
    const exported = await givenModel(fixture('onnx/official'));
    expect(exported).toEqual({ id: 'official', folder: fixture('onnx/official'), role: 'given' });
    expect(modelPath(exported)).toBe(fixture('onnx/official'));

    const pth = await givenModel(fixture('mae-tiny-reference/official/checkpoint.pth'));
    expect(pth).toMatchObject({
      id: 'checkpoint',
      folder: fixture('mae-tiny-reference/official'),
      weights: 'checkpoint.pth',
    });
    expect(modelPath(pth)).toBe(fixture('mae-tiny-reference/official/checkpoint.pth'));
  });

  it("picks a Hugging Face folder's safetensors first", async () => {
    const hf = await givenModel(fixture('mae-tiny-reference/hf'));
    expect(hf).toMatchObject({ id: 'hf', weights: 'model.safetensors', role: 'given' });
  });

  it('refuses what is neither a model folder nor a checkpoint', async () => {
    await expect(givenModel(fixture('nothing-here'))).rejects.toThrow(/no such file or folder/);
    await expect(givenModel(fixture('mae-tiny-reference/cases.json'))).rejects.toThrow(
      /expected a model folder or a \.pth, \.bin or \.safetensors checkpoint/,
    );
    await expect(givenModel(fixture('mae-tiny-reference'))).rejects.toThrow(
      /a model folder needs a config\.json/,
    );
  });
});
