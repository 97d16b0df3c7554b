/** The latest reconstruction on show, and the errors the page reports. */
import { gridSize } from '../../mae/config';
import { errorText } from '../../shared/errorText';
import { maskSpecOf, runKey, sourceLabel } from './selectors';
import type { ResultInputs, ResultSlice, SliceCreator } from './types';

export const createResultSlice: SliceCreator<ResultSlice> = (services) => (set, get) => ({
  result: null,
  settledKey: null,
  resultInputs: null,
  error: null,

  run() {
    const state = get();
    const key = runKey(state);
    // Live camera frames own the views until the mode ends (cameraSlice.ts).
    if (key === null || !state.image || !state.config || state.cameraStatus === 'live') return;
    const inputs: ResultInputs = {
      modelName: state.config.name,
      maskMode: state.maskMode,
      maskPercent: state.maskPercent,
      seed: state.seed,
      sourceLabel: sourceLabel(state.source),
    };
    // A reply for inputs that have changed since is not painted: the run for the new ones is on its way.
    const current = () => runKey(get()) === key;
    services
      .reconstruct({
        image: state.image,
        imageVersion: state.imageVersion,
        mask: maskSpecOf(state, gridSize(state.config)),
        intermediates: state.stepperOpen,
        normPixStatistics: state.normPixStatistics,
      })
      .then(
        (result) => {
          if (!result || !current()) return;
          set({ result, settledKey: key, resultInputs: inputs });
          // The stepper opened while this run was on its way without intermediates.
          if (!result.intermediates && get().stepperOpen) get().run();
        },
        (error: unknown) => {
          if (current()) set({ settledKey: key, error: `Reconstruction failed: ${errorText(error)}` });
        },
      );
  },

  showError(message) {
    set({ error: message });
  },

  dismissError() {
    set({ error: null });
  },
});
