/**
 * The page's side of the inference worker: promises over the message protocol, and the rules that
 * keep the slider live: at most one reconstruction runs and at most one waits; a newer request
 * replaces the waiting one, which resolves to null (superseded), so no backlog can build up. An
 * image's pixels cross to the worker once; later masks of the same image send only the mask.
 */
import type { ModelConfig } from '../mae/config';
import type { RgbImage } from '../mae/image';
import type { MaeModelBytes } from './maeRunner';
import {
  assertNever,
  type BackendInfo,
  type ExecutionProviderPreference,
  type Reconstruction,
  type ReconstructRequest,
  type WorkerReply,
  type WorkerRequest,
} from './protocol';

/** What the client needs from a Worker; tests pass a fake. */
export interface WorkerPort {
  postMessage(message: WorkerRequest, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<WorkerReply>) => void): void;
  addEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
  terminate(): void;
}

export type ReconstructInput = Omit<ReconstructRequest, 'type' | 'id' | 'image'> & { image: RgbImage };

interface Waiting {
  resolve(reply: WorkerReply): void;
  reject(error: Error): void;
}

interface QueuedReconstruction {
  input: ReconstructInput;
  resolve(result: Reconstruction | null): void;
  reject(error: Error): void;
}

/** Distributes the request fields over a union member so `id` can be added to each. */
type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

export class InferenceClient {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private reconstructing = false;
  private queued: QueuedReconstruction | null = null;
  /** imageVersion whose pixels the worker holds (prepared) after the requests sent so far. */
  private imageInWorker: number | null = null;

  constructor(private readonly worker: WorkerPort) {
    worker.addEventListener('message', (event) => this.receive(event.data));
    worker.addEventListener('error', (event) => {
      const error = new Error(`The inference worker failed: ${event.message || 'it could not start'}`);
      for (const entry of this.waiting.values()) entry.reject(error);
      this.waiting.clear();
    });
  }

  /** Creates sessions for a model (releasing the previous ones). The buffers are transferred. */
  async load(
    config: ModelConfig,
    model: MaeModelBytes,
    executionProvider: ExecutionProviderPreference = 'auto',
  ): Promise<BackendInfo> {
    const arrays = [model.encoder, model.decoder, model.lean?.encoder, model.lean?.decoder];
    const buffers = new Set(arrays.flatMap((array) => (array ? [array.buffer as ArrayBuffer] : [])));
    // A new model drops the worker's prepared image (it depends on the model's size and statistics).
    this.imageInWorker = null;
    const reply = await this.send({ type: 'load', config, model, executionProvider }, [...buffers]);
    if (reply.status !== 'loaded') throw new Error(`unexpected reply "${reply.status}" to load`);
    return reply.backend;
  }

  /** Resolves to null when a newer call replaced this one before it started. */
  reconstruct(input: ReconstructInput): Promise<Reconstruction | null> {
    return new Promise((resolve, reject) => {
      this.queued?.resolve(null);
      this.queued = { input, resolve, reject };
      this.startQueued();
    });
  }

  dispose(): void {
    this.queued?.resolve(null);
    this.queued = null;
    this.worker.terminate();
    const error = new Error('The inference worker was stopped.');
    for (const entry of this.waiting.values()) entry.reject(error);
    this.waiting.clear();
  }

  private startQueued(): void {
    const job = this.queued;
    if (this.reconstructing || !job) return;
    this.queued = null;
    this.reconstructing = true;
    const { image, imageVersion } = job.input;
    const needsPixels = imageVersion !== this.imageInWorker;
    this.imageInWorker = imageVersion;
    this.send({ type: 'reconstruct', ...job.input, image: needsPixels ? image : null }, [])
      .then((reply) => {
        if (reply.status !== 'reconstructed') throw new Error(`unexpected reply "${reply.status}"`);
        job.resolve(reply.result);
      })
      .catch((error: Error) => {
        // The worker may not have kept the pixels: send them again next time.
        this.imageInWorker = null;
        job.reject(error);
      })
      .finally(() => {
        this.reconstructing = false;
        this.startQueued();
      });
  }

  private send(body: RequestBody, transfer: Transferable[]): Promise<WorkerReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...body, id } as WorkerRequest, transfer);
    });
  }

  private receive(reply: WorkerReply): void {
    const entry = this.waiting.get(reply.id);
    if (!entry) return;
    this.waiting.delete(reply.id);
    switch (reply.status) {
      case 'error':
        entry.reject(new Error(reply.message));
        break;
      case 'loaded':
      case 'reconstructed':
        entry.resolve(reply);
        break;
      default:
        assertNever(reply);
    }
  }
}

export function startInferenceWorker(): InferenceClient {
  const worker = new Worker(new URL('./inference.worker.ts', import.meta.url), {
    type: 'module',
    name: 'mae-lens-inference',
  });
  return new InferenceClient(worker as WorkerPort);
}
