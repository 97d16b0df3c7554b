import { type CSSProperties, useId, useState } from 'react';

import { MASK_MODES, type MaskMode } from '../../mae/maskModes';
import { removedPercent } from '../format';
import { useAppStore, visibleOfTotal } from '../store';
import { MAX_MASK_PERCENT, MAX_SEED } from '../urlState';

/** "49 of 196 patches visible". */
export function visibleCountText(visible: number, total: number): string {
  return `${visible} of ${total} patches visible`;
}

export const MASK_MODE_LABELS: Record<MaskMode, { label: string; hint: string }> = {
  random: { label: 'Random', hint: 'MAE: uniform noise, lowest kept' },
  block: { label: 'Block', hint: 'BEiT: whole rectangles removed' },
  grid: { label: 'Grid', hint: 'one kept per s×s cell' },
  painted: { label: 'Painted', hint: 'click or drag on the Masked view' },
};

export function MaskModePicker() {
  const maskMode = useAppStore((s) => s.maskMode);
  const setMaskMode = useAppStore((s) => s.setMaskMode);
  const clearPaintedMask = useAppStore((s) => s.clearPaintedMask);
  const name = useId();
  return (
    <fieldset className="mask-mode">
      <legend>Mask mode</legend>
      <div className="mask-mode__options">
        {MASK_MODES.map((mode) => (
          <label key={mode} className="mask-mode__option" title={MASK_MODE_LABELS[mode].hint}>
            <input
              type="radio"
              name={name}
              value={mode}
              checked={maskMode === mode}
              onChange={() => setMaskMode(mode)}
            />
            {MASK_MODE_LABELS[mode].label}
          </label>
        ))}
        {maskMode === 'painted' && (
          <button type="button" className="button button--small" onClick={clearPaintedMask}>
            Clear painting
          </button>
        )}
      </div>
    </fieldset>
  );
}

export function MaskRatioSlider() {
  const id = useId();
  const maskPercent = useAppStore((s) => s.maskPercent);
  const maskMode = useAppStore((s) => s.maskMode);
  // Two primitive selections: a selector returning a fresh object would re-render forever.
  const visible = useAppStore((s) => visibleOfTotal(s)?.visible ?? null);
  const total = useAppStore((s) => visibleOfTotal(s)?.total ?? null);
  const counts = visible === null || total === null ? null : { visible, total };
  const setMaskPercent = useAppStore((s) => s.setMaskPercent);
  const visibleText = counts === null ? null : visibleCountText(counts.visible, counts.total);
  // Grid and painted masks remove their own share of patches: show the ratio they really have.
  const actualPercent = counts && counts.total > 0 ? removedPercent(counts.visible, counts.total) : null;
  const shownPercent =
    maskMode === 'random' || maskMode === 'block' || actualPercent === null ? maskPercent : actualPercent;
  const painted = maskMode === 'painted';
  return (
    <div className="mask-ratio">
      <div className="mask-ratio__label">
        <label htmlFor={id}>Mask ratio</label>
        <output htmlFor={id} className="mask-ratio__value">
          <strong>{shownPercent}%</strong>
          {visibleText && <span className="mask-ratio__visible">{visibleText}</span>}
        </output>
      </div>
      <input
        id={id}
        type="range"
        min={0}
        max={MAX_MASK_PERCENT}
        step={1}
        value={maskPercent}
        disabled={painted}
        aria-valuetext={visibleText ? `${shownPercent}%, ${visibleText}` : `${shownPercent}%`}
        style={{ '--fill': `${(maskPercent / MAX_MASK_PERCENT) * 100}%` } as CSSProperties}
        onChange={(event) => setMaskPercent(Number(event.target.value))}
      />
    </div>
  );
}

export function SeedControl() {
  const id = useId();
  const seed = useAppStore((s) => s.seed);
  const setSeed = useAppStore((s) => s.setSeed);
  const newMask = useAppStore((s) => s.newMask);
  // The field may hold half-typed text; the store only ever sees valid seeds.
  const [draft, setDraft] = useState<string | null>(null);
  const commit = (text: string) => {
    setDraft(text);
    if (/^\d+$/.test(text) && Number(text) <= MAX_SEED) setSeed(Number(text));
  };
  return (
    <div className="seed">
      <label htmlFor={id}>Seed</label>
      <input
        id={id}
        className="seed__input"
        type="number"
        inputMode="numeric"
        min={0}
        max={MAX_SEED}
        step={1}
        value={draft ?? String(seed)}
        onChange={(event) => commit(event.target.value)}
        onBlur={() => setDraft(null)}
      />
      <button type="button" className="button" onClick={newMask}>
        New mask
      </button>
    </div>
  );
}
