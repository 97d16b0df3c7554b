/**
 * AppServices for the browser: fetch + Cache API for models, the inference worker, image decoding,
 * the service worker's caches.
 */
import { startBaselineWorker } from '../runtime/baseline';
import { type CheckpointFiles, inspectCheckpoint, isCheckpointFileName } from '../runtime/checkpointModel';
import { decodeImage } from '../runtime/decodeImage';
import type { InferenceClient } from '../runtime/inferenceClient';
import {
  type ByteProgress,
  fetchModelBytes,
  fetchModelConfig,
  fetchOk,
  ModelFileError,
  type ModelFileStore,
  readLocalModel,
} from '../runtime/modelFiles';
import { parseModelIndex } from '../runtime/modelIndex';
import { describeRemoteModel, fetchRemoteModel } from '../runtime/remoteModel';
import { openBrowserCamera } from './camera';
import { sampleUrl } from './samples';
import { createOfflineServices } from './siteWorker';
import type { AppServices, LoadedModel } from './store';

async function fetchBundledModel(
  configUrl: string,
  onProgress: (progress: ByteProgress) => void,
  store: ModelFileStore = 'model-cache',
): Promise<LoadedModel> {
  const config = await fetchModelConfig(configUrl);
  const bytes = await fetchModelBytes(configUrl, config, onProgress, fetch, store);
  return { config, bytes };
}

/**
 * "Load your own": a checkpoint (.pth, .bin, .safetensors) with its config.json when it has
 * one, checked here so that a bad file leaves the running model alone; else an export folder.
 */
async function readLocalFiles(files: File[]): Promise<LoadedModel> {
  const weights = files.find((file) => isCheckpointFileName(file.name));
  if (!weights) return readLocalModel(files);
  const configFile = files.find((file) => file.name.endsWith('.json'));
  let configJson: unknown;
  if (configFile) {
    try {
      configJson = JSON.parse(await configFile.text());
    } catch (error) {
      throw new ModelFileError(`${configFile.name} is not valid JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  const checkpoint: CheckpointFiles = {
    weights: { name: weights.name, bytes: new Uint8Array(await weights.arrayBuffer()) },
    configJson,
    name: weights.name,
  };
  return { config: inspectCheckpoint(checkpoint), checkpoint };
}

export function createBrowserServices(client: InferenceClient): AppServices {
  const base = import.meta.env.BASE_URL;
  const offline = createOfflineServices();
  // Started with the page, not on first use: after load the page requests nothing it did not
  // ask for at the start (the worker is a few kB and idles until the baseline is switched on).
  const baseline = startBaselineWorker();
  return {
    async loadModelIndex() {
      const response = await fetchOk(`${base}models/index.json`, fetch);
      return parseModelIndex(await response.json());
    },
    async fetchModel(entry, onProgress) {
      // Bundled models are cached with the app by the service worker, not a second time here;
      // fetched through it, they are downloaded once on a first visit too.
      await offline?.untilControlled();
      return fetchBundledModel(`${base}${entry.config}`, onProgress, 'service-worker');
    },
    fetchModelFromUrl: fetchRemoteModel,
    describeRemoteModel,
    readLocalModel: readLocalFiles,
    startModel(model, executionProvider) {
      return 'checkpoint' in model
        ? client.loadCheckpoint(model.checkpoint, executionProvider)
        : client.load(model.config, model.bytes, executionProvider);
    },
    reconstruct(input) {
      return client.reconstruct(input);
    },
    reconstructExactly(input) {
      return client.reconstructExactly(input);
    },
    startSecondModel(slot, model, executionProvider) {
      return 'checkpoint' in model
        ? client.loadCheckpoint(model.checkpoint, executionProvider, slot)
        : client.load(model.config, model.bytes, executionProvider, slot);
    },
    releaseSecondModel(slot) {
      return client.release(slot);
    },
    interpolate(request) {
      return baseline.fill(request);
    },
    async loadSample(sample) {
      const response = await fetchOk(sampleUrl(sample), fetch);
      return decodeImage(await response.blob(), sample.title);
    },
    decodeImage,
    openCamera: openBrowserCamera,
    offline,
  };
}
