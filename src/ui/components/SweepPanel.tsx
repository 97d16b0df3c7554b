/**
 * "Mask-ratio sweep": the MAE paper's ratio figure for the image on show. Closed by default; open,
 * it shows the reconstructions at a few editable ratios and the PSNR of the model and of
 * interpolation at every 5 %, each downloadable as PNG.
 */
import { useRef } from 'react';

import { downloadCanvas, drawPanels, stackedCanvas, svgToCanvas } from '../figure';
import { formatPsnr, slug } from '../format';
import { sourceLabel, useAppStore } from '../store';
import { MAX_SWEEP_PERCENT, type SweepResult } from '../store/sweepSlice';
import { PixelCanvas } from './PixelCanvas';
import { Plot } from './Plot';

export const MODEL_COLOR = '#4f46e5';
export const BASELINE_COLOR = '#c2410c';

function PercentInputs() {
  const percents = useAppStore((s) => s.sweepPercents);
  const setPercent = useAppStore((s) => s.setSweepPercent);
  return (
    <fieldset className="sweep__ratios">
      <legend>Ratios in the row (%)</legend>
      {percents.map((percent, index) => (
        <input
          key={index}
          type="number"
          min={1}
          max={MAX_SWEEP_PERCENT}
          step={1}
          aria-label={`Sweep ratio ${index + 1} (%)`}
          // Uncontrolled while typing, committed on blur or Enter: each commit reruns the sweep.
          defaultValue={percent}
          onBlur={(event) => setPercent(index, Number(event.target.value))}
          onKeyDown={(event) => {
            if (event.key === 'Enter') setPercent(index, Number(event.currentTarget.value));
          }}
        />
      ))}
    </fieldset>
  );
}

function curveInWords(sweep: SweepResult): string {
  return sweep.curve
    .map((p) => `${p.percent}%: model ${formatPsnr(p.model)}, interpolation ${formatPsnr(p.baseline)}`)
    .join('; ');
}

/** Which one is above on this image, from the numbers on show. */
function curveVerdict(sweep: SweepResult): string {
  const scored = sweep.curve.filter((p) => Number.isFinite(p.model) && Number.isFinite(p.baseline));
  const wins = scored.filter((p) => p.model > p.baseline);
  const best = scored.reduce<{ percent: number; gap: number } | null>((top, p) => {
    const gap = p.model - p.baseline;
    return top === null || gap > top.gap ? { percent: p.percent, gap } : top;
  }, null);
  const where =
    best === null
      ? ''
      : best.gap > 0
        ? ` Its largest lead is ${best.gap.toFixed(1)} dB at ${best.percent}%.`
        : ` It comes closest at ${best.percent}% (${(-best.gap).toFixed(1)} dB behind).`;
  return `Both are scored the same way, PSNR over the hidden patches only. On this image the model is above interpolation at ${wins.length} of ${scored.length} ratios.${where} At low ratios only a few patches are scored, so those points are noisy; at high ratios every hidden patch is far from anything seen.`;
}

function SweepBody({ sweep }: { sweep: SweepResult }) {
  const plotRef = useRef<SVGSVGElement>(null);
  const source = useAppStore((s) => sourceLabel(s.source));
  const showError = useAppStore((s) => s.showError);
  const caption = `${source} · ${sweep.modelName} · random masks from one noise array (seed ${sweep.seed}): each ratio's visible patches are a subset of the lower one's · MAE Lens`;
  const baseName = `mae-lens_${slug(source)}_sweep_seed${sweep.seed}`;
  const downloadRow = () => {
    const panels = sweep.pictures.map((p) => ({
      label: `${p.percent}% · ${formatPsnr(p.psnr)}`,
      picture: stackedCanvas([p.masked, p.reconstruction]),
    }));
    Promise.resolve()
      .then(() => downloadCanvas(drawPanels(panels, caption), `${baseName}.png`))
      .catch((error: Error) => showError(error.message));
  };
  const downloadPlot = () => {
    const svg = plotRef.current;
    if (!svg) return;
    svgToCanvas(svg)
      .then((canvas) => downloadCanvas(canvas, `${baseName}_psnr.png`))
      .catch((error: Error) => showError(`The plot could not be drawn as PNG: ${error.message}`));
  };
  const model = sweep.curve.map((p) => ({
    x: p.percent,
    y: p.model,
    note: `${p.percent}% (K = ${p.visiblePatches}): model ${formatPsnr(p.model)}`,
  }));
  const baseline = sweep.curve.map((p) => ({
    x: p.percent,
    y: p.baseline,
    note: `${p.percent}%: interpolation ${formatPsnr(p.baseline)}`,
  }));
  const ys = sweep.curve.flatMap((p) => [p.model, p.baseline]).filter(Number.isFinite);
  const low = Math.max(0, Math.floor(Math.min(...ys) / 2) * 2 - 2);
  const high = Math.ceil(Math.max(...ys) / 2) * 2 + 1;
  return (
    <>
      <div className="sweep__row" role="group" aria-label="Sweep reconstructions">
        {sweep.pictures.map((p) => (
          <figure key={p.percent} className="sweep__item">
            {[
              { rgba: p.masked, label: `Masked at ${p.percent}%` },
              { rgba: p.reconstruction, label: `Reconstruction at ${p.percent}%` },
            ].map(({ rgba, label }) => (
              <PixelCanvas
                key={label}
                rgba={rgba}
                width={Math.round(Math.sqrt(rgba.length / 4))}
                height={Math.round(Math.sqrt(rgba.length / 4))}
                label={label}
                className="sweep__canvas"
              />
            ))}
            <figcaption>
              <strong>{p.percent}%</strong> · K = {p.visiblePatches}
              <br />
              model {formatPsnr(p.psnr)} · interpolation {formatPsnr(p.baselinePsnr)}
            </figcaption>
          </figure>
        ))}
      </div>
      <div className="sweep__plot">
        <Plot
          ref={plotRef}
          width={520}
          height={300}
          title="Masked-patch PSNR against mask ratio"
          subtitle={`${sweep.modelName} · one noise array, seed ${sweep.seed}`}
          label={`Masked-patch PSNR in dB against mask ratio, every 5 %, for the model and for interpolation: ${curveInWords(sweep)}.`}
          xLabel="Mask ratio (%)"
          yLabel="PSNR (dB)"
          xDomain={[0, 100]}
          xTicks={[10, 20, 30, 40, 50, 60, 70, 80, 90].map((v) => ({ value: v, label: `${v}` }))}
          yDomain={[low, high]}
          series={[
            { label: 'model', color: MODEL_COLOR, line: true, points: model },
            { label: 'interpolation', color: BASELINE_COLOR, line: true, dashed: true, points: baseline },
          ]}
        />
        <p className="hint">{curveVerdict(sweep)}</p>
      </div>
      <div className="sweep__actions">
        <button type="button" className="button button--small" onClick={downloadRow}>
          Download figure
        </button>
        <button type="button" className="button button--small" onClick={downloadPlot}>
          Download plot
        </button>
      </div>
    </>
  );
}

export function SweepPanel() {
  const open = useAppStore((s) => s.sweepOpen);
  const setOpen = useAppStore((s) => s.setSweepOpen);
  const sweep = useAppStore((s) => s.sweep);
  const progress = useAppStore((s) => s.sweepProgress);
  const maskMode = useAppStore((s) => s.maskMode);
  return (
    <section className="stepper-panel" aria-labelledby="sweep-title">
      <div className="stepper-panel__head">
        <div>
          <h2 id="sweep-title">Mask-ratio sweep</h2>
          <p className="hint">The same image with more and more hidden, as in the MAE paper’s figure.</p>
        </div>
        <button type="button" className="button" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? 'Close the sweep' : 'Open the sweep'}
        </button>
      </div>
      {open && (
        <div className="sweep">
          <PercentInputs />
          {maskMode !== 'random' && (
            <p className="hint">The sweep always uses random masks (MAE’s own), with the page’s seed.</p>
          )}
          {progress && (
            <p role="status" className="hint">
              Running the model at {progress.total} ratios: {progress.done} done…
            </p>
          )}
          {sweep && <SweepBody sweep={sweep} />}
        </div>
      )}
    </section>
  );
}
