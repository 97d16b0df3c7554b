/**
 * Camera mode's state and actions. While the camera is live the frame loop (frameLoop.ts) owns the
 * views: each frame is reconstructed with the current mask settings (or a fresh seed per frame) and
 * the store's own runs wait. Leaving the mode ends the tracks and brings the image from before
 * back; "Freeze" makes the frame on show the image, so the stepper and the figure use it.
 */
import type { StateCreator } from 'zustand/vanilla';
import { gridSize } from '../mae/config';
import { toRgb, type Image8 } from '../mae/image';
import { cameraErrorMessage } from './camera';
import { startFrameLoop, type CameraFeed } from './frameLoop';
import { maskSpecOf, randomSeed, runKey, type AppServices, type AppState } from './store';

export type CameraStatus = 'off' | 'starting' | 'live';

export interface CameraSlice {
  cameraStatus: CameraStatus;
  /** True: every frame gets a mask from a fresh seed; false: one mask, the settings as they stand. */
  newMaskEachFrame: boolean;
  /** Frames shown per second over the last two seconds; null until two frames were shown. */
  cameraFps: number | null;
  startCamera(): Promise<void>;
  /** Leaves camera mode: the tracks end and the image from before is reconstructed again. */
  stopCamera(): void;
  /** Keeps the frame on show, with its mask, as the image and leaves camera mode. */
  freezeCamera(): Promise<void>;
  setNewMaskEachFrame(on: boolean): void;
}

/** A frame the loop sent to the model, with the seed of its mask. */
interface CameraFrame {
  image: Image8;
  seed: number;
}

export function createCameraSlice(
  services: Pick<AppServices, 'openCamera' | 'reconstruct'>,
): StateCreator<AppState, [], [], CameraSlice> {
  return (set, get) => {
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
      set({ cameraStatus: 'off', cameraFps: null });
      return wasLive;
    }

    function live(feed: CameraFeed): void {
      const loop = startFrameLoop<CameraFrame>(feed, {
        frameSize: () => get().config?.imageSize ?? null,
        reconstruct(image) {
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
          get().showError(`Reconstruction failed: ${error instanceof Error ? error.message : String(error)}`);
          get().rerun();
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
        if (end() && !get().imageLoading) get().rerun();
      },

      async freezeCamera() {
        const frame = shown;
        if (!end()) return;
        if (!frame) return get().rerun();
        set({ seed: frame.seed });
        await get().showImage({ kind: 'camera' }, frame.image);
      },

      setNewMaskEachFrame(on) {
        set({ newMaskEachFrame: on });
      },
    };
  };
}
