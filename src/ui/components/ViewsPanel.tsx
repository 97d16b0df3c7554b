import { useEffect, useRef } from 'react';

import { VIEWS_PAINTED_MARK } from '../../shared/marks';
import { VIEW_LABELS } from '../../shared/viewLabels';
import { formatMs, formatPsnr } from '../format';
import { isBusy, useAppStore } from '../store';
import { BASELINE_LABEL } from './Baseline';
import { PatchPainter } from './PatchPainter';

function ViewCanvas({
  label,
  pixels,
  size,
}: {
  label: string;
  pixels: Uint8ClampedArray | null;
  size: number;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = canvasRef.current?.getContext('2d');
    if (!context || !pixels) return;
    context.putImageData(new ImageData(new Uint8ClampedArray(pixels), size, size), 0, 0);
  }, [pixels, size]);
  return (
    <canvas
      ref={canvasRef}
      className={pixels ? 'view__canvas' : 'view__canvas view__canvas--empty'}
      role="img"
      aria-label={label}
      width={size}
      height={size}
    />
  );
}

function Stat({ term, value, title }: { term: string; value: string; title?: string }) {
  return (
    <div className="stat" title={title}>
      <dt>{term}</dt>
      <dd>{value}</dd>
    </div>
  );
}

export function Stats() {
  const result = useAppStore((s) => s.result);
  const backend = useAppStore((s) => s.backend);
  const baselineOn = useAppStore((s) => s.baselineOn);
  const baseline = useAppStore((s) => (s.baseline?.result === s.result ? s.baseline : null));
  const ep = backend
    ? backend.executionProvider === 'webgpu'
      ? 'WebGPU'
      : `WASM · ${backend.threads} thread${backend.threads === 1 ? '' : 's'}`
    : '—';
  return (
    <dl className="stats" aria-label="Run statistics">
      <Stat term="Encoder" value={result ? formatMs(result.encoderMs) : '—'} />
      <Stat term="Decoder" value={result ? formatMs(result.decoderMs) : '—'} />
      <Stat term="Total" value={result ? formatMs(result.totalMs) : '—'} />
      <Stat
        term="JavaScript"
        title="Masking and the gather of visible patches before the graphs, the views and the PSNR after: what this run cost besides the model"
        value={result ? formatMs(result.maskMs + result.postMs) : '—'}
      />
      <Stat term="Backend" value={ep} />
      <Stat term="Visible tokens" value={result ? `K = ${result.visiblePatches}` : '—'} />
      <Stat term="Masked-patch PSNR" value={result ? formatPsnr(result.maskedPsnr) : '—'} />
      {baselineOn && <Stat term="Interpolation PSNR" value={baseline ? formatPsnr(baseline.psnr) : '…'} />}
    </dl>
  );
}

export function ViewsPanel() {
  const busy = useAppStore(isBusy);
  const views = useAppStore((s) => s.result?.views ?? null);
  const painting = useAppStore((s) => s.maskMode === 'painted');
  const baselineOn = useAppStore((s) => s.baselineOn);
  const baselineView = useAppStore((s) =>
    s.baseline?.result === s.result ? (s.baseline?.view ?? null) : null,
  );
  useEffect(() => {
    if (!views) return;
    // The canvases' effects (putImageData) ran before this parent effect: the next frame shows them.
    const frame = requestAnimationFrame(() => performance.mark(VIEWS_PAINTED_MARK));
    return () => cancelAnimationFrame(frame);
  }, [views]);
  // The views are square RGBA images at the size of the model that produced them.
  const side = views ? Math.round(Math.sqrt(views.original.length / 4)) : 1;
  return (
    <section className="views" aria-label="Views" aria-busy={busy ? 'true' : 'false'}>
      <div className={baselineOn ? 'views__grid views__grid--five' : 'views__grid'}>
        {VIEW_LABELS.map(({ key, label, hint }) => (
          <figure className="view" key={key}>
            <div className="view__frame">
              <ViewCanvas label={label} pixels={views ? views[key] : null} size={side} />
              {painting && key === 'masked' && <PatchPainter />}
            </div>
            <figcaption>
              <span className="view__label">{label}</span>
              <span className="view__hint">{hint}</span>
            </figcaption>
          </figure>
        ))}
        {baselineOn && (
          <figure className="view">
            <div className="view__frame">
              <ViewCanvas label={BASELINE_LABEL} pixels={baselineView} size={side} />
            </div>
            <figcaption>
              <span className="view__label">{BASELINE_LABEL}</span>
              <span className="view__hint">inverse-distance fill + 200 rounds of diffusion, no learning</span>
            </figcaption>
          </figure>
        )}
      </div>
      <div className="views__progress" aria-hidden="true" />
    </section>
  );
}
