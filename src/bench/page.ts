/**
 * The benchmark page (bench.html): not part of the app. `npm run bench` opens it in headless
 * Chromium on the production build and drives it through `window.maeBench`. It also holds a mask
 * ratio slider and four canvases, to time slider input -> worker round trip -> repainted views.
 */
import type { Views } from '../mae/views';
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
    const { modelUrl, backend, threads, warmup, iterations, maskRatio } = request;
    const { loadMs } = await worker.call({ type: 'load', modelUrl, backend, threads }, 'loaded');
    const { samples } = await worker.call({ type: 'time', warmup, iterations, maskRatio }, 'timed');
    return { loadMs, samples };
  } finally {
    worker.terminate();
  }
}

const slider = document.querySelector<HTMLInputElement>('#mask-percent')!;
const canvases = [...document.querySelectorAll<HTMLCanvasElement>('#views canvas')];
const VIEW_ORDER: (keyof Views)[] = ['original', 'masked', 'reconstruction', 'reconstructionPlusVisible'];
const sliderState: { latencies: number[]; error?: string } = { latencies: [] };

async function openSlider({ modelUrl, threads }: { modelUrl: string; threads: number }): Promise<void> {
  const worker = new BenchWorker();
  const { imageSize } = await worker.call({ type: 'load', modelUrl, backend: 'wasm', threads }, 'loaded');
  for (const canvas of canvases) canvas.width = canvas.height = imageSize;

  /** Reconstructs at `percent` and paints; resolves with the time since `inputAt` once on screen. */
  const reconstruct = async (percent: number, inputAt: number): Promise<number> => {
    const { views } = await worker.call({ type: 'views', maskRatio: percent / 100, seed: 0 }, 'views');
    VIEW_ORDER.forEach((key, i) => {
      // Transferred from the worker, so backed by a plain ArrayBuffer, as ImageData wants.
      const pixels = views[key] as Uint8ClampedArray<ArrayBuffer>;
      canvases[i]!.getContext('2d')!.putImageData(new ImageData(pixels, imageSize, imageSize), 0, 0);
    });
    // The next rAF callback starts the frame that paints the new pixels.
    await new Promise((resolve) => requestAnimationFrame(resolve));
    return performance.now() - inputAt;
  };
  // Latest value only: while a reconstruction runs, newer input replaces any waiting one, so a
  // fast drag never builds a backlog (the app's policy too).
  let busy = false;
  let waiting: { percent: number; inputAt: number } | undefined;
  const follow = async (move: { percent: number; inputAt: number }) => {
    busy = true;
    try {
      sliderState.latencies.push(await reconstruct(move.percent, move.inputAt));
    } catch (error) {
      sliderState.error = error instanceof Error ? error.message : String(error);
      return;
    }
    busy = false;
    const next = waiting;
    waiting = undefined;
    if (next) void follow(next);
  };
  slider.addEventListener('input', (event) => {
    // event.timeStamp: when the browser created the input event, on the performance.now() clock.
    const move = { percent: Number(slider.value), inputAt: event.timeStamp };
    if (busy) waiting = move;
    else void follow(move);
  });
  await reconstruct(Number(slider.value), performance.now()); // the first views, not a slider move
  slider.disabled = false;
}

window.maeBench = {
  crossOriginIsolated: window.crossOriginIsolated,
  hardwareConcurrency: navigator.hardwareConcurrency,
  userAgent: navigator.userAgent,
  adapter,
  measure,
  openSlider,
  slider: () => ({ ...sliderState, latencies: [...sliderState.latencies] }),
};
