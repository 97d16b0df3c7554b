/**
 * The mask-ratio sweep for the image on show (the MAE paper's ratio figure): the model at a few
 * chosen ratios (a row of pictures) and at every 5 % (a PSNR curve), against the interpolation
 * baseline. Every run is random masking with the page's seed, i.e. one noise array, so the
 * visible sets are nested (src/mae/sweep.ts). Runs only while the panel is open; model runs go
 * one at a time through the worker, so the slider stays responsive, and the baseline fills run
 * meanwhile in the baseline worker.
 */
import { uniformNoise } from '../../mae/masking';
import { DEFAULT_SWEEP_RATIOS, ratioGrid, sweepMaskings } from '../../mae/sweep';
import { errorText } from '../../shared/errorText';
import type { AppState, SliceCreator } from './types';

export interface SweepPicture {
  percent: number;
  visiblePatches: number;
  /** `[S, S, 4]` the masked input and the reconstruction with the visible patches pasted back. */
  masked: Uint8ClampedArray;
  reconstruction: Uint8ClampedArray;
  psnr: number;
  baselinePsnr: number;
}

export interface SweepPoint {
  percent: number;
  visiblePatches: number;
  model: number;
  baseline: number;
}

export interface SweepResult {
  key: string;
  modelName: string;
  seed: number;
  pictures: SweepPicture[];
  curve: SweepPoint[];
}

export interface SweepSlice {
  sweepOpen: boolean;
  /** The row's ratios in percent, editable. */
  sweepPercents: number[];
  sweep: SweepResult | null;
  /** Model runs done of all, while a sweep runs. */
  sweepProgress: { done: number; total: number } | null;
  setSweepOpen(open: boolean): void;
  setSweepPercent(index: number, percent: number): void;
}

export const SWEEP_CURVE_PERCENTS = ratioGrid().map((ratio) => Math.round(ratio * 100));
export const MAX_SWEEP_PERCENT = 99;

/** What a sweep depends on; null while no run is possible. */
export function sweepKey(state: AppState): string | null {
  if (state.modelStatus !== 'ready' || !state.image || !state.config) return null;
  return `${state.modelVersion}/${state.imageVersion}/${state.seed}/${state.normPixStatistics}/${state.sweepPercents.join(',')}`;
}

export const createSweepSlice: SliceCreator<SweepSlice> = (services) => (set, get, api) => {
  // The key of the sweep running or shown; a newer one makes a running sweep stop.
  let current: string | null = null;

  async function runSweep(): Promise<void> {
    const state = get();
    const key = sweepKey(state);
    if (!state.sweepOpen || key === null || key === current) return;
    current = key;
    const { image, imageVersion, config, seed, normPixStatistics, sweepPercents } = state;
    if (!image || !config) return;
    // Each percent once: the row's and the curve's (they share 50, 75, 85, 95 by default).
    const percents = [...new Set([...SWEEP_CURVE_PERCENTS, ...sweepPercents])].sort((a, b) => a - b);
    const noise = uniformNoise(config.numPatches, seed);
    const masks = sweepMaskings(
      noise,
      percents.map((p) => p / 100),
    ).map((masking) => masking.mask);
    set({ sweep: null, sweepProgress: { done: 0, total: percents.length } });
    const baselines = services.interpolate({ image, patchSize: config.patchSize, masks, views: false });
    try {
      const runs = [];
      for (const percent of percents) {
        const result = await services.reconstructExactly({
          image,
          imageVersion,
          mask: { mode: 'random', ratio: percent / 100, seed },
          intermediates: false,
          normPixStatistics,
        });
        if (current !== key) return;
        runs.push({ percent, result });
        set({ sweepProgress: { done: runs.length, total: percents.length } });
      }
      const fills = await baselines;
      if (current !== key) return;
      const baselineOf = new Map(percents.map((p, i) => [p, fills[i]!.psnr]));
      const byPercent = new Map(runs.map((run) => [run.percent, run.result]));
      set({
        sweepProgress: null,
        sweep: {
          key,
          modelName: config.name,
          seed,
          pictures: sweepPercents.map((percent) => {
            const result = byPercent.get(percent)!;
            return {
              percent,
              visiblePatches: result.visiblePatches,
              masked: result.views.masked,
              reconstruction: result.views.reconstructionPlusVisible,
              psnr: result.maskedPsnr,
              baselinePsnr: baselineOf.get(percent)!,
            };
          }),
          curve: SWEEP_CURVE_PERCENTS.map((percent) => ({
            percent,
            visiblePatches: byPercent.get(percent)!.visiblePatches,
            model: byPercent.get(percent)!.maskedPsnr,
            baseline: baselineOf.get(percent)!,
          })),
        },
      });
    } catch (error) {
      if (current !== key) return;
      current = null;
      set({ sweepProgress: null, error: `The mask-ratio sweep failed: ${errorText(error)}` });
    }
  }

  api.subscribe((state, previous) => {
    if (state.sweepOpen && sweepKey(state) !== sweepKey(previous)) void runSweep();
  });

  return {
    sweepOpen: false,
    sweepPercents: DEFAULT_SWEEP_RATIOS.map((ratio) => Math.round(ratio * 100)),
    sweep: null,
    sweepProgress: null,
    setSweepOpen(open) {
      set({ sweepOpen: open });
      if (!open && get().sweepProgress) {
        // Closing stops a sweep on its way; opening again starts it afresh.
        current = null;
        set({ sweepProgress: null });
      }
      if (open) void runSweep();
    },
    setSweepPercent(index, percent) {
      const percents = get().sweepPercents.slice();
      if (!(index >= 0 && index < percents.length) || !Number.isFinite(percent)) return;
      percents[index] = Math.min(MAX_SWEEP_PERCENT, Math.max(1, Math.round(percent)));
      set({ sweepPercents: percents });
    },
  };
};
