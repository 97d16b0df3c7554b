/**
 * "Compare two models": a second model on the same image and mask, both reconstructions with
 * their PSNRs, and a per-patch map of where they differ. Closed by default; closing releases the
 * second model's sessions in the worker.
 */
import { useId, useMemo } from 'react';

import { gridSize } from '../../formats/config';
import { finiteRange, patchHeatmap } from '../../mae/inspect';
import { formatPsnr } from '../format';
import { useAppStore } from '../store';
import type { CompareRun } from '../store/compareSlice';
import { ModelSpecForm } from './ModelSpecForm';
import { PixelCanvas } from './PixelCanvas';

function ModelChooser() {
  const models = useAppStore((s) => s.models);
  const choose = useAppStore((s) => s.chooseCompareModel);
  const selectId = useId();
  return (
    <div className="compare__chooser">
      <label htmlFor={selectId}>Second model</label>
      <select
        id={selectId}
        defaultValue=""
        onChange={(event) => {
          if (event.target.value) void choose({ kind: 'bundled', id: event.target.value });
        }}
      >
        <option value="" disabled>
          Choose a model…
        </option>
        {models.map((m) => (
          <option key={m.id} value={m.id}>
            {m.name}
          </option>
        ))}
      </select>
      <ModelSpecForm
        className="compare__url"
        label="or from URL"
        name="compare-url"
        button="Load second model"
        buttonClassName="button button--small"
        onSpec={(spec) => void choose({ kind: 'url', spec })}
      />
    </div>
  );
}

function CompareBody({
  run,
  firstName,
  secondName,
}: {
  run: CompareRun;
  firstName: string;
  secondName: string;
}) {
  const { main, second, difference } = run;
  const size = Math.round(Math.sqrt(main.views.original.length / 4));
  const grid = Math.round(Math.sqrt(main.numPatches));
  const hidden = useMemo(
    () => difference.map((value, patch) => (main.mask[patch] ? value : Number.NaN)),
    [difference, main.mask],
  );
  const [, largest] = finiteRange(hidden);
  const heat = useMemo(() => patchHeatmap(hidden, grid, [0, largest]), [hidden, grid, largest]);
  const finite = Array.from(hidden).filter(Number.isFinite);
  const mean = finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : 0;
  const gap = main.maskedPsnr - second.maskedPsnr;
  return (
    <>
      <div className="compare__grid">
        {[
          { shown: main, name: firstName, label: "First model's reconstruction" },
          { shown: second, name: secondName, label: "Second model's reconstruction" },
        ].map(({ shown, name, label }) => (
          <figure key={label} className="compare__item">
            <PixelCanvas
              rgba={shown.views.reconstructionPlusVisible}
              width={size}
              height={size}
              label={label}
              className="compare__canvas"
            />
            <figcaption>
              <strong>{name}</strong>
              <br />
              masked-patch PSNR {formatPsnr(shown.maskedPsnr)} · encoder {shown.encoderMs.toFixed(0)} ms
            </figcaption>
          </figure>
        ))}
        <figure className="compare__item">
          <PixelCanvas
            rgba={heat}
            width={grid}
            height={grid}
            label="Per-patch difference"
            className="compare__canvas"
          />
          <figcaption>
            <strong>Where they differ</strong>
            <br />
            RMS difference per hidden patch, 0 (dark) to {largest.toFixed(1)} (bright) in 8-bit levels; mean{' '}
            {mean.toFixed(2)}. Visible patches (gray) are the same pixels in both.
          </figcaption>
        </figure>
      </div>
      <p className="baseline-verdict" role="status">
        {Number.isFinite(gap)
          ? Math.abs(gap) < 0.05
            ? `Both models score the same on the ${main.numPatches - main.visiblePatches} hidden patches (${formatPsnr(main.maskedPsnr)}).`
            : `The ${gap > 0 ? 'first' : 'second'} model is ${Math.abs(gap).toFixed(2)} dB closer to the truth on the ${main.numPatches - main.visiblePatches} hidden patches.`
          : 'No patch is hidden, so there is nothing to score.'}
      </p>
    </>
  );
}

export function ComparePanel() {
  const open = useAppStore((s) => s.compareOpen);
  const setOpen = useAppStore((s) => s.setCompareOpen);
  const status = useAppStore((s) => s.compareStatus);
  const second = useAppStore((s) => s.compareConfig);
  const first = useAppStore((s) => s.config);
  const result = useAppStore((s) => s.result);
  const run = useAppStore((s) => (s.compareRun?.main === s.result ? s.compareRun : null));
  const sameGrid = !first || !second || gridSize(first) === gridSize(second);
  return (
    <section className="stepper-panel" aria-labelledby="compare-title">
      <div className="stepper-panel__head">
        <div>
          <h2 id="compare-title">Compare two models</h2>
          <p className="hint">A second model on the same image and the same mask, side by side.</p>
        </div>
        <button type="button" className="button" aria-expanded={open} onClick={() => void setOpen(!open)}>
          {open ? 'Close compare' : 'Open compare'}
        </button>
      </div>
      {open && (
        <div className="compare">
          <ModelChooser />
          <p className="hint" role="status">
            {status === 'loading'
              ? 'Loading the second model…'
              : status === 'ready' && second
                ? `Second model ready: ${second.name}.${sameGrid ? '' : ' It does not fit the page’s model’s patch grid.'}`
                : 'Pick the model to compare with, e.g. an int8 copy or a larger checkpoint.'}
          </p>
          {run && first && second && (
            <CompareBody run={run} firstName={first.name} secondName={second.name} />
          )}
          {status === 'ready' && !run && result && sameGrid && (
            <p className="hint">Running the second model…</p>
          )}
        </div>
      )}
    </section>
  );
}
