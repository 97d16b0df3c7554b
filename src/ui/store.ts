/**
 * The app's one store, in four slices: input (image, mask mode, ratio, seed, painted mask), model
 * (index, chosen model, loading progress, backend), result (the latest reconstruction, errors) and
 * stepper (which pipeline step is on show and what it inspects). Side effects go through
 * AppServices so components can be tested without a worker or ORT.
 */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { gridSize, type ModelConfig } from '../mae/config';
import { resizeShorterSideAndCenterCrop, type Image8, type RgbImage } from '../mae/image';
import { buildMasking, visibleCount, type MaskMode, type MaskSpec } from '../mae/maskModes';
import type { NormPixStatistics } from '../mae/normPix';
import type { MaeModelBytes } from '../runtime/maeRunner';
import type { ByteProgress } from '../runtime/modelFiles';
import type { ModelIndex, ModelIndexEntry } from '../runtime/modelIndex';
import { modelConfigUrl } from '../runtime/modelSource';
import type { BaselineFill, BaselineRequest } from '../runtime/baseline';
import type { BackendInfo, ExecutionProviderPreference, Reconstruction } from '../runtime/protocol';
import type { ReconstructInput } from '../runtime/inferenceClient';
import { createArticleSlice, type ArticleSlice } from './articleSlice';
import { createBaselineSlice, type BaselineSlice } from './baselineSlice';
import { createCompareSlice, type CompareSlice } from './compareSlice';
import { createSweepSlice, type SweepSlice } from './sweepSlice';
import { DEFAULT_SAMPLE_ID, sampleById, type Sample } from './samples';
import { STEP_IDS } from './steps';
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
  /** One run no later request supersedes (the sweep, Compare's second model via `input.slot`). */
  reconstructExactly(input: ReconstructInput): Promise<Reconstruction>;
  /** Starts a second model in the worker under `slot`, beside the page's model. */
  startSecondModel(
    slot: string,
    model: LoadedModel,
    executionProvider: ExecutionProviderPreference,
  ): Promise<BackendInfo>;
  releaseSecondModel(slot: string): Promise<void>;
  /** The classical baseline (interpolation + diffusion) of each mask, off the main thread. */
  interpolate(request: Omit<BaselineRequest, 'id'>): Promise<BaselineFill[]>;
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
  maskMode: MaskMode;
  /** `[N]` 1 = visible: the painted mask, kept across images; null until painting starts. */
  paintedKept: Uint8Array | null;
  paintedVersion: number;
  /** Statistics that de-normalise norm_pix_loss predictions for display. */
  normPixStatistics: NormPixStatistics;
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

export interface ResultInputs {
  modelName: string;
  maskMode: MaskMode;
  maskPercent: number;
  seed: number;
  sourceLabel: string;
}

export interface ResultSlice {
  result: Reconstruction | null;
  /** runKey of the last request that finished, with a result or an error. */
  settledKey: string | null;
  /** The inputs `result` was computed from, for the figure caption. */
  resultInputs: ResultInputs | null;
  error: string | null;
}

/** Which query token the encoder step inspects: the cls token or a patch (shown if visible). */
export type AttentionQuery = { kind: 'cls' } | { kind: 'patch'; patch: number };

export interface StepperSlice {
  /** While open, every run also fetches the intermediate outputs. */
  stepperOpen: boolean;
  /** 0-based index into the pipeline steps. */
  step: number;
  encoderLayer: number;
  encoderHead: number | 'mean';
  attentionQuery: AttentionQuery;
  /** Null: the last decoder block. */
  decoderLayer: number | null;
}

export interface AppActions {
  /** First visit: model index, the model and sample from the URL (or the defaults), first run. */
  start(url: UrlState): Promise<void>;
  selectSample(id: string): Promise<void>;
  openImage(blob: Blob, source: Exclude<ImageSource, { kind: 'sample' }>): Promise<void>;
  setMaskPercent(percent: number): void;
  setSeed(seed: number): void;
  newMask(): void;
  setMaskMode(mode: MaskMode): void;
  /** Painted mode: shows (true) or hides one patch. */
  setPatchVisible(patch: number, visible: boolean): void;
  /** Painted mode: hides every patch. */
  clearPaintedMask(): void;
  setNormPixStatistics(statistics: NormPixStatistics): void;
  setStepperOpen(open: boolean): void;
  setStep(step: number): void;
  setEncoderLayer(layer: number): void;
  setEncoderHead(head: number | 'mean'): void;
  setAttentionQuery(query: AttentionQuery): void;
  setDecoderLayer(layer: number): void;
  selectModel(id: string): Promise<void>;
  loadLocalModel(files: File[]): Promise<void>;
  /** A config.json URL or hf:OWNER/REPO[@REVISION]. */
  loadModelFromUrl(spec: string): Promise<void>;
  showError(message: string): void;
  dismissError(): void;
}

export type AppState = InputSlice &
  ModelSlice &
  ResultSlice &
  StepperSlice &
  AppActions &
  BaselineSlice &
  SweepSlice &
  CompareSlice &
  ArticleSlice;
export type AppStore = StoreApi<AppState>;

/** The mask the inputs describe, on a grid of `grid` x `grid` patches. */
export function maskSpecOf(state: InputSlice, grid: number): MaskSpec {
  if (state.maskMode === 'painted') {
    const kept = state.paintedKept?.length === grid * grid ? state.paintedKept : new Uint8Array(grid * grid);
    return { mode: 'painted', kept };
  }
  return { mode: state.maskMode, ratio: state.maskPercent / 100, seed: state.seed };
}

/** Identifies the inputs of a reconstruction; null while no run is possible. */
export function runKey(state: InputSlice & ModelSlice): string | null {
  if (state.modelStatus !== 'ready' || !state.image) return null;
  const mask =
    state.maskMode === 'painted'
      ? `painted:${state.paintedVersion}`
      : `${state.maskMode}:${state.maskPercent}:${state.seed}`;
  return `${state.modelVersion}/${state.imageVersion}/${mask}/${state.normPixStatistics}`;
}

/** K and N for the current inputs, known before any run; null until the model's size is known. */
export function visibleOfTotal(state: InputSlice & ModelSlice): { visible: number; total: number } | null {
  const geometry = modelGeometry(state);
  if (!geometry) return null;
  const grid = Math.round(Math.sqrt(geometry.numPatches));
  return { visible: visibleCount(maskSpecOf(state, grid), grid), total: geometry.numPatches };
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

  return createStore<AppState>()((set, get, api) => {
    function crop(decoded: Image8 | null, config: ModelConfig | null): RgbImage | null {
      return decoded && config ? resizeShorterSideAndCenterCrop(decoded, config.imageSize) : null;
    }

    function run(): void {
      const state = get();
      const key = runKey(state);
      if (key === null || !state.image || !state.config) return;
      const inputs: ResultInputs = {
        modelName: state.config.name,
        maskMode: state.maskMode,
        maskPercent: state.maskPercent,
        seed: state.seed,
        sourceLabel: sourceLabel(state.source),
      };
      services
        .reconstruct({
          image: state.image,
          mask: maskSpecOf(state, gridSize(state.config)),
          intermediates: state.stepperOpen,
          normPixStatistics: state.normPixStatistics,
        })
        .then(
          (result) => {
            if (!result) return;
            set({ result, settledKey: key, resultInputs: inputs });
            // The stepper opened while this run was on its way without intermediates.
            if (!result.intermediates && get().stepperOpen && runKey(get()) === key) run();
          },
          (error: unknown) => set({ settledKey: key, error: `Reconstruction failed: ${messageOf(error)}` }),
        );
    }

    /** The painted mask for `numPatches` patches: the current one if it fits, else what is on show. */
    function paintedFor(state: AppState, numPatches: number): Uint8Array {
      if (state.paintedKept?.length === numPatches) return state.paintedKept;
      const shown = state.result?.mask;
      if (shown?.length === numPatches) return shown.map((removed) => (removed ? 0 : 1));
      const grid = Math.round(Math.sqrt(numPatches));
      const { mask } = buildMasking(
        { mode: 'random', ratio: state.maskPercent / 100, seed: state.seed },
        grid,
      );
      return mask.map((removed) => (removed ? 0 : 1));
    }

    function setPainted(kept: Uint8Array): void {
      set((state) => ({ paintedKept: kept, paintedVersion: state.paintedVersion + 1 }));
      run();
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
        set((state) => ({
          config: loaded.config,
          backend,
          modelStatus: 'ready',
          progress: null,
          image: crop(state.decoded, loaded.config),
          // A painted mask survives a model change only when the patch grid is the same.
          ...(state.maskMode === 'painted' && {
            paintedKept: paintedFor(state, loaded.config.numPatches),
            paintedVersion: state.paintedVersion + 1,
          }),
          encoderLayer: 0,
          encoderHead: 'mean',
          attentionQuery: { kind: 'cls' },
          decoderLayer: null,
        }));
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
      ...createBaselineSlice(services)(set, get, api),
      ...createSweepSlice(services)(set, get, api),
      ...createCompareSlice(services)(set, get, api),
      ...createArticleSlice(services)(set, get, api),

      source: null,
      decoded: null,
      image: null,
      imageVersion: 0,
      imageLoading: false,
      maskPercent: DEFAULT_MASK_PERCENT,
      seed: DEFAULT_SEED,
      maskMode: 'random',
      paintedKept: null,
      paintedVersion: 0,
      normPixStatistics: 'patch',

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

      stepperOpen: false,
      step: 0,
      encoderLayer: 0,
      encoderHead: 'mean',
      attentionQuery: { kind: 'cls' },
      decoderLayer: null,

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

      setMaskMode(mode) {
        const state = get();
        if (mode === state.maskMode) return;
        const numPatches = modelGeometry(state)?.numPatches;
        if (mode === 'painted' && numPatches !== undefined) {
          // Painting starts from the mask on show, so the picture does not jump.
          set({
            maskMode: mode,
            paintedKept: paintedFor(state, numPatches),
            paintedVersion: state.paintedVersion + 1,
          });
        } else {
          set({ maskMode: mode });
        }
        run();
      },

      setPatchVisible(patch, visible) {
        const state = get();
        const numPatches = modelGeometry(state)?.numPatches;
        if (state.maskMode !== 'painted' || numPatches === undefined || patch < 0 || patch >= numPatches)
          return;
        const kept = paintedFor(state, numPatches);
        if ((kept[patch] === 1) === visible) return;
        const next = kept.slice();
        next[patch] = visible ? 1 : 0;
        setPainted(next);
      },

      clearPaintedMask() {
        const numPatches = modelGeometry(get())?.numPatches;
        if (get().maskMode !== 'painted' || numPatches === undefined) return;
        setPainted(new Uint8Array(numPatches));
      },

      setNormPixStatistics(statistics) {
        if (statistics === get().normPixStatistics) return;
        set({ normPixStatistics: statistics });
        run();
      },

      setStepperOpen(open) {
        if (open === get().stepperOpen) return;
        set({ stepperOpen: open });
        // Intermediates are fetched only while the stepper is open: the plain path stays lean.
        if (open && !get().result?.intermediates) run();
      },

      setStep(step) {
        set({ step: Math.min(STEP_IDS.length - 1, Math.max(0, Math.trunc(step))) });
      },

      setEncoderLayer(layer) {
        set({ encoderLayer: Math.max(0, Math.trunc(layer)) });
      },

      setEncoderHead(head) {
        set({ encoderHead: head });
      },

      setAttentionQuery(query) {
        set({ attentionQuery: query });
      },

      setDecoderLayer(layer) {
        set({ decoderLayer: Math.max(0, Math.trunc(layer)) });
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
