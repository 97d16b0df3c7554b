/**
 * The bench page's module worker: onnxruntime-web runs here as in the app (on the main thread of
 * a production build multithreaded ORT hangs). One worker per backend and thread count, since
 * ORT reads env.wasm.numThreads once, when it initialises.
 */

import { type ModelConfig, parseModelConfig } from '../formats/config';
import { loadCheckpointModel } from '../runtime/checkpointModel';
import { type MaeModelBytes, MaeRunner } from '../runtime/maeRunner';
import { readModelBytes } from '../runtime/modelBytes';
import { configureOrt } from '../runtime/ortWeb';
import { errorText } from '../shared/errorText';
import type { Backend, Envelope, WorkerReply, WorkerRequest } from './protocol';
import { syntheticPhoto, timeReconstructions } from './workload';

interface WorkerScope {
  onmessage: ((event: MessageEvent<Envelope<WorkerRequest>>) => void) | null;
  postMessage(message: Envelope<WorkerReply>, transfer: Transferable[]): void;
  location: { href: string };
}
const scope = self as unknown as WorkerScope;

interface Loaded {
  runner: MaeRunner;
  config: ModelConfig;
}
let loaded: Loaded | undefined;

async function fetchBytes(url: URL): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url.pathname}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** An export folder's graphs, or a checkpoint's built by the page's own loader. */
async function readModel(
  folder: URL,
  weights: string | undefined,
): Promise<{ config: ModelConfig; bytes: MaeModelBytes }> {
  const configUrl = new URL('config.json', folder);
  if (weights === undefined) {
    const config = parseModelConfig(JSON.parse(new TextDecoder().decode(await fetchBytes(configUrl))));
    return { config, bytes: await readModelBytes(config, (file) => fetchBytes(new URL(file.path, folder))) };
  }
  // Meta's .pth may come without a config.json: its geometry is read from the weights' shapes.
  const configResponse = await fetch(configUrl);
  const configJson: unknown = configResponse.ok ? await configResponse.json() : undefined;
  return loadCheckpointModel({
    weights: { name: weights, bytes: await fetchBytes(new URL(weights, folder)) },
    ...(configJson !== undefined && { configJson }),
  });
}

async function load(
  modelUrl: string,
  weights: string | undefined,
  backend: Backend,
  threads: number,
): Promise<Loaded> {
  const ort = await configureOrt(backend, threads);
  const folder = new URL(modelUrl.endsWith('/') ? modelUrl : `${modelUrl}/`, scope.location.href);
  const { config, bytes } = await readModel(folder, weights);
  const runner = await MaeRunner.create(ort, bytes, config, { executionProviders: [backend] });
  return { runner, config };
}

function requireLoaded(): Loaded {
  if (!loaded) throw new Error('no model loaded');
  return loaded;
}

async function handle(request: WorkerRequest): Promise<[WorkerReply, Transferable[]]> {
  switch (request.type) {
    case 'load': {
      const started = performance.now();
      loaded = await load(request.modelUrl, request.weights, request.backend, request.threads);
      const loadMs = performance.now() - started;
      return [{ type: 'loaded', imageSize: loaded.config.imageSize, loadMs }, []];
    }
    case 'time': {
      const { runner, config } = requireLoaded();
      const samples = await timeReconstructions(runner, config, syntheticPhoto(), request);
      return [{ type: 'timed', samples }, []];
    }
  }
}

// One request at a time: the page waits for each reply before it sends the next.
scope.onmessage = (event) => {
  const { id, ...request } = event.data;
  handle(request).then(
    ([reply, transfer]) => scope.postMessage({ ...reply, id }, transfer),
    (error: unknown) => scope.postMessage({ type: 'error', message: errorText(error), id }, []),
  );
};
