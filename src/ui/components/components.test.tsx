// @vitest-environment jsdom
import '@testing-library/jest-dom/vitest';

import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { singleModelServices } from '../../../tests/helpers/appServices';
import { gridSize, type ModelConfig, parseModelConfig } from '../../mae/config';
import { buildMasking } from '../../mae/maskModes';
import type { ReconstructInput } from '../../runtime/inferenceClient';
import type { Reconstruction } from '../../runtime/protocol';
import { App } from '../App';
import {
  type AppServices,
  type AppStore,
  AppStoreContext,
  createAppStore,
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

// (tests/helpers/fixture.ts reads files through node:url, which jsdom's URL does not satisfy.)
function configWith(imageSize: number, patchSize: number): ModelConfig {
  return parseModelConfig({
    format: 'mae-lens-model/1',
    name: 'Test MAE',
    source: { format: 'random' },
    image_size: imageSize,
    patch_size: patchSize,
    in_chans: 3,
    num_patches: (imageSize / patchSize) ** 2,
    encoder: { embed_dim: 8, depth: 1, num_heads: 2, mlp_hidden: 16 },
    decoder: { embed_dim: 8, depth: 1, num_heads: 2, mlp_hidden: 16 },
    layer_norm_eps: 1e-6,
    norm_pix_loss: false,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    opset: 17,
    files: { encoder: { path: 'encoder.onnx' }, decoder: { path: 'decoder.onnx' } },
  });
}

function resultFor(config: ModelConfig, input: ReconstructInput): Reconstruction {
  const view = new Uint8ClampedArray(config.imageSize * config.imageSize * 4);
  const { mask, idsKeep } = buildMasking(input.mask, gridSize(config));
  return {
    views: { original: view, masked: view, reconstruction: view, reconstructionPlusVisible: view },
    mask,
    visiblePatches: idsKeep.length,
    numPatches: config.numPatches,
    maskedMse: 460,
    maskedPsnr: 21.5,
    maskMs: 0.2,
    encoderMs: 12.3,
    decoderMs: 4.5,
    postMs: 2,
    totalMs: 20,
  };
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
    await act(async () => run.resolve(resultFor(config, run.input)));
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
      fetchModelFromUrl: async (configUrl) => {
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

describe('offline use and updates', () => {
  /** Service-worker services whose app cache is ready when the test says so. */
  function fakeOffline(modelFilesCached = true) {
    let appCached!: () => void;
    let updateReady!: () => void;
    const offline = {
      cacheApp: vi.fn(() => new Promise<void>((resolve) => (appCached = resolve))),
      watchForUpdate: vi.fn((onReady: () => void) => void (updateReady = onReady)),
      applyUpdate: vi.fn(),
      storageUsage: vi.fn(async () => 38_200_000),
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
    // The bundled model comes with the app: nothing to look up in the model cache.
    expect(offline.modelFilesCached).not.toHaveBeenCalled();

    offline.storageUsage.mockResolvedValue(37_000_000);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Clear cached models' })));
    expect(offline.clearModelCache).toHaveBeenCalledTimes(1);
    expect(screen.getByText('· 37.0 MB stored')).toBeInTheDocument();
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
    });
    act(() => store.getState().startOffline());
    await act(() => store.getState().start({ model: 'https://models.example/mae/config.json' }));
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
