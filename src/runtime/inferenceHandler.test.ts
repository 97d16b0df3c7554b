import { existsSync, readFileSync } from 'node:fs';

import { describe, expect, it, vi } from 'vitest';

import { tinyConfigJson } from '../../tests/helpers/fixture';
import { fixtureHandler, referenceArray, referenceImageRgba } from '../../tests/helpers/fixtureModel';
import { type ModelConfig, type ModelFile, parseModelConfig, patchDim } from '../mae/config';
import { resizeShorterSideAndCenterCrop, type RgbImage } from '../mae/image';
import { attentionRow } from '../mae/inspect';
import { lenKeep, randomMasking } from '../mae/masking';
import { patchIndexOfPixels, predictionToPixels, reconstructionView } from '../mae/views';
import { type Backend, createRequestHandler } from './inferenceHandler';
import { readModelBytes } from './modelBytes';
import type { ExecutionProvider, ReconstructedReply, ReconstructRequest } from './protocol';

/** A small model geometry (32 px, 8 px patches: 16 patches) so nothing depends on 224/16. */
function smallConfig(): ModelConfig {
  const json = tinyConfigJson();
  Object.assign(json, { image_size: 32, patch_size: 8, num_patches: 16 });
  return parseModelConfig(json);
}

class FakeTensor {
  constructor(
    readonly type: string,
    readonly data: Float32Array | BigInt64Array,
    readonly dims: readonly number[],
  ) {}
  getData() {
    return Promise.resolve(this.data);
  }
  dispose() {}
}

type Feeds = Record<string, FakeTensor>;

/**
 * Fake onnxruntime: the encoder returns a latent of the right shape, the decoder predicts every
 * patch as 0 in normalised space (the dataset mean colour). Records what the sessions were fed.
 */
function fakeOrt(config: ModelConfig, options: { failCreate?: boolean } = {}) {
  const fed: Feeds[] = [];
  const dim = patchDim(config);
  const released: string[] = [];
  const ort = {
    InferenceSession: {
      create: vi.fn(async (bytes: Uint8Array) => {
        if (options.failCreate) throw new Error('no kernel for LayerNormalization');
        const kind = bytes[0] === 1 ? 'encoder' : 'decoder';
        return {
          inputNames: kind === 'encoder' ? ['visible_patches', 'ids_keep'] : ['latent', 'ids_restore'],
          outputNames: kind === 'encoder' ? ['latent'] : ['pred'],
          async run(feeds: Feeds) {
            fed.push(feeds);
            if (kind === 'encoder') {
              const visible = feeds.ids_keep!.dims[1]!;
              const latent = new FakeTensor('float32', new Float32Array((visible + 1) * 4), [
                1,
                visible + 1,
                4,
              ]);
              return { latent };
            }
            const n = feeds.ids_restore!.dims[1]!;
            return { pred: new FakeTensor('float32', new Float32Array(n * dim), [1, n, dim]) };
          },
          async release() {
            released.push(kind);
          },
        };
      }),
    },
    Tensor: FakeTensor,
  } as unknown as Backend['ort'];
  return { ort, fed, released };
}

function backendOf(ort: Backend['ort'], executionProvider: ExecutionProvider): Backend {
  return { ort, info: { executionProvider, threads: 2, crossOriginIsolated: true } };
}

function testImage(size: number) {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 256;
  return { width: size, height: size, data };
}

/** A reconstruct request as the page sends it with the stepper closed: random mask, no intermediates. */
function plainRequest(id: number, image: RgbImage, ratio: number, seed: number): ReconstructRequest {
  return {
    type: 'reconstruct',
    id,
    imageVersion: 1,
    image,
    mask: { mode: 'random', ratio, seed },
    intermediates: false,
    normPixStatistics: 'patch',
  };
}

const modelBytes = () => ({ model: { encoder: new Uint8Array([1]), decoder: new Uint8Array([2]) } });

describe('inference worker requests', () => {
  it('answers reconstruct before any load with an error reply, not a throw', async () => {
    const handle = createRequestHandler({
      openBackend: async () => backendOf(fakeOrt(smallConfig()).ort, 'wasm'),
    });
    const reply = await handle(plainRequest(7, testImage(32), 0.5, 1));
    expect(reply).toEqual({ status: 'error', id: 7, message: 'No model is loaded yet.' });
  });

  it('loads, reconstructs with the masking of the seed, and reports K, timings and views', async () => {
    const config = smallConfig();
    const { ort, fed } = fakeOrt(config);
    const handle = createRequestHandler({ openBackend: async () => backendOf(ort, 'wasm') });
    const loaded = await handle({ type: 'load', id: 1, config, ...modelBytes(), executionProvider: 'auto' });
    expect(loaded).toEqual({
      status: 'loaded',
      id: 1,
      backend: { executionProvider: 'wasm', threads: 2, crossOriginIsolated: true },
    });

    const image = testImage(config.imageSize);
    const reply = (await handle(plainRequest(2, image, 0.75, 42))) as ReconstructedReply;
    expect(reply.status).toBe('reconstructed');
    const { result } = reply;
    const expected = randomMasking(config.numPatches, 0.75, 42);
    expect(result.visiblePatches).toBe(lenKeep(config.numPatches, 0.75));
    expect(result.numPatches).toBe(config.numPatches);
    expect(Array.from(result.mask)).toEqual(Array.from(expected.mask));

    const [encoderFeeds, decoderFeeds] = fed;
    const visible = expected.idsKeep.length;
    expect(encoderFeeds!.visible_patches!.dims).toEqual([1, visible, patchDim(config)]);
    expect(Array.from(encoderFeeds!.ids_keep!.data, Number)).toEqual(Array.from(expected.idsKeep));
    expect(Array.from(decoderFeeds!.ids_restore!.data, Number)).toEqual(Array.from(expected.idsRestore));

    // Views: RGBA at the model's size; the pasted view keeps the input on visible patches.
    const pixels = config.imageSize * config.imageSize;
    expect(result.views.original).toHaveLength(pixels * 4);
    const patchOf = patchIndexOfPixels(config.imageSize, config.patchSize);
    for (let i = 0; i < pixels; i++) {
      if (result.mask[patchOf[i]!]) continue;
      for (let c = 0; c < 3; c++)
        expect(result.views.reconstructionPlusVisible[i * 4 + c]).toBe(image.data[i * 3 + c]);
    }
    expect(Number.isFinite(result.maskedPsnr)).toBe(true);
    expect(result.totalMs).toBeGreaterThanOrEqual(result.encoderMs + result.decoderMs);
  });

  it('rejects an image of the wrong size with a clear message', async () => {
    const config = smallConfig();
    const handle = createRequestHandler({ openBackend: async () => backendOf(fakeOrt(config).ort, 'wasm') });
    await handle({ type: 'load', id: 1, config, ...modelBytes(), executionProvider: 'wasm' });
    const reply = await handle(plainRequest(2, testImage(16), 0.5, 1));
    expect(reply).toMatchObject({ status: 'error', message: 'the model expects 32x32 images, got 16x16' });
  });

  it('falls back to WASM when WebGPU sessions cannot be created', async () => {
    const config = smallConfig();
    const gpu = fakeOrt(config, { failCreate: true });
    const cpu = fakeOrt(config);
    const onFallback = vi.fn();
    const openBackend = vi.fn(async (preference: string) =>
      preference === 'wasm' ? backendOf(cpu.ort, 'wasm') : backendOf(gpu.ort, 'webgpu'),
    );
    const handle = createRequestHandler({ openBackend, onFallback });
    const reply = await handle({ type: 'load', id: 1, config, ...modelBytes(), executionProvider: 'auto' });
    expect(reply).toMatchObject({ status: 'loaded', backend: { executionProvider: 'wasm' } });
    expect(onFallback).toHaveBeenCalledWith('webgpu', expect.any(Error));
  });

  it('releases the previous sessions when another model loads', async () => {
    const config = smallConfig();
    const { ort, released } = fakeOrt(config);
    const handle = createRequestHandler({ openBackend: async () => backendOf(ort, 'wasm') });
    await handle({ type: 'load', id: 1, config, ...modelBytes(), executionProvider: 'wasm' });
    expect(released).toEqual([]);
    await handle({ type: 'load', id: 2, config, ...modelBytes(), executionProvider: 'wasm' });
    expect([...released].sort()).toEqual(['decoder', 'encoder']);
  });

  it('has no model after a failed load', async () => {
    const config = smallConfig();
    const working = fakeOrt(config);
    const broken = fakeOrt(config, { failCreate: true });
    let backend = backendOf(working.ort, 'wasm');
    const handle = createRequestHandler({ openBackend: async () => backend });
    await handle({ type: 'load', id: 1, config, ...modelBytes(), executionProvider: 'wasm' });
    backend = backendOf(broken.ort, 'wasm');
    const failed = await handle({ type: 'load', id: 2, config, ...modelBytes(), executionProvider: 'wasm' });
    expect(failed).toEqual({ status: 'error', id: 2, message: 'no kernel for LayerNormalization' });
    const after = await handle(plainRequest(3, testImage(32), 0.5, 1));
    expect(after).toMatchObject({ status: 'error', message: 'No model is loaded yet.' });
  });
});

const bundledModel = new URL('../../models/mae-small/', import.meta.url);

describe.skipIf(!existsSync(new URL('config.json', bundledModel)))(
  'the bundled model on onnxruntime-node',
  () => {
    it('reconstructs through the same handler the worker uses', async () => {
      const node = await import('onnxruntime-node');
      // onnxruntime-node names its CPU provider "cpu"; everything else is the web API.
      const ort = {
        Tensor: node.Tensor,
        InferenceSession: {
          create: (bytes: Uint8Array, options?: object) =>
            node.InferenceSession.create(bytes, { ...options, executionProviders: ['cpu'] }),
        },
      } as unknown as Backend['ort'];
      const config = parseModelConfig(JSON.parse(readFileSync(new URL('config.json', bundledModel), 'utf8')));
      const read = async (file: ModelFile) => new Uint8Array(readFileSync(new URL(file.path, bundledModel)));
      const handle = createRequestHandler({ openBackend: async () => backendOf(ort, 'wasm') });
      const loaded = await handle({
        type: 'load',
        id: 1,
        config,
        model: await readModelBytes(config, read),
        executionProvider: 'wasm',
      });
      expect(loaded).toMatchObject({ status: 'loaded' });
      const image = testImage(config.imageSize);
      const reply = await handle(plainRequest(2, image, 0.75, 3));
      if (reply.status !== 'reconstructed') throw new Error(JSON.stringify(reply));
      expect(reply.result.visiblePatches).toBe(lenKeep(config.numPatches, 0.75));
      expect(Number.isFinite(reply.result.maskedPsnr)).toBe(true);
      // The reconstruction is a real prediction, not a copy of the masked view.
      expect(reply.result.views.reconstruction).not.toEqual(reply.result.views.masked);
    });
  },
);

function maxByteDifference(a: Uint8ClampedArray, b: Uint8ClampedArray): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('intermediates for the pipeline stepper, on the upstream fixture model', () => {
  it('a painted mask with the fixture kept patches reproduces r75 pred, with consistent intermediates', async () => {
    const { config, handle } = await fixtureHandler();
    const mask = referenceArray('r75_mask.npy'); // [1, N], 1 = removed
    const image = resizeShorterSideAndCenterCrop(referenceImageRgba(), config.imageSize); // already that size
    const run = async (intermediates: boolean) => {
      const reply = await handle({
        type: 'reconstruct',
        id: 1,
        imageVersion: 1,
        image,
        mask: { mode: 'painted', mask: Uint8Array.from(mask) },
        intermediates,
        normPixStatistics: 'patch',
      });
      if (reply.status !== 'reconstructed') throw new Error(JSON.stringify(reply));
      return reply;
    };
    const plain = await run(false);
    expect(plain.result.intermediates).toBeUndefined();
    const reply = await run(true);
    const { result } = reply;
    const inter = result.intermediates!;
    expect(Array.from(result.mask)).toEqual(Array.from(mask));
    // The full graphs (fetched for intermediates) and the lean ones may round differently.
    for (const key of Object.keys(result.views) as (keyof typeof result.views)[]) {
      expect(maxByteDifference(result.views[key], plain.result.views[key]), key).toBeLessThanOrEqual(1);
    }

    // The encoder is permutation-equivariant, so kept patches in patch order give upstream's pred.
    const expectedPixels = reconstructionView(
      predictionToPixels(referenceArray('r75_pred.npy') as Float32Array, config),
      config.imageSize,
    );
    // bytes: 1e-4 in pred space may round the other way
    expect(maxByteDifference(expectedPixels, result.views.reconstruction)).toBeLessThanOrEqual(1);

    const K = inter.idsKeep.length;
    expect(K).toBe(49);
    expect(inter.noise).toBeNull();
    expect(inter.attentionDims).toEqual([1, config.encoder.depth, config.encoder.numHeads, K + 1, K + 1]);
    expect(inter.latentDims).toEqual([1, K + 1, config.encoder.embedDim]);
    for (let layer = 0; layer < config.encoder.depth; layer++) {
      const row = attentionRow(inter.attentions, inter.attentionDims, layer, 'mean', K);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
    expect(inter.decoderLayerViews).toHaveLength(config.decoder.depth);
    // The last decoder block's read-out is the reconstruction itself.
    expect(
      maxByteDifference(inter.decoderLayerViews.at(-1)!, result.views.reconstruction),
    ).toBeLessThanOrEqual(1);
    expect(inter.decoderLayerViews[0]).not.toEqual(result.views.reconstruction);
    expect(inter.perPatchMse).toHaveLength(config.numPatches);
  });
});
