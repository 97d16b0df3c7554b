/**
 * The page's "Interpolation" PSNR is `npm run eval`'s interpolation PSNR: the same photo, mask
 * (random, ratio 0.75, seed 1) and model geometry, through the page's store (its baseline slice
 * and the baseline worker's handler) and the eval CLI, agree to 0.01 dB. The model's PSNR too:
 * the page's run goes through the worker's request handler on onnxruntime-node.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { evaluate } from '../../src/cli/eval';
import { readImage } from '../../src/cli/images';
import { answerBaseline } from '../../src/runtime/baseline';
import { createRequestHandler } from '../../src/runtime/inferenceHandler';
import { type AppStore, createAppStore } from '../../src/ui/store';
import { singleModelServices } from '../helpers/appServices';
import { nodeOrt, readBundledModel } from '../helpers/nodeOrt';

const photo = 'public/samples/python3-skimage-chelsea.jpg';
const data = mkdtempSync(join(tmpdir(), 'mae-lens-parity-'));
copyFileSync(photo, join(data, 'chelsea.jpg'));
afterAll(() => rmSync(data, { recursive: true, force: true }));

async function until(store: AppStore, done: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  if (!done()) throw new Error(`timed out; error: ${store.getState().error}`);
}

describe('Interpolation baseline: the page and npm run eval', () => {
  it('give the same PSNR (and the same model PSNR) for the same image, mask and geometry', async () => {
    const evaluated = await evaluate({
      model: 'models/mae-small',
      data,
      maskRatio: 0.75,
      seeds: [1],
      json: true,
    });
    const [score] = evaluated.images;
    if (!score) throw new Error('eval scored no image');

    const { config, bytes } = await readBundledModel();
    const handle = createRequestHandler({
      openBackend: async () => ({
        ort: await nodeOrt(),
        info: { executionProvider: 'wasm', threads: 2, crossOriginIsolated: true },
      }),
    });
    const decoded = await readImage(photo);
    const store = createAppStore({
      ...singleModelServices(config),
      fetchModel: async () => ({ config, bytes }),
      async startModel(model) {
        if (!('bytes' in model)) throw new Error('the fixture is an export folder');
        const reply = await handle({
          type: 'load',
          id: 1,
          config: model.config,
          model: model.bytes,
          executionProvider: 'wasm',
        });
        if (reply.status !== 'loaded') throw new Error(JSON.stringify(reply));
        return reply.backend;
      },
      async reconstruct(input) {
        const reply = await handle({ type: 'reconstruct', id: 2, ...input });
        if (reply.status !== 'reconstructed') throw new Error(JSON.stringify(reply));
        return reply.result;
      },
      reconstructExactly: () => Promise.reject(new Error('not used')),
      interpolate: async (request) => {
        const reply = answerBaseline({ ...request, id: 3 });
        if (reply.status !== 'filled') throw new Error(reply.message);
        return reply.fills;
      },
      loadSample: async () => decoded,
      decodeImage: async () => decoded,
    });
    await store.getState().start({ ratio: 75, seed: 1 });
    await until(store, () => store.getState().result !== null);
    store.getState().setBaselineOn(true);
    await until(store, () => store.getState().baseline !== null);
    const { result, baseline } = store.getState();

    expect(result!.visiblePatches).toBe(49);
    expect(Math.abs(baseline!.psnr - score.interpolation_psnr)).toBeLessThan(0.01);
    expect(Math.abs(result!.maskedPsnr - score.model_psnr)).toBeLessThan(0.01);
    // The two numbers differ from each other: the test could fail if one replaced the other.
    expect(Math.abs(baseline!.psnr - result!.maskedPsnr)).toBeGreaterThan(0.01);
  }, 60_000);
});
