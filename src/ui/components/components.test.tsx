// @vitest-environment jsdom
import '@testing-library/jest-dom/vitest';

import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { configWith, fakeReconstruction, singleModelServices } from '../../../tests/helpers/appServices';
import { tinyEvaluation } from '../../../tests/helpers/evaluation';
import type { ModelConfig } from '../../formats/config';
import type { ReconstructInput } from '../../runtime/inferenceClient';
import type { Reconstruction } from '../../runtime/protocol';
import { App } from '../App';
import {
  type AppServices,
  type AppStore,
  AppStoreContext,
  createAppStore,
  type LoadedModel,
  type OfflineServices,
} from '../store';

beforeAll(() => {
  // jsdom has no 2D canvas; the views only skip drawing without one.
  HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext;
});

afterEach(cleanup);

interface PendingRun {
  input: ReconstructInput;
  resolve(result: Reconstruction | null): void;
  reject(error: Error): void;
}

/** Services whose reconstructions wait until the test settles them. */
function setup(config: ModelConfig = configWith(224, 16), overrides: Partial<AppServices> = {}) {
  const runs: PendingRun[] = [];
  const size = config.imageSize;
  const services: AppServices = {
    ...singleModelServices(config),
    reconstruct: (input) => new Promise((resolve, reject) => runs.push({ input, resolve, reject })),
    loadSample: async () => ({ width: size, height: size, data: new Uint8Array(size * size * 3) }),
    decodeImage: async () => ({ width: size, height: size, data: new Uint8Array(size * size * 3) }),
    ...overrides,
  };
  const store = createAppStore(services);
  render(
    <AppStoreContext.Provider value={store}>
      <App />
    </AppStoreContext.Provider>,
  );
  const settle = async (run: PendingRun | undefined = runs.at(-1)) => {
    if (!run) throw new Error('no run to settle');
    await act(async () => run.resolve(fakeReconstruction(config, run.input.mask)));
  };
  return { store, runs, settle };
}

async function start(store: AppStore) {
  await act(() => store.getState().start({}));
}

const views = () => screen.getByRole('region', { name: 'Views' });

describe('mask ratio slider', () => {
  it('is a range input labelled "Mask ratio" whose label counts visible patches from the config', async () => {
    const { store } = setup();
    await start(store);
    const slider = screen.getByRole('slider', { name: 'Mask ratio' });
    expect(slider).toHaveAttribute('type', 'range');
    expect(slider).toHaveAttribute('min', '0');
    expect(slider).toHaveAttribute('max', '95');
    expect(slider).toHaveAttribute('step', '1');
    expect(screen.getByText('75%')).toBeInTheDocument();
    expect(screen.getByText('49 of 196 patches visible')).toBeInTheDocument();

    fireEvent.change(slider, { target: { value: '50' } });
    expect(screen.getByText('50%')).toBeInTheDocument();
    expect(screen.getByText('98 of 196 patches visible')).toBeInTheDocument();
  });

  it('takes its numbers from the model, whatever its size', async () => {
    const { store } = setup(configWith(32, 8));
    await start(store);
    expect(screen.getByText('4 of 16 patches visible')).toBeInTheDocument();
    fireEvent.change(screen.getByRole('slider', { name: 'Mask ratio' }), { target: { value: '0' } });
    expect(screen.getByText('16 of 16 patches visible')).toBeInTheDocument();
  });

  it('re-runs live while dragging, with the latest ratio', async () => {
    const { store, runs } = setup();
    await start(store);
    const slider = screen.getByRole('slider', { name: 'Mask ratio' });
    fireEvent.change(slider, { target: { value: '60' } });
    fireEvent.change(slider, { target: { value: '61' } });
    expect(runs.map((run) => (run.input.mask.mode === 'painted' ? null : run.input.mask.ratio))).toEqual([
      0.75, 0.6, 0.61,
    ]);
  });
});

describe('views region', () => {
  it('names the four views exactly', async () => {
    const { store } = setup();
    await start(store);
    for (const name of ['Original', 'Masked', 'Reconstruction', 'Reconstruction + visible']) {
      expect(screen.getByRole('img', { name })).toBeInstanceOf(HTMLCanvasElement);
    }
  });

  it('is aria-busy while a run is in flight and not once the views show the current inputs', async () => {
    const { store, runs, settle } = setup();
    await start(store);
    expect(runs).toHaveLength(1);
    expect(views()).toHaveAttribute('aria-busy', 'true');
    await settle();
    expect(views()).toHaveAttribute('aria-busy', 'false');
    expect(screen.getByText('K = 49')).toBeInTheDocument();
    expect(screen.getByText('WASM · 2 threads')).toBeInTheDocument();
    expect(screen.getByText('21.5 dB')).toBeInTheDocument();

    fireEvent.change(screen.getByRole('slider', { name: 'Mask ratio' }), { target: { value: '40' } });
    expect(views()).toHaveAttribute('aria-busy', 'true');
    // An older run finishing does not make the views current.
    fireEvent.change(screen.getByRole('slider', { name: 'Mask ratio' }), { target: { value: '30' } });
    await settle(runs[1]);
    expect(views()).toHaveAttribute('aria-busy', 'true');
    await settle(runs[2]);
    expect(views()).toHaveAttribute('aria-busy', 'false');
  });

  it('New mask picks another seed and runs again', async () => {
    const { store, runs, settle } = setup();
    await start(store);
    await settle();
    const before = store.getState().seed;
    fireEvent.click(screen.getByRole('button', { name: 'New mask' }));
    expect(store.getState().seed).not.toBe(before);
    expect(runs.at(-1)!.input.mask).toMatchObject({ seed: store.getState().seed });
    expect(screen.getByRole('spinbutton', { name: 'Seed' })).toHaveValue(store.getState().seed);
  });
});

describe('image inputs', () => {
  const image = () => new File([new Uint8Array([137, 80, 78, 71])], 'photo.png', { type: 'image/png' });

  it('opens an image pasted anywhere', async () => {
    const decoded: string[] = [];
    const { store } = setup(undefined, {
      decodeImage: async (_blob, label) => {
        decoded.push(label);
        return { width: 224, height: 224, data: new Uint8Array(224 * 224 * 3) };
      },
    });
    await start(store);
    const file = image();
    await act(async () => {
      fireEvent.paste(window, {
        clipboardData: { items: [{ kind: 'file', type: file.type, getAsFile: () => file }] },
      });
    });
    expect(store.getState().source).toEqual({ kind: 'clipboard' });
    expect(decoded).toEqual(['Pasted image']);
  });

  it('opens an image dropped anywhere, and says so when the drop is not an image', async () => {
    const { store } = setup();
    await start(store);
    await act(async () => {
      fireEvent.drop(window, { dataTransfer: { types: ['Files'], files: [image()] } });
    });
    expect(store.getState().source).toEqual({ kind: 'file', name: 'photo.png' });
    const text = new File(['hi'], 'notes.txt', { type: 'text/plain' });
    await act(async () => {
      fireEvent.drop(window, { dataTransfer: { types: ['Files'], files: [text] } });
    });
    expect(screen.getByRole('alert')).toHaveTextContent('That was not an image file.');
  });
});

describe('model', () => {
  it('passes the execution provider asked for in the URL to the worker', async () => {
    const asked: string[] = [];
    const { store } = setup(undefined, {
      startModel: async (_model, executionProvider) => {
        asked.push(executionProvider);
        return { executionProvider: 'wasm', threads: 4, crossOriginIsolated: true };
      },
    });
    await act(() => store.getState().start({ ep: 'wasm' }));
    expect(asked).toEqual(['wasm']);
    expect(screen.getByText('Ready · running on WebAssembly, 4 threads')).toBeInTheDocument();
  });

  it("shows the bundled model's held-out test from its config, and nothing for a model without one", async () => {
    const { store } = setup({ ...configWith(224, 16), evaluation: tinyEvaluation() });
    await start(store);
    expect(
      screen.getByText(
        'Held-out test: tuxpaint-data, never trained on (21 photos, 75 % masked, seeds 0, 1, 2): 17.63 dB ' +
          'masked-patch PSNR; interpolation 16.54 dB (model better on 19 of 21), converged diffusion ' +
          '17.09 dB (16 of 21).',
      ),
    ).toBeInTheDocument();
    cleanup();
    const plain = setup();
    await start(plain.store);
    expect(screen.queryByText(/Held-out test/)).not.toBeInTheDocument();
  });
});

describe('errors', () => {
  it('shows a failed run in role="alert" and keeps working', async () => {
    const { store, runs, settle } = setup();
    await start(store);
    await act(async () => runs[0]!.reject(new Error('out of memory')));
    expect(screen.getByRole('alert')).toHaveTextContent('Reconstruction failed: out of memory');
    expect(views()).toHaveAttribute('aria-busy', 'false');

    fireEvent.change(screen.getByRole('slider', { name: 'Mask ratio' }), { target: { value: '50' } });
    await settle();
    expect(views()).toHaveAttribute('aria-busy', 'false');
    expect(screen.getByText('K = 98')).toBeInTheDocument();

    fireEvent.click(screen.getByRole('button', { name: 'Dismiss the error' }));
    expect(screen.getByRole('alert')).toBeEmptyDOMElement();
  });

  it('reports an image that cannot be decoded', async () => {
    const { store } = setup(undefined, {
      decodeImage: async () => {
        throw new Error('notes.txt could not be read as an image.');
      },
    });
    await start(store);
    // The file input is hidden behind its styled label, which has no role of its own.
    // eslint-disable-next-line testing-library/no-node-access
    const input = document.querySelector<HTMLInputElement>('input[type="file"][accept="image/*"]')!;
    await act(async () => {
      fireEvent.change(input, {
        target: { files: [new File(['hello'], 'notes.txt', { type: 'text/plain' })] },
      });
    });
    expect(screen.getByRole('alert')).toHaveTextContent('notes.txt could not be read as an image.');
    expect(store.getState().source).toEqual({ kind: 'sample', sampleId: 'cat' });
    expect(screen.getByRole('button', { name: 'Chelsea the cat' })).toHaveAttribute('aria-pressed', 'true');
  });

  it('reports a model that fails to load', async () => {
    const { store } = setup(undefined, {
      fetchModel: async () => {
        throw new Error('encoder.onnx: SHA-256 mismatch');
      },
    });
    await start(store);
    expect(screen.getByRole('alert')).toHaveTextContent(
      'Could not load the model: encoder.onnx: SHA-256 mismatch',
    );
    expect(views()).toHaveAttribute('aria-busy', 'false');
  });

  it('runs the bundled model when the link’s model from another origin fails, and keeps the reason on screen', async () => {
    const { store } = setup(undefined, {
      describeRemoteModel: async (configUrl) => {
        throw new Error(`could not fetch ${configUrl} from another origin`);
      },
    });
    await act(() => store.getState().start({ model: 'hf:someone/mae-base' }));
    expect(screen.getByRole('alert')).toHaveTextContent(
      'could not fetch https://huggingface.co/someone/mae-base/resolve/main/config.json from another origin',
    );
    expect(store.getState().model).toEqual({ kind: 'bundled', id: 'test' });
    expect(store.getState().modelStatus).toBe('ready');
  });

  it('says when the page is not cross-origin isolated and how many threads it uses', async () => {
    const { store } = setup(undefined, {
      startModel: async () => ({ executionProvider: 'wasm', threads: 1, crossOriginIsolated: false }),
    });
    await start(store);
    expect(screen.getByText(/Not cross-origin isolated: 1 thread\./)).toBeInTheDocument();
  });
});

describe('a model named by a link', () => {
  const linked = (cached: boolean, fetched: string[]) => ({
    describeRemoteModel: async () => ({ host: 'huggingface.co', bytes: 447_800_000, cached }),
    fetchModelFromUrl: async (configUrl: string) => {
      fetched.push(configUrl);
      return {
        config: configWith(224, 16),
        bytes: { encoder: new Uint8Array(1), decoder: new Uint8Array(1) },
      };
    },
  });

  it('waits for "Load model" in a dialog giving the host and the size, while the bundled model runs', async () => {
    const fetched: string[] = [];
    const { store } = setup(undefined, linked(false, fetched));
    await act(() => store.getState().start({ model: 'hf:facebook/vit-mae-base' }));
    const dialog = screen.getByRole('dialog', { name: 'Load a model from huggingface.co?' });
    expect(dialog).toHaveTextContent('a 447.8 MB download from huggingface.co');
    expect(store.getState().model).toEqual({ kind: 'bundled', id: 'test' });
    expect(fetched).toEqual([]);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Load model' })));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(fetched).toEqual(['https://huggingface.co/facebook/vit-mae-base/resolve/main/config.json']);
    expect(store.getState().model).toEqual({ kind: 'url', spec: 'hf:facebook/vit-mae-base' });
  });

  it('keeps the bundled model when the dialog is dismissed, and loads a cached model without asking', async () => {
    const fetched: string[] = [];
    const { store } = setup(undefined, linked(false, fetched));
    await act(() => store.getState().start({ model: 'hf:facebook/vit-mae-base' }));
    fireEvent.click(screen.getByRole('button', { name: 'Not now' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(fetched).toEqual([]);
    cleanup();

    const cachedFetches: string[] = [];
    const cached = setup(undefined, linked(true, cachedFetches));
    await act(() => cached.store.getState().start({ model: 'hf:facebook/vit-mae-base' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(cachedFetches).toHaveLength(1);
  });

  it('offers Meta’s ViT-MAE base and large in the picker with their download sizes', async () => {
    const fetched: string[] = [];
    const { store } = setup(undefined, linked(false, fetched));
    await act(() => store.getState().start({}));
    expect(
      screen.getByRole('option', { name: 'Meta ViT-MAE base (Hugging Face, 448 MB)' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('option', { name: 'Meta ViT-MAE large (Hugging Face, 1.3 GB)' }),
    ).toBeInTheDocument();
    await act(async () =>
      fireEvent.change(screen.getByRole('combobox', { name: 'Model' }), {
        target: { value: 'hf:facebook/vit-mae-large' },
      }),
    );
    expect(fetched).toEqual(['https://huggingface.co/facebook/vit-mae-large/resolve/main/config.json']);
  });
});

describe('the int8 option', () => {
  it('asks the worker for int8 weights when a checkpoint loads with it on', async () => {
    const started: LoadedModel[] = [];
    const checkpoint = { weights: { name: 'model.safetensors', bytes: new Uint8Array(1) }, configJson: {} };
    const { store } = setup(undefined, {
      fetchModelFromUrl: async () => ({ config: configWith(224, 16), checkpoint }),
      startModel: async (model) => {
        started.push(model);
        return { executionProvider: 'wasm', threads: 2, crossOriginIsolated: true };
      },
    });
    await start(store);
    fireEvent.click(screen.getByRole('checkbox', { name: 'int8 weights (faster on CPU)' }));
    await act(() => store.getState().loadModelFromUrl('hf:facebook/vit-mae-base'));
    const last = started.at(-1)!;
    expect('checkpoint' in last && last.checkpoint.int8).toBe(true);
    expect(last.config.quantization).toEqual({ mode: 'int8' });
  });
});

describe('offline use and updates', () => {
  /** Service-worker services whose app cache is ready when the test says so. */
  function fakeOffline(modelFilesCached = true, appFilesCached = true) {
    let appCached!: () => void;
    let updateReady!: () => void;
    const offline = {
      cacheApp: vi.fn(() => new Promise<void>((resolve) => (appCached = resolve))),
      watchForUpdate: vi.fn((onReady: () => void) => void (updateReady = onReady)),
      applyUpdate: vi.fn(),
      storageUsage: vi.fn(async () => 38_200_000),
      appFilesCached: vi.fn(async () => appFilesCached),
      modelFilesCached: vi.fn(async () => modelFilesCached),
      clearModelCache: vi.fn(async () => undefined),
    } satisfies OfflineServices;
    return {
      offline,
      appCached: () => act(async () => appCached()),
      updateReady: () => act(() => updateReady()),
    };
  }

  it('says "Offline-ready" with the storage used once the app is cached, and clears the cached models', async () => {
    const { offline, appCached } = fakeOffline();
    const { store } = setup(undefined, { offline });
    await start(store);
    act(() => store.getState().startOffline());
    expect(screen.getByText('Saving the app for offline use…')).toBeInTheDocument();
    await appCached();
    expect(screen.getByText('Offline-ready')).toBeInTheDocument();
    expect(screen.getByText('· 38.2 MB stored')).toBeInTheDocument();
    // A bundled model is looked up in the app's offline copy, not in the cache of models from elsewhere.
    expect(offline.appFilesCached).toHaveBeenLastCalledWith('models/test/config.json', configWith(224, 16));
    expect(offline.modelFilesCached).not.toHaveBeenCalled();

    offline.storageUsage.mockResolvedValue(37_000_000);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Clear cached models' })));
    expect(offline.clearModelCache).toHaveBeenCalledTimes(1);
    expect(screen.getByText('· 37.0 MB stored')).toBeInTheDocument();
  });

  it('stays offline-ready when an older status check answers after a newer one', async () => {
    const { offline, appCached } = fakeOffline();
    const { store } = setup(undefined, { offline });
    let answerFirst!: (usage: number) => void;
    offline.storageUsage.mockImplementationOnce(() => new Promise((resolve) => (answerFirst = resolve)));
    act(() => store.getState().startOffline());
    // The model loads while the app is still being saved: this check finds the model not cached.
    await start(store);
    await appCached();
    expect(screen.getByText('Offline-ready')).toBeInTheDocument();
    await act(async () => answerFirst(1_000));
    expect(screen.getByText('Offline-ready')).toBeInTheDocument();
    expect(screen.getByText('· 38.2 MB stored')).toBeInTheDocument();
  });

  it("is not offline-ready while a bundled model is not in the app's offline copy", async () => {
    const { offline, appCached } = fakeOffline(true, false);
    const { store } = setup(undefined, { offline });
    await start(store);
    act(() => store.getState().startOffline());
    await appCached();
    expect(screen.getByText('The app works offline; this model is not cached')).toBeInTheDocument();
  });

  it('is not offline-ready while a model from a URL is not cached', async () => {
    const config = configWith(224, 16);
    const { offline, appCached } = fakeOffline(false);
    const { store } = setup(config, {
      offline,
      fetchModelFromUrl: async () => ({
        config,
        bytes: { encoder: new Uint8Array(1), decoder: new Uint8Array(1) },
      }),
      describeRemoteModel: async () => ({ host: 'models.example', bytes: 1000, cached: false }),
    });
    act(() => store.getState().startOffline());
    await act(() => store.getState().start({ model: 'https://models.example/mae/config.json' }));
    await act(() => store.getState().confirmPendingModel());
    await appCached();
    expect(offline.modelFilesCached).toHaveBeenLastCalledWith(
      'https://models.example/mae/config.json',
      config,
    );
    expect(screen.getByText('The app works offline; this model is not cached')).toBeInTheDocument();
    expect(screen.queryByText('Offline-ready')).toBeNull();
  });

  it('says why the app could not be cached', async () => {
    const { offline } = fakeOffline();
    offline.cacheApp.mockRejectedValue(new Error('assets/index.js: HTTP 404'));
    const { store } = setup(undefined, { offline });
    await act(async () => store.getState().startOffline());
    expect(screen.getByText('Not available offline: assets/index.js: HTTP 404')).toBeInTheDocument();
  });

  it('offers a waiting build, and lets it take over only on the click', async () => {
    const { offline, updateReady } = fakeOffline();
    const { store } = setup(undefined, { offline });
    await start(store);
    act(() => store.getState().startOffline());
    const offer = () => screen.queryByRole('button', { name: 'A new version is ready — reload' });
    expect(offer()).toBeNull();
    updateReady();
    expect(offer()).toBeInTheDocument();
    expect(offline.applyUpdate).not.toHaveBeenCalled();
    fireEvent.click(offer()!);
    expect(offline.applyUpdate).toHaveBeenCalledTimes(1);
  });

  it('shows nothing where there is no service worker', async () => {
    const { store } = setup();
    await start(store);
    act(() => store.getState().startOffline());
    expect(screen.queryByRole('button', { name: 'Clear cached models' })).toBeNull();
    expect(screen.queryByText(/offline/i)).toBeNull();
  });
});
