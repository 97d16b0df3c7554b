import { describe, expect, it } from 'vitest';

import { tinyConfigJson } from '../../tests/helpers/fixture';
import { parseModelConfig } from '../mae/config';
import { InferenceClient, type ReconstructInput, type WorkerPort } from './inferenceClient';
import type { Reconstruction, WorkerReply, WorkerRequest } from './protocol';

/** A worker stand-in: records requests, and the test answers them by hand. */
class FakeWorker implements WorkerPort {
  readonly requests: { message: WorkerRequest; transfer: Transferable[] }[] = [];
  private onMessage: ((event: MessageEvent<WorkerReply>) => void) | null = null;
  private onError: ((event: ErrorEvent) => void) | null = null;
  terminated = false;

  postMessage(message: WorkerRequest, transfer: Transferable[]): void {
    this.requests.push({ message, transfer });
  }

  addEventListener(type: 'message' | 'error', listener: (event: never) => void): void {
    if (type === 'message') this.onMessage = listener as (event: MessageEvent<WorkerReply>) => void;
    else this.onError = listener as (event: ErrorEvent) => void;
  }

  terminate(): void {
    this.terminated = true;
  }

  reply(reply: WorkerReply): void {
    this.onMessage?.({ data: reply } as MessageEvent<WorkerReply>);
  }

  fail(message: string): void {
    this.onError?.({ message } as ErrorEvent);
  }

  last(): WorkerRequest {
    return this.requests[this.requests.length - 1]!.message;
  }
}

const image = { width: 2, height: 2, data: new Uint8Array(12) };

function fakeResult(visiblePatches: number): Reconstruction {
  const view = new Uint8ClampedArray(16);
  return {
    views: { original: view, masked: view, reconstruction: view, reconstructionPlusVisible: view },
    mask: new Uint8Array(4),
    visiblePatches,
    numPatches: 4,
    maskedMse: 650,
    maskedPsnr: 20,
    maskMs: 0.5,
    encoderMs: 1,
    decoderMs: 1,
    postMs: 0.5,
    totalMs: 3,
  };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A plain reconstruction request at `ratio` with the mask from `seed`. */
function randomInput(ratio: number, seed: number): ReconstructInput {
  return {
    image,
    imageVersion: 1,
    mask: { mode: 'random', ratio, seed },
    intermediates: false,
    normPixStatistics: 'patch',
  };
}

describe('InferenceClient', () => {
  it('sends load with a fresh id, transfers the model buffers and resolves with the backend', async () => {
    const worker = new FakeWorker();
    const client = new InferenceClient(worker);
    const config = parseModelConfig(tinyConfigJson());
    const bytes = { encoder: new Uint8Array(8), decoder: new Uint8Array(4) };
    const lean = {
      encoder: new Uint8Array(2),
      decoder: new Uint8Array(1),
      encoderPath: 'e',
      decoderPath: 'd',
    };
    const loaded = client.load(config, { ...bytes, lean });
    const request = worker.last();
    expect(request).toMatchObject({ type: 'load', executionProvider: 'auto', config });
    expect(worker.requests[0]!.transfer).toEqual([
      bytes.encoder.buffer,
      bytes.decoder.buffer,
      lean.encoder.buffer,
      lean.decoder.buffer,
    ]);
    const backend = { executionProvider: 'wasm' as const, threads: 2, crossOriginIsolated: true };
    worker.reply({ status: 'loaded', id: request.id, backend });
    await expect(loaded).resolves.toEqual(backend);
  });

  it('turns an error reply into a rejection with the worker’s message', async () => {
    const worker = new FakeWorker();
    const client = new InferenceClient(worker);
    const config = parseModelConfig(tinyConfigJson());
    const loading = client.load(config, { encoder: new Uint8Array(1), decoder: new Uint8Array(1) }, 'wasm');
    worker.reply({ status: 'error', id: worker.last().id, message: 'boom' });
    await expect(loading).rejects.toThrow('boom');
  });

  it('keeps at most one reconstruction waiting: newer requests replace it', async () => {
    const worker = new FakeWorker();
    const client = new InferenceClient(worker);
    const first = client.reconstruct(randomInput(0.1, 1));
    const second = client.reconstruct(randomInput(0.2, 1));
    const third = client.reconstruct(randomInput(0.3, 1));
    // Only the first went to the worker; the second was replaced by the third before it started.
    expect(worker.requests).toHaveLength(1);
    await expect(second).resolves.toBeNull();

    worker.reply({ status: 'reconstructed', id: worker.last().id, result: fakeResult(3) });
    await expect(first).resolves.toMatchObject({ visiblePatches: 3 });
    await flush();
    expect(worker.requests).toHaveLength(2);
    expect(worker.last()).toMatchObject({ type: 'reconstruct', mask: { ratio: 0.3 } });

    worker.reply({ status: 'reconstructed', id: worker.last().id, result: fakeResult(2) });
    await expect(third).resolves.toMatchObject({ visiblePatches: 2 });
  });

  it('sends an image’s pixels once: later masks of it, and a failed run’s retry, are handled', async () => {
    const worker = new FakeWorker();
    const client = new InferenceClient(worker);
    const sent = () => worker.last() as Extract<WorkerRequest, { type: 'reconstruct' }>;
    const answer = async (result: Promise<Reconstruction | null>) => {
      worker.reply({ status: 'reconstructed', id: worker.last().id, result: fakeResult(1) });
      await result;
      await flush();
    };
    await answer(client.reconstruct(randomInput(0.5, 1)));
    expect(sent().image).toBe(image);
    await answer(client.reconstruct(randomInput(0.6, 2)));
    expect(sent()).toMatchObject({ imageVersion: 1, image: null });
    const failing = client.reconstruct(randomInput(0.7, 3));
    worker.reply({ status: 'error', id: worker.last().id, message: 'out of memory' });
    await expect(failing).rejects.toThrow('out of memory');
    // After a failure the worker may not hold the picture: it goes again.
    await answer(client.reconstruct(randomInput(0.7, 3)));
    expect(sent().image).toBe(image);
    await answer(client.reconstruct({ ...randomInput(0.7, 3), imageVersion: 2 }));
    expect(sent()).toMatchObject({ imageVersion: 2, image });
  });

  it('starts the waiting reconstruction after a failed one', async () => {
    const worker = new FakeWorker();
    const client = new InferenceClient(worker);
    const failing = client.reconstruct(randomInput(0.1, 1));
    const next = client.reconstruct(randomInput(0.5, 2));
    worker.reply({ status: 'error', id: worker.last().id, message: 'No model is loaded yet.' });
    await expect(failing).rejects.toThrow('No model is loaded yet.');
    await flush();
    worker.reply({ status: 'reconstructed', id: worker.last().id, result: fakeResult(2) });
    await expect(next).resolves.not.toBeNull();
  });

  it('rejects everything in flight when the worker itself fails', async () => {
    const worker = new FakeWorker();
    const client = new InferenceClient(worker);
    const pending = client.reconstruct(randomInput(0.1, 1));
    worker.fail('SyntaxError in worker');
    await expect(pending).rejects.toThrow('The inference worker failed: SyntaxError in worker');
  });

  it('ignores replies to ids it never sent', () => {
    const worker = new FakeWorker();
    new InferenceClient(worker);
    expect(() => worker.reply({ status: 'error', id: 999, message: 'late' })).not.toThrow();
  });

  it('dispose terminates the worker and settles what waits', async () => {
    const worker = new FakeWorker();
    const client = new InferenceClient(worker);
    const running = client.reconstruct(randomInput(0.1, 1));
    const waiting = client.reconstruct(randomInput(0.2, 1));
    client.dispose();
    expect(worker.terminated).toBe(true);
    await expect(waiting).resolves.toBeNull();
    await expect(running).rejects.toThrow('stopped');
  });
});
