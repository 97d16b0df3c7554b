/**
 * The module worker that owns onnxruntime-web. ORT must not run on the page's main thread: there
 * a multithreaded build hung (its thread workers loaded the app's entry chunk), and inference
 * would freeze the UI while the slider moves.
 */
import { type Backend, createRequestHandler } from './inferenceHandler';
import { configureOrt } from './ortWeb';
import {
  type ExecutionProvider,
  type ExecutionProviderPreference,
  transferablesOf,
  type WorkerReply,
  type WorkerRequest,
} from './protocol';

/** isFallbackAdapter moved from GPUAdapter to GPUAdapter.info; browsers have one or the other. */
interface GpuAdapterLike {
  info?: { isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

/** The parts of DedicatedWorkerGlobalScope used here (the project compiles against the DOM lib). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerReply, transfer: Transferable[]): void;
  crossOriginIsolated: boolean;
  navigator: { hardwareConcurrency: number; gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } };
}
const scope = self as unknown as WorkerScope;

/**
 * 'auto' takes WebGPU only on a hardware adapter: a software one (SwiftShader) runs these graphs
 * about 100x slower than WASM. Asking for 'webgpu' explicitly takes any adapter.
 */
async function webGpuUsable(preference: ExecutionProviderPreference): Promise<boolean> {
  if (preference === 'wasm') return false;
  try {
    const adapter = await scope.navigator.gpu?.requestAdapter();
    if (!adapter) return false;
    const software = adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
    return preference === 'webgpu' || !software;
  } catch {
    return false;
  }
}

async function openBackend(preference: ExecutionProviderPreference): Promise<Backend> {
  const useWebGpu = await webGpuUsable(preference);
  const executionProvider: ExecutionProvider = useWebGpu ? 'webgpu' : 'wasm';
  // Threads need SharedArrayBuffer, i.e. a cross-origin isolated page (COOP + COEP headers).
  const threads = scope.crossOriginIsolated ? Math.max(1, scope.navigator.hardwareConcurrency || 1) : 1;
  const ort = await configureOrt(executionProvider, threads);
  return {
    ort,
    info: {
      executionProvider,
      threads,
      crossOriginIsolated: scope.crossOriginIsolated,
    },
  };
}

const handle = createRequestHandler({
  openBackend,
  onFallback(executionProvider, error) {
    console.warn(`MAE Lens: ${executionProvider} could not run this model, using WASM instead:`, error);
  },
});

// Requests are answered strictly one after another; the page keeps at most one reconstruction
// waiting, so this chain never grows a backlog.
let queue: Promise<void> = Promise.resolve();
scope.onmessage = (event) => {
  const request = event.data;
  queue = queue.then(async () => {
    const reply = await handle(request);
    scope.postMessage(reply, transferablesOf(reply));
  });
};
