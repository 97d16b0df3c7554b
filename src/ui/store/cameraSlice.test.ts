import { beforeEach, describe, expect, it } from 'vitest';

import { fakeReconstruction, singleModelServices } from '../../../tests/helpers/appServices';
import { tinyConfigJson } from '../../../tests/helpers/fixture';
import { type ModelConfig, parseModelConfig } from '../../mae/config';
import type { Image8 } from '../../mae/image';
import type { ReconstructInput } from '../../runtime/inferenceClient';
import type { CameraFeed } from '../frameLoop';
import { type AppServices, type AppStore, createAppStore } from './index';

const config: ModelConfig = parseModelConfig(tinyConfigJson());
const size = config.imageSize;

/** A camera whose frame n (from 1) is opaque with every colour byte n, one per tick of the event loop. */
class FakeCamera implements CameraFeed {
  grabs = 0;
  stopped = false;
  private ended: ((reason: string | null) => void) | null = null;
  async nextFrame(side: number): Promise<Image8 | null> {
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (this.stopped) return null;
    this.grabs++;
    const data = new Uint8ClampedArray(side * side * 4).fill(this.grabs);
    for (let alpha = 3; alpha < data.length; alpha += 4) data[alpha] = 255;
    return { width: side, height: side, data };
  }
  stop(): void {
    this.stopped = true;
  }
  onEnded(listener: (reason: string | null) => void): void {
    this.ended = listener;
  }
  /** What the browser feed does when the tab is hidden (null) or the camera goes away. */
  end(reason: string | null): void {
    this.stop();
    this.ended?.(reason);
  }
}

/** A sample of all 200s; reconstructions finish on the next tick, like a fast worker. */
function setup(openCamera: AppServices['openCamera']) {
  const inputs: ReconstructInput[] = [];
  const services: AppServices = {
    ...singleModelServices(config),
    openCamera,
    reconstruct: async (input) => {
      inputs.push(input);
      await new Promise((resolve) => setTimeout(resolve, 0));
      // The original view carries the input's first byte, so a test can tell which image ran.
      return fakeReconstruction(config, input.mask, input.image.data[0]);
    },
    loadSample: async () => ({ width: size, height: size, data: new Uint8Array(size * size * 3).fill(200) }),
    decodeImage: async () => ({ width: size, height: size, data: new Uint8Array(size * size * 3).fill(100) }),
  };
  return { store: createAppStore(services), inputs };
}

async function until(condition: () => boolean): Promise<void> {
  for (let tick = 0; tick < 1000 && !condition(); tick++) await new Promise((r) => setTimeout(r, 0));
  expect(condition()).toBe(true);
}

const shownByte = (store: AppStore) => store.getState().result?.views.original[0];

/** Camera frame `n` or a later one is on show (frames are numbered from 1; the sample is all 200s). */
function cameraFrameShown(store: AppStore, n: number): boolean {
  const byte = shownByte(store);
  return byte !== undefined && byte !== 200 && byte >= n;
}

describe('camera mode', () => {
  let camera: FakeCamera;
  let store: AppStore;
  let inputs: ReconstructInput[];

  beforeEach(async () => {
    camera = new FakeCamera();
    ({ store, inputs } = setup(async () => camera));
    await store.getState().start({});
    await until(() => shownByte(store) === 200);
  });

  it('reconstructs camera frames at the model size while live; leaving brings the image back', async () => {
    await store.getState().startCamera();
    expect(store.getState().cameraStatus).toBe('live');
    await until(() => cameraFrameShown(store, 3) && store.getState().cameraFps !== null);
    const frames = inputs.filter((input) => input.image.data[0] !== 200);
    expect(frames[0]!.image.width).toBe(size);
    expect(frames[0]!.image.data).toHaveLength(size * size * 3);
    // One reconstruction per grabbed frame: none queued behind another.
    expect(camera.grabs - frames.length).toBeLessThanOrEqual(1);
    expect(store.getState().resultInputs?.sourceLabel).toBe('Camera frame');

    // A mask change while live is picked up by the next frame, not run on the old image.
    const before = inputs.length;
    store.getState().setMaskPercent(50);
    await until(() => inputs.length > before + 1);
    expect(inputs.slice(before).every((input) => input.image.data[0] !== 200)).toBe(true);
    expect(inputs.at(-1)!.mask).toMatchObject({ ratio: 0.5 });

    // Each frame is a new picture for the worker (it keeps one prepared under its version).
    const frameVersions = inputs.slice(1).map((input) => input.imageVersion);
    expect(new Set(frameVersions).size).toBe(frameVersions.length);

    store.getState().stopCamera();
    expect(camera.stopped).toBe(true);
    expect(store.getState().cameraStatus).toBe('off');
    await until(() => shownByte(store) === 200);
    // The image from before comes back under a version no frame had, so its pixels are sent again.
    expect(frameVersions).not.toContain(inputs.at(-1)!.imageVersion);
    expect(store.getState().cameraFps).toBeNull();
  });

  it('a new mask every frame draws a new seed per frame; Freeze keeps the frame on show and its mask', async () => {
    store.getState().setNewMaskEachFrame(true);
    await store.getState().startCamera();
    await until(() => cameraFrameShown(store, 4));
    const seeds = new Set(inputs.filter((i) => i.image.data[0] !== 200).map((i) => JSON.stringify(i.mask)));
    expect(seeds.size).toBeGreaterThan(1);

    await store.getState().freezeCamera();
    const state = store.getState();
    const frozen = state.image!.data[0]!;
    expect(camera.stopped).toBe(true);
    expect(state.cameraStatus).toBe('off');
    expect(state.source).toEqual({ kind: 'camera' });
    expect(frozen).toBeGreaterThanOrEqual(4);
    // The frame frozen is the one that was on show, and the run after it uses that frame's seed.
    expect(state.resultInputs?.seed).toBe(state.seed);
    await until(() => store.getState().settledKey !== null && !store.getState().imageLoading);
    const last = inputs.at(-1)!;
    expect(last.image.data[0]).toBe(frozen);
    expect(last.mask).toMatchObject({ seed: state.seed });

    // The stepper on the frozen frame asks for the intermediates of that same image.
    store.getState().setStepperOpen(true);
    await until(() => inputs.at(-1)!.intermediates);
    expect(inputs.at(-1)!.image.data[0]).toBe(frozen);
  });

  it('stops when another image is picked or the tab is hidden', async () => {
    await store.getState().startCamera();
    await until(() => cameraFrameShown(store, 1));
    await store.getState().openImage(new Blob(), { kind: 'file', name: 'photo.png' });
    expect(camera.stopped).toBe(true);
    expect(store.getState().cameraStatus).toBe('off');
    await until(() => shownByte(store) === 100);

    const second = new FakeCamera();
    camera = second;
    await store.getState().startCamera();
    await until(() => shownByte(store) !== 100);
    second.end(null);
    expect(store.getState().cameraStatus).toBe('off');
    expect(store.getState().error).toBeNull();
    await until(() => shownByte(store) === 100);

    const third = new FakeCamera();
    camera = third;
    await store.getState().startCamera();
    third.end('The camera stopped: it was disconnected or another application took it.');
    expect(store.getState().error).toMatch(/disconnected/);
  });
});

describe('camera errors', () => {
  const cases: [string, RegExp][] = [
    ['NotAllowedError', /denied/],
    ['NotFoundError', /No camera was found/],
    ['NotReadableError', /in use by another application/],
  ];
  for (const [name, message] of cases) {
    it(`${name} gives a clear message and the page keeps working`, async () => {
      const { store } = setup(async () => {
        throw new DOMException('from getUserMedia', name);
      });
      await store.getState().start({});
      await until(() => shownByte(store) === 200);
      await store.getState().startCamera();
      expect(store.getState().cameraStatus).toBe('off');
      expect(store.getState().error).toMatch(message);
      store.getState().setMaskPercent(30);
      await until(() => store.getState().resultInputs?.maskPercent === 30);
    });
  }
});
