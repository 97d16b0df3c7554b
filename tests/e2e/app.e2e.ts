/**
 * End to end: the production build, served by `vite preview`, driven by Debian's Chromium
 * through playwright-core. Needs /usr/bin/chromium (apt-get install chromium) and a model in
 * models/ (the bundled mae-small).
 */
import { readFileSync } from 'node:fs';

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { resizeShorterSideAndCenterCrop } from '../../src/mae/image';
import { lenKeep } from '../../src/mae/masking';
import { patchIndexOfPixels } from '../../src/mae/views';
import { type ModelIndexEntry, parseModelIndex } from '../../src/runtime/modelIndex';
import {
  buildDist,
  canvasPixels,
  launchChromium,
  recordErrors,
  root,
  startPreview,
  viewsReady as viewsReadyOn,
  visibleTokens,
} from './harness';

const VIEW_NAMES = ['Original', 'Masked', 'Reconstruction', 'Reconstruction + visible'] as const;

let preview: { baseUrl: string; stop(): void };
let browser: Browser;
let context: BrowserContext;
let page: Page;
let baseUrl: string;
let model: ModelIndexEntry;
let consoleErrors: string[] = [];
const requests: string[] = [];

function viewsReady(on: Page = page): Promise<void> {
  return viewsReadyOn(on);
}

type ViewPixels = Record<(typeof VIEW_NAMES)[number], Uint8Array>;

async function readViews(on: Page = page): Promise<ViewPixels> {
  const pixels = await Promise.all(VIEW_NAMES.map((name) => canvasPixels(on, name)));
  return Object.fromEntries(VIEW_NAMES.map((name, i) => [name, pixels[i]!])) as ViewPixels;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

async function statsText(): Promise<string> {
  return page
    .getByRole('definition')
    .allInnerTexts()
    .then((values) => values.join(' | '));
}

/** Patches whose pixels in the Masked view equal the Original: the ones the encoder saw. */
function visiblePatches(views: ViewPixels): Set<number> {
  const { imageSize, patchSize } = model;
  const patchOf = patchIndexOfPixels(imageSize, patchSize);
  const differs = new Set<number>();
  const original = views.Original;
  const masked = views.Masked;
  for (let i = 0; i < patchOf.length; i++) {
    for (let c = 0; c < 3; c++) {
      if (original[i * 4 + c] !== masked[i * 4 + c]) differs.add(patchOf[i]!);
    }
  }
  const visible = new Set<number>();
  for (let l = 0; l < (imageSize / patchSize) ** 2; l++) if (!differs.has(l)) visible.add(l);
  return visible;
}

function checkViews(views: ViewPixels, expectedVisible: number): void {
  const { imageSize, patchSize } = model;
  for (const name of VIEW_NAMES) expect(views[name], name).toHaveLength(imageSize * imageSize * 4);
  expect(same(views.Masked, views.Original), 'Masked equals Original').toBe(false);
  expect(same(views.Reconstruction, views.Masked), 'Reconstruction equals Masked').toBe(false);
  const visible = visiblePatches(views);
  expect(visible.size).toBe(expectedVisible);
  // "Reconstruction + visible" is the input, byte for byte, wherever the encoder saw the input.
  const patchOf = patchIndexOfPixels(imageSize, patchSize);
  let compared = 0;
  for (let i = 0; i < patchOf.length; i++) {
    if (!visible.has(patchOf[i]!)) continue;
    for (let c = 0; c < 4; c++) {
      if (views['Reconstruction + visible'][i * 4 + c] !== views.Original[i * 4 + c]) {
        throw new Error(`pixel ${i} channel ${c} of a visible patch differs from the original`);
      }
    }
    compared++;
  }
  expect(compared).toBe(expectedVisible * patchSize * patchSize);
}

/** A synthetic 3:2 photo-like PNG: smooth gradients plus a few hard edges. */
function testPng(width: number, height: number): { png: Buffer; rgba: Uint8Array } {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 4;
      const inDisc = (x - width * 0.6) ** 2 + (y - height * 0.45) ** 2 < (height * 0.25) ** 2;
      png.data[at] = inDisc ? 230 : Math.round((255 * x) / width);
      png.data[at + 1] = inDisc ? 180 : Math.round((255 * y) / height);
      png.data[at + 2] = (x >> 4) % 2 === (y >> 4) % 2 ? 200 : 60;
      png.data[at + 3] = 255;
    }
  }
  return { png: PNG.sync.write(png), rgba: new Uint8Array(png.data) };
}

beforeAll(async () => {
  buildDist();

  preview = await startPreview();
  baseUrl = preview.baseUrl;
  const index = parseModelIndex(await (await fetch(`${baseUrl}models/index.json`)).json());
  const entry = index.models.find((m) => m.id === index.default);
  if (!entry) throw new Error('the build lists no default model');
  model = entry;

  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  // What reached the network: a request the service worker answered from its cache did not.
  context.on(
    'requestfinished',
    (request) =>
      void request.response().then((response) => {
        if (!response?.fromServiceWorker()) requests.push(request.url());
      }),
  );
  context.on('requestfailed', (request) => requests.push(request.url()));
  page = await context.newPage();
  consoleErrors = recordErrors(page);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  preview?.stop();
});

describe('MAE Lens in Chromium', () => {
  it('shows the four views of the default sample on first visit, isolated, on multithreaded WASM', async () => {
    const started = Date.now();
    await page.goto(baseUrl);
    await viewsReady();
    console.info(`first visit: views after ${Date.now() - started} ms; ${await statsText()}`);

    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const backend = await page.locator('[aria-label="Run statistics"]').innerText();
    const threads = backend.match(/WASM · (\d+) threads/);
    expect(threads, backend).not.toBeNull();
    expect(Number(threads![1])).toBeGreaterThan(1);

    for (const name of VIEW_NAMES) await page.getByRole('img', { name, exact: true }).waitFor();
    const visible = lenKeep(model.imageSize ** 2 / model.patchSize ** 2, 0.75);
    expect(await visibleTokens(page)).toBe(visible);
    checkViews(await readViews(), visible);
  });

  it('picks a sample from the gallery', async () => {
    const before = (await readViews()).Original;
    await page.getByRole('button', { name: 'Kingfisher' }).click();
    await page.waitForURL(/sample=kingfisher/);
    await viewsReady();
    const views = await readViews();
    expect(same(views.Original, before), 'the original did not change').toBe(false);
    checkViews(views, await visibleTokens(page));
  });

  it('reconstructs an uploaded file, cropped exactly as src/mae crops it', async () => {
    const { png, rgba } = testPng(360, 240);
    await page.locator('input[type="file"][accept="image/*"]').setInputFiles({
      name: 'gradient.png',
      mimeType: 'image/png',
      buffer: png,
    });
    await page.waitForURL((url) => !url.searchParams.has('sample'));
    await viewsReady();
    const views = await readViews();
    const expected = resizeShorterSideAndCenterCrop({ width: 360, height: 240, data: rgba }, model.imageSize);
    const rgb = views.Original.filter((_, i) => i % 4 !== 3);
    expect(same(rgb, expected.data), 'Original differs from resizeShorterSideAndCenterCrop').toBe(true);
    checkViews(views, await visibleTokens(page));
  });

  it('moving the slider to 50% shows half the patches, live', async () => {
    const slider = page.getByRole('slider', { name: 'Mask ratio' });
    const numPatches = (model.imageSize / model.patchSize) ** 2;
    const half = lenKeep(numPatches, 0.5);
    await slider.fill('50');
    await page.getByText(`${half} of ${numPatches} patches visible`).waitFor();
    await viewsReady();
    expect(await visibleTokens(page)).toBe(half);
    checkViews(await readViews(), half);
    console.info(`at 50%: ${await statsText()}`);
  });

  it('a link reproduces the view: sample, ratio and seed come back from the URL', async () => {
    await page.getByRole('button', { name: 'Picos de Europa' }).click();
    await page.getByRole('spinbutton', { name: 'Seed' }).fill('4242');
    await page.waitForURL(/seed=4242/);
    await viewsReady();
    const url = page.url();
    const views = await readViews();

    const second = await context.newPage();
    await second.goto(url);
    await viewsReady(second);
    expect(await second.getByRole('slider', { name: 'Mask ratio' }).inputValue()).toBe('50');
    expect(same((await readViews(second)).Masked, views.Masked), 'the link shows another mask').toBe(true);
    await second.close();
  });

  it('downloads the figure as one PNG', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download figure' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^mae-lens_.*_ratio50_seed4242\.png$/);
    const figure = PNG.sync.read(readFileSync((await download.path())!));
    expect(figure.width).toBeGreaterThan(4 * model.imageSize);
  });

  it('"Load your own" refuses files that do not match config.json and keeps the current model', async () => {
    const folder = `${root}${model.config.replace(/config\.json$/, '')}`;
    const config = JSON.parse(readFileSync(`${folder}config.json`, 'utf8'));
    config.files.encoder.sha256 = '0'.repeat(64);
    await page.locator('input[type="file"][multiple]').setInputFiles([
      { name: 'config.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(config)) },
      ...[config.files.encoder.path, config.files.decoder.path].map((name: string) => ({
        name,
        mimeType: 'application/octet-stream',
        buffer: readFileSync(`${folder}${name}`),
      })),
    ]);
    await page.getByRole('alert').getByText('SHA-256 mismatch').waitFor();
    await page.getByRole('slider', { name: 'Mask ratio' }).fill('60');
    await viewsReady();
    expect(await visibleTokens(page)).toBe(lenKeep((model.imageSize / model.patchSize) ** 2, 0.6));
  });

  it('"Load your own" runs a model picked from disk', async () => {
    const folder = `${root}${model.config.replace(/config\.json$/, '')}`;
    const { files } = JSON.parse(readFileSync(`${folder}config.json`, 'utf8'));
    await page
      .locator('input[type="file"][multiple]')
      .setInputFiles(
        ['config.json', files.encoder.path, files.decoder.path].map((name) => `${folder}${name}`),
      );
    await page.getByRole('option', { name: /from your disk/ }).waitFor({ state: 'attached' });
    await viewsReady();
    // The empty alert is hidden, so it is looked up by its attribute rather than its role.
    expect(await page.locator('[role="alert"]').textContent()).toBe('');
    checkViews(await readViews(), await visibleTokens(page));
  });

  it('logged no console errors, made no request outside localhost, fetched each model file once', () => {
    expect(consoleErrors).toEqual([]);
    const outside = requests.filter((url) => {
      const { protocol, hostname } = new URL(url);
      if (protocol === 'blob:' || protocol === 'data:') return false;
      return hostname !== 'localhost' && hostname !== '127.0.0.1';
    });
    expect(outside).toEqual([]);
    // The second page (the shared link) took the model from the Cache API, not the network.
    const onnxRequests = requests.filter((url) => new URL(url).pathname.endsWith('.onnx'));
    expect(onnxRequests).toHaveLength(new Set(onnxRequests).size);
    expect(onnxRequests.length).toBeGreaterThan(0);
  });
});
