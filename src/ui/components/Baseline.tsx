/**
 * The classical baseline in the page: a switch, the fifth view "Interpolation" and one sentence
 * that says which wins on the image on show. The numbers come from baselineSlice.
 */
import { useId } from 'react';

import { formatPsnr } from '../format';
import { useAppStore } from '../store';

export const BASELINE_LABEL = 'Interpolation';

export function BaselineToggle() {
  const on = useAppStore((s) => s.baselineOn);
  const setOn = useAppStore((s) => s.setBaselineOn);
  const id = useId();
  return (
    <label className="toggle" htmlFor={id}>
      <input id={id} type="checkbox" checked={on} onChange={(event) => setOn(event.target.checked)} />
      Compare with interpolation
    </label>
  );
}

/** "On this image the model wins by 2.1 dB …", or why there is no verdict yet. */
export function BaselineVerdict() {
  const on = useAppStore((s) => s.baselineOn);
  const result = useAppStore((s) => s.result);
  const baseline = useAppStore((s) => (s.baseline?.result === s.result ? s.baseline : null));
  if (!on || !result) return null;
  const hidden = result.numPatches - result.visiblePatches;
  let text: string;
  if (!baseline) text = 'Filling the hidden patches by interpolation…';
  else if (!Number.isFinite(result.maskedPsnr) || !Number.isFinite(baseline.psnr))
    text = 'No patch is hidden, so there is nothing to compare.';
  else {
    const model = result.maskedPsnr;
    const difference = model - baseline.psnr;
    const scores = `model ${formatPsnr(model)}, interpolation ${formatPsnr(baseline.psnr)} over the ${hidden} hidden patches`;
    text =
      Math.abs(difference) < 0.05
        ? `On this image the model and interpolation tie (${scores}).`
        : difference > 0
          ? `On this image the model wins by ${difference.toFixed(1)} dB (${scores}).`
          : `On this image interpolation wins by ${(-difference).toFixed(1)} dB (${scores}): PSNR rewards a smooth, blurred guess, and smooth regions are easy to blur back.`;
  }
  return (
    <p className="baseline-verdict" role="status">
      {text}
    </p>
  );
}
