/**
 * AppServices for the browser: fetch + Cache API for models, the inference worker, image decoding,
 * the service worker's caches.
 */
import { decodeImage } from '../runtime/decodeImage';
import type { InferenceClient } from '../runtime/inferenceClient';
import {
  type ByteProgress,
  fetchModelBytes,
  fetchModelConfig,
  type ModelFileStore,
  readLocalModel,
} from '../runtime/modelFiles';
import { parseModelIndex } from '../runtime/modelIndex';
import { openBrowserCamera } from './camera';
import { sampleUrl } from './samples';
import { createOfflineServices } from './siteWorker';
import type { AppServices, LoadedModel } from './store';

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

async function fetchModelFromUrl(
  configUrl: string,
  onProgress: (progress: ByteProgress) => void,
  store: ModelFileStore = 'model-cache',
): Promise<LoadedModel> {
  const config = await fetchModelConfig(configUrl);
  const bytes = await fetchModelBytes(configUrl, config, onProgress, fetch, store);
  return { config, bytes };
}

export function createBrowserServices(client: InferenceClient): AppServices {
  const base = import.meta.env.BASE_URL;
  const offline = createOfflineServices();
  return {
    async loadModelIndex() {
      const response = await fetchOk(`${base}models/index.json`);
      return parseModelIndex(await response.json());
    },
    async fetchModel(entry, onProgress) {
      // Bundled models are cached with the app by the service worker, not a second time here;
      // fetched through it, they are downloaded once on a first visit too.
      await offline?.untilControlled();
      return fetchModelFromUrl(`${base}${entry.config}`, onProgress, 'service-worker');
    },
    fetchModelFromUrl,
    readLocalModel,
    startModel({ config, bytes }, executionProvider) {
      return client.load(config, bytes, executionProvider);
    },
    reconstruct(input) {
      return client.reconstruct(input);
    },
    async loadSample(sample) {
      const response = await fetchOk(sampleUrl(sample));
      return decodeImage(await response.blob(), sample.title);
    },
    decodeImage,
    openCamera: openBrowserCamera,
    offline,
  };
}
