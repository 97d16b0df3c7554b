/**
 * What the inference worker does with each request, free of worker globals so that tests can
 * drive it with onnxruntime-node or a fake. src/runtime/inference.worker.ts wires it to messages.
 */
import type { InferenceSession } from 'onnxruntime-web';

import type { ModelConfig } from '../formats/config';
import { type PreparedImage, preparePixels } from '../mae/pipeline';
import { errorText } from '../shared/errorText';
import { loadCheckpointModel } from './checkpointModel';
import { MaeRunner, type OrtModuleLike } from './maeRunner';
import {
  assertNever,
  type BackendInfo,
  type ExecutionProvider,
  type ExecutionProviderPreference,
  type LoadRequest,
  MAIN_SLOT,
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
  // MAIN_SLOT: the page's model; other keys: second models (Compare), each until released.
  const models = new Map<string, LoadedModel>();
  /** Per slot, the image of its latest request, normalised and patchified once for every mask that follows. */
  const images = new Map<string, { version: number; prepared: PreparedImage }>();

  function preparedFor(request: ReconstructRequest, slot: string, config: ModelConfig): PreparedImage {
    if (request.image) {
      images.set(slot, { version: request.imageVersion, prepared: preparePixels(request.image, config) });
    }
    const image = images.get(slot);
    if (image?.version !== request.imageVersion) {
      throw new Error(`the worker does not hold image ${request.imageVersion}; send its pixels`);
    }
    return image.prepared;
  }

  async function release(slot: string): Promise<void> {
    const previous = models.get(slot);
    models.delete(slot);
    images.delete(slot);
    await previous?.runner.dispose();
  }

  async function load(
    request: Pick<LoadRequest, 'config' | 'model' | 'executionProvider' | 'slot'>,
  ): Promise<BackendInfo> {
    const slot = request.slot ?? MAIN_SLOT;
    // The slot's previous sessions go first: two models need not fit in memory at once.
    await release(slot);
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
    models.set(slot, { config, runner, backend: backend.info });
    return backend.info;
  }

  return async (request) => {
    try {
      switch (request.type) {
        case 'load':
          return { status: 'loaded', id: request.id, backend: await load(request) };
        case 'loadCheckpoint': {
          // Read and built before the running model is released: a bad file leaves it running.
          const { config, bytes } = loadCheckpointModel(request.checkpoint);
          // The file is laid out in the graphs' weight buffers now; dropping it before the
          // sessions copy those in keeps the peak near 2x the weights instead of 3x.
          request.checkpoint.weights.bytes = new Uint8Array(0);
          const { executionProvider, slot } = request;
          return {
            status: 'loaded',
            id: request.id,
            backend: await load({ config, model: bytes, executionProvider, slot }),
          };
        }
        case 'reconstruct': {
          const slot = request.slot ?? MAIN_SLOT;
          const model = models.get(slot);
          if (!model)
            throw new Error(slot === MAIN_SLOT ? 'No model is loaded yet.' : `No model in slot "${slot}".`);
          const { runner, config } = model;
          const result = await reconstruct(runner, config, preparedFor(request, slot, config), request);
          return { status: 'reconstructed', id: request.id, result };
        }
        case 'release':
          await release(request.slot);
          return { status: 'released', id: request.id };
        default:
          return assertNever(request);
      }
    } catch (error) {
      return { status: 'error', id: request.id, message: errorText(error) };
    }
  };
}
