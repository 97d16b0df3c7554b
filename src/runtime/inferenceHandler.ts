/**
 * What the inference worker does with each request, free of worker globals so that tests can
 * drive it with onnxruntime-node or a fake. src/runtime/inference.worker.ts wires it to messages.
 */
import { gridSize, patchDim, type ModelConfig } from '../mae/config';
import { buildMasking, type MaskPlan } from '../mae/maskModes';
import { maskedMetrics } from '../mae/metrics';
import { predictionForDisplay } from '../mae/normPix';
import { normalize } from '../mae/normalize';
import { gatherRows, patchify } from '../mae/patches';
import { composeViewsFromPixels, predictionToPixels, reconstructionView } from '../mae/views';
import {
  assertNever,
  type BackendInfo,
  type ExecutionProvider,
  type ExecutionProviderPreference,
  type Intermediates,
  MAIN_SLOT,
  type LoadRequest,
  type ReconstructRequest,
  type Reconstruction,
  type WorkerReply,
  type WorkerRequest,
} from './protocol';
import type { InferenceSession } from 'onnxruntime-web';
import { MaeRunner, type MaeRunResult, type OrtModuleLike } from './maeRunner';

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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One pass: mask, encode the visible patches, decode, compose the views and the metrics. */
export async function reconstruct(
  runner: MaeRunner,
  config: ModelConfig,
  request: Omit<ReconstructRequest, 'type' | 'id'>,
): Promise<Reconstruction> {
  const start = performance.now();
  const { imageSize, patchSize, numPatches, mean, std } = config;
  const dim = patchDim(config);
  const { image, intermediates: wantIntermediates, normPixStatistics } = request;
  if (image.width !== imageSize || image.height !== imageSize) {
    throw new RangeError(
      `the model expects ${imageSize}x${imageSize} images, got ${image.width}x${image.height}`,
    );
  }
  const patches = patchify(normalize(image.data, imageSize, mean, std), imageSize, patchSize); // [N, P*P*3]
  const masking = buildMasking(request.mask, gridSize(config));
  const visible = gatherRows(patches, dim, masking.idsKeep); // [K, P*P*3]
  const output = await runner.run({
    visiblePatches: visible,
    idsKeep: masking.idsKeep,
    idsRestore: masking.idsRestore,
    attentions: wantIntermediates,
    predPerLayer: wantIntermediates,
  });
  const toPixels = (prediction: Float32Array) =>
    predictionToPixels(
      predictionForDisplay(prediction, patches, masking.mask, config, normPixStatistics),
      config,
    ); // [S, S, 3]
  const predicted = toPixels(output.pred);
  const views = composeViewsFromPixels(image, predicted, masking.mask, patchSize);
  const metrics = maskedMetrics(image.data, predicted, masking.mask, imageSize, patchSize);
  return {
    views,
    mask: masking.mask,
    visiblePatches: masking.idsKeep.length,
    numPatches,
    maskedPsnr: metrics.psnr,
    encoderMs: output.encoderMs,
    decoderMs: output.decoderMs,
    totalMs: performance.now() - start,
    ...(wantIntermediates && {
      intermediates: intermediatesOf(output, masking, metrics.perPatchMse, toPixels, config),
    }),
  };
}

function intermediatesOf(
  output: MaeRunResult,
  masking: MaskPlan,
  perPatchMse: Float64Array,
  toPixels: (prediction: Float32Array) => Float32Array,
  config: ModelConfig,
): Intermediates {
  if (!output.attentions || !output.predPerLayer) throw new Error('the model gave no intermediate outputs');
  const [, layers = 0, numPatches = 0, dim = 0] = output.predPerLayer.dims; // [1, Ld, N, P*P*3]
  const decoderLayerViews = Array.from({ length: layers }, (_, layer) => {
    const start = layer * numPatches * dim;
    const prediction = output.predPerLayer!.data.subarray(start, start + numPatches * dim); // [N, P*P*3]
    return reconstructionView(toPixels(prediction), config.imageSize);
  });
  return {
    noise: masking.noise,
    idsShuffle: masking.idsShuffle,
    idsKeep: masking.idsKeep,
    idsRestore: masking.idsRestore,
    // Copied out of ORT's buffer, which may be larger than the tensor or not transferable.
    attentions: output.attentions.data.slice(),
    attentionDims: output.attentions.dims,
    latentDims: output.latentDims,
    decoderLayerViews,
    perPatchMse,
  };
}

/** Returns a function that answers one request; callers must not overlap calls. */
export function createRequestHandler(deps: HandlerDeps): (request: WorkerRequest) => Promise<WorkerReply> {
  // MAIN_SLOT: the page's model; other keys: second models (Compare), each until released.
  const models = new Map<string, LoadedModel>();

  async function release(slot: string): Promise<void> {
    const previous = models.get(slot);
    models.delete(slot);
    await previous?.runner.dispose();
  }

  async function load(request: LoadRequest): Promise<BackendInfo> {
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
        case 'reconstruct': {
          const slot = request.slot ?? MAIN_SLOT;
          const model = models.get(slot);
          if (!model)
            throw new Error(slot === MAIN_SLOT ? 'No model is loaded yet.' : `No model in slot "${slot}".`);
          const result = await reconstruct(model.runner, model.config, request);
          return { status: 'reconstructed', id: request.id, result };
        }
        case 'release':
          await release(request.slot);
          return { status: 'released', id: request.id };
        default:
          return assertNever(request);
      }
    } catch (error) {
      return { status: 'error', id: request.id, message: messageOf(error) };
    }
  };
}
