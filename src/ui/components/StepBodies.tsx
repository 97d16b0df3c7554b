/**
 * What each pipeline step draws, from one run's result and intermediates. Nothing here runs the
 * model: stepping and inspecting only re-read tensors the worker already returned.
 */
import { type PointerEvent, type ReactNode, useId, useMemo, useState } from 'react';

import { gridSize, type ModelConfig } from '../../mae/config';
import {
  attentionOnPatches,
  attentionRow,
  attentionShape,
  decoderInputView,
  overlayPatchWeights,
  patchHeatmap,
  visibleTokenStrip,
} from '../../mae/inspect';
import type { Intermediates, Reconstruction } from '../../runtime/protocol';
import { formatPsnr } from '../format';
import type { StepId } from '../steps';
import { useAppStore } from '../store';
import { PixelCanvas } from './PixelCanvas';

export interface StepRun {
  config: ModelConfig;
  result: Reconstruction;
  intermediates: Intermediates;
}

/** A square picture with optional SVG (in patch units) and controls layered on top. */
function Figure({
  rgba,
  size,
  label,
  caption,
  overlay,
  children,
  onPointerMove,
  onPointerLeave,
}: {
  rgba: Uint8ClampedArray;
  size: number;
  label: string;
  caption?: ReactNode;
  overlay?: ReactNode;
  children?: ReactNode;
  onPointerMove?: (event: PointerEvent<HTMLDivElement>) => void;
  onPointerLeave?: () => void;
}) {
  return (
    <figure className="step-figure">
      <div className="step-figure__frame" onPointerMove={onPointerMove} onPointerLeave={onPointerLeave}>
        <PixelCanvas rgba={rgba} width={size} height={size} label={label} className="step-figure__canvas" />
        {overlay}
        {children}
      </div>
      {caption && <figcaption>{caption}</figcaption>}
    </figure>
  );
}

/** SVG over a figure: one unit per patch. */
function GridSvg({ grid, children }: { grid: number; children: ReactNode }) {
  return (
    <svg className="step-figure__svg" viewBox={`0 0 ${grid} ${grid}`} aria-hidden="true">
      {children}
    </svg>
  );
}

function GridLines({ grid }: { grid: number }) {
  const lines = [];
  for (let i = 1; i < grid; i++) {
    lines.push(<line key={`h${i}`} x1={0} y1={i} x2={grid} y2={i} />);
    lines.push(<line key={`v${i}`} x1={i} y1={0} x2={i} y2={grid} />);
  }
  return <g className="grid-lines">{lines}</g>;
}

/** Text in every patch cell (ranks, mask bits); kept patches outlined. */
function CellLabels({
  grid,
  text,
  mask,
}: {
  grid: number;
  text: (patch: number) => string;
  mask: Uint8Array;
}) {
  return (
    <>
      {Array.from({ length: grid * grid }, (_, patch) => {
        const x = patch % grid;
        const y = Math.floor(patch / grid);
        return (
          <g key={patch}>
            {!mask[patch] && (
              <rect className="cell-kept" x={x + 0.04} y={y + 0.04} width={0.92} height={0.92} />
            )}
            <text x={x + 0.5} y={y + 0.5} className="cell-text">
              {text(patch)}
            </text>
          </g>
        );
      })}
    </>
  );
}

function patchName(patch: number, grid: number): string {
  return `patch ${patch} (row ${Math.floor(patch / grid)}, column ${patch % grid})`;
}

function InputStep({ run }: { run: StepRun }) {
  const { imageSize } = run.config;
  return (
    <Figure
      rgba={run.result.views.original}
      size={imageSize}
      label="Input image"
      caption={`${imageSize}×${imageSize} pixels, 8-bit RGB; normalised with the ImageNet mean and std before the model.`}
    />
  );
}

function PatchifyStep({ run }: { run: StepRun }) {
  const grid = gridSize(run.config);
  const [hovered, setHovered] = useState<number | null>(null);
  const onPointerMove = (event: PointerEvent<HTMLDivElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    const col = Math.floor(((event.clientX - rect.left) / rect.width) * grid);
    const row = Math.floor(((event.clientY - rect.top) / rect.height) * grid);
    setHovered(row >= 0 && row < grid && col >= 0 && col < grid ? row * grid + col : null);
  };
  return (
    <Figure
      rgba={run.result.views.original}
      size={run.config.imageSize}
      label="Patch grid"
      onPointerMove={onPointerMove}
      onPointerLeave={() => setHovered(null)}
      overlay={
        <GridSvg grid={grid}>
          <GridLines grid={grid} />
          {hovered !== null && (
            <rect
              className="cell-hover"
              x={hovered % grid}
              y={Math.floor(hovered / grid)}
              width={1}
              height={1}
            />
          )}
        </GridSvg>
      }
      caption={
        <span aria-live="polite">
          {hovered === null ? 'Point at a patch to see its index.' : `This is ${patchName(hovered, grid)}.`}
        </span>
      }
    />
  );
}

function NoiseStep({ run }: { run: StepRun }) {
  const grid = gridSize(run.config);
  const { noise, idsRestore } = run.intermediates;
  const values = noise ?? idsRestore;
  const heat = useMemo(() => patchHeatmap(values, grid), [values, grid]);
  return (
    <Figure
      rgba={heat}
      size={grid}
      label={noise ? 'Noise heat map' : 'Patch order'}
      overlay={
        <GridSvg grid={grid}>
          <CellLabels grid={grid} mask={run.result.mask} text={(patch) => String(idsRestore[patch])} />
        </GridSvg>
      }
      caption={
        noise
          ? `Colour: the noise (dark = small). Number: the patch's rank in ids_shuffle; outlined: the ${run.result.visiblePatches} kept (rank < K).`
          : `Number: the patch's place in ids_shuffle; outlined: the ${run.result.visiblePatches} kept.`
      }
    />
  );
}

function MaskStep({ run }: { run: StepRun }) {
  const grid = gridSize(run.config);
  const { mask, visiblePatches, numPatches } = run.result;
  const heat = useMemo(() => patchHeatmap(mask, grid, [0, 1]), [mask, grid]);
  const removed = numPatches - visiblePatches;
  return (
    <Figure
      rgba={heat}
      size={grid}
      label="Mask"
      overlay={
        <GridSvg grid={grid}>
          <CellLabels grid={grid} mask={mask} text={(patch) => String(mask[patch])} />
        </GridSvg>
      }
      caption={`${visiblePatches} kept (0), ${removed} removed (1): ${((100 * removed) / numPatches).toFixed(1)}% masked.`}
    />
  );
}

function VisibleTokensStep({ run }: { run: StepRun }) {
  const { imageSize, patchSize } = run.config;
  const { idsKeep } = run.intermediates;
  const strip = useMemo(
    () => visibleTokenStrip(run.result.views.original, imageSize, patchSize, idsKeep, gridSize(run.config)),
    [run, imageSize, patchSize, idsKeep],
  );
  const listed = Array.from(idsKeep.subarray(0, 24)).join(', ');
  return (
    <figure className="step-figure step-figure--wide">
      {idsKeep.length > 0 ? (
        <PixelCanvas
          rgba={strip.rgba}
          width={strip.width}
          height={strip.height}
          label="Visible tokens"
          className="token-strip"
          style={{ aspectRatio: `${strip.width} / ${strip.height}` }}
        />
      ) : (
        <p className="step-empty">No patch is visible: the encoder gets the cls token alone.</p>
      )}
      <figcaption>
        ids_keep = [{listed}
        {idsKeep.length > 24 ? ', …' : ''}] — {idsKeep.length} tokens, left to right, top to bottom.
      </figcaption>
    </figure>
  );
}

function EncoderStep({ run }: { run: StepRun }) {
  const { config, result, intermediates } = run;
  const grid = gridSize(config);
  const { layers, heads } = attentionShape(intermediates.attentionDims);
  const layerValue = useAppStore((s) => Math.min(s.encoderLayer, layers - 1));
  const headValue = useAppStore((s) =>
    s.encoderHead === 'mean' || s.encoderHead < heads ? s.encoderHead : 'mean',
  );
  const query = useAppStore((s) => s.attentionQuery);
  const setLayer = useAppStore((s) => s.setEncoderLayer);
  const setHead = useAppStore((s) => s.setEncoderHead);
  const setQuery = useAppStore((s) => s.setAttentionQuery);
  const layerId = useId();
  const headId = useId();
  const { idsKeep } = intermediates;
  // A patch chosen in an earlier run may be masked now: fall back to the cls token.
  const patchToken = query.kind === 'patch' ? idsKeep.indexOf(query.patch) : -1;
  const token = patchToken >= 0 ? patchToken + 1 : 0;
  const attention = useMemo(() => {
    const row = attentionRow(
      intermediates.attentions,
      intermediates.attentionDims,
      layerValue,
      headValue,
      token,
    );
    return attentionOnPatches(row, idsKeep, config.numPatches);
  }, [intermediates, layerValue, headValue, token, idsKeep, config.numPatches]);
  const overlay = useMemo(
    () => overlayPatchWeights(result.views.original, config.imageSize, config.patchSize, attention.patches),
    [result, config, attention],
  );
  const queryName = token === 0 ? 'the cls token' : patchName(idsKeep[token - 1]!, grid);
  return (
    <div className="encoder-step">
      <div className="step-controls">
        <label htmlFor={layerId}>
          Encoder layer <output>{`${layerValue + 1} of ${layers}`}</output>
        </label>
        <input
          id={layerId}
          type="range"
          min={0}
          max={layers - 1}
          value={layerValue}
          onChange={(event) => setLayer(Number(event.target.value))}
        />
        <label htmlFor={headId}>Attention head</label>
        <select
          id={headId}
          value={String(headValue)}
          onChange={(event) => setHead(event.target.value === 'mean' ? 'mean' : Number(event.target.value))}
        >
          <option value="mean">Mean of {heads} heads</option>
          {Array.from({ length: heads }, (_, head) => (
            <option key={head} value={head}>
              Head {head + 1}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="button button--small"
          aria-pressed={token === 0}
          onClick={() => setQuery({ kind: 'cls' })}
        >
          cls token
        </button>
      </div>
      <Figure
        rgba={overlay}
        size={config.imageSize}
        label="Attention map"
        caption={`Where ${queryName} attends in layer ${layerValue + 1}: brighter = more. The cls token takes ${(
          attention.cls * 100
        ).toFixed(
          1,
        )}%. Removed patches (dark) are not in the encoder at all. Click a visible patch to attend from it.`}
      >
        <div
          className="attention-targets"
          style={{ gridTemplateColumns: `repeat(${grid}, 1fr)`, gridTemplateRows: `repeat(${grid}, 1fr)` }}
        >
          {Array.from(idsKeep, (patch) => (
            <button
              key={patch}
              type="button"
              className="attention-targets__cell"
              style={{ gridRow: Math.floor(patch / grid) + 1, gridColumn: (patch % grid) + 1 }}
              aria-pressed={token > 0 && idsKeep[token - 1] === patch}
              aria-label={`Attend from patch ${patch}`}
              onClick={() => setQuery({ kind: 'patch', patch })}
            />
          ))}
        </div>
      </Figure>
    </div>
  );
}

function DecoderInputStep({ run }: { run: StepRun }) {
  const { imageSize, patchSize, numPatches } = run.config;
  const { mask, visiblePatches } = run.result;
  const picture = useMemo(
    () => decoderInputView(run.result.views.original, imageSize, patchSize, mask),
    [run, imageSize, patchSize, mask],
  );
  return (
    <Figure
      rgba={picture}
      size={imageSize}
      label="Decoder input"
      caption={`${visiblePatches} latent tokens at their own positions, ${numPatches - visiblePatches} copies of the one mask token (hatched), plus cls. The decoder adds its own position embedding to all of them.`}
    />
  );
}

function DecoderLayersStep({ run }: { run: StepRun }) {
  const layerViews = run.intermediates.decoderLayerViews;
  const chosen = useAppStore((s) => s.decoderLayer);
  const setLayer = useAppStore((s) => s.setDecoderLayer);
  const id = useId();
  const layer = Math.min(chosen ?? layerViews.length - 1, layerViews.length - 1);
  const picture = layerViews[layer];
  if (!picture) return <p className="step-empty">This model returned no per-layer predictions.</p>;
  return (
    <div>
      <div className="step-controls">
        <label htmlFor={id}>
          Decoder layer <output>{`${layer + 1} of ${layerViews.length}`}</output>
        </label>
        <input
          id={id}
          type="range"
          min={0}
          max={layerViews.length - 1}
          value={layer}
          onChange={(event) => setLayer(Number(event.target.value))}
        />
      </div>
      <Figure
        rgba={picture}
        size={run.config.imageSize}
        label={`Prediction after decoder block ${layer + 1}`}
        caption="Read out after this block; the last block's picture is the reconstruction."
      />
    </div>
  );
}

function ReconstructionStep({ run }: { run: StepRun }) {
  return (
    <Figure
      rgba={run.result.views.reconstruction}
      size={run.config.imageSize}
      label="Reconstruction"
      caption="Every patch as the decoder predicts it, visible ones included."
    />
  );
}

function PastedStep({ run }: { run: StepRun }) {
  const grid = gridSize(run.config);
  const { mask, maskedPsnr, views } = run.result;
  const errors = run.intermediates.perPatchMse;
  const heat = useMemo(
    () =>
      patchHeatmap(
        errors.map((e, patch) => (mask[patch] ? e : Number.NaN)),
        grid,
      ),
    [errors, mask, grid],
  );
  let worst = 0;
  errors.forEach((e, patch) => (worst = mask[patch] && e > worst ? e : worst));
  return (
    <div className="step-pair">
      <Figure
        rgba={views.reconstructionPlusVisible}
        size={run.config.imageSize}
        label="Reconstruction plus visible"
        caption={`Masked-patch PSNR: ${formatPsnr(maskedPsnr)}.`}
      />
      <Figure
        rgba={heat}
        size={grid}
        label="Per-patch error"
        caption={`Mean squared error of each removed patch, 0 (dark) to ${worst.toFixed(0)} (bright); visible patches in gray.`}
      />
    </div>
  );
}

export function StepBody({ id, run }: { id: StepId; run: StepRun }) {
  switch (id) {
    case 'input':
      return <InputStep run={run} />;
    case 'patchify':
      return <PatchifyStep run={run} />;
    case 'noise':
      return <NoiseStep run={run} />;
    case 'mask':
      return <MaskStep run={run} />;
    case 'visible-tokens':
      return <VisibleTokensStep run={run} />;
    case 'encoder':
      return <EncoderStep run={run} />;
    case 'decoder-input':
      return <DecoderInputStep run={run} />;
    case 'decoder-layers':
      return <DecoderLayersStep run={run} />;
    case 'reconstruction':
      return <ReconstructionStep run={run} />;
    case 'reconstruction-plus-visible':
      return <PastedStep run={run} />;
  }
}
