// @vitest-environment jsdom
import '@testing-library/jest-dom/vitest';

import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { singleModelServices } from '../../../tests/helpers/appServices';
import { fixtureHandler, referenceArray, referenceImageRgba } from '../../../tests/helpers/fixtureModel';
import { attentionRow } from '../../mae/inspect';
import { lenKeep, maskFromKeptPatches } from '../../mae/masking';
import { InferenceClient, type WorkerPort } from '../../runtime/inferenceClient';
import type { ReconstructRequest, WorkerReply, WorkerRequest } from '../../runtime/protocol';
import { App } from '../App';
import { formatMs, formatPsnr } from '../format';
import { type AppServices, type AppStore, AppStoreContext, createAppStore, runKey } from '../store';

beforeAll(() => {
  // jsdom has no 2D canvas; the pictures only skip drawing without one.
  HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext;
});

afterEach(cleanup);

/** The real InferenceClient (latest-request-only) over the worker's handler with the fixture model. */
async function fixtureServices(normPixLoss = false) {
  const fixture = await fixtureHandler({ normPixLoss });
  const { config } = fixture;
  const inputs: ReconstructRequest[] = [];
  const listeners: ((event: MessageEvent<WorkerReply>) => void)[] = [];
  const port: WorkerPort = {
    postMessage(message: WorkerRequest) {
      if (message.type === 'reconstruct') inputs.push(message);
      void fixture.handle(message).then((reply) => {
        for (const listener of listeners) listener({ data: reply } as MessageEvent<WorkerReply>);
      });
    },
    addEventListener(type: string, listener: (event: MessageEvent<WorkerReply>) => void) {
      if (type === 'message') listeners.push(listener);
    },
    terminate() {},
  } as unknown as WorkerPort;
  const client = new InferenceClient(port);
  const services: AppServices = {
    ...singleModelServices(config),
    reconstruct: (input) => client.reconstruct(input),
    reconstructExactly: (input) => client.reconstructExactly(input),
    loadSample: async () => referenceImageRgba(),
    decodeImage: async () => referenceImageRgba(),
  };
  return { config, services, inputs };
}

async function startApp(services: AppServices): Promise<AppStore> {
  const store = createAppStore(services);
  render(
    <AppStoreContext.Provider value={store}>
      <App />
    </AppStoreContext.Provider>,
  );
  await act(() => store.getState().start({}));
  await settled(store);
  return store;
}

/** Waits until the shown result is the one for the current inputs (and has intermediates if asked). */
async function settled(store: AppStore, withIntermediates = store.getState().stepperOpen): Promise<void> {
  await waitFor(
    () => {
      const state = store.getState();
      expect(state.error).toBeNull();
      expect(state.modelStatus).toBe('ready');
      expect(state.settledKey).toBe(runKey(state));
      expect(screen.getByRole('region', { name: 'Views' })).toHaveAttribute('aria-busy', 'false');
      if (withIntermediates) expect(state.result?.intermediates).toBeDefined();
    },
    { timeout: 20_000 },
  );
}

const stepper = () => screen.getByRole('region', { name: 'Pipeline steps' });

function goTo(title: string) {
  fireEvent.click(
    within(stepper()).getByRole('button', { name: new RegExp(`^\\d+${title.replace('+', '\\+')}$`) }),
  );
  expect(within(stepper()).getByRole('heading', { level: 3 })).toHaveTextContent(title);
}

/** Paints the fixture's r75 kept patches through the store's painting action. */
async function paintFixtureMask(store: AppStore): Promise<Uint8Array> {
  const removed = referenceArray('r75_mask.npy');
  await act(async () => {
    store.getState().setMaskMode('painted');
    removed.forEach((isRemoved, patch) => store.getState().setPatchVisible(patch, !isRemoved));
  });
  await settled(store);
  return Uint8Array.from(removed, (isRemoved) => (isRemoved ? 0 : 1));
}

describe('pipeline stepper on the upstream fixture model', () => {
  it('asks for intermediates only while it is open', async () => {
    const { services, inputs } = await fixtureServices();
    const store = await startApp(services);
    expect(inputs.every((input) => !input.intermediates)).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Step through the pipeline' }));
    await settled(store, true);
    expect(inputs.at(-1)!.intermediates).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Close the steps' }));
    fireEvent.change(screen.getByRole('slider', { name: 'Mask ratio' }), { target: { value: '50' } });
    await settled(store);
    expect(inputs.at(-1)!.intermediates).toBe(false);
  }, 60_000);

  it('renders every step from the fixture run, and moves with the arrow keys', async () => {
    const { config, services } = await fixtureServices();
    const store = await startApp(services);
    fireEvent.click(screen.getByRole('button', { name: 'Step through the pipeline' }));
    const kept = await paintFixtureMask(store);
    await settled(store, true);
    const { result } = store.getState();
    const masking = maskFromKeptPatches(
      Array.from(kept, (k) => k === 1),
      config.numPatches,
    );
    const K = masking.idsKeep.length;
    expect(K).toBe(49);
    const region = stepper();
    const current = () => within(region).getByRole('button', { current: 'step' });

    expect(current()).toHaveTextContent('Input');
    expect(region).toHaveTextContent('image [3, 224, 224]');
    fireEvent.keyDown(region, { key: 'ArrowRight' });
    expect(current()).toHaveTextContent('Patchify');
    expect(region).toHaveTextContent('patches [1, 196, 768]');
    fireEvent.keyDown(region, { key: 'ArrowLeft' });
    expect(current()).toHaveTextContent('Input');

    goTo('Noise');
    expect(region).toHaveTextContent('ids_shuffle [1, 196]');
    // SVG <text> labels have no role to query them by.
    // eslint-disable-next-line testing-library/no-node-access
    const cellTexts = () => Array.from(region.querySelectorAll('text'), (node) => node.textContent);
    expect(cellTexts()).toEqual(Array.from(masking.idsRestore, String));

    goTo('Mask');
    expect(cellTexts()).toEqual(Array.from(referenceArray('r75_mask.npy'), String));
    expect(region).toHaveTextContent('49 kept (0), 147 removed (1): 75.0% masked.');

    goTo('Visible tokens');
    expect(region).toHaveTextContent(
      `ids_keep = [${Array.from(masking.idsKeep.subarray(0, 24)).join(', ')}, …]`,
    );
    expect(region).toHaveTextContent('visible_patches [1, 49, 768] → tokens [1, 50, 192] with cls');

    goTo('Encoder');
    expect(region).toHaveTextContent('attentions [1, 3, 3, 50, 50]');
    const layer = within(region).getByRole('slider', { name: /Encoder layer/ });
    expect(layer).toHaveAttribute('max', '2');
    expect(within(region).getAllByRole('option')).toHaveLength(4);
    const inter = result!.intermediates!;
    const clsShare = attentionRow(inter.attentions, inter.attentionDims, 0, 'mean', 0)[0]!;
    expect(region).toHaveTextContent(`The cls token takes ${(clsShare * 100).toFixed(1)}%`);
    const patch = masking.idsKeep[10]!;
    fireEvent.click(within(region).getByRole('button', { name: `Attend from patch ${patch}` }));
    expect(within(region).getByRole('button', { name: `Attend from patch ${patch}` })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    const fromPatch = attentionRow(inter.attentions, inter.attentionDims, 0, 'mean', 11)[0]!;
    expect(region).toHaveTextContent(
      `Where patch ${patch} (row ${Math.floor(patch / 14)}, column ${patch % 14}) attends`,
    );
    expect(region).toHaveTextContent(`The cls token takes ${(fromPatch * 100).toFixed(1)}%`);
    // Arrow keys on the layer slider belong to the slider.
    fireEvent.keyDown(layer, { key: 'ArrowRight' });
    expect(current()).toHaveTextContent('Encoder');
    fireEvent.change(layer, { target: { value: '2' } });
    expect(region).toHaveTextContent('layer 3');

    goTo('Decoder input');
    expect(region).toHaveTextContent('decoder tokens [1, 197, 128]');
    expect(region).toHaveTextContent(
      '49 latent tokens at their own positions, 147 copies of the one mask token',
    );

    goTo('Decoder layers');
    expect(region).toHaveTextContent('pred_per_layer [1, 2, 196, 768]');
    expect(within(region).getByRole('img', { name: 'Prediction after decoder block 2' })).toBeInTheDocument();
    fireEvent.change(within(region).getByRole('slider', { name: /Decoder layer/ }), {
      target: { value: '0' },
    });
    expect(within(region).getByRole('img', { name: 'Prediction after decoder block 1' })).toBeInTheDocument();

    goTo('Reconstruction');
    expect(within(region).getByRole('img', { name: 'Reconstruction' })).toBeInTheDocument();

    goTo('Reconstruction + visible');
    expect(region).toHaveTextContent(`Masked-patch PSNR: ${formatPsnr(result!.maskedPsnr)}`);
    expect(within(region).getByRole('img', { name: 'Per-patch error' })).toBeInTheDocument();
    fireEvent.keyDown(region, { key: 'ArrowRight' });
    expect(current()).toHaveTextContent('Reconstruction + visible');
    // Stepping and inspecting re-read the same run: no new inference.
    expect(store.getState().result).toBe(result);
  }, 60_000);
});

describe('mask modes through the page', () => {
  const stats = () => screen.getByLabelText('Run statistics');

  it('random and block keep floor(N * (1 - ratio)), grid one per cell, painted exactly what is painted', async () => {
    const { config, services, inputs } = await fixtureServices();
    const store = await startApp(services);
    const slider = screen.getByRole('slider', { name: 'Mask ratio' });
    fireEvent.change(slider, { target: { value: '60' } });
    await settled(store);
    expect(store.getState().result!.visiblePatches).toBe(lenKeep(config.numPatches, 0.6));
    // The JavaScript around the graphs, as the worker timed it for this run.
    const { maskMs, postMs } = store.getState().result!;
    expect(stats()).toHaveTextContent(`JavaScript${formatMs(maskMs + postMs)}`);

    fireEvent.click(screen.getByRole('radio', { name: 'Block' }));
    await settled(store);
    expect(inputs.at(-1)!.mask).toMatchObject({ mode: 'block', ratio: 0.6 });
    expect(store.getState().result!.visiblePatches).toBe(lenKeep(config.numPatches, 0.6));

    fireEvent.click(screen.getByRole('radio', { name: 'Grid' }));
    await settled(store);
    expect(store.getState().result!.visiblePatches).toBe(49); // s = 2 on a 14 x 14 grid
    expect(screen.getByText('49 of 196 patches visible')).toBeInTheDocument();

    fireEvent.click(screen.getByRole('radio', { name: 'Painted' }));
    await settled(store);
    expect(slider).toBeDisabled();
    const before = new Set(
      Array.from(store.getState().result!.mask.entries())
        .filter(([, removed]) => !removed)
        .map(([patch]) => patch),
    );
    const painter = screen.getByRole('group', { name: 'Paint the mask' });
    const hidden = within(painter)
      .getAllByRole('button', { pressed: false })
      .slice(0, 3)
      .map((button) => Number(/Patch (\d+)/.exec(button.getAttribute('aria-label')!)![1]));
    for (const patch of hidden) {
      fireEvent.click(within(painter).getByRole('button', { name: new RegExp(`^Patch ${patch} `) }));
    }
    await settled(store);
    const after = store.getState().result!;
    expect(after.visiblePatches).toBe(before.size + 3);
    const visibleNow = Array.from(after.mask.entries())
      .filter(([, removed]) => !removed)
      .map(([patch]) => patch);
    expect(visibleNow).toEqual([...before, ...hidden].sort((a, b) => a - b));
    expect(within(stats()).getByText(`K = ${before.size + 3}`)).toBeInTheDocument();

    // The painted mask stays when the image changes.
    await act(() => store.getState().selectSample('astronaut'));
    await settled(store);
    expect(store.getState().result!.visiblePatches).toBe(before.size + 3);

    fireEvent.click(screen.getByRole('button', { name: 'Clear painting' }));
    await settled(store);
    expect(store.getState().result!.visiblePatches).toBe(0);
    expect(Number.isFinite(store.getState().result!.maskedPsnr)).toBe(true);
  }, 60_000);
});

describe('norm_pix_loss models', () => {
  it('warn, and re-run with the statistics the user picks', async () => {
    const { services, inputs } = await fixtureServices(true);
    const store = await startApp(services);
    const notice = screen.getByRole('note', { name: 'Normalised-pixel model' });
    expect(notice).toHaveTextContent('norm_pix_loss');
    const ownStats = within(notice).getByRole('radio', {
      name: /True patch statistics \(uses the hidden pixels\)/,
    });
    expect(ownStats).toBeChecked();
    const patchPsnr = store.getState().result!.maskedPsnr;
    fireEvent.click(within(notice).getByRole('radio', { name: /Nearest visible patches/ }));
    await settled(store);
    expect(inputs.at(-1)!.normPixStatistics).toBe('neighbours');
    expect(store.getState().result!.maskedPsnr).not.toBe(patchPsnr);
  }, 60_000);

  it('are not flagged for pixel-loss models', async () => {
    const { services } = await fixtureServices(false);
    await startApp(services);
    expect(screen.queryByRole('note', { name: 'Normalised-pixel model' })).toBeNull();
  }, 60_000);
});
