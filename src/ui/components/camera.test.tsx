// @vitest-environment jsdom
import '@testing-library/jest-dom/vitest';

import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { configWith, fakeReconstruction, singleModelServices } from '../../../tests/helpers/appServices';
import type { Image8 } from '../../mae/image';
import { App } from '../App';
import type { CameraFeed } from '../frameLoop';
import { type AppServices, AppStoreContext, createAppStore } from '../store';

beforeAll(() => {
  // jsdom has no 2D canvas; the views only skip drawing without one.
  HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext;
});

afterEach(cleanup);

const config = configWith(32, 8);

/**
 * A camera with a new frame every 20 ms. (A frame at every tick of the event loop kept React
 * busy for good, and act() could then wait for ever for the page to settle.)
 */
function fakeCamera(): CameraFeed & { stopped: boolean } {
  return {
    stopped: false,
    async nextFrame(size): Promise<Image8 | null> {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return this.stopped
        ? null
        : { width: size, height: size, data: new Uint8ClampedArray(size * size * 4) };
    },
    stop() {
      this.stopped = true;
    },
    onEnded() {},
  };
}

async function renderApp(openCamera: AppServices['openCamera']) {
  const size = config.imageSize;
  const store = createAppStore({
    ...singleModelServices(config),
    openCamera,
    reconstruct: async (input) => fakeReconstruction(config, input.mask),
    loadSample: async () => ({ width: size, height: size, data: new Uint8Array(size * size * 3) }),
    decodeImage: async () => ({ width: size, height: size, data: new Uint8Array(size * size * 3) }),
  });
  render(
    <AppStoreContext.Provider value={store}>
      <App />
    </AppStoreContext.Provider>,
  );
  await act(() => store.getState().start({}));
  return store;
}

const cameraButton = () => screen.getByRole('button', { name: 'Camera' });

describe('camera controls', () => {
  it('a Camera button beside the file picker opens a bar with the frame rate, the toggle, Freeze and Stop', async () => {
    const camera = fakeCamera();
    await renderApp(async () => camera);
    expect(cameraButton()).toHaveAttribute('aria-pressed', 'false');
    const imagePanel = within(screen.getByRole('region', { name: 'Image' }));
    expect(imagePanel.getByRole('button', { name: 'Camera' })).toBe(cameraButton());
    expect(imagePanel.getByText('Choose an image…')).toBeInTheDocument();
    await act(async () => fireEvent.click(cameraButton()));
    const bar = await screen.findByRole('region', { name: 'Camera' });
    expect(cameraButton()).toHaveAttribute('aria-pressed', 'true');
    expect(bar).toHaveTextContent('Live camera');
    expect(await screen.findByText(/^\d+\.\d$/)).toBeInTheDocument();
    expect(screen.getByRole('checkbox', { name: 'New mask every frame' })).not.toBeChecked();
    expect(screen.getByRole('button', { name: 'Freeze' })).toBeEnabled();

    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Stop camera' })));
    expect(camera.stopped).toBe(true);
    expect(screen.queryByRole('region', { name: 'Camera' })).not.toBeInTheDocument();
    expect(cameraButton()).toHaveAttribute('aria-pressed', 'false');
  });

  it('no camera: the alert says so, and the page stays as it was', async () => {
    await renderApp(async () => {
      throw new DOMException('Requested device not found', 'NotFoundError');
    });
    await act(async () => fireEvent.click(cameraButton()));
    expect(screen.getByRole('alert')).toHaveTextContent('No camera was found on this device');
    expect(screen.queryByRole('region', { name: 'Camera' })).not.toBeInTheDocument();
    expect(cameraButton()).toBeEnabled();
  });
});
