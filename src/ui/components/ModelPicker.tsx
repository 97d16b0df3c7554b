import { useId } from 'react';

import { formatBytes, formatParameters } from '../format';
import { type AppState, useAppStore } from '../store';

/** The select's values while a model from disk or a URL runs; never a bundled model's id (those are folder names). */
const LOCAL_VALUE = '(your model)';
const URL_VALUE = '(model from URL)';

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

function UrlForm() {
  const id = useId();
  const loadModelFromUrl = useAppStore((s) => s.loadModelFromUrl);
  return (
    <form
      className="model-picker__url"
      onSubmit={(event) => {
        event.preventDefault();
        const spec = String(new FormData(event.currentTarget).get('model-url') ?? '').trim();
        if (spec) void loadModelFromUrl(spec);
      }}
    >
      <label htmlFor={id}>Load from URL</label>
      {/* type="text": hf:OWNER/REPO is not a URL the browser's own check accepts. */}
      <input
        id={id}
        name="model-url"
        type="text"
        inputMode="url"
        spellCheck={false}
        placeholder="https://…/config.json or hf:OWNER/REPO"
      />
      <button type="submit" className="button">
        Load
      </button>
    </form>
  );
}

/** Threads need cross-origin isolation, which only the host's headers (or coi-sw.js) give. */
function IsolationNotice() {
  const backend = useAppStore((s) => s.backend);
  if (!backend || backend.crossOriginIsolated) return null;
  return (
    <p className="hint model-picker__isolation">
      Not cross-origin isolated: {backend.threads} thread{backend.threads === 1 ? '' : 's'}. The host does not
      send the COOP/COEP headers that multithreading needs.
    </p>
  );
}

export function ModelPicker() {
  const id = useId();
  const models = useAppStore((s) => s.models);
  const model = useAppStore((s) => s.model);
  const localName = useAppStore((s) => (s.model?.kind === 'local' ? (s.config?.name ?? s.model.name) : null));
  const urlName = useAppStore((s) => (s.model?.kind === 'url' ? (s.config?.name ?? s.model.spec) : null));
  const progress = useAppStore((s) => s.progress);
  const modelStatus = useAppStore((s) => s.modelStatus);
  const loading = modelStatus === 'downloading' || modelStatus === 'starting';
  const status = useAppStore(statusText);
  const selectModel = useAppStore((s) => s.selectModel);
  const loadLocalModel = useAppStore((s) => s.loadLocalModel);
  const value =
    model?.kind === 'bundled' ? model.id : model?.kind === 'local' ? LOCAL_VALUE : model ? URL_VALUE : '';
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
        {urlName !== null && (
          <option value={URL_VALUE} disabled>
            {urlName} (from URL)
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
      <IsolationNotice />
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
      <UrlForm />
    </div>
  );
}
