/**
 * Camera mode. While the camera is live the frame loop (../frameLoop.ts) owns the views: each frame
 * is reconstructed with the current mask settings (or a fresh seed per frame) and the store's own
 * runs wait. Every frame is a new picture for the worker, so it takes the next imageVersion.
 * Leaving the mode ends the tracks and brings the image from before back; "Freeze" makes the frame
 * on show the image, so the stepper and the figure use it.
 */
import { gridSize } from '../../mae/config';
import { type Image8, toRgb } from '../../mae/image';
import { errorText } from '../../shared/errorText';
import { cameraErrorMessage } from '../camera';
import { type CameraFeed, startFrameLoop } from '../frameLoop';
import { randomSeed } from './inputSlice';
import { maskSpecOf, runKey } from './selectors';
import type { CameraSlice, SliceCreator } from './types';

/** A frame the loop sent to the model, with the seed of its mask. */
interface CameraFrame {
  image: Image8;
  seed: number;
}

export const createCameraSlice: SliceCreator<CameraSlice> = (services) => (set, get) => {
  // Bumped whenever the mode ends, so that a camera that opens late is closed at once.
  let session = 0;
  let active: { feed: CameraFeed; stopLoop(): void } | null = null;
  let shown: CameraFrame | null = null;

  /** Ends the loop and the tracks; true when the camera was live. */
  function end(): boolean {
    const wasLive = get().cameraStatus === 'live';
    session++;
    active?.stopLoop();
    active?.feed.stop();
    active = null;
    // The worker holds a camera frame under the current version: the image from before needs a new one.
    set((state) => ({
      cameraStatus: 'off',
      cameraFps: null,
      imageVersion: wasLive ? state.imageVersion + 1 : state.imageVersion,
    }));
    return wasLive;
  }

  function live(feed: CameraFeed): void {
    const loop = startFrameLoop<CameraFrame>(feed, {
      frameSize: () => get().config?.imageSize ?? null,
      reconstruct(image) {
        set((state) => ({ imageVersion: state.imageVersion + 1 }));
        const state = get();
        const perFrame = state.newMaskEachFrame && state.maskMode !== 'painted';
        const frame = { image, seed: perFrame ? randomSeed() : state.seed };
        const key = runKey(state);
        const inputs = {
          modelName: state.config?.name ?? '',
          maskMode: state.maskMode,
          maskPercent: state.maskPercent,
          seed: frame.seed,
          sourceLabel: 'Camera frame',
        };
        const result = services
          .reconstruct({
            image: toRgb(image),
            imageVersion: state.imageVersion,
            mask: maskSpecOf({ ...state, seed: frame.seed }, gridSize(state.config!)),
            intermediates: state.stepperOpen,
            normPixStatistics: state.normPixStatistics,
          })
          .then((reconstruction) => {
            if (reconstruction) set({ settledKey: key, resultInputs: inputs });
            return reconstruction;
          });
        return { frame, result };
      },
      show(frame, result, cameraFps) {
        shown = frame;
        set({ result, cameraFps });
      },
      fail(error) {
        end();
        get().showError(`Reconstruction failed: ${errorText(error)}`);
        get().run();
      },
    });
    active = { feed, stopLoop: loop.stop };
  }

  return {
    cameraStatus: 'off',
    newMaskEachFrame: false,
    cameraFps: null,

    async startCamera() {
      if (get().cameraStatus !== 'off') return;
      const started = ++session;
      set({ cameraStatus: 'starting', cameraFps: null, error: null });
      let feed: CameraFeed;
      try {
        feed = await services.openCamera();
      } catch (error) {
        if (started === session) set({ cameraStatus: 'off', error: cameraErrorMessage(error) });
        return;
      }
      if (started !== session) {
        feed.stop();
        return;
      }
      feed.onEnded((reason) => {
        if (started !== session) return;
        get().stopCamera();
        if (reason !== null) get().showError(reason);
      });
      shown = null;
      set({ cameraStatus: 'live' });
      live(feed);
    },

    stopCamera() {
      if (get().cameraStatus === 'off') return;
      // A newly picked image is already on its way: no need to reconstruct the old one.
      if (end() && !get().imageLoading) get().run();
    },

    async freezeCamera() {
      const frame = shown;
      if (!end()) return;
      if (!frame) return get().run();
      set({ seed: frame.seed });
      await get().showImage({ kind: 'camera' }, frame.image);
    },

    setNewMaskEachFrame(on) {
      set({ newMaskEachFrame: on });
    },
  };
};
