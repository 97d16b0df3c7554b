/**
 * The benchmark page (bench.html): not part of the app. `npm run bench` opens it in headless
 * Chromium on the production build and drives it through `window.maeBench`. (Slider input ->
 * repainted views is timed in the app itself, src/bench/browser.ts.)
 */
import type {
  AdapterReport,
  Envelope,
  Measurement,
  MeasureRequest,
  WorkerReply,
  WorkerRequest,
} from './protocol';

/** The few WebGPU members used here (the DOM lib of this TypeScript has no WebGPU types). */
interface GpuLike {
  requestAdapter(): Promise<{
    info?: Partial<AdapterReport>;
    isFallbackAdapter?: boolean;
  } | null>;
}

class BenchWorker {
  private readonly worker = new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module' });
  private nextId = 0;
  private readonly pending = new Map<number, (reply: WorkerReply) => void>();

  constructor() {
    this.worker.onmessage = (event: MessageEvent<Envelope<WorkerReply>>) => {
      const { id, ...reply } = event.data;
      this.pending.get(id)?.(reply);
      this.pending.delete(id);
    };
  }

  async call<T extends WorkerReply['type']>(
    request: WorkerRequest,
    expect: T,
  ): Promise<Extract<WorkerReply, { type: T }>> {
    const id = this.nextId++;
    const reply = await new Promise<WorkerReply>((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ ...request, id } satisfies Envelope<WorkerRequest>);
    });
    if (reply.type === 'error') throw new Error(reply.message);
    if (reply.type !== expect) throw new Error(`worker answered ${reply.type} to ${request.type}`);
    return reply as Extract<WorkerReply, { type: T }>;
  }

  terminate(): void {
    this.worker.terminate();
  }
}

async function adapter(): Promise<AdapterReport | null> {
  const gpu = (navigator as Navigator & { gpu?: GpuLike }).gpu;
  const found = await gpu?.requestAdapter().catch(() => null);
  if (!found) return null;
  const info = found.info ?? {};
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    // Chromium reports the flag on the info object; older builds had it on the adapter.
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? found.isFallbackAdapter),
  };
}

async function measure(request: MeasureRequest): Promise<Measurement> {
  const worker = new BenchWorker();
  try {
    const { modelUrl, weights, backend, threads, warmup, iterations, maskRatio } = request;
    const { loadMs } = await worker.call(
      { type: 'load', modelUrl, ...(weights !== undefined && { weights }), backend, threads },
      'loaded',
    );
    const { samples } = await worker.call({ type: 'time', warmup, iterations, maskRatio }, 'timed');
    return { loadMs, samples };
  } finally {
    worker.terminate();
  }
}

window.maeBench = {
  crossOriginIsolated: window.crossOriginIsolated,
  hardwareConcurrency: navigator.hardwareConcurrency,
  userAgent: navigator.userAgent,
  adapter,
  measure,
};
