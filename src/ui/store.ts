/**
 * The app's one store, in three slices: input (image, mask ratio, seed), model (index, chosen
 * model, loading progress, backend) and result (the latest reconstruction, errors). Side effects
 * go through AppServices so components can be tested without a worker or ORT.
 */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ModelConfig } from '../mae/config';
import { resizeShorterSideAndCenterCrop, type Image8, type RgbImage } from '../mae/image';
import type { MaeModelBytes } from '../runtime/maeRunner';
import type { ByteProgress } from '../runtime/modelFiles';
import type { ModelIndex, ModelIndexEntry } from '../runtime/modelIndex';
import { modelConfigUrl } from '../runtime/modelSource';
import type { BackendInfo, ExecutionProviderPreference, Reconstruction } from '../runtime/protocol';
import type { ReconstructInput } from '../runtime/inferenceClient';
import { DEFAULT_SAMPLE_ID, sampleById, type Sample } from './samples';
import { DEFAULT_MASK_PERCENT, DEFAULT_SEED, MAX_MASK_PERCENT, MAX_SEED, type UrlState } from './urlState';

export interface LoadedModel {
  config: ModelConfig;
  bytes: MaeModelBytes;
}

/** Everything the store does outside itself. */
export interface AppServices {
  loadModelIndex(): Promise<ModelIndex>;
  fetchModel(entry: ModelIndexEntry, onProgress: (progress: ByteProgress) => void): Promise<LoadedModel>;
  /** A model whose config.json is at an absolute URL, possibly on another origin. */
  fetchModelFromUrl(configUrl: string, onProgress: (progress: ByteProgress) => void): Promise<LoadedModel>;
  readLocalModel(files: File[]): Promise<LoadedModel>;
  /** Hands the model to the inference worker. */
  startModel(model: LoadedModel, executionProvider: ExecutionProviderPreference): Promise<BackendInfo>;
  /** Null when a newer request superseded this one. */
  reconstruct(input: ReconstructInput): Promise<Reconstruction | null>;
  loadSample(sample: Sample): Promise<Image8>;
  decodeImage(blob: Blob, label: string): Promise<Image8>;
}

export type ImageSource =
  { kind: 'sample'; sampleId: string } | { kind: 'file'; name: string } | { kind: 'clipboard' };

/** `spec` is what the user gave (a config.json URL or hf:OWNER/REPO[@REVISION]), kept for the link. */
export type ModelChoice =
  { kind: 'bundled'; id: string } | { kind: 'local'; name: string } | { kind: 'url'; spec: string };

export type ModelStatus = 'none' | 'downloading' | 'starting' | 'ready' | 'failed';

export interface InputSlice {
  source: ImageSource | null;
  /** The decoded picture before resizing; kept so another model size can re-crop it. */
  decoded: Image8 | null;
  /** `decoded` resized and centre-cropped to the current model's image size. */
  image: RgbImage | null;
  imageVersion: number;
  imageLoading: boolean;
  maskPercent: number;
  seed: number;
}

export interface ModelSlice {
  models: ModelIndexEntry[];
  model: ModelChoice | null;
  /** Set once the chosen model runs in the worker. */
  config: ModelConfig | null;
  modelStatus: ModelStatus;
  progress: ByteProgress | null;
  backend: BackendInfo | null;
  /** What the user asked for (URL `ep`); `backend` says what runs. */
  executionProvider: ExecutionProviderPreference;
  modelVersion: number;
}

export interface ResultSlice {
  result: Reconstruction | null;
  /** runKey of the last request that finished, with a result or an error. */
  settledKey: string | null;
  /** The inputs `result` was computed from, for the figure caption. */
  resultInputs: { modelName: string; maskPercent: number; seed: number; sourceLabel: string } | null;
  error: string | null;
}

export interface AppActions {
  /** First visit: model index, the model and sample from the URL (or the defaults), first run. */
  start(url: UrlState): Promise<void>;
  selectSample(id: string): Promise<void>;
  openImage(blob: Blob, source: Exclude<ImageSource, { kind: 'sample' }>): Promise<void>;
  setMaskPercent(percent: number): void;
  setSeed(seed: number): void;
  newMask(): void;
  selectModel(id: string): Promise<void>;
  loadLocalModel(files: File[]): Promise<void>;
  /** A config.json URL or hf:OWNER/REPO[@REVISION]. */
  loadModelFromUrl(spec: string): Promise<void>;
  showError(message: string): void;
  dismissError(): void;
}

export type AppState = InputSlice & ModelSlice & ResultSlice & AppActions;
export type AppStore = StoreApi<AppState>;

/** Identifies the inputs of a reconstruction; null while no run is possible. */
export function runKey(state: InputSlice & ModelSlice): string | null {
  if (state.modelStatus !== 'ready' || !state.image) return null;
  return `${state.modelVersion}/${state.imageVersion}/${state.maskPercent}/${state.seed}`;
}

/** True while the views do not (yet) show the current inputs and something is on its way. */
export function isBusy(state: AppState): boolean {
  if (state.modelStatus === 'downloading' || state.modelStatus === 'starting' || state.imageLoading) {
    return true;
  }
  const key = runKey(state);
  return key !== null && key !== state.settledKey;
}

/** Image size and patch count of the chosen model, known from the index before it loads. */
export function modelGeometry(state: ModelSlice): { imageSize: number; numPatches: number } | null {
  if (state.config) return { imageSize: state.config.imageSize, numPatches: state.config.numPatches };
  const choice = state.model;
  const entry = choice?.kind === 'bundled' ? state.models.find((m) => m.id === choice.id) : undefined;
  if (!entry) return null;
  const grid = entry.imageSize / entry.patchSize;
  return { imageSize: entry.imageSize, numPatches: grid * grid };
}

export function sourceLabel(source: ImageSource | null): string {
  if (!source) return '';
  switch (source.kind) {
    case 'sample':
      return sampleById(source.sampleId)?.title ?? source.sampleId;
    case 'file':
      return source.name;
    case 'clipboard':
      return 'Pasted image';
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function randomSeed(): number {
  // Short seeds are easier to read back from a link or a figure caption.
  return crypto.getRandomValues(new Uint32Array(1))[0]! % 100_000;
}

export function createAppStore(services: AppServices): AppStore {
  // Counters that let a slow, superseded load notice it lost the race and drop its result.
  let imageRequest = 0;

  return createStore<AppState>()((set, get) => {
    function crop(decoded: Image8 | null, config: ModelConfig | null): RgbImage | null {
      return decoded && config ? resizeShorterSideAndCenterCrop(decoded, config.imageSize) : null;
    }

    function run(): void {
      const state = get();
      const key = runKey(state);
      if (key === null || !state.image || !state.config) return;
      const inputs = {
        modelName: state.config.name,
        maskPercent: state.maskPercent,
        seed: state.seed,
        sourceLabel: sourceLabel(state.source),
      };
      services.reconstruct({ image: state.image, maskRatio: state.maskPercent / 100, seed: state.seed }).then(
        (result) => {
          if (result) set({ result, settledKey: key, resultInputs: inputs });
        },
        (error: unknown) => set({ settledKey: key, error: `Reconstruction failed: ${messageOf(error)}` }),
      );
    }

    async function switchModel(choice: ModelChoice, load: (version: number) => Promise<LoadedModel>) {
      const version = get().modelVersion + 1;
      const { model, config, backend, modelStatus, image } = get();
      // Until the new model reaches the worker, the old one still runs there.
      const previous = modelStatus === 'ready' ? { model, config, backend, modelStatus, image } : null;
      set({
        model: choice,
        modelVersion: version,
        modelStatus: 'downloading',
        progress: null,
        config: null,
        image: null,
        error: null,
      });
      let loaded: LoadedModel;
      try {
        loaded = await load(version);
      } catch (error) {
        if (get().modelVersion !== version) return;
        set({
          ...(previous ?? { modelStatus: 'failed' }),
          progress: null,
          error: `Could not load the model: ${messageOf(error)}`,
        });
        run();
        return;
      }
      try {
        if (get().modelVersion !== version) return;
        set({ modelStatus: 'starting' });
        const backend = await services.startModel(loaded, get().executionProvider);
        if (get().modelVersion !== version) return;
        set({
          config: loaded.config,
          backend,
          modelStatus: 'ready',
          progress: null,
          image: crop(get().decoded, loaded.config),
        });
        run();
      } catch (error) {
        if (get().modelVersion !== version) return;
        set({
          modelStatus: 'failed',
          progress: null,
          error: `Could not load the model: ${messageOf(error)}`,
        });
      }
    }

    async function switchImage(source: ImageSource, decode: () => Promise<Image8>): Promise<void> {
      const request = ++imageRequest;
      set({ imageLoading: true, error: null });
      try {
        const decoded = await decode();
        if (request !== imageRequest) return;
        // The source changes only with the picture, so a file that fails to decode leaves both as they were.
        set((state) => ({
          source,
          decoded,
          image: crop(decoded, state.config),
          imageVersion: state.imageVersion + 1,
          imageLoading: false,
        }));
        run();
      } catch (error) {
        if (request !== imageRequest) return;
        set({ imageLoading: false, error: messageOf(error) });
      }
    }

    return {
      source: null,
      decoded: null,
      image: null,
      imageVersion: 0,
      imageLoading: false,
      maskPercent: DEFAULT_MASK_PERCENT,
      seed: DEFAULT_SEED,

      models: [],
      model: null,
      config: null,
      modelStatus: 'none',
      progress: null,
      backend: null,
      executionProvider: 'auto',
      modelVersion: 0,

      result: null,
      settledKey: null,
      resultInputs: null,
      error: null,

      async start(url) {
        set({
          maskPercent: url.ratio ?? DEFAULT_MASK_PERCENT,
          seed: url.seed ?? DEFAULT_SEED,
          executionProvider: url.ep ?? 'auto',
          modelStatus: 'downloading',
        });
        const sampleId = url.sample !== undefined && sampleById(url.sample) ? url.sample : DEFAULT_SAMPLE_ID;
        const image = get().selectSample(sampleId);
        let index: ModelIndex;
        try {
          index = await services.loadModelIndex();
        } catch (error) {
          set({ modelStatus: 'failed', error: `Could not list the models: ${messageOf(error)}` });
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
          const requested = index.models.find((m) => m.id === url.model)?.id;
          const modelId = requested ?? index.default;
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

      selectSample(id) {
        const sample = sampleById(id);
        if (!sample) return Promise.resolve(set({ error: `There is no sample called "${id}".` }));
        return switchImage({ kind: 'sample', sampleId: id }, () => services.loadSample(sample));
      },

      openImage(blob, source) {
        return switchImage(source, () => services.decodeImage(blob, sourceLabel(source)));
      },

      setMaskPercent(percent) {
        const clamped = Math.min(MAX_MASK_PERCENT, Math.max(0, Math.round(percent)));
        if (clamped === get().maskPercent) return;
        set({ maskPercent: clamped });
        run();
      },

      setSeed(seed) {
        const valid = Math.min(MAX_SEED, Math.max(0, Math.trunc(seed)));
        if (!Number.isFinite(valid) || valid === get().seed) return;
        set({ seed: valid });
        run();
      },

      newMask() {
        get().setSeed(randomSeed());
      },

      selectModel(id) {
        const entry = get().models.find((m) => m.id === id);
        if (!entry) return Promise.resolve(set({ error: `There is no model called "${id}".` }));
        return switchModel({ kind: 'bundled', id }, (version) =>
          services.fetchModel(entry, (progress) => {
            if (get().modelVersion === version) set({ progress });
          }),
        );
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
        return switchModel({ kind: 'url', spec: spec.trim() }, (version) =>
          services.fetchModelFromUrl(configUrl, (progress) => {
            if (get().modelVersion === version) set({ progress });
          }),
        );
      },

      showError(message) {
        set({ error: message });
      },

      dismissError() {
        set({ error: null });
      },
    };
  });
}

export const AppStoreContext = createContext<AppStore | null>(null);

export function useAppStore<T>(selector: (state: AppState) => T): T {
  const store = useContext(AppStoreContext);
  if (!store) throw new Error('useAppStore needs an <AppStoreContext.Provider>');
  return useStore(store, selector);
}
