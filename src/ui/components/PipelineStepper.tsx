import { type KeyboardEvent, useRef } from 'react';

import { downloadCanvas, drawPanels } from '../figure';
import { STEP_IDS, STEP_TITLES, stepText } from '../steps';
import { sourceLabel, useAppStore } from '../store';
import { StepBody } from './StepBodies';

/** Arrow keys belong to sliders, selects and text fields when one of them has focus. */
function ownsArrowKeys(target: EventTarget): boolean {
  return (
    target instanceof HTMLInputElement ||
    target instanceof HTMLSelectElement ||
    target instanceof HTMLTextAreaElement
  );
}

function Stepper() {
  const step = useAppStore((s) => s.step);
  const setStep = useAppStore((s) => s.setStep);
  const config = useAppStore((s) => s.config);
  const result = useAppStore((s) => s.result);
  const maskMode = useAppStore((s) => s.resultInputs?.maskMode ?? s.maskMode);
  const id = STEP_IDS[step]!;
  const intermediates = result?.intermediates;
  const run =
    config && result && intermediates && result.numPatches === config.numPatches
      ? { config, result, intermediates }
      : null;
  const text = run ? stepText(id, run.config, run.result.visiblePatches, maskMode) : null;
  const bodyRef = useRef<HTMLDivElement>(null);
  const source = useAppStore((s) => sourceLabel(s.source));
  const showError = useAppStore((s) => s.showError);

  // The step's own pictures, as drawn (overlays in SVG are not part of them).
  const downloadStep = () => {
    const canvases = Array.from(
      bodyRef.current?.querySelectorAll<HTMLCanvasElement>('canvas[aria-label]') ?? [],
    );
    if (!run || !text || canvases.length === 0) return;
    const panels = canvases.map((picture) => ({ label: picture.getAttribute('aria-label') ?? '', picture }));
    const caption = `${STEP_TITLES[id]} · ${text.shape} · ${source} · ${run.config.name} · K = ${run.result.visiblePatches} · MAE Lens`;
    const fileName = `mae-lens_step${step + 1}_${id}.png`;
    Promise.resolve()
      .then(() => downloadCanvas(drawPanels(panels, caption), fileName))
      .catch((error: Error) => showError(error.message));
  };

  const onKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    if (ownsArrowKeys(event.target)) return;
    const move = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (move === 0) return;
    event.preventDefault();
    setStep(step + move);
  };

  return (
    <section className="stepper" aria-label="Pipeline steps" tabIndex={0} onKeyDown={onKeyDown}>
      <ol className="stepper__nav">
        {STEP_IDS.map((stepId, index) => (
          <li key={stepId}>
            <button
              type="button"
              className="stepper__tab"
              aria-current={index === step ? 'step' : undefined}
              onClick={() => setStep(index)}
            >
              <span className="stepper__number">{index + 1}</span>
              {STEP_TITLES[stepId]}
            </button>
          </li>
        ))}
      </ol>
      <div className="stepper__body">
        <div className="stepper__text">
          <h3>{STEP_TITLES[id]}</h3>
          {text && (
            <>
              <p>{text.sentence}</p>
              <p className="stepper__shape">
                <code>{text.shape}</code>
              </p>
            </>
          )}
        </div>
        {run ? (
          <div ref={bodyRef} className="stepper__figure">
            <StepBody id={id} run={run} />
            <button type="button" className="button button--small" onClick={downloadStep}>
              Download this step
            </button>
          </div>
        ) : (
          <p className="step-empty" role="status">
            {result ? 'Fetching the intermediate outputs…' : 'Waiting for the first reconstruction…'}
          </p>
        )}
      </div>
      <div className="stepper__pager">
        <button type="button" className="button" disabled={step === 0} onClick={() => setStep(step - 1)}>
          ← Previous
        </button>
        <span className="stepper__position">
          Step {step + 1} of {STEP_IDS.length} · ← / → keys move
        </span>
        <button
          type="button"
          className="button"
          disabled={step === STEP_IDS.length - 1}
          onClick={() => setStep(step + 1)}
        >
          Next →
        </button>
      </div>
    </section>
  );
}

/** The stepper behind a disclosure: closed, runs fetch no intermediates and cost nothing extra. */
export function PipelineStepper() {
  const open = useAppStore((s) => s.stepperOpen);
  const setOpen = useAppStore((s) => s.setStepperOpen);
  return (
    <section className="stepper-panel" aria-labelledby="stepper-title">
      <div className="stepper-panel__head">
        <div>
          <h2 id="stepper-title">Inside the model</h2>
          <p className="hint">Every intermediate output of this run, one step at a time.</p>
        </div>
        <button
          type="button"
          className={open ? 'button' : 'button button--primary'}
          aria-expanded={open}
          onClick={() => setOpen(!open)}
        >
          {open ? 'Close the steps' : 'Step through the pipeline'}
        </button>
      </div>
      {open && <Stepper />}
    </section>
  );
}
