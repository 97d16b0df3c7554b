/** The picture and the mask: what a reconstruction is made from. */
import { type Image8, resizeShorterSideAndCenterCrop } from '../../mae/image';
import { buildMasking } from '../../mae/maskModes';
import { errorText } from '../../shared/errorText';
import { sampleById } from '../samples';
import { DEFAULT_MASK_PERCENT, DEFAULT_SEED, MAX_MASK_PERCENT, MAX_SEED } from '../urlState';
import { modelGeometry, sourceLabel } from './selectors';
import type { AppState, ImageSource, InputSlice, SliceCreator } from './types';

export function randomSeed(): number {
  // Short seeds are easier to read back from a link or a figure caption.
  return crypto.getRandomValues(new Uint32Array(1))[0]! % 100_000;
}

/** The painted mask (1 = removed) for `numPatches` patches: the current one if it fits, else the one on show. */
export function paintedMaskFor(state: AppState, numPatches: number): Uint8Array {
  if (state.paintedMask?.length === numPatches) return state.paintedMask;
  const shown = state.result?.mask;
  if (shown?.length === numPatches) return shown;
  const grid = Math.round(Math.sqrt(numPatches));
  return buildMasking({ mode: 'random', ratio: state.maskPercent / 100, seed: state.seed }, grid).mask;
}

export const createInputSlice: SliceCreator<InputSlice> = (services) => (set, get) => {
  // Lets a slow, superseded image load notice it lost the race and drop its picture.
  let imageRequest = 0;

  async function switchImage(source: ImageSource, decode: () => Promise<Image8>): Promise<void> {
    const request = ++imageRequest;
    set({ imageLoading: true, error: null });
    get().stopCamera();
    try {
      const decoded = await decode();
      if (request !== imageRequest) return;
      const { config } = get();
      // The source changes only with the picture, so a file that fails to decode leaves both as they were.
      set((state) => ({
        source,
        decoded,
        image: config ? resizeShorterSideAndCenterCrop(decoded, config.imageSize) : null,
        imageVersion: state.imageVersion + 1,
        imageLoading: false,
      }));
      get().run();
    } catch (error) {
      if (request !== imageRequest) return;
      set({ imageLoading: false, error: errorText(error) });
    }
  }

  function setPainted(mask: Uint8Array): void {
    set((state) => ({ paintedMask: mask, paintedVersion: state.paintedVersion + 1 }));
    get().run();
  }

  return {
    source: null,
    decoded: null,
    image: null,
    imageVersion: 0,
    imageLoading: false,
    maskPercent: DEFAULT_MASK_PERCENT,
    seed: DEFAULT_SEED,
    maskMode: 'random',
    paintedMask: null,
    paintedVersion: 0,
    normPixStatistics: 'patch',

    selectSample(id) {
      const sample = sampleById(id);
      if (!sample) return Promise.resolve(set({ error: `There is no sample called "${id}".` }));
      return switchImage({ kind: 'sample', sampleId: id }, () => services.loadSample(sample));
    },

    openImage(blob, source) {
      return switchImage(source, () => services.decodeImage(blob, sourceLabel(source)));
    },

    showImage(source, decoded) {
      return switchImage(source, () => Promise.resolve(decoded));
    },

    setMaskPercent(percent) {
      const clamped = Math.min(MAX_MASK_PERCENT, Math.max(0, Math.round(percent)));
      if (clamped === get().maskPercent) return;
      set({ maskPercent: clamped });
      get().run();
    },

    setSeed(seed) {
      const valid = Math.min(MAX_SEED, Math.max(0, Math.trunc(seed)));
      if (!Number.isFinite(valid) || valid === get().seed) return;
      set({ seed: valid });
      get().run();
    },

    newMask() {
      get().setSeed(randomSeed());
    },

    setMaskMode(mode) {
      const state = get();
      if (mode === state.maskMode) return;
      const numPatches = modelGeometry(state)?.numPatches;
      if (mode === 'painted' && numPatches !== undefined) {
        // Painting starts from the mask on show, so the picture does not jump.
        set({
          maskMode: mode,
          paintedMask: paintedMaskFor(state, numPatches),
          paintedVersion: state.paintedVersion + 1,
        });
      } else {
        set({ maskMode: mode });
      }
      get().run();
    },

    setPatchVisible(patch, visible) {
      const state = get();
      const numPatches = modelGeometry(state)?.numPatches;
      if (state.maskMode !== 'painted' || numPatches === undefined || patch < 0 || patch >= numPatches)
        return;
      const mask = paintedMaskFor(state, numPatches);
      if ((mask[patch] === 0) === visible) return;
      const next = mask.slice();
      next[patch] = visible ? 0 : 1;
      setPainted(next);
    },

    clearPaintedMask() {
      const numPatches = modelGeometry(get())?.numPatches;
      if (get().maskMode !== 'painted' || numPatches === undefined) return;
      setPainted(new Uint8Array(numPatches).fill(1));
    },

    setNormPixStatistics(statistics) {
      if (statistics === get().normPixStatistics) return;
      set({ normPixStatistics: statistics });
      get().run();
    },
  };
};
