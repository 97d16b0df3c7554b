import { type PointerEvent, useRef } from 'react';

import { modelGeometry, useAppStore } from '../store';

/**
 * Painted mask mode: a grid of toggle buttons over the Masked view. A press toggles a patch and
 * a drag paints the same state over every patch it crosses; keyboard users toggle with Enter or
 * Space (a click with no pointer press before it).
 */
export function PatchPainter() {
  const mask = useAppStore((s) => s.paintedMask);
  const numPatches = useAppStore((s) => modelGeometry(s)?.numPatches ?? 0);
  const setPatchVisible = useAppStore((s) => s.setPatchVisible);
  const paintValue = useRef<boolean | null>(null);
  const grid = Math.round(Math.sqrt(numPatches));
  if (grid === 0 || mask?.length !== numPatches) return null;

  const patchAt = (event: PointerEvent<HTMLDivElement>): number | null => {
    const rect = event.currentTarget.getBoundingClientRect();
    const col = Math.floor(((event.clientX - rect.left) / rect.width) * grid);
    const row = Math.floor(((event.clientY - rect.top) / rect.height) * grid);
    return row >= 0 && row < grid && col >= 0 && col < grid ? row * grid + col : null;
  };

  return (
    <div
      className="patch-painter"
      role="group"
      aria-label="Paint the mask"
      style={{ gridTemplateColumns: `repeat(${grid}, 1fr)`, gridTemplateRows: `repeat(${grid}, 1fr)` }}
      onPointerDown={(event) => {
        const patch = patchAt(event);
        if (patch === null) return;
        event.currentTarget.setPointerCapture?.(event.pointerId);
        paintValue.current = mask[patch] === 1;
        setPatchVisible(patch, paintValue.current);
      }}
      onPointerMove={(event) => {
        const patch = paintValue.current === null ? null : patchAt(event);
        if (patch !== null) setPatchVisible(patch, paintValue.current!);
      }}
      onPointerUp={() => (paintValue.current = null)}
      onPointerCancel={() => (paintValue.current = null)}
    >
      {Array.from(mask, (removed, patch) => (
        <button
          key={patch}
          type="button"
          className="patch-painter__cell"
          aria-pressed={removed === 0}
          aria-label={`Patch ${patch} (row ${Math.floor(patch / grid)}, column ${patch % grid})`}
          onClick={(event) => {
            if (event.detail === 0) setPatchVisible(patch, removed === 1);
          }}
        />
      ))}
    </div>
  );
}
