/** Which model runs: the index, downloads with progress, and the hand-over to the worker. */
import { resizeShorterSideAndCenterCrop } from '../../mae/image';
import type { ModelIndex } from '../../runtime/modelIndex';
import { modelConfigUrl } from '../../runtime/modelSource';
import { errorText } from '../../shared/errorText';
import { DEFAULT_SAMPLE_ID, sampleById } from '../samples';
import { DEFAULT_MASK_PERCENT, DEFAULT_SEED } from '../urlState';
import { paintedMaskFor } from './inputSlice';
import type { LoadedModel, ModelChoice, ModelSlice, SliceCreator } from './types';

export const createModelSlice: SliceCreator<ModelSlice> = (services) => (set, get) => {
  /** The load in progress; a newer one aborts it, and it then changes nothing. */
  let loading: AbortController | null = null;

  async function switchModel(choice: ModelChoice, load: (signal: AbortSignal) => Promise<LoadedModel>) {
    loading?.abort();
    const { signal } = (loading = new AbortController());
    const { model, config, backend, modelStatus, image } = get();
    // Until the new model reaches the worker, the old one still runs there.
    const previous = modelStatus === 'ready' ? { model, config, backend, modelStatus, image } : null;
    set({
      model: choice,
      modelStatus: 'downloading',
      progress: null,
      config: null,
      image: null,
      error: null,
    });
    let loaded: LoadedModel;
    try {
      loaded = await load(signal);
    } catch (error) {
      if (signal.aborted) return;
      set({
        ...(previous ?? { modelStatus: 'failed' }),
        progress: null,
        error: `Could not load the model: ${errorText(error)}`,
      });
      return;
    }
    try {
      if (signal.aborted) return;
      set({ modelStatus: 'starting' });
      const started = await services.startModel(loaded, get().executionProvider);
      if (signal.aborted) return;
      set((state) => ({
        config: loaded.config,
        backend: started,
        modelStatus: 'ready',
        modelVersion: state.modelVersion + 1,
        progress: null,
        image: state.decoded && resizeShorterSideAndCenterCrop(state.decoded, loaded.config.imageSize),
        // A painted mask survives a model change only when the patch grid is the same.
        ...(state.maskMode === 'painted' && {
          paintedMask: paintedMaskFor(state, loaded.config.numPatches),
          paintedVersion: state.paintedVersion + 1,
        }),
      }));
    } catch (error) {
      // The worker freed the old model before trying the new one: nothing runs now.
      if (!signal.aborted)
        set({
          modelStatus: 'failed',
          progress: null,
          error: `Could not load the model: ${errorText(error)}`,
        });
      return;
    }
    get().resetInspection();
    get().run();
  }

  /** Progress of the load that `signal` belongs to, dropped once a newer load started. */
  const progressOf = (signal: AbortSignal) => (progress: ModelSlice['progress']) => {
    if (!signal.aborted) set({ progress });
  };

  return {
    models: [],
    model: null,
    config: null,
    modelStatus: 'none',
    progress: null,
    backend: null,
    executionProvider: 'auto',
    modelVersion: 0,

    async start(url) {
      set({
        maskPercent: url.ratio ?? DEFAULT_MASK_PERCENT,
        seed: url.seed ?? DEFAULT_SEED,
        maskMode: url.mask ?? 'random',
        executionProvider: url.ep ?? 'auto',
        modelStatus: 'downloading',
      });
      const sampleId = url.sample !== undefined && sampleById(url.sample) ? url.sample : DEFAULT_SAMPLE_ID;
      const image = get().selectSample(sampleId);
      let index: ModelIndex;
      try {
        index = await services.loadModelIndex();
      } catch (error) {
        set({ modelStatus: 'failed', error: `Could not list the models: ${errorText(error)}` });
        await image;
        return;
      }
      set({ models: index.models });
      if (url.model !== undefined && modelConfigUrl(url.model) !== null) {
        await get().loadModelFromUrl(url.model);
      }
      if (get().modelStatus !== 'ready') {
        // No model from another origin, or it failed: a bundled one keeps the page working, and
        // the failure stays on screen.
        const failure = get().error;
        const modelId = index.models.find((m) => m.id === url.model)?.id ?? index.default;
        if (modelId === null) {
          set({
            modelStatus: 'none',
            error: failure ?? 'This build has no models. Use “Load your own” to pick one.',
          });
        } else {
          await get().selectModel(modelId);
          if (failure !== null && get().error === null) set({ error: failure });
        }
      }
      await image;
    },

    selectModel(id) {
      const entry = get().models.find((m) => m.id === id);
      if (!entry) return Promise.resolve(set({ error: `There is no model called "${id}".` }));
      return switchModel({ kind: 'bundled', id }, (signal) => services.fetchModel(entry, progressOf(signal)));
    },

    loadLocalModel(files) {
      const name = files.find((f) => f.name.endsWith('.json'))?.name ?? 'your model';
      return switchModel({ kind: 'local', name }, () => services.readLocalModel(files));
    },

    loadModelFromUrl(spec) {
      const configUrl = modelConfigUrl(spec);
      if (configUrl === null) {
        return Promise.resolve(
          set({
            error: `"${spec}" is neither an http(s) URL of a config.json nor hf:OWNER/REPO[@REVISION].`,
          }),
        );
      }
      return switchModel({ kind: 'url', spec: spec.trim() }, (signal) =>
        services.fetchModelFromUrl(configUrl, progressOf(signal)),
      );
    },
  };
};
