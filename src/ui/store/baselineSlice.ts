/**
 * The optional fifth view, "Interpolation": the classical baseline of `npm run eval` on the image
 * and mask on show, with its PSNR, computed (off the main thread) whenever the result changes
 * while it is switched on.
 */
import type { Reconstruction } from '../../runtime/protocol';
import { errorText } from '../../shared/errorText';
import type { SliceCreator } from './types';

export interface BaselineOnShow {
  /** The reconstruction whose image and mask were filled. */
  result: Reconstruction;
  /** `[S, S, 4]` RGBA. */
  view: Uint8ClampedArray;
  /** Masked-patch PSNR, the same measure as the model's. */
  psnr: number;
}

export interface BaselineSlice {
  baselineOn: boolean;
  /** For the result on show; null while off or being computed. */
  baseline: BaselineOnShow | null;
  setBaselineOn(on: boolean): void;
}

/** The truth `[S, S, 3]` and patch size of a reconstruction, from its Original view and mask. */
export function truthOf(result: Reconstruction): {
  image: { width: number; height: number; data: Uint8Array };
  patchSize: number;
} {
  const rgba = result.views.original; // [S, S, 4]
  const size = Math.round(Math.sqrt(rgba.length / 4));
  const data = new Uint8Array(size * size * 3); // [S, S, 3]
  for (let i = 0; i < size * size; i++) data.set(rgba.subarray(i * 4, i * 4 + 3), i * 3);
  return {
    image: { width: size, height: size, data },
    patchSize: size / Math.round(Math.sqrt(result.numPatches)),
  };
}

export const createBaselineSlice: SliceCreator<BaselineSlice> = (services) => (set, get, api) => {
  function fill(): void {
    const { result, baselineOn, baseline } = get();
    if (!baselineOn || !result || baseline?.result === result) return;
    set({ baseline: null });
    services.interpolate({ ...truthOf(result), masks: [result.mask], views: true }).then(
      ([filled]) => {
        // A newer result or switching off while this was on its way makes it stale.
        if (!filled?.view || get().result !== result || !get().baselineOn) return;
        set({ baseline: { result, view: filled.view, psnr: filled.psnr } });
      },
      (error: unknown) =>
        set({
          error: `The interpolation baseline failed: ${errorText(error)}`,
        }),
    );
  }
  api.subscribe((state, previous) => {
    if (state.result !== previous.result) fill();
  });
  return {
    baselineOn: false,
    baseline: null,
    setBaselineOn(on) {
      set({ baselineOn: on, ...(!on && { baseline: null }) });
      fill();
    },
  };
};
