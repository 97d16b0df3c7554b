/**
 * The store without React: the races a page meets when replies arrive out of step with the user.
 * Every service call waits until the test settles it, so the order of events is the test's.
 */
import { describe, expect, it } from 'vitest';

import { configWith, fakeReconstruction } from '../../../tests/helpers/appServices';
import type { ModelConfig } from '../../formats/config';
import type { Image8 } from '../../mae/image';
import { buildMasking } from '../../mae/maskModes';
import type { ReconstructInput } from '../../runtime/inferenceClient';
import { MODEL_INDEX_FORMAT } from '../../runtime/modelIndex';
import type { Reconstruction } from '../../runtime/protocol';
import { type AppServices, type AppStore, createAppStore, type LoadedModel, runKey } from '.';

const MODELS = {
  a: configWith(32, 8, 'Model A'),
  b: configWith(48, 8, 'Model B'),
  c: configWith(32, 16, 'Model C'),
};

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((yes, no) => ((resolve = yes), (reject = no)));
  return { promise, resolve, reject };
}

const picture = (width: number): Image8 => ({
  width,
  height: width,
  data: new Uint8ClampedArray(width * width * 4),
});

/** Services whose downloads and runs stay pending until the test settles them. */
function pendingServices() {
  const downloads = new Map<string, Deferred<LoadedModel>>();
  const runs: { input: ReconstructInput; reply: Deferred<Reconstruction | null> }[] = [];
  const services: AppServices = {
    loadModelIndex: async () => ({
      format: MODEL_INDEX_FORMAT,
      default: 'a',
      models: Object.entries(MODELS).map(([id, config]) => ({
        id,
        name: config.name,
        config: `models/${id}/config.json`,
        bytes: 1000,
        parameters: 100,
        imageSize: config.imageSize,
        patchSize: config.patchSize,
        evaluation: null,
      })),
    }),
    fetchModel(entry) {
      const download = deferred<LoadedModel>();
      downloads.set(entry.id, download);
      return download.promise;
    },
    fetchModelFromUrl: () => Promise.reject(new Error('not used')),
    describeRemoteModel: () => Promise.reject(new Error('not used')),
    readLocalModel: () => Promise.reject(new Error('not used')),
    startModel: async () => ({ executionProvider: 'wasm', threads: 1, crossOriginIsolated: false }),
    reconstruct(input) {
      const reply = deferred<Reconstruction | null>();
      runs.push({ input, reply });
      return reply.promise;
    },
    loadSample: async () => picture(64),
    decodeImage: async () => picture(80),
    // The explainer's services are not used by these tests.
    reconstructExactly: () => Promise.reject(new Error('not used')),
    startSecondModel: () => Promise.reject(new Error('not used')),
    releaseSecondModel: () => Promise.reject(new Error('not used')),
    interpolate: () => Promise.reject(new Error('not used')),
    openCamera: () => Promise.reject(new Error('not used')),
  };
  /** Finishes model `id`'s download and lets the store hand it to the worker. */
  const download = async (id: keyof typeof MODELS) => {
    downloads
      .get(id)!
      .resolve({ config: MODELS[id], bytes: { encoder: new Uint8Array(1), decoder: new Uint8Array(1) } });
    await flush();
  };
  /** Answers run `index` as the worker would, for the model that run was made for. */
  const reply = async (index: number, config: ModelConfig) => {
    const run = runs[index]!;
    run.reply.resolve(fakeReconstruction(config, run.input.mask));
    await flush();
  };
  return { services, runs, download, reply };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

async function startedStore(): Promise<{ store: AppStore } & ReturnType<typeof pendingServices>> {
  const fake = pendingServices();
  const store = createAppStore(fake.services);
  const started = store.getState().start({});
  await flush();
  await fake.download('a');
  await started;
  expect(store.getState().modelStatus).toBe('ready');
  expect(fake.runs).toHaveLength(1);
  await fake.reply(0, MODELS.a);
  expect(store.getState().settledKey).toBe(runKey(store.getState()));
  return { store, ...fake };
}

describe('app store races', () => {
  it('drops a reply whose inputs are out of date and paints the latest one', async () => {
    const { store, runs, reply } = await startedStore();
    store.getState().setMaskPercent(50);
    store.getState().setMaskPercent(60);
    expect(runs.map((run) => run.input.mask)).toMatchObject([{}, { ratio: 0.5 }, { ratio: 0.6 }]);
    await reply(1, MODELS.a);
    expect(store.getState().result?.mask).toEqual(buildMasking(runs[0]!.input.mask, 4).mask);
    expect(store.getState().settledKey).not.toBe(runKey(store.getState()));
    await reply(2, MODELS.a);
    expect(store.getState().result?.mask).toEqual(buildMasking(runs[2]!.input.mask, 4).mask);
    expect(store.getState().settledKey).toBe(runKey(store.getState()));
  });

  it('a model switch during a run: the old model’s reply is not painted over the new model', async () => {
    const { store, runs, download, reply } = await startedStore();
    store.getState().setSeed(7);
    expect(runs).toHaveLength(2);
    const switched = store.getState().selectModel('b');
    await download('b');
    await switched;
    expect(store.getState().config?.name).toBe('Model B');
    expect(runs).toHaveLength(3);
    expect(runs[2]!.input.image.width).toBe(48);
    const onShow = store.getState().result;
    await reply(1, MODELS.a); // the run made for model A arrives late
    expect(store.getState().result).toBe(onShow);
    expect(store.getState().settledKey).not.toBe(runKey(store.getState()));
    await reply(2, MODELS.b);
    expect(store.getState().result?.numPatches).toBe(MODELS.b.numPatches);
    expect(store.getState().settledKey).toBe(runKey(store.getState()));
  });

  it('a superseded model load changes nothing when it finishes late', async () => {
    const { store, download } = await startedStore();
    const slow = store.getState().selectModel('b');
    const fast = store.getState().selectModel('c');
    await download('c');
    await fast;
    expect(store.getState().config?.name).toBe('Model C');
    await download('b');
    await slow;
    expect(store.getState().config?.name).toBe('Model C');
    expect(store.getState().model).toEqual({ kind: 'bundled', id: 'c' });
  });

  it('a painted mask survives an image change, and the new image runs with it', async () => {
    const { store, runs, reply } = await startedStore();
    store.getState().setMaskMode('painted');
    store.getState().clearPaintedMask();
    store.getState().setPatchVisible(5, true);
    store.getState().setPatchVisible(10, true);
    const painted = store.getState().paintedMask!;
    expect([...painted].flatMap((removed, patch) => (removed ? [] : [patch]))).toEqual([5, 10]);
    const imageVersion = store.getState().imageVersion;
    await store.getState().openImage(new Blob(['x']), { kind: 'file', name: 'other.png' });
    expect(store.getState().imageVersion).toBe(imageVersion + 1);
    expect(store.getState().paintedMask).toBe(painted);
    const last = runs.at(-1)!;
    expect(last.input.imageVersion).toBe(imageVersion + 1);
    expect(last.input.mask).toEqual({ mode: 'painted', mask: painted });
    await reply(runs.length - 1, MODELS.a);
    expect(store.getState().result?.visiblePatches).toBe(2);
  });
});
