/**
 * A checkpoint's tensors against its config: Hugging Face's config.json parsed, Meta's geometry
 * inferred, and every missing, unknown or misshapen tensor refused by name.
 */
import { readFileSync } from 'node:fs';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { referenceDir } from '../../tests/helpers/fixture';
import { parseHfConfig, readMaeCheckpoint } from './maeCheckpoint';
import { readSafetensors } from './safetensors';
import { CheckpointError, type RawTensor } from './tensor';
import { readTorchCheckpoint } from './torch';

const hfConfig = JSON.parse(readFileSync(`${referenceDir}hf/config.json`, 'utf8')) as Record<string, unknown>;
const hfTensors = readSafetensors(new Uint8Array(readFileSync(`${referenceDir}hf/model.safetensors`)), 'm');
const metaTensors = readTorchCheckpoint(
  new Uint8Array(readFileSync(`${referenceDir}official/checkpoint.pth`)),
  'c',
);

const hf =
  (tensors: Map<string, RawTensor>, configJson: unknown = hfConfig) =>
  () =>
    readMaeCheckpoint({ fileName: 'model.safetensors', tensors, configJson });

describe('readMaeCheckpoint', () => {
  it('gives the same config and parameter count for both layouts', () => {
    const fromHf = hf(hfTensors)();
    const sidecar = JSON.parse(readFileSync(`${referenceDir}official/config.json`, 'utf8')) as unknown;
    const fromMeta = readMaeCheckpoint({
      fileName: 'checkpoint.pth',
      tensors: metaTensors,
      configJson: sidecar,
    });
    expect(fromMeta.config.encoder).toEqual(fromHf.config.encoder);
    expect(fromMeta.config.decoder).toEqual(fromHf.config.decoder);
    expect(fromMeta.parameters).toBe(fromHf.parameters);
    expect(fromMeta.config.layerNormEps).toBe(fromHf.config.layerNormEps);
  });

  it('refuses any missing tensor by name', () => {
    const names = [...hfTensors.keys()];
    fc.assert(
      fc.property(fc.constantFrom(...names), (name) => {
        const tensors = new Map(hfTensors);
        tensors.delete(name);
        expect(hf(tensors)).toThrow(CheckpointError);
        expect(hf(tensors)).toThrow(/^model\.safetensors: /);
      }),
    );
    const tensors = new Map(hfTensors);
    tensors.delete('decoder.decoder_layers.1.output.dense.bias');
    expect(hf(tensors)).toThrow(/tensor decoder_blocks\.1\.mlp\.fc2\.bias is missing/);
  });

  it('refuses unknown tensors and wrong shapes, naming them', () => {
    const extra = new Map(hfTensors);
    extra.set('vit.pooler.dense.weight', hfTensors.get('vit.layernorm.weight')!);
    expect(hf(extra)).toThrow(/tensor vit\.pooler\.dense\.weight is not part of a ViT-MAE/);
    const reshaped = new Map(hfTensors);
    const bias = hfTensors.get('vit.layernorm.bias')!;
    reshaped.set('vit.layernorm.bias', { ...bias, shape: [2, 96] });
    expect(hf(reshaped)).toThrow(/tensor norm\.bias has shape \[2, 96\], but the config implies \[192\]/);
    expect(hf(hfTensors, { ...hfConfig, num_hidden_layers: 4 })).toThrow(
      /tensor blocks\.3\.norm1\.weight is missing/,
    );
    expect(hf(hfTensors, { ...hfConfig, hidden_size: 96 })).toThrow(/has shape \[/);
  });

  it('refuses configs that are not ViT-MAE or not buildable', () => {
    expect(hf(hfTensors, { ...hfConfig, model_type: 'vit' })).toThrow(/model_type is "vit", not "vit_mae"/);
    expect(hf(hfTensors, { ...hfConfig, num_attention_heads: 5 })).toThrow(
      /width 192 does not split into 5 heads/,
    );
    expect(hf(hfTensors, { ...hfConfig, hidden_act: 'relu' })).toThrow(/"hidden_act" must be "gelu"/);
    expect(hf(hfTensors, { ...hfConfig, layer_norm_eps: -1 })).toThrow(
      /"layer_norm_eps" must be a positive number/,
    );
    expect(() => readMaeCheckpoint({ fileName: 'model.safetensors', tensors: hfTensors })).toThrow(
      /Hugging Face weights need their config\.json/,
    );
    expect(() => parseHfConfig('[]', 'config.json')).toThrow(/config\.json: is not a JSON object/);
  });

  it('never fails other than with a CheckpointError on arbitrary config values', () => {
    const keys = Object.keys(hfConfig);
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.jsonValue(), (key, value) => {
        try {
          hf(hfTensors, { ...hfConfig, [key]: value })();
        } catch (error) {
          expect(error).toBeInstanceOf(CheckpointError);
        }
      }),
    );
  });

  it('asks for num_heads when Meta’s shapes do not say it', () => {
    const tensors = readTorchCheckpoint(
      new Uint8Array(readFileSync(`${referenceDir}official/checkpoint.pth`)),
      'c',
    );
    const decoderWidth = 128; // not one of Meta's released decoders
    expect(decoderWidth).toBe(tensors.get('decoder_embed.weight')!.shape[0]);
    expect(() => readMaeCheckpoint({ fileName: 'checkpoint.pth', tensors, configJson: {} })).toThrow(
      /cannot infer decoder_num_heads from the tensor shapes \(width 128\)/,
    );
  });
});
