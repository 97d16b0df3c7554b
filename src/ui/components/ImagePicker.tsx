import { sampleById, SAMPLES, sampleUrl } from '../samples';
import { useAppStore } from '../store';
import { CameraButton } from './CameraControls';

export function FileButton() {
  const openImage = useAppStore((s) => s.openImage);
  return (
    <label className="button button--primary file-button">
      <input
        type="file"
        accept="image/*"
        className="visually-hidden"
        onChange={(event) => {
          const file = event.target.files?.[0];
          // Clearing the value lets the same file be picked again later.
          event.target.value = '';
          if (file) void openImage(file, { kind: 'file', name: file.name });
        }}
      />
      Choose an image…
    </label>
  );
}

export function ImagePicker() {
  const source = useAppStore((s) => s.source);
  const cameraOn = useAppStore((s) => s.cameraStatus !== 'off');
  const selectSample = useAppStore((s) => s.selectSample);
  const selected = source?.kind === 'sample' && !cameraOn ? sampleById(source.sampleId) : undefined;
  return (
    <div className="image-picker">
      <div className="gallery" role="group" aria-label="Sample images">
        {SAMPLES.map((sample) => (
          <button
            key={sample.id}
            type="button"
            className="gallery__item"
            aria-pressed={selected?.id === sample.id}
            title={sample.title}
            onClick={() => void selectSample(sample.id)}
          >
            <img src={sampleUrl(sample)} alt={sample.title} width={72} height={72} decoding="async" />
          </button>
        ))}
      </div>
      <div className="image-picker__own">
        <FileButton />
        <CameraButton />
        <p className="hint">or drop an image anywhere, or paste one (Ctrl/⌘ V)</p>
      </div>
      <p className="image-picker__credit">
        {cameraOn ? (
          <>Camera frames stay on this device: nothing is uploaded.</>
        ) : selected ? (
          <>
            <strong>{selected.title}</strong> · {selected.credit} · Licence: {selected.licence} ·{' '}
            <a href="#credits">all credits</a>
          </>
        ) : source ? (
          <>Your image stays on this device: nothing is uploaded.</>
        ) : null}
      </p>
    </div>
  );
}
