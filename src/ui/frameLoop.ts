/**
 * The camera's frame loop: grab the newest frame, reconstruct it, show it, and only then grab the
 * next one. Frames that arrive while a reconstruction runs are dropped, never queued, so the views
 * always show the newest frame processed and a slow model lowers the frame rate instead of building
 * a backlog. Knows nothing of the DOM: the camera is a CameraFeed, the model a function.
 */
import type { Image8 } from '../mae/image';
import type { Reconstruction } from '../runtime/protocol';

/** A live camera whose frames come centre-cropped to a square. */
export interface CameraFeed {
  /**
   * The newest frame not grabbed before (waits for one if none is new), centre-cropped and scaled
   * to `size` x `size` RGBA; null once the feed is stopped.
   */
  nextFrame(size: number): Promise<Image8 | null>;
  /** Ends the camera's tracks (the browser's camera indicator goes off). Idempotent. */
  stop(): void;
  /**
   * Called once if the feed ends by itself (tab hidden, camera gone); `reason` is null when nothing
   * went wrong. Not called after stop().
   */
  onEnded(listener: (reason: string | null) => void): void;
}

/** What the loop needs from the rest of the app. */
export interface FrameLoopHooks<Frame> {
  /** The model's image size; null while no model runs (the loop then waits for the next frame). */
  frameSize(): number | null;
  /** Starts the reconstruction of one frame; null when it was superseded. */
  reconstruct(frame: Image8): { frame: Frame; result: Promise<Reconstruction | null> };
  show(frame: Frame, result: Reconstruction, framesPerSecond: number | null): void;
  fail(error: unknown): void;
}

/** Frames shown within this window make the frame rate: long enough to be steady, short enough to follow. */
const FPS_WINDOW_MS = 2000;

/** Frames per second over the shown frames' timestamps (ms, ascending); null until two are known. */
export function framesPerSecond(shownAt: readonly number[]): number | null {
  if (shownAt.length < 2) return null;
  const span = shownAt.at(-1)! - shownAt[0]!;
  return span > 0 ? ((shownAt.length - 1) * 1000) / span : null;
}

/** Runs until stop() or a failure; `now` is injectable for tests. */
export function startFrameLoop<Frame>(
  feed: CameraFeed,
  hooks: FrameLoopHooks<Frame>,
  now: () => number = () => performance.now(),
): { stop(): void; done: Promise<void> } {
  let stopped = false;
  const shownAt: number[] = [];

  async function loop(): Promise<void> {
    while (!stopped) {
      // Without a model (one is loading) a tiny grab just waits out one frame interval.
      const size = hooks.frameSize();
      const image = await feed.nextFrame(size ?? 1);
      if (stopped || image === null) return;
      if (size === null) continue;
      const { frame, result } = hooks.reconstruct(image);
      const reconstruction = await result;
      if (stopped) return;
      if (!reconstruction) continue;
      const time = now();
      shownAt.push(time);
      while (shownAt.length > 2 && time - shownAt[0]! > FPS_WINDOW_MS) shownAt.shift();
      hooks.show(frame, reconstruction, framesPerSecond(shownAt));
    }
  }

  const done = loop().catch((error: unknown) => {
    if (!stopped) hooks.fail(error);
  });
  return {
    stop() {
      stopped = true;
    },
    done,
  };
}
