import { useId } from 'react';

import { formatBytes, formatEvaluation, formatParameters } from '../format';
import { type AppState, useAppStore } from '../store';
import { ModelSpecForm } from './ModelSpecForm';

/** The select's values while a model from disk or a URL runs; never a bundled model's id (those are folder names). */
const LOCAL_VALUE = '(your model)';
const URL_VALUE = '(model from URL)';

/**
 * Meta's ViT-MAE on the Hugging Face Hub, loaded by the TypeScript loader; the value is the spec
 * (never a folder name). Sizes are the fp32 weights of pytorch_model.bin.
 */
export const HUB_MODELS = [
  { spec: 'hf:facebook/vit-mae-base', label: 'Meta ViT-MAE base (Hugging Face, 448 MB)' },
  { spec: 'hf:facebook/vit-mae-large', label: 'Meta ViT-MAE large (Hugging Face, 1.3 GB)' },
];

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
  const loadModelFromUrl = useAppStore((s) => s.loadModelFromUrl);
  return (
    <ModelSpecForm
      className="model-picker__url"
      label="Load from URL"
      name="model-url"
      button="Load"
      buttonClassName="button"
      onSpec={(spec) => void loadModelFromUrl(spec)}
    />
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

/** int8 Linear weights for checkpoints, quantised in the worker as scripts/quantize_onnx.py does. */
function Int8Option() {
  const int8Weights = useAppStore((s) => s.int8Weights);
  const setInt8Weights = useAppStore((s) => s.setInt8Weights);
  return (
    <div className="model-picker__int8">
      <label>
        <input
          type="checkbox"
          checked={int8Weights}
          onChange={(event) => setInt8Weights(event.target.checked)}
        />{' '}
        int8 weights (faster on CPU)
      </label>
      <p className="hint">
        For Hugging Face and Meta checkpoints, from their next load: about 3x faster in WebAssembly at base
        size, within 5 % of fp32.
      </p>
    </div>
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
  const loadModelFromUrl = useAppStore((s) => s.loadModelFromUrl);
  const loadLocalModel = useAppStore((s) => s.loadLocalModel);
  const modelNotice = useAppStore((s) => s.modelNotice);
  const hubEntry = model?.kind === 'url' ? HUB_MODELS.find((m) => m.spec === model.spec) : undefined;
  const value =
    model?.kind === 'bundled'
      ? model.id
      : model?.kind === 'local'
        ? LOCAL_VALUE
        : hubEntry
          ? hubEntry.spec
          : model
            ? URL_VALUE
            : '';
  const entry = model?.kind === 'bundled' ? models.find((m) => m.id === model.id) : undefined;
  return (
    <div className="model-picker">
      <label htmlFor={id} className="visually-hidden">
        Model
      </label>
      <select
        id={id}
        value={value}
        onChange={(event) => {
          const choice = event.target.value;
          void (HUB_MODELS.some((m) => m.spec === choice) ? loadModelFromUrl(choice) : selectModel(choice));
        }}
      >
        {value === '' && <option value="">No model</option>}
        {models.map((m) => (
          <option key={m.id} value={m.id}>
            {m.name} · {formatBytes(m.bytes)}
          </option>
        ))}
        {HUB_MODELS.map((m) => (
          <option key={m.spec} value={m.spec}>
            {m.label}
          </option>
        ))}
        {localName !== null && (
          <option value={LOCAL_VALUE} disabled>
            {localName} (from your disk)
          </option>
        )}
        {urlName !== null && !hubEntry && (
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
      {entry?.evaluation && <p className="model-picker__meta">{formatEvaluation(entry.evaluation)}</p>}
      <p className="model-picker__status" aria-live="polite">
        <span className={`status-dot status-dot--${modelStatus}`} aria-hidden="true" />
        {status}
      </p>
      <IsolationNotice />
      {modelNotice && <p className="hint model-picker__notice">{modelNotice}</p>}
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
            accept=".json,.onnx,.pth,.bin,.safetensors,application/json"
            className="visually-hidden"
            onChange={(event) => {
              const files = Array.from(event.target.files ?? []);
              event.target.value = '';
              if (files.length > 0) void loadLocalModel(files);
            }}
          />
          Load your own…
        </label>
        <p className="hint">
          Pick a Meta .pth, a Hugging Face .safetensors or .bin with its config.json, or an export’s
          config.json with its encoder and decoder .onnx files.
        </p>
      </div>
      <Int8Option />
      <UrlForm />
    </div>
  );
}
