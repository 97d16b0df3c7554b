/**
 * What the inference worker does with each request, free of worker globals so that tests can
 * drive it with onnxruntime-node or a fake. src/runtime/inference.worker.ts wires it to messages.
 */
import type { InferenceSession } from 'onnxruntime-web';

import type { ModelConfig } from '../mae/config';
import { type PreparedImage, preparePixels } from '../mae/pipeline';
import { errorText } from '../shared/errorText';
import { MaeRunner, type OrtModuleLike } from './maeRunner';
import {
  assertNever,
  type BackendInfo,
  type ExecutionProvider,
  type ExecutionProviderPreference,
  type LoadRequest,
  type ReconstructRequest,
  type WorkerReply,
  type WorkerRequest,
} from './protocol';
import { reconstruct } from './reconstruct';

export interface Backend {
  info: BackendInfo;
  ort: OrtModuleLike<InferenceSession.SessionOptions>;
}

export interface HandlerDeps {
  /** Picks and initialises an onnxruntime backend for the preference. */
  openBackend(preference: ExecutionProviderPreference): Promise<Backend>;
  /** Called when sessions on `executionProvider` could not be created, before falling back to WASM. */
  onFallback?(executionProvider: ExecutionProvider, error: unknown): void;
}

interface LoadedModel {
  config: ModelConfig;
  runner: MaeRunner;
  backend: BackendInfo;
}

/** Returns a function that answers one request; callers must not overlap calls. */
export function createRequestHandler(deps: HandlerDeps): (request: WorkerRequest) => Promise<WorkerReply> {
  let model: LoadedModel | null = null;
  /** The image of the latest request, normalised and patchified once for every mask that follows. */
  let image: { version: number; prepared: PreparedImage } | null = null;

  function preparedFor(request: ReconstructRequest, config: ModelConfig): PreparedImage {
    if (request.image)
      image = { version: request.imageVersion, prepared: preparePixels(request.image, config) };
    if (image?.version !== request.imageVersion) {
      throw new Error(`the worker does not hold image ${request.imageVersion}; send its pixels`);
    }
    return image.prepared;
  }

  async function load(request: LoadRequest): Promise<BackendInfo> {
    // The previous model's sessions go first: two models need not fit in memory at once.
    const previous = model;
    model = null;
    image = null;
    await previous?.runner.dispose();
    const { config } = request;
    const create = (on: Backend) =>
      MaeRunner.create(on.ort, request.model, config, {
        executionProviders: [on.info.executionProvider],
        graphOptimizationLevel: 'all',
        // ORT prints its warnings (e.g. "Some nodes were not assigned to the preferred execution
        // providers" on WebGPU) through console.error; only real errors should get there.
        logSeverityLevel: 3,
      });
    let backend = await deps.openBackend(request.executionProvider);
    let runner: MaeRunner;
    try {
      runner = await create(backend);
    } catch (error) {
      if (backend.info.executionProvider === 'wasm') throw error;
      // A GPU that gives an adapter can still lack what the graph needs: WASM always works.
      deps.onFallback?.(backend.info.executionProvider, error);
      backend = await deps.openBackend('wasm');
      runner = await create(backend);
    }
    model = { config, runner, backend: backend.info };
    return backend.info;
  }

  return async (request) => {
    try {
      switch (request.type) {
        case 'load':
          return { status: 'loaded', id: request.id, backend: await load(request) };
        case 'reconstruct': {
          if (!model) throw new Error('No model is loaded yet.');
          const { runner, config } = model;
          const result = await reconstruct(runner, config, preparedFor(request, config), request);
          return { status: 'reconstructed', id: request.id, result };
        }
        default:
          return assertNever(request);
      }
    } catch (error) {
      return { status: 'error', id: request.id, message: errorText(error) };
    }
  };
}
