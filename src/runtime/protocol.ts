/**
 * Messages between the page and the inference worker. Requests are discriminated by `type`,
 * replies by `status`; every request carries an `id` its reply echoes. The worker handles one
 * request at a time, in order.
 */
import type { ModelConfig } from '../mae/config';
import type { RgbImage } from '../mae/image';
import type { MaskSpec } from '../mae/maskModes';
import type { NormPixStatistics } from '../mae/normPix';
import type { MaeModelBytes } from './maeRunner';
import type { Reconstruction } from './reconstruct';

export type { MaeModelBytes } from './maeRunner';
export type { Intermediates, Reconstruction } from './reconstruct';

export type ExecutionProvider = 'webgpu' | 'wasm';

/** 'auto' = WebGPU when the browser gives a hardware adapter, else WASM; 'webgpu' takes any adapter. */
export type ExecutionProviderPreference = ExecutionProvider | 'auto';

/** Creates sessions for a model, releasing the previous model's sessions first. */
export interface LoadRequest {
  type: 'load';
  id: number;
  config: ModelConfig;
  model: MaeModelBytes;
  executionProvider: ExecutionProviderPreference;
}

/** Masks image `imageVersion` as `mask` says, reconstructs it, composes the views. */
export interface ReconstructRequest {
  type: 'reconstruct';
  id: number;
  /** Which picture: the worker keeps the latest one prepared, so a mask change sends no pixels. */
  imageVersion: number;
  /** The pixels, resized and cropped to the model's size; null when the worker holds this version. */
  image: RgbImage | null;
  mask: MaskSpec;
  /** Also return every intermediate output the pipeline stepper shows (costs the full graphs). */
  intermediates: boolean;
  /** How norm_pix_loss predictions get their patch statistics back; ignored for other models. */
  normPixStatistics: NormPixStatistics;
}

export type WorkerRequest = LoadRequest | ReconstructRequest;

export interface BackendInfo {
  executionProvider: ExecutionProvider;
  /** WASM threads ORT was given (on WebGPU they only run the nodes the GPU does not take). */
  threads: number;
  crossOriginIsolated: boolean;
}

export interface LoadedReply {
  status: 'loaded';
  id: number;
  backend: BackendInfo;
}

export interface ReconstructedReply {
  status: 'reconstructed';
  id: number;
  result: Reconstruction;
}

export interface ErrorReply {
  status: 'error';
  id: number;
  message: string;
}

export type WorkerReply = LoadedReply | ReconstructedReply | ErrorReply;

export function assertNever(value: never): never {
  throw new Error(`unexpected message: ${JSON.stringify(value)}`);
}

/** Buffers a reply can hand over without copying. */
export function transferablesOf(reply: WorkerReply): Transferable[] {
  switch (reply.status) {
    case 'reconstructed': {
      const { views, mask, intermediates } = reply.result;
      const buffers = [
        views.original,
        views.masked,
        views.reconstruction,
        views.reconstructionPlusVisible,
        mask,
        ...(intermediates
          ? [
              intermediates.noise,
              intermediates.idsShuffle,
              intermediates.idsKeep,
              intermediates.idsRestore,
              intermediates.attentions,
              intermediates.perPatchMse,
              ...intermediates.decoderLayerViews,
            ]
          : []),
      ].flatMap((array) => (array ? [array.buffer as ArrayBuffer] : []));
      // A buffer may back several views; transferring it twice is an error.
      return [...new Set(buffers)];
    }
    case 'loaded':
    case 'error':
      return [];
    default:
      return assertNever(reply);
  }
}
