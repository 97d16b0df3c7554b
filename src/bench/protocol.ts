/** Messages between the bench page and its worker, and what the page hands back to `npm run bench`. */
import type { StepTimes } from './workload';

export type Backend = 'wasm' | 'webgpu';

/** What the browser says about its WebGPU adapter (GPUAdapterInfo, plus the fallback flag). */
export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software (CPU) implementation such as SwiftShader: correct, but no measure of GPU speed. */
  isFallbackAdapter: boolean;
}

export type WorkerRequest =
  | { type: 'load'; modelUrl: string; weights?: string; backend: Backend; threads: number }
  | { type: 'time'; warmup: number; iterations: number; maskRatio: number };

export type WorkerReply =
  | { type: 'loaded'; imageSize: number; loadMs: number }
  | { type: 'timed'; samples: StepTimes[] }
  | { type: 'error'; message: string };

/** Every message carries the id of the request it belongs to. */
export type Envelope<T> = T & { id: number };

export interface MeasureRequest {
  /** Folder URL with config.json and the graphs, relative to the page. */
  modelUrl: string;
  /**
   * A checkpoint in that folder (Hugging Face or Meta weights) to build the graphs from, as the
   * page's loader does; config.json beside it is read when there is one.
   */
  weights?: string;
  backend: Backend;
  threads: number;
  warmup: number;
  iterations: number;
  maskRatio: number;
}

export interface Measurement {
  /** Fetching the files and creating the sessions. */
  loadMs: number;
  samples: StepTimes[];
}

/** `window.maeBench`, the page's interface to the driver. */
export interface BenchPageApi {
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  userAgent: string;
  adapter(): Promise<AdapterReport | null>;
  measure(request: MeasureRequest): Promise<Measurement>;
}

declare global {
  interface Window {
    maeBench: BenchPageApi;
  }
}
