/**
 * The article's measurement of why the encoder skips mask tokens: this page's own encoder time on
 * the K visible patches of the run on show against all N patches (ratio 0), each the median of a
 * few runs on the page's model, through the same worker as every reconstruction.
 */
import { gridSize } from '../../formats/config';
import { errorText } from '../../shared/errorText';
import { maskSpecOf, runKey } from './selectors';
import type { SliceCreator } from './types';

export const ENCODER_TIMING_RUNS = 3;

export interface EncoderTiming {
  /** runKey of the run it was measured for. */
  key: string;
  visible: { tokens: number; ms: number };
  all: { tokens: number; ms: number };
}

export interface ArticleSlice {
  encoderTiming: EncoderTiming | null;
  encoderTimingBusy: boolean;
  timeEncoder(): Promise<void>;
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export const createArticleSlice: SliceCreator<ArticleSlice> = (services) => (set, get) => ({
  encoderTiming: null,
  encoderTimingBusy: false,
  async timeEncoder() {
    const state = get();
    const key = runKey(state);
    if (key === null || !state.image || !state.config || state.encoderTimingBusy) return;
    set({ encoderTimingBusy: true });
    const { image, imageVersion, config, normPixStatistics } = state;
    const masks = {
      visible: maskSpecOf(state, gridSize(config)),
      all: { mode: 'random', ratio: 0, seed: 0 } as const,
    };
    try {
      const times = { visible: [] as number[], all: [] as number[] };
      const tokens = { visible: 0, all: 0 };
      // Alternating, so that a busy moment of the machine hits both about equally.
      for (let i = 0; i < ENCODER_TIMING_RUNS; i++) {
        for (const which of ['visible', 'all'] as const) {
          const result = await services.reconstructExactly({
            image,
            imageVersion,
            mask: masks[which],
            intermediates: false,
            normPixStatistics,
          });
          times[which].push(result.encoderMs);
          tokens[which] = result.visiblePatches;
        }
      }
      set({
        encoderTiming: {
          key,
          visible: { tokens: tokens.visible, ms: median(times.visible) },
          all: { tokens: tokens.all, ms: median(times.all) },
        },
      });
    } catch (error) {
      set({
        error: `Timing the encoder failed: ${errorText(error)}`,
      });
    } finally {
      set({ encoderTimingBusy: false });
    }
  },
});
