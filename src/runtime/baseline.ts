/**
 * The classical baseline off the page's main thread: inverse-distance + diffusion fill of each
 * mask (src/mae/metrics.ts interpolationBaseline, the same code `npm run eval` scores), about
 * 150 ms per mask at 224 px. Its own small worker, so it neither freezes the page nor waits in
 * the inference worker's queue behind the model. Messages are typed like the inference worker's.
 */
import type { RgbImage } from '../mae/image';
import { interpolationBaseline } from '../mae/metrics';
import { reconstructionView } from '../mae/views';

export interface BaselineRequest {
  id: number;
  /** The truth, the model-size crop `[S, S, 3]`. */
  image: RgbImage;
  patchSize: number;
  /** `[N]` masks, 1 = removed. */
  masks: Uint8Array[];
  /** Also return each fill as an RGBA picture `[S, S, 4]` (the sweep's plot needs only PSNRs). */
  views: boolean;
}

export interface BaselineFill {
  /** Over the removed patches, 8-bit pixel space; NaN when nothing is removed. */
  psnr: number;
  view: Uint8ClampedArray | null;
}

export type BaselineReply =
  { status: 'filled'; id: number; fills: BaselineFill[] } | { status: 'error'; id: number; message: string };

export function fillBaselines(request: Omit<BaselineRequest, 'id'>): BaselineFill[] {
  const { image, patchSize, masks, views } = request;
  if (image.width !== image.height)
    throw new RangeError(`expected a square image, got ${image.width}x${image.height}`);
  return masks.map((mask) => {
    const { pixels, psnr } = interpolationBaseline(image.data, mask, image.width, patchSize);
    return { psnr, view: views ? reconstructionView(pixels, image.width) : null };
  });
}

/** The worker's answer to one request; never throws. */
export function answerBaseline(request: BaselineRequest): BaselineReply {
  try {
    return { status: 'filled', id: request.id, fills: fillBaselines(request) };
  } catch (error) {
    return {
      status: 'error',
      id: request.id,
      message: error instanceof Error ? error.message : String(error),
    };
  }
}

export interface BaselinePort {
  postMessage(message: BaselineRequest): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<BaselineReply>) => void): void;
  addEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
}

/** The page's side: one promise per request, answered in order. */
export class BaselineClient {
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve(fills: BaselineFill[]): void; reject(error: Error): void }
  >();

  constructor(private readonly worker: BaselinePort) {
    worker.addEventListener('message', ({ data: reply }) => {
      const entry = this.waiting.get(reply.id);
      if (!entry) return;
      this.waiting.delete(reply.id);
      if (reply.status === 'filled') entry.resolve(reply.fills);
      else entry.reject(new Error(reply.message));
    });
    worker.addEventListener('error', (event) => {
      const error = new Error(`The baseline worker failed: ${event.message || 'it could not start'}`);
      for (const entry of this.waiting.values()) entry.reject(error);
      this.waiting.clear();
    });
  }

  fill(request: Omit<BaselineRequest, 'id'>): Promise<BaselineFill[]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id });
    });
  }
}

export function startBaselineWorker(): BaselineClient {
  const worker = new Worker(new URL('./baseline.worker.ts', import.meta.url), {
    type: 'module',
    name: 'mae-lens-baseline',
  });
  return new BaselineClient(worker as BaselinePort);
}
