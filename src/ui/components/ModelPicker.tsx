import { useId } from 'react';
import { formatBytes, formatParameters } from '../format';
import { useAppStore, type AppState } from '../store';

/** The select's value while a model from disk runs; never a bundled model's id (those are folder names). */
const LOCAL_VALUE = '(your model)';

function statusText(state: AppState): string {
  const { modelStatus, progress, backend } = state;
  switch (modelStatus) {
    case 'none':
      return 'No model loaded.';
    case 'downloading':
      if (!progress) return 'Fetching the model…';
      return progress.total
        ? `Downloading ${formatBytes(progress.loaded)} of ${formatBytes(progress.total)}…`
        : `Downloading ${formatBytes(progress.loaded)}…`;
    case 'starting':
      return 'Starting the model…';
    case 'failed':
      return 'The model could not be loaded.';
    case 'ready':
      if (!backend) return 'Ready.';
      return backend.executionProvider === 'webgpu'
        ? 'Ready · running on WebGPU'
        : `Ready · running on WebAssembly, ${backend.threads} thread${backend.threads === 1 ? '' : 's'}`;
  }
}

export function ModelPicker() {
  const id = useId();
  const models = useAppStore((s) => s.models);
  const model = useAppStore((s) => s.model);
  const localName = useAppStore((s) => (s.model?.kind === 'local' ? (s.config?.name ?? s.model.name) : null));
  const progress = useAppStore((s) => s.progress);
  const modelStatus = useAppStore((s) => s.modelStatus);
  const loading = modelStatus === 'downloading' || modelStatus === 'starting';
  const status = useAppStore(statusText);
  const selectModel = useAppStore((s) => s.selectModel);
  const loadLocalModel = useAppStore((s) => s.loadLocalModel);
  const value = model?.kind === 'bundled' ? model.id : model?.kind === 'local' ? LOCAL_VALUE : '';
  const entry = model?.kind === 'bundled' ? models.find((m) => m.id === model.id) : undefined;
  return (
    <div className="model-picker">
      <label htmlFor={id} className="visually-hidden">
        Model
      </label>
      <select id={id} value={value} onChange={(event) => void selectModel(event.target.value)}>
        {value === '' && <option value="">No model</option>}
        {models.map((m) => (
          <option key={m.id} value={m.id}>
            {m.name} · {formatBytes(m.bytes)}
          </option>
        ))}
        {localName !== null && (
          <option value={LOCAL_VALUE} disabled>
            {localName} (from your disk)
          </option>
        )}
      </select>
      {entry && (
        <p className="model-picker__meta">
          {formatBytes(entry.bytes)}
          {entry.parameters !== null && ` · ${formatParameters(entry.parameters)}`} · {entry.imageSize} px
          input, {entry.patchSize} px patches
        </p>
      )}
      <p className="model-picker__status" aria-live="polite">
        <span className={`status-dot status-dot--${modelStatus}`} aria-hidden="true" />
        {status}
      </p>
      {loading && (
        <progress
          className="model-picker__progress"
          aria-label="Model download"
          value={progress?.total ? progress.loaded : undefined}
          max={progress?.total ?? undefined}
        />
      )}
      <div className="model-picker__own">
        <label className="button">
          <input
            type="file"
            multiple
            accept=".json,.onnx,application/json"
            className="visually-hidden"
            onChange={(event) => {
              const files = Array.from(event.target.files ?? []);
              event.target.value = '';
              if (files.length > 0) void loadLocalModel(files);
            }}
          />
          Load your own…
        </label>
        <p className="hint">Pick a config.json with its encoder and decoder .onnx files.</p>
      </div>
    </div>
  );
}
