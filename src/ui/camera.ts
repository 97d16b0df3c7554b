/**
 * The browser's camera as a CameraFeed: getUserMedia into a video element that is never in the
 * page, a frame counter driven by requestVideoFrameCallback, and a canvas that centre-crops each
 * grabbed frame to the model's square. Frames stay in this tab: nothing here sends them anywhere.
 * The feed ends itself when the tab is hidden (visibilitychange) or the camera goes away.
 */
import type { Image8 } from '../mae/image';
import type { CameraFeed } from './frameLoop';

/** A clear message for each way getUserMedia fails (DOMException names from the Media Capture spec). */
export function cameraErrorMessage(error: unknown): string {
  const name = error instanceof Error || error instanceof DOMException ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Camera access was denied. Allow the camera for this page in the browser (the icon in the address bar), then press Camera again.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found on this device. Connect one and press Camera again, or pick an image.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The camera is in use by another application (or the system could not start it). Close that application and press Camera again.';
    case 'NoMediaDevices':
      return 'This browser offers no camera here: the camera needs a secure page (https or localhost).';
    default:
      return `The camera could not start: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Asks for the camera (the browser may prompt); rejects with the DOMException getUserMedia gives. */
export async function openBrowserCamera(): Promise<CameraFeed> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw Object.assign(new Error('navigator.mediaDevices is missing'), { name: 'NoMediaDevices' });
  }
  const stream = await navigator.mediaDevices.getUserMedia({
    // A modest size: every frame is scaled down to the model's (224 px for the bundled one) anyway.
    video: { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } },
    audio: false,
  });
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  try {
    await video.play();
  } catch (error) {
    for (const track of stream.getTracks()) track.stop();
    throw error;
  }
  return new VideoFeed(stream, video);
}

class VideoFeed implements CameraFeed {
  private stopped = false;
  /** Frames the video presented, and the count when the last one was grabbed. */
  private presented = 0;
  private grabbed = 0;
  private wake: (() => void) | null = null;
  private endedListener: ((reason: string | null) => void) | null = null;
  private readonly canvas = document.createElement('canvas');
  private readonly onVisibilityChange = () => {
    if (document.visibilityState === 'hidden') this.end(null);
  };
  private readonly onTrackEnded = () =>
    this.end('The camera stopped: it was disconnected or another application took it.');

  constructor(
    private readonly stream: MediaStream,
    private readonly video: HTMLVideoElement,
  ) {
    const onFrame = () => {
      this.presented++;
      this.wake?.();
      if (!this.stopped) video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    document.addEventListener('visibilitychange', this.onVisibilityChange);
    for (const track of stream.getVideoTracks()) track.addEventListener('ended', this.onTrackEnded);
  }

  onEnded(listener: (reason: string | null) => void): void {
    this.endedListener = listener;
  }

  async nextFrame(size: number): Promise<Image8 | null> {
    while (!this.stopped && this.presented === this.grabbed) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    this.wake = null;
    if (this.stopped) return null;
    this.grabbed = this.presented;
    return this.crop(size);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    document.removeEventListener('visibilitychange', this.onVisibilityChange);
    for (const track of this.stream.getTracks()) {
      track.removeEventListener('ended', this.onTrackEnded);
      track.stop();
    }
    this.video.srcObject = null;
    this.wake?.();
  }

  private end(reason: string | null): void {
    if (this.stopped) return;
    this.stop();
    this.endedListener?.(reason);
  }

  /** The centre square of the frame, scaled to size (the browser's resampling: fast enough per frame). */
  private crop(size: number): Image8 {
    const { videoWidth: width, videoHeight: height } = this.video;
    const side = Math.min(width, height);
    if (this.canvas.width !== size) {
      this.canvas.width = size;
      this.canvas.height = size;
    }
    const context = this.canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('This browser gives no 2D canvas to read camera frames with.');
    context.imageSmoothingQuality = 'high';
    context.drawImage(this.video, (width - side) / 2, (height - side) / 2, side, side, 0, 0, size, size);
    return { width: size, height: size, data: context.getImageData(0, 0, size, size).data };
  }
}
