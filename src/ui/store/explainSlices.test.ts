/**
 * The store slices of issue 14 with fake model services: what the sweep, Compare and the
 * encoder timing ask the worker for, and what they keep.
 */
import { describe, expect, it, vi } from 'vitest';

import { singleModelServices } from '../../../tests/helpers/appServices';
import { tinyConfigJson } from '../../../tests/helpers/fixture';
import { gridSize, type ModelConfig, parseModelConfig } from '../../formats/config';
import { buildMasking } from '../../mae/maskModes';
import type { ReconstructInput } from '../../runtime/inferenceClient';
import type { Reconstruction } from '../../runtime/protocol';
import { type AppServices, type AppStore, createAppStore } from '.';
import { COMPARE_SLOT } from './compareSlice';
import { SWEEP_CURVE_PERCENTS } from './sweepSlice';

const config = parseModelConfig(tinyConfigJson());

/** A result whose numbers say which input made it: PSNR = 100 - K, encoder ms = K (or 1000 on the second model). */
function fakeResult(config: ModelConfig, input: ReconstructInput): Reconstruction {
  const size = config.imageSize;
  const { mask, idsKeep } = buildMasking(input.mask, gridSize(config));
  const view = new Uint8ClampedArray(size * size * 4).fill(input.slot === COMPARE_SLOT ? 90 : 100);
  return {
    views: { original: view, masked: view, reconstruction: view, reconstructionPlusVisible: view },
    mask,
    visiblePatches: idsKeep.length,
    numPatches: config.numPatches,
    maskedMse: 1,
    maskedPsnr: 100 - idsKeep.length,
    maskMs: 0,
    postMs: 0,
    encoderMs: input.slot === COMPARE_SLOT ? 1000 : idsKeep.length,
    decoderMs: 1,
    totalMs: 2,
  };
}

function setup(overrides: Partial<AppServices> = {}) {
  const exact: ReconstructInput[] = [];
  const services: AppServices = {
    ...singleModelServices(config),
    reconstruct: async (input) => fakeResult(config, input),
    reconstructExactly: async (input) => {
      exact.push(input);
      return fakeResult(config, input);
    },
    loadSample: async () => ({ width: 224, height: 224, data: new Uint8Array(224 * 224 * 3).fill(7) }),
    decodeImage: async () => ({ width: 224, height: 224, data: new Uint8Array(224 * 224 * 3) }),
    ...overrides,
  };
  return { store: createAppStore(services), services, exact };
}

async function until(store: AppStore, done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!done()) throw new Error(`timed out; error: ${store.getState().error}`);
}

const visibleSet = (mask: Uint8Array) => new Set([...mask.keys()].filter((l) => !mask[l]));

describe('sweep slice', () => {
  it('runs random masks with the page seed at the curve and row ratios, and one baseline request of nested masks', async () => {
    // The fills themselves are tested elsewhere; here only what is asked for.
    const interpolate = vi.fn(async (request: { masks: Uint8Array[] }) =>
      request.masks.map(() => ({ psnr: 1, view: null })),
    );
    const { store, exact } = setup({ interpolate });
    await store.getState().start({ seed: 5 });
    await until(store, () => store.getState().result !== null);
    store.getState().setSweepOpen(true);
    await until(store, () => store.getState().sweep !== null);

    expect(exact.map((input) => input.mask)).toEqual(
      SWEEP_CURVE_PERCENTS.map((percent) => ({ mode: 'random', ratio: percent / 100, seed: 5 })),
    );
    expect(interpolate).toHaveBeenCalledTimes(1);
    const masks = interpolate.mock.calls[0]![0].masks;
    for (let i = 1; i < masks.length; i++) {
      const lower = visibleSet(masks[i - 1]!);
      for (const patch of visibleSet(masks[i]!)) expect(lower.has(patch)).toBe(true);
    }
    const { sweep } = store.getState();
    expect(sweep!.pictures.map((p) => [p.percent, p.visiblePatches, p.psnr])).toEqual([
      [50, 98, 2],
      [75, 49, 51],
      [85, 29, 71],
      [95, 9, 91],
    ]);
    expect(sweep!.curve).toHaveLength(19);

    // An off-grid ratio in the row is run too; a new seed runs the sweep again.
    exact.length = 0;
    store.getState().setSweepPercent(1, 77);
    await until(store, () => store.getState().sweep?.pictures[1]?.percent === 77);
    expect(exact).toHaveLength(20);
    store.getState().setSeed(6);
    await until(store, () => store.getState().sweep?.seed === 6);
  });
});

describe('compare slice', () => {
  it('runs the second model in its slot on the same mask, and releases it on close', async () => {
    const startSecondModel = vi.fn(singleModelServices(config).startSecondModel);
    const releaseSecondModel = vi.fn(async () => {});
    const { store, exact } = setup({ startSecondModel, releaseSecondModel });
    await store.getState().start({ seed: 3, mask: 'block' });
    await until(store, () => store.getState().result !== null);
    await store.getState().setCompareOpen(true);
    await store.getState().chooseCompareModel({ kind: 'bundled', id: 'test' });
    await until(store, () => store.getState().compareRun !== null);

    expect(startSecondModel.mock.calls[0]![0]).toBe(COMPARE_SLOT);
    const { result, compareRun } = store.getState();
    expect(exact[0]!.slot).toBe(COMPARE_SLOT);
    // The block mask on show, handed over as exactly those removed patches.
    expect(exact[0]!.mask).toEqual({ mode: 'painted', mask: result!.mask });
    expect(compareRun!.second.visiblePatches).toBe(result!.visiblePatches);
    // Pictures 100 vs 90 everywhere: an RMS difference of 10 in every patch.
    expect(new Set(compareRun!.difference)).toEqual(new Set([10]));

    await store.getState().setCompareOpen(false);
    expect(releaseSecondModel).toHaveBeenCalledWith(COMPARE_SLOT);
    expect(store.getState().compareRun).toBeNull();
  });

  it('refuses a second model of another geometry, with a message, and keeps the page working', async () => {
    const other = parseModelConfig({ ...tinyConfigJson(), image_size: 32, patch_size: 8, num_patches: 16 });
    const { store } = setup({
      fetchModelFromUrl: async () => ({
        config: other,
        bytes: { encoder: new Uint8Array(1), decoder: new Uint8Array(1) },
      }),
    });
    await store.getState().start({});
    await until(store, () => store.getState().result !== null);
    await store.getState().setCompareOpen(true);
    await store.getState().chooseCompareModel({ kind: 'url', spec: 'https://example.org/m/config.json' });
    expect(store.getState().error).toMatch(
      /^Could not load the second model: it takes 32 px images in 8 px patches/,
    );
    expect(store.getState().compareStatus).toBe('idle');
  });
});

describe('article slice', () => {
  it('times the encoder on the visible patches and on all of them, three runs each, medians', async () => {
    const { store, exact } = setup();
    await store.getState().start({});
    await until(store, () => store.getState().result !== null);
    await store.getState().timeEncoder();
    expect(exact).toHaveLength(6);
    expect(store.getState().encoderTiming).toMatchObject({
      visible: { tokens: 49, ms: 49 },
      all: { tokens: 196, ms: 196 },
    });
  });
});
