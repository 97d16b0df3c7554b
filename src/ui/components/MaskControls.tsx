import { useId, useState, type CSSProperties } from 'react';
import { lenKeep } from '../../mae/masking';
import { modelGeometry, useAppStore } from '../store';
import { MAX_MASK_PERCENT, MAX_SEED } from '../urlState';

/** "49 of 196 patches visible": the same len_keep rule the masking uses. */
export function visibleCountText(maskPercent: number, numPatches: number): string {
  return `${lenKeep(numPatches, maskPercent / 100)} of ${numPatches} patches visible`;
}

export function MaskRatioSlider() {
  const id = useId();
  const maskPercent = useAppStore((s) => s.maskPercent);
  const numPatches = useAppStore((s) => modelGeometry(s)?.numPatches ?? null);
  const setMaskPercent = useAppStore((s) => s.setMaskPercent);
  const visibleText = numPatches === null ? null : visibleCountText(maskPercent, numPatches);
  return (
    <div className="mask-ratio">
      <div className="mask-ratio__label">
        <label htmlFor={id}>Mask ratio</label>
        <output htmlFor={id} className="mask-ratio__value">
          <strong>{maskPercent}%</strong>
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
        aria-valuetext={visibleText ? `${maskPercent}%, ${visibleText}` : `${maskPercent}%`}
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
