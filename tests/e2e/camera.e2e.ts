/**
 * End to end: camera mode on the production build in Debian's Chromium with its fake camera (a
 * moving test pattern): live views whose pixels change, the frame rate, Freeze into the stepper,
 * the tracks ended on every way out, a denied permission, and no request while the camera is on.
 */
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CHROMIUM, CHROMIUM_FLAGS } from '../../src/cli/chromium';
import { VIEW_LABELS } from '../../src/ui/viewLabels';
import { buildDist, canvasPixels, READY_TIMEOUT_MS, recordErrors, startPreview, viewsReady } from './harness';

const FAKE_CAMERA = '--use-fake-device-for-media-stream';
/** Grants the camera without a prompt; without it headless Chromium denies it. */
const FAKE_PERMISSION_UI = '--use-fake-ui-for-media-stream';
/** A frame takes one reconstruction: seconds on a busy 2-core machine. */
const FRAME_TIMEOUT_MS = 60_000;

let preview: { baseUrl: string; stop(): void };
let browser: Browser;
let context: BrowserContext;
let page: Page;
let consoleErrors: string[] = [];
const requests: string[] = [];

/** Every stream getUserMedia handed the page, so that the test can read its tracks' state. */
function recordStreams(): void {
  const streams: MediaStream[] = [];
  Object.assign(window, { cameraStreams: streams });
  const devices = navigator.mediaDevices;
  const getUserMedia = devices.getUserMedia.bind(devices);
  devices.getUserMedia = async (constraints) => {
    const stream = await getUserMedia(constraints);
    streams.push(stream);
    return stream;
  };
}

/** readyState of every video track the page was given, oldest stream first. */
function trackStates(): Promise<string[]> {
  return page.evaluate(() =>
    (window as unknown as { cameraStreams: MediaStream[] }).cameraStreams.flatMap((stream) =>
      stream.getVideoTracks().map((track) => track.readyState),
    ),
  );
}

const cameraBar = () => page.getByRole('region', { name: 'Camera' });
const cameraButton = () => page.getByRole('button', { name: 'Camera', exact: true });

async function framesPerSecond(): Promise<number> {
  const text = await cameraBar().locator('dd').innerText();
  return Number(text);
}

async function startLive(): Promise<void> {
  await cameraButton().click();
  await cameraBar().getByText('Live camera').waitFor({ timeout: FRAME_TIMEOUT_MS });
  // Two frames shown: the frame rate is known.
  await expect.poll(framesPerSecond, { timeout: FRAME_TIMEOUT_MS, interval: 250 }).toBeGreaterThan(0);
}

/** Waits until the view `label` shows something other than `before`; returns it. */
async function changed(label: string, before: Uint8Array): Promise<Buffer> {
  let now = Buffer.from(await canvasPixels(page, label));
  const deadline = Date.now() + FRAME_TIMEOUT_MS;
  while (Buffer.compare(now, Buffer.from(before)) === 0 && Date.now() < deadline) {
    await page.waitForTimeout(100);
    now = Buffer.from(await canvasPixels(page, label));
  }
  return now;
}

beforeAll(async () => {
  buildDist();
  preview = await startPreview();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, FAKE_CAMERA, FAKE_PERMISSION_UI],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Every request of the page and of its workers (playwright reports worker fetches on the context).
  context.on('request', (request) => requests.push(request.url()));
  await context.addInitScript(recordStreams);
  page = await context.newPage();
  consoleErrors = recordErrors(page);
  await page.goto(preview.baseUrl);
  await viewsReady(page);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  preview?.stop();
});

describe('camera mode (fake camera)', () => {
  let requestsBefore = 0;
  let sample: Buffer;

  it('shows four live views whose pixels change between frames, and frames per second > 0', async () => {
    sample = Buffer.from(await canvasPixels(page, 'Original'));
    requestsBefore = requests.length;
    await startLive();
    expect(await cameraButton().getAttribute('aria-pressed')).toBe('true');
    expect(await framesPerSecond()).toBeGreaterThan(0);
    const first = new Map<string, Buffer>();
    for (const { label } of VIEW_LABELS) first.set(label, Buffer.from(await canvasPixels(page, label)));
    expect(Buffer.compare(first.get('Original')!, sample)).not.toBe(0);
    // The fake camera's clock and pie move every frame: each view differs a few frames later.
    for (const { label } of VIEW_LABELS) {
      const later = await changed(label, first.get(label)!);
      expect(Buffer.compare(later, first.get(label)!), label).not.toBe(0);
    }
  });

  it('Freeze keeps the frame as the image: the views stop, the stepper shows it, the tracks end', async () => {
    await cameraBar().getByRole('button', { name: 'Freeze' }).click();
    await cameraBar().waitFor({ state: 'detached' });
    await viewsReady(page);
    expect(await trackStates()).toEqual(['ended']);
    const frozen = Buffer.from(await canvasPixels(page, 'Original'));
    expect(Buffer.compare(frozen, sample)).not.toBe(0);
    await page.waitForTimeout(1000);
    expect(Buffer.compare(Buffer.from(await canvasPixels(page, 'Original')), frozen)).toBe(0);

    await page.getByRole('button', { name: 'Step through the pipeline' }).click();
    const stepper = page.getByRole('region', { name: 'Pipeline steps' });
    await stepper.getByRole('img', { name: 'Input image' }).first().waitFor({ timeout: FRAME_TIMEOUT_MS });
    expect(Buffer.compare(Buffer.from(await canvasPixels(page, 'Input image')), frozen)).toBe(0);
    // A mask change still works on the frozen frame.
    await page.getByRole('slider', { name: 'Mask ratio' }).fill('50');
    await viewsReady(page);
    expect(Buffer.compare(Buffer.from(await canvasPixels(page, 'Original')), frozen)).toBe(0);
    await page.getByRole('button', { name: 'Close the steps' }).click();
  });

  it('leaving the mode, hiding the tab or picking another image ends the tracks', async () => {
    await startLive();
    await cameraBar().getByRole('button', { name: 'Stop camera' }).click();
    await cameraBar().waitFor({ state: 'detached' });
    expect(await trackStates()).toEqual(['ended', 'ended']);
    await viewsReady(page);

    await startLive();
    await cameraButton().click();
    await cameraBar().waitFor({ state: 'detached' });
    expect(await trackStates()).toEqual(['ended', 'ended', 'ended']);

    await startLive();
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await cameraBar().waitFor({ state: 'detached' });
    expect((await trackStates()).every((state) => state === 'ended')).toBe(true);
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });

    await startLive();
    // Nothing was requested from the first Camera click until here (the sample below is fetched).
    const sent = requests.slice(requestsBefore).filter((url) => !/^(blob|data):/.test(url));
    expect(sent).toEqual([]);
    await page.getByRole('group', { name: 'Sample images' }).getByRole('button').nth(2).click();
    await cameraBar().waitFor({ state: 'detached' });
    const states = await trackStates();
    expect(states).toHaveLength(5);
    expect(states.every((state) => state === 'ended')).toBe(true);
    await viewsReady(page);
  });

  it('logged no errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});

describe('camera errors', () => {
  it('a denied permission says so in an alert and the page keeps working', async () => {
    const denying = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_FLAGS, FAKE_CAMERA],
    });
    try {
      const denied = await denying.newPage({ viewport: { width: 1280, height: 900 } });
      const errors = recordErrors(denied);
      await denied.goto(preview.baseUrl);
      await viewsReady(denied);
      await denied.getByRole('button', { name: 'Camera', exact: true }).click();
      const alert = denied.getByRole('alert');
      await expect
        .poll(() => alert.innerText(), { timeout: READY_TIMEOUT_MS })
        .toMatch(/Camera access was denied/);
      expect(await denied.getByRole('region', { name: 'Camera' }).count()).toBe(0);
      await denied.getByRole('slider', { name: 'Mask ratio' }).fill('40');
      await viewsReady(denied);
      expect(errors).toEqual([]);
    } finally {
      await denying.close();
    }
  });
});
