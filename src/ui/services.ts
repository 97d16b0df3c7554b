/** AppServices for the browser: fetch + Cache API for models, the inference worker, image decoding. */
import { startBaselineWorker } from '../runtime/baseline';
import { decodeImage } from '../runtime/decodeImage';
import type { InferenceClient } from '../runtime/inferenceClient';
import { type ByteProgress, fetchModelBytes, fetchModelConfig, readLocalModel } from '../runtime/modelFiles';
import { parseModelIndex } from '../runtime/modelIndex';
import { sampleUrl } from './samples';
import type { AppServices, LoadedModel } from './store';

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

async function fetchModelFromUrl(
  configUrl: string,
  onProgress: (progress: ByteProgress) => void,
): Promise<LoadedModel> {
  const config = await fetchModelConfig(configUrl);
  const bytes = await fetchModelBytes(configUrl, config, onProgress);
  return { config, bytes };
}

export function createBrowserServices(client: InferenceClient): AppServices {
  const base = import.meta.env.BASE_URL;
  // Started with the page, not on first use: after load the page requests nothing it did not
  // ask for at the start (the worker is a few kB and idles until the baseline is switched on).
  const baseline = startBaselineWorker();
  return {
    async loadModelIndex() {
      const response = await fetchOk(`${base}models/index.json`);
      return parseModelIndex(await response.json());
    },
    fetchModel(entry, onProgress) {
      return fetchModelFromUrl(`${base}${entry.config}`, onProgress);
    },
    fetchModelFromUrl,
    readLocalModel,
    startModel({ config, bytes }, executionProvider) {
      return client.load(config, bytes, executionProvider);
    },
    reconstruct(input) {
      return client.reconstruct(input);
    },
    reconstructExactly(input) {
      return client.reconstructExactly(input);
    },
    startSecondModel(slot, { config, bytes }, executionProvider) {
      return client.load(config, bytes, executionProvider, slot);
    },
    releaseSecondModel(slot) {
      return client.release(slot);
    },
    interpolate(request) {
      return baseline.fill(request);
    },
    async loadSample(sample) {
      const response = await fetchOk(sampleUrl(sample));
      return decodeImage(await response.blob(), sample.title);
    },
    decodeImage,
  };
}
