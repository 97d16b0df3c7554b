import { useEffect, useRef } from 'react';

import { useAppStore } from '../store';

/** Beside the file picker: enters camera mode, or leaves it when it is on. */
export function CameraButton() {
  const status = useAppStore((s) => s.cameraStatus);
  const ready = useAppStore((s) => s.modelStatus === 'ready');
  const startCamera = useAppStore((s) => s.startCamera);
  const stopCamera = useAppStore((s) => s.stopCamera);
  const on = status !== 'off';
  return (
    <button
      type="button"
      className="button camera-button"
      aria-pressed={on}
      disabled={!ready && !on}
      onClick={() => (on ? stopCamera() : void startCamera())}
    >
      <svg className="camera-button__icon" viewBox="0 0 24 24" aria-hidden="true">
        <path d="M4 7h3l2-2.5h6L17 7h3a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1z" />
        <circle cx="12" cy="12.5" r="3.5" />
      </svg>
      Camera
    </button>
  );
}

/** Above the views while the camera is on: frame rate, the mask toggle, Freeze and Stop. */
export function CameraBar() {
  const status = useAppStore((s) => s.cameraStatus);
  const fps = useAppStore((s) => s.cameraFps);
  const newMaskEachFrame = useAppStore((s) => s.newMaskEachFrame);
  const painted = useAppStore((s) => s.maskMode === 'painted');
  const setNewMaskEachFrame = useAppStore((s) => s.setNewMaskEachFrame);
  const freezeCamera = useAppStore((s) => s.freezeCamera);
  const stopCamera = useAppStore((s) => s.stopCamera);
  const barRef = useRef<HTMLElement>(null);
  const on = status !== 'off';
  useEffect(() => {
    // The Camera button sits below the views: bring the live views into sight.
    if (on) barRef.current?.scrollIntoView?.({ block: 'start', behavior: 'smooth' });
  }, [on]);
  if (!on) return null;
  const live = status === 'live';
  return (
    <section ref={barRef} className="camera-bar" aria-label="Camera">
      <p className="camera-bar__state">
        <span
          className={live ? 'camera-bar__dot camera-bar__dot--live' : 'camera-bar__dot'}
          aria-hidden="true"
        />
        {live ? 'Live camera' : 'Starting the camera…'}
      </p>
      <dl className="camera-bar__fps">
        <dt>Frames per second</dt>
        <dd>{fps === null ? '—' : fps.toFixed(1)}</dd>
      </dl>
      <label className="camera-bar__toggle" title={painted ? 'A painted mask stays as painted' : undefined}>
        <input
          type="checkbox"
          checked={newMaskEachFrame && !painted}
          disabled={painted}
          onChange={(event) => setNewMaskEachFrame(event.target.checked)}
        />
        New mask every frame
      </label>
      <div className="camera-bar__actions">
        <button
          type="button"
          className="button button--primary"
          disabled={!live}
          onClick={() => void freezeCamera()}
        >
          Freeze
        </button>
        <button type="button" className="button" onClick={stopCamera}>
          Stop camera
        </button>
      </div>
    </section>
  );
}
