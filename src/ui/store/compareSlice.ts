/**
 * Compare mode: a second model (a picker entry or a config.json URL) runs in the worker's
 * COMPARE_SLOT on exactly the image and mask of the run on show; the page shows both
 * reconstructions, both PSNRs and where they differ. Closing releases the second model's sessions.
 */
import type { ModelConfig } from '../../formats/config';
import { perPatchRmsDifference } from '../../mae/metrics';
import { modelConfigUrl } from '../../runtime/modelSource';
import type { Reconstruction } from '../../runtime/protocol';
import { errorText } from '../../shared/errorText';
import { truthOf } from './baselineSlice';
import type { LoadedModel, SliceCreator } from './types';

export const COMPARE_SLOT = 'compare';

export type CompareChoice = { kind: 'bundled'; id: string } | { kind: 'url'; spec: string };

export interface CompareRun {
  /** The page's reconstruction this one is compared with. */
  main: Reconstruction;
  second: Reconstruction;
  /** `[N]` RMS difference of the two "reconstruction + visible" pictures per patch (8-bit units). */
  difference: Float64Array;
}

export interface CompareSlice {
  compareOpen: boolean;
  compareStatus: 'idle' | 'loading' | 'ready';
  /** The second model, once it runs in the worker. */
  compareConfig: ModelConfig | null;
  compareRun: CompareRun | null;
  setCompareOpen(open: boolean): Promise<void>;
  chooseCompareModel(choice: CompareChoice): Promise<void>;
}

export const createCompareSlice: SliceCreator<CompareSlice> = (services) => (set, get, api) => {
  // Bumped by every choice and every close: a load that finishes after either is dropped.
  let version = 0;
  let running = false;

  async function run(): Promise<void> {
    const { compareStatus, compareConfig, result, compareRun, normPixStatistics, imageVersion } = get();
    if (running || compareStatus !== 'ready' || !compareConfig || !result) return;
    if (compareRun?.main === result || result.numPatches !== compareConfig.numPatches) return;
    running = true;
    const runVersion = version;
    let rerun: boolean;
    try {
      // The same mask whatever mode made it: the removed patches, given as a painted mask.
      const second = await services.reconstructExactly({
        image: truthOf(result).image,
        imageVersion,
        mask: { mode: 'painted', mask: result.mask },
        intermediates: false,
        normPixStatistics,
        slot: COMPARE_SLOT,
      });
      if (runVersion !== version) return;
      const { imageSize, patchSize } = compareConfig;
      const difference = perPatchRmsDifference(
        result.views.reconstructionPlusVisible,
        second.views.reconstructionPlusVisible,
        imageSize,
        patchSize,
      );
      set({ compareRun: { main: result, second, difference } });
    } catch (error) {
      if (runVersion === version) set({ error: `The second model could not run: ${errorText(error)}` });
    } finally {
      running = false;
      // Another model or another run on show since this one started: compare that one now.
      rerun = runVersion !== version || get().result !== result;
    }
    if (rerun) void run();
  }

  async function load(choice: CompareChoice): Promise<LoadedModel> {
    if (choice.kind === 'bundled') {
      const entry = get().models.find((m) => m.id === choice.id);
      if (!entry) throw new Error(`there is no model called "${choice.id}"`);
      return services.fetchModel(entry, () => {});
    }
    const url = modelConfigUrl(choice.spec);
    if (url === null)
      throw new Error(`"${choice.spec}" is neither an http(s) URL of a config.json nor hf:OWNER/REPO`);
    return services.fetchModelFromUrl(url, () => {});
  }

  api.subscribe((state, previous) => {
    if (state.result !== previous.result) void run();
  });

  return {
    compareOpen: false,
    compareStatus: 'idle',
    compareConfig: null,
    compareRun: null,

    async setCompareOpen(open) {
      if (open === get().compareOpen) return;
      if (open) return set({ compareOpen: true });
      const hadModel = get().compareStatus !== 'idle';
      version++;
      set({ compareOpen: false, compareStatus: 'idle', compareConfig: null, compareRun: null });
      if (!hadModel) return;
      try {
        await services.releaseSecondModel(COMPARE_SLOT);
      } catch (error) {
        set({ error: `Could not release the second model: ${errorText(error)}` });
      }
    },

    async chooseCompareModel(choice) {
      const chosen = ++version;
      set({ compareStatus: 'loading', compareConfig: null, compareRun: null });
      try {
        const loaded = await load(choice);
        if (chosen !== version) return;
        const main = get().config;
        if (
          main &&
          (main.imageSize !== loaded.config.imageSize || main.patchSize !== loaded.config.patchSize)
        ) {
          throw new Error(
            `it takes ${loaded.config.imageSize} px images in ${loaded.config.patchSize} px patches, the page's model ${main.imageSize} px in ${main.patchSize} px: both must see the same image and mask`,
          );
        }
        await services.startSecondModel(COMPARE_SLOT, loaded, get().executionProvider);
        if (chosen !== version) {
          // Closed or replaced while starting: the sessions must not stay behind.
          if (!get().compareOpen) await services.releaseSecondModel(COMPARE_SLOT);
          return;
        }
        set({ compareStatus: 'ready', compareConfig: loaded.config });
        void run();
      } catch (error) {
        if (chosen !== version) return;
        set({ compareStatus: 'idle', error: `Could not load the second model: ${errorText(error)}` });
      }
    },
  };
};
