/**
 * The app's state, in six slices: input (image, mask), model (index, chosen model, loading),
 * result (the latest reconstruction, errors), stepper (which pipeline step is on show and what
 * it inspects), camera (live frames as the input) and offline (the service worker's cache of the
 * app, storage used, updates), and the explainer's baseline, sweep, compare and article slices
 * (in their own files). Side effects go through AppServices so the store can be tested without a
 * worker.
 */
import type { StateCreator } from 'zustand/vanilla';

import type { ModelConfig } from '../../formats/config';
import type { Image8, RgbImage } from '../../mae/image';
import type { MaskMode } from '../../mae/maskModes';
import type { NormPixStatistics } from '../../mae/normPix';
import type { BaselineFill, BaselineRequest } from '../../runtime/baseline';
import type { ReconstructInput } from '../../runtime/inferenceClient';
import type { ByteProgress } from '../../runtime/modelFiles';
import type { ModelIndex, ModelIndexEntry } from '../../runtime/modelIndex';
import type { BackendInfo, ExecutionProviderPreference, Reconstruction } from '../../runtime/protocol';
import type { RemoteModel, RemoteModelInfo } from '../../runtime/remoteModel';
import type { CameraFeed } from '../frameLoop';
import type { Sample } from '../samples';
import type { UrlState } from '../urlState';
import type { ArticleSlice } from './articleSlice';
import type { BaselineSlice } from './baselineSlice';
import type { CompareSlice } from './compareSlice';
import type { SweepSlice } from './sweepSlice';

/** Graphs (our exports) or a checkpoint the worker builds graphs from, with its config. */
export type LoadedModel = RemoteModel;

/** Everything the store does outside itself. */
export interface AppServices {
  loadModelIndex(): Promise<ModelIndex>;
  fetchModel(entry: ModelIndexEntry, onProgress: (progress: ByteProgress) => void): Promise<LoadedModel>;
  /** A model whose config.json is at an absolute URL, possibly on another origin. */
  fetchModelFromUrl(configUrl: string, onProgress: (progress: ByteProgress) => void): Promise<LoadedModel>;
  /** Size and cache state of a linked model, before anything large is downloaded. */
  describeRemoteModel(configUrl: string): Promise<RemoteModelInfo>;
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
  /** Asks for the camera; rejects with getUserMedia's DOMException. */
  openCamera(): Promise<CameraFeed>;
  /** The service worker's caches and updates; absent where there are none (and in most tests). */
  offline?: OfflineServices;
}

/** What the offline slice does outside the store (src/ui/siteWorker.ts in the browser). */
export interface OfflineServices {
  /** Registers the worker and has it cache the app; resolves once everything is cached. */
  cacheApp(): Promise<void>;
  /** Calls `onReady` when a newer build is installed and waiting for the page's go-ahead. */
  watchForUpdate(onReady: () => void): void;
  /** Lets the waiting build take over, then reloads the page. */
  applyUpdate(): void;
  /** Bytes this origin stores (`navigator.storage.estimate()`), or null where unknown. */
  storageUsage(): Promise<number | null>;
  /**
   * Whether a bundled model (its config.json at `configPath`, relative to the app) has every file
   * in the app's offline copy: the default one is saved with the app, the others once opened.
   */
  appFilesCached(configPath: string, config: ModelConfig): Promise<boolean>;
  /** Whether a model from elsewhere has all its files in the model cache. */
  modelFilesCached(configUrl: string, config: ModelConfig): Promise<boolean>;
  clearModelCache(): Promise<void>;
}

export type ImageSource =
  | { kind: 'sample'; sampleId: string }
  | { kind: 'file'; name: string }
  | { kind: 'clipboard' }
  | { kind: 'camera' };

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
  /** Counts pictures: the worker keeps the latest one prepared under this number. */
  imageVersion: number;
  imageLoading: boolean;
  maskPercent: number;
  seed: number;
  maskMode: MaskMode;
  /** `[N]` 1 = removed: the painted mask, kept across images; null until painting starts. */
  paintedMask: Uint8Array | null;
  paintedVersion: number;
  /** Statistics that de-normalise norm_pix_loss predictions for display. */
  normPixStatistics: NormPixStatistics;

  selectSample(id: string): Promise<void>;
  openImage(blob: Blob, source: Exclude<ImageSource, { kind: 'sample' }>): Promise<void>;
  /** A picture already decoded (a camera frame). */
  showImage(source: ImageSource, decoded: Image8): Promise<void>;
  setMaskPercent(percent: number): void;
  setSeed(seed: number): void;
  newMask(): void;
  setMaskMode(mode: MaskMode): void;
  /** Painted mode: shows (true) or hides one patch. */
  setPatchVisible(patch: number, visible: boolean): void;
  /** Painted mode: hides every patch. */
  clearPaintedMask(): void;
  setNormPixStatistics(statistics: NormPixStatistics): void;
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
  /** Counts models started in the worker: part of every run's key. */
  modelVersion: number;
  /** A model named by a link, not cached: it loads only once the user confirms. */
  pendingModel: { spec: string; host: string; bytes: number | null } | null;
  /** Said beside the picker about the running model (e.g. that it could not be cached). */
  modelNotice: string | null;
  /** Checkpoints (Hugging Face, Meta) load with int8 Linear weights: faster on CPU. */
  int8Weights: boolean;

  /** First visit: model index, the model and sample from the URL (or the defaults), first run. */
  start(url: UrlState): Promise<void>;
  selectModel(id: string): Promise<void>;
  loadLocalModel(files: File[]): Promise<void>;
  /** A config.json URL or hf:OWNER/REPO[@REVISION]. */
  loadModelFromUrl(spec: string): Promise<void>;
  /** "Load model" in the confirmation: loads `pendingModel`. */
  confirmPendingModel(): Promise<void>;
  /** Keeps the running model; the link's model is not downloaded. */
  dismissPendingModel(): void;
  /** Applies to the next checkpoint that loads. */
  setInt8Weights(on: boolean): void;
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

  /** Asks the worker for the current inputs' reconstruction (latest wins; stale replies are dropped). */
  run(): void;
  showError(message: string): void;
  dismissError(): void;
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

  setStepperOpen(open: boolean): void;
  setStep(step: number): void;
  setEncoderLayer(layer: number): void;
  setEncoderHead(head: number | 'mean'): void;
  setAttentionQuery(query: AttentionQuery): void;
  setDecoderLayer(layer: number): void;
  /** Back to the first layer, all heads and the cls query: what every model has. */
  resetInspection(): void;
}

export type AppCacheStatus = 'unsupported' | 'saving' | 'ready' | 'failed';

export interface OfflineSlice {
  appCache: AppCacheStatus;
  /** Why the app could not be cached, when appCache is 'failed'. */
  appCacheError: string | null;
  /**
   * Whether the files of the model on show are kept for offline use: bundled models come with
   * the app; a model from disk needs no cache (null).
   */
  modelCached: boolean | null;
  storageUsage: number | null;
  updateReady: boolean;

  /** Starts caching the app and watching for updates; called once by main.tsx. */
  startOffline(): void;
  refreshOfflineStatus(): Promise<void>;
  clearCachedModels(): Promise<void>;
  applyUpdate(): void;
}

export type CameraStatus = 'off' | 'starting' | 'live';

export interface CameraSlice {
  cameraStatus: CameraStatus;
  /** True: every frame gets a mask from a fresh seed; false: one mask, the settings as they stand. */
  newMaskEachFrame: boolean;
  /** Frames shown per second over the last two seconds; null until two frames were shown. */
  cameraFps: number | null;

  startCamera(): Promise<void>;
  /** Leaves camera mode: the tracks end and the image from before is reconstructed again. */
  stopCamera(): void;
  /** Keeps the frame on show, with its mask, as the image and leaves camera mode. */
  freezeCamera(): Promise<void>;
  setNewMaskEachFrame(on: boolean): void;
}

export type AppState = InputSlice &
  ModelSlice &
  ResultSlice &
  StepperSlice &
  CameraSlice &
  OfflineSlice &
  BaselineSlice &
  SweepSlice &
  CompareSlice &
  ArticleSlice;

/** A slice of AppState, built with the services it needs (zustand's slices pattern). */
export type SliceCreator<Slice> = (services: AppServices) => StateCreator<AppState, [], [], Slice>;
