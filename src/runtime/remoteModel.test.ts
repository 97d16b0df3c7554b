/**
 * Models named by a link, against a fake Hub: sizes from config.json before any download, the
 * fallback from model.safetensors to pytorch_model.bin, and refusals (SHA-256, cut-off downloads,
 * huge models, configs that are neither format). Node has no Cache API: nothing is cached here.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { referenceDir } from '../../tests/helpers/fixture';
import { describeRemoteModel, fetchRemoteModel } from './remoteModel';

const HUB = 'https://hub.example/tiny/mae/resolve/main/';
const configText = readFileSync(`${referenceDir}hf/config.json`, 'utf8');
const bin = readFileSync(`${referenceDir}hf/pytorch_model.bin`);

type Files = Record<string, { body: Uint8Array | string; headers?: Record<string, string> }>;

function fakeHub(files: Files, requests: string[] = []): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    const url = String(input);
    requests.push(url);
    const file = files[url.slice(HUB.length)];
    if (!file) return new Response(null, { status: 404 });
    return new Response(file.body as BodyInit, { headers: file.headers });
  }) as typeof fetch;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const progress = () => undefined;

describe('remote Hugging Face models', () => {
  it('gives the host and the download size from config.json alone', async () => {
    const requests: string[] = [];
    const info = await describeRemoteModel(
      `${HUB}config.json`,
      fakeHub({ 'config.json': { body: configText } }, requests),
    );
    expect(info.host).toBe('hub.example');
    // The fixture's float32 weights: the .bin's size less its pickle and zip records.
    expect(info.bytes).toBeGreaterThan(bin.length - 40_000);
    expect(info.bytes).toBeLessThan(bin.length);
    expect(info.cached).toBe(false);
    expect(requests).toEqual([`${HUB}config.json`]);
  });

  it('falls back to pytorch_model.bin and checks it against X-Linked-Etag', async () => {
    const requests: string[] = [];
    const model = await fetchRemoteModel(
      `${HUB}config.json`,
      progress,
      fakeHub(
        {
          'config.json': { body: configText },
          'pytorch_model.bin': { body: bin, headers: { 'X-Linked-Etag': `"${sha256(bin)}"` } },
        },
        requests,
      ),
    );
    expect('checkpoint' in model && model.checkpoint.weights.name).toBe('pytorch_model.bin');
    expect(model.config.name).toBe('tiny/mae');
    expect(model.config.encoder.embedDim).toBe(192);
    expect(requests.map((url) => url.slice(HUB.length))).toEqual([
      'config.json',
      'model.safetensors',
      'pytorch_model.bin',
    ]);
  });

  it('refuses a SHA-256 mismatch, a cut-off download, missing weights and foreign configs', async () => {
    const load = (files: Files) => fetchRemoteModel(`${HUB}config.json`, progress, fakeHub(files));
    const config = { 'config.json': { body: configText } };
    await expect(
      load({ ...config, 'pytorch_model.bin': { body: bin, headers: { 'X-Linked-Etag': '0'.repeat(64) } } }),
    ).rejects.toThrow(/pytorch_model\.bin: SHA-256 mismatch: the Hub says 0{64}/);
    await expect(
      load({
        ...config,
        'pytorch_model.bin': {
          body: bin.subarray(0, 1000),
          headers: { 'X-Linked-Size': String(bin.length) },
        },
      }),
    ).rejects.toThrow(/the Hub says \d+ bytes, 1000 arrived \(the download was cut off\)/);
    await expect(load(config)).rejects.toThrow(
      /tiny\/mae has neither model\.safetensors nor pytorch_model\.bin/,
    );
    await expect(load({ 'config.json': { body: '{"model_type": "bert"}' } })).rejects.toThrow(
      /neither a MAE Lens export .* nor a transformers ViT-MAE .*this one says "bert"/,
    );
    await expect(load({ 'config.json': { body: '<!doctype html><p>login</p>' } })).rejects.toThrow(
      /is an HTML page, not a config\.json/,
    );
  });

  it('says before any download that huge does not fit the page', async () => {
    const huge = JSON.stringify({
      model_type: 'vit_mae',
      hidden_size: 1280,
      num_hidden_layers: 32,
      num_attention_heads: 16,
      intermediate_size: 5120,
      patch_size: 14,
    });
    const requests: string[] = [];
    await expect(
      describeRemoteModel(`${HUB}config.json`, fakeHub({ 'config.json': { body: huge } }, requests)),
    ).rejects.toThrow(/tiny\/mae has 657 M parameters, 2\.6 GB of float32 weights: more than the 1\.6 GB/);
    expect(requests).toEqual([`${HUB}config.json`]);
  });
});
