import { describe, expect, it } from 'vitest';

import { fakeReconstruction } from '../../tests/helpers/appServices';
import { tinyConfigJson } from '../../tests/helpers/fixture';
import { parseModelConfig } from '../mae/config';
import type { Image8 } from '../mae/image';
import type { Reconstruction } from '../runtime/protocol';
import { type CameraFeed, framesPerSecond, startFrameLoop } from './frameLoop';

/** A camera that has a newer frame at every tick of the event loop: frame n is filled with the byte n. */
function busyCamera(): CameraFeed & { grabs: number; stopped: boolean } {
  return {
    grabs: 0,
    stopped: false,
    async nextFrame(size) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (this.stopped) return null;
      this.grabs++;
      return { width: size, height: size, data: new Uint8ClampedArray(size * size * 4).fill(this.grabs) };
    },
    stop() {
      this.stopped = true;
    },
    onEnded() {},
  };
}

const config = parseModelConfig(tinyConfigJson());

/** The frame's first byte in every view, so a test can tell which frame was shown. */
function reconstructionOf(frame: Image8): Reconstruction {
  return fakeReconstruction(config, { mode: 'random', ratio: 0.75, seed: 0 }, frame.data[0]);
}

/** Reconstructions that finish only when the test says so. */
function pendingModel() {
  const runs: { frame: Image8; finish(result: Reconstruction | null): void }[] = [];
  return {
    runs,
    reconstruct(frame: Image8) {
      const result = new Promise<Reconstruction | null>((resolve) => runs.push({ frame, finish: resolve }));
      return { frame, result };
    },
  };
}

/** A few ticks of the event loop: the camera's next frame arrives within them. */
async function settle(): Promise<void> {
  for (let tick = 0; tick < 5; tick++) await new Promise((resolve) => setTimeout(resolve, 0));
}

describe('startFrameLoop', () => {
  it('grabs a frame only when the previous reconstruction came back, and shows each in order', async () => {
    const camera = busyCamera();
    const model = pendingModel();
    const shown: number[] = [];
    const loop = startFrameLoop(camera, {
      frameSize: () => 8,
      reconstruct: model.reconstruct,
      show: (frame) => shown.push(frame.data[0]!),
      fail: (error) => {
        throw error;
      },
    });
    await settle();
    // The camera had newer frames all along; none was grabbed or queued while the model worked.
    expect(camera.grabs).toBe(1);
    expect(model.runs).toHaveLength(1);
    expect(model.runs[0]!.frame.width).toBe(8);
    model.runs[0]!.finish(reconstructionOf(model.runs[0]!.frame));
    await settle();
    expect(shown).toEqual([1]);
    expect(camera.grabs).toBe(2);
    model.runs[1]!.finish(reconstructionOf(model.runs[1]!.frame));
    await settle();
    expect(shown).toEqual([1, 2]);
    loop.stop();
    model.runs[2]!.finish(reconstructionOf(model.runs[2]!.frame));
    await loop.done;
    // Stopped: the last reconstruction is not shown and nothing more is grabbed.
    expect(shown).toEqual([1, 2]);
    expect(camera.grabs).toBe(3);
  });

  it('skips a superseded reconstruction and waits for a model before reconstructing', async () => {
    const camera = busyCamera();
    const model = pendingModel();
    let size: number | null = null;
    const shown: number[] = [];
    const loop = startFrameLoop(camera, {
      frameSize: () => size,
      reconstruct: model.reconstruct,
      show: (frame) => shown.push(frame.data[0]!),
      fail: () => {},
    });
    await settle();
    expect(model.runs).toHaveLength(0);
    size = 4;
    await settle();
    expect(model.runs.length).toBeGreaterThan(0);
    const first = model.runs.length;
    model.runs[first - 1]!.finish(null);
    await settle();
    expect(shown).toEqual([]);
    expect(model.runs).toHaveLength(first + 1);
    loop.stop();
    model.runs.at(-1)!.finish(null);
    await loop.done;
  });

  it('reports a failed reconstruction and stops', async () => {
    const camera = busyCamera();
    const failures: unknown[] = [];
    const loop = startFrameLoop(camera, {
      frameSize: () => 4,
      reconstruct: (frame) => ({ frame, result: Promise.reject(new Error('session lost')) }),
      show: () => {},
      fail: (error) => failures.push(error),
    });
    await loop.done;
    expect(failures).toEqual([new Error('session lost')]);
    expect(camera.grabs).toBe(1);
  });

  it('counts frames per second over the frames shown', async () => {
    const camera = busyCamera();
    let clock = 0;
    const rates: (number | null)[] = [];
    const loop = startFrameLoop(
      camera,
      {
        frameSize: () => 4,
        reconstruct: (frame) => ({ frame, result: Promise.resolve(reconstructionOf(frame)) }),
        show: (_frame, _result, fps) => {
          rates.push(fps);
          clock += 50;
          if (rates.length === 4) loop.stop();
        },
        fail: () => {},
      },
      () => clock,
    );
    await loop.done;
    expect(rates).toEqual([null, 20, 20, 20]);
  });
});

describe('framesPerSecond', () => {
  it('is the frames between the first and last timestamp per second', () => {
    expect(framesPerSecond([])).toBeNull();
    expect(framesPerSecond([5])).toBeNull();
    expect(framesPerSecond([0, 100, 200, 300])).toBe(10);
    expect(framesPerSecond([7, 7])).toBeNull();
  });
});
