/**
 * Messages between the page and the inference worker. Requests are discriminated by `type`,
 * replies by `status`; every request carries an `id` its reply echoes. The worker handles one
 * request at a time, in order.
 */
import type { ModelConfig } from '../mae/config';
import type { RgbImage } from '../mae/image';
import type { Views } from '../mae/views';
import type { MaeModelBytes } from './maeRunner';

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

/** Masks `image` at `maskRatio` with the mask drawn from `seed`, reconstructs it, composes the views. */
export interface ReconstructRequest {
  type: 'reconstruct';
  id: number;
  /** Already resized and cropped to the model's image size. */
  image: RgbImage;
  /** In [0, 1). */
  maskRatio: number;
  seed: number;
}

export type WorkerRequest = LoadRequest | ReconstructRequest;

export interface BackendInfo {
  executionProvider: ExecutionProvider;
  /** WASM threads ORT was given (on WebGPU they only run the nodes the GPU does not take). */
  threads: number;
  crossOriginIsolated: boolean;
}

export interface Reconstruction {
  views: Views;
  /** [N] 1 = removed. */
  mask: Uint8Array;
  /** K: patches the encoder saw. */
  visiblePatches: number;
  numPatches: number;
  /** Over the removed patches, 8-bit pixel space; NaN when nothing is removed. */
  maskedPsnr: number;
  encoderMs: number;
  decoderMs: number;
  /** Whole request inside the worker: preprocessing, both sessions, views and metrics. */
  totalMs: number;
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
      const { views, mask } = reply.result;
      return [
        views.original.buffer,
        views.masked.buffer,
        views.reconstruction.buffer,
        views.reconstructionPlusVisible.buffer,
        mask.buffer,
      ] as ArrayBuffer[];
    }
    case 'loaded':
    case 'error':
      return [];
    default:
      return assertNever(reply);
  }
}
