/** Values derived from the state, for the slices and the components. */
import { type MaskSpec, visibleCount } from '../../mae/maskModes';
import { sampleById } from '../samples';
import type { AppState, ImageSource, InputSlice, ModelSlice, OfflineSlice } from './types';

/** The mask the inputs describe, on a grid of `grid` x `grid` patches. */
export function maskSpecOf(state: InputSlice, grid: number): MaskSpec {
  if (state.maskMode === 'painted') {
    const numPatches = grid * grid;
    const mask =
      state.paintedMask?.length === numPatches ? state.paintedMask : new Uint8Array(numPatches).fill(1);
    return { mode: 'painted', mask };
  }
  return { mode: state.maskMode, ratio: state.maskPercent / 100, seed: state.seed };
}

/** Identifies the inputs of a reconstruction; null while no run is possible. */
export function runKey(state: InputSlice & ModelSlice): string | null {
  if (state.modelStatus !== 'ready' || !state.image) return null;
  const mask =
    state.maskMode === 'painted'
      ? `painted:${state.paintedVersion}`
      : `${state.maskMode}:${state.maskPercent}:${state.seed}`;
  return `${state.modelVersion}/${state.imageVersion}/${mask}/${state.normPixStatistics}`;
}

/** Image size and patch count of the chosen model, known from the index before it loads. */
export function modelGeometry(state: ModelSlice): { imageSize: number; numPatches: number } | null {
  if (state.config) return { imageSize: state.config.imageSize, numPatches: state.config.numPatches };
  const choice = state.model;
  const entry = choice?.kind === 'bundled' ? state.models.find((m) => m.id === choice.id) : undefined;
  if (!entry) return null;
  const grid = entry.imageSize / entry.patchSize;
  return { imageSize: entry.imageSize, numPatches: grid * grid };
}

/** K and N for the current inputs, known before any run; null until the model's size is known. */
export function visibleOfTotal(state: InputSlice & ModelSlice): { visible: number; total: number } | null {
  const geometry = modelGeometry(state);
  if (!geometry) return null;
  const grid = Math.round(Math.sqrt(geometry.numPatches));
  return { visible: visibleCount(maskSpecOf(state, grid), grid), total: geometry.numPatches };
}

/** True while the views do not (yet) show the current inputs and something is on its way. */
export function isBusy(state: AppState): boolean {
  // Live camera views are never done: they show the newest frame processed, not a run awaited.
  if (state.cameraStatus === 'live') return false;
  if (state.modelStatus === 'downloading' || state.modelStatus === 'starting' || state.imageLoading) {
    return true;
  }
  const key = runKey(state);
  return key !== null && key !== state.settledKey;
}

export function sourceLabel(source: ImageSource | null): string {
  if (!source) return '';
  switch (source.kind) {
    case 'sample':
      return sampleById(source.sampleId)?.title ?? source.sampleId;
    case 'file':
      return source.name;
    case 'clipboard':
      return 'Pasted image';
    case 'camera':
      return 'Camera frame';
  }
}

/** Offline-ready: a reload without a network brings back the app and the model on show. */
export function isOfflineReady(state: OfflineSlice): boolean {
  return state.appCache === 'ready' && state.modelCached !== false;
}
