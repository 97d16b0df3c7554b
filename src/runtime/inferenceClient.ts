/**
 * The page's side of the inference worker: promises over the message protocol, and the rules that
 * keep the slider live: at most one reconstruction runs and at most one waits; a newer request
 * replaces the waiting one, which resolves to null (superseded), so no backlog can build up. An
 * image's pixels cross to the worker once; later masks of the same image send only the mask.
 */
import type { ModelConfig } from '../formats/config';
import type { RgbImage } from '../mae/image';
import type { CheckpointFiles } from './checkpointModel';
import type { MaeModelBytes } from './maeRunner';
import {
  assertNever,
  type BackendInfo,
  type ExecutionProviderPreference,
  MAIN_SLOT,
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

  /**
   * Creates sessions for a model in `slot` (releasing that slot's previous ones; default: the
   * page's model). The buffers are transferred.
   */
  async load(
    config: ModelConfig,
    model: MaeModelBytes,
    executionProvider: ExecutionProviderPreference = 'auto',
    slot: string = MAIN_SLOT,
  ): Promise<BackendInfo> {
    const arrays = [model.encoder, model.decoder, model.lean?.encoder, model.lean?.decoder];
    const buffers = new Set(arrays.flatMap((array) => (array ? [array.buffer as ArrayBuffer] : [])));
    // A new model drops the worker's prepared image (it depends on the model's size and statistics).
    if (slot === MAIN_SLOT) this.imageInWorker = null;
    const reply = await this.send({ type: 'load', config, model, executionProvider, slot }, [...buffers]);
    if (reply.status !== 'loaded') throw new Error(`unexpected reply "${reply.status}" to load`);
    return reply.backend;
  }

  /** Builds and starts a checkpoint's graphs in the worker; the weights' buffer is transferred. */
  async loadCheckpoint(
    checkpoint: CheckpointFiles,
    executionProvider: ExecutionProviderPreference = 'auto',
    slot: string = MAIN_SLOT,
  ): Promise<BackendInfo> {
    if (slot === MAIN_SLOT) this.imageInWorker = null;
    const transfer = [checkpoint.weights.bytes.buffer as ArrayBuffer];
    const reply = await this.send({ type: 'loadCheckpoint', checkpoint, executionProvider, slot }, transfer);
    if (reply.status !== 'loaded') throw new Error(`unexpected reply "${reply.status}" to loadCheckpoint`);
    return reply.backend;
  }

  /** Releases a second model's sessions. */
  async release(slot: string): Promise<void> {
    const reply = await this.send({ type: 'release', slot }, []);
    if (reply.status !== 'released') throw new Error(`unexpected reply "${reply.status}" to release`);
  }

  /**
   * One reconstruction outside the latest-wins queue: never superseded, answered in order with
   * the others. For work that needs every answer (the sweep, a second model's run). Pixels go to
   * a second model's slot every time; the page's slot gets them once per image, as above.
   */
  async reconstructExactly(input: ReconstructInput): Promise<Reconstruction> {
    const onMain = (input.slot ?? MAIN_SLOT) === MAIN_SLOT;
    const needsPixels = !onMain || input.imageVersion !== this.imageInWorker;
    if (onMain) this.imageInWorker = input.imageVersion;
    try {
      const reply = await this.send(
        { type: 'reconstruct', ...input, image: needsPixels ? input.image : null },
        [],
      );
      if (reply.status !== 'reconstructed') throw new Error(`unexpected reply "${reply.status}"`);
      return reply.result;
    } catch (error) {
      if (onMain) this.imageInWorker = null;
      throw error;
    }
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
      case 'released':
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
