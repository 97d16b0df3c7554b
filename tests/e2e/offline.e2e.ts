/**
 * Offline use and updates, end to end: the production build on a plain static host under a
 * sub-path (with the headers public/_headers ships), in Chromium with a persistent profile, as a
 * returning visitor has one. The first visit caches the app; with the network gone a reload still
 * brings back the page, the samples and reconstructions (of an uploaded image too); a second build
 * deployed at the same address is offered, not swapped in, and a click loads it. Then the same
 * offline reload on a host without headers, where the worker also isolates the page.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CHROMIUM, CHROMIUM_FLAGS } from '../../src/cli/chromium';
import { buildDist, canvasPixels, recordErrors, root, viewsReady, vite, wasmThreads } from './harness';
import { listen, parseHeadersFile, type Site } from './staticHost';

const SUB_PATH = '/mae-lens/';
const SHELL_CACHE_PREFIX = 'mae-lens-shell-';
/** The marker tests/e2e/offline.vite.config.ts puts into the second build's index.html. */
const SECOND_BUILD = 'meta[name="mae-lens-e2e-build"]';

let scratch: string;
let firstBuild: string;
let secondBuild: string;
let site: Site;
let server: Server;
let appUrl: string;
let context: BrowserContext;
let page: Page;
let errors: string[];
/** Requests the server answered, by path. */
const served = new Map<string, number>();

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'mae-lens-offline-'));
  buildDist();
  firstBuild = join(scratch, 'first');
  cpSync(join(root, 'dist'), firstBuild, { recursive: true });
  secondBuild = join(scratch, 'second');
  const built = spawnSync(
    process.execPath,
    [vite, 'build', '--config', 'tests/e2e/offline.vite.config.ts', '--outDir', secondBuild, '--emptyOutDir'],
    { cwd: root, env: { ...process.env, NODE_ENV: 'production' }, encoding: 'utf8' },
  );
  if (built.status !== 0) throw new Error(`second build failed:\n${built.stdout}\n${built.stderr}`);

  const rules = parseHeadersFile(readFileSync(join(firstBuild, '_headers'), 'utf8'));
  site = { mounts: { [SUB_PATH]: firstBuild }, rules };
  const listening = await listen(site);
  server = listening.server;
  server.prependListener('request', (request) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    served.set(path, (served.get(path) ?? 0) + 1);
  });
  appUrl = `${listening.origin}${SUB_PATH}`;

  ({ context, page, errors } = await openProfile('profile'));
}, 240_000);

afterAll(async () => {
  await context?.close();
  server?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** A persistent profile: its service worker and caches outlive a reload, as a visitor's do. */
async function openProfile(name: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await chromium.launchPersistentContext(join(scratch, name), {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS],
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page, errors: recordErrors(page) };
}

const offlineReady = (page: Page) => page.getByRole('status').filter({ hasText: 'Offline-ready' });

async function shellCaches(): Promise<string[]> {
  return page.evaluate(
    async (prefix) => (await caches.keys()).filter((name) => name.startsWith(prefix)),
    SHELL_CACHE_PREFIX,
  );
}

/** A 300x200 PNG of colour bands, written to a file the file picker can be given. */
function bandsPng(): string {
  const png = new PNG({ width: 300, height: 200 });
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const i = 4 * (y * png.width + x);
      png.data[i] = (x * 7) % 256;
      png.data[i + 1] = (y * 5) % 256;
      png.data[i + 2] = x < 150 ? 200 : 40;
      png.data[i + 3] = 255;
    }
  }
  const path = join(scratch, 'bands.png');
  writeFileSync(path, PNG.sync.write(png));
  return path;
}

describe('offline', () => {
  it('the first visit caches the app and its model, and says so with the storage used', async () => {
    await page.goto(appUrl);
    await viewsReady(page);
    const status = offlineReady(page);
    await status.waitFor({ timeout: 120_000 });
    expect(await status.innerText()).toMatch(/Offline-ready · [\d.]+ (kB|MB|GB) stored/);
    expect(await shellCaches()).toHaveLength(1);
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    // The page's download of the model and onnxruntime is the one the worker keeps: not fetched twice.
    const large = [...served].filter(([path]) => /\.(onnx|wasm)$/.test(path));
    expect(large.length).toBeGreaterThanOrEqual(3);
    expect(large.filter(([, count]) => count !== 1)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('passes Chromium’s installability check', async () => {
    const cdp = await context.newCDPSession(page);
    const manifest = await cdp.send('Page.getAppManifest');
    expect(manifest.errors).toEqual([]);
    expect(manifest.url).toBe(`${appUrl}manifest.webmanifest`);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors).toEqual([]);
    await cdp.detach();
  });

  it('without a network, a reload brings back the page, the samples and reconstructions, with no console error', async () => {
    site.down = true;
    await context.setOffline(true);
    try {
      const before = await canvasPixels(page, 'Original');
      await page.reload();
      await viewsReady(page);
      // Isolated (the cached responses carry the host's COOP/COEP), so ORT still runs threads.
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      expect(await wasmThreads(page)).toBeGreaterThan(1);
      expect(Buffer.compare(await canvasPixels(page, 'Original'), before)).toBe(0);

      // Another sample from the gallery, and a new mask.
      const gallery = page.getByRole('group', { name: 'Sample images' }).getByRole('button');
      const second = gallery.nth(1);
      await second.click();
      await page.waitForFunction(
        () =>
          document
            .querySelectorAll('[aria-label="Sample images"] button')[1]
            ?.getAttribute('aria-pressed') === 'true',
      );
      await viewsReady(page);
      expect(Buffer.compare(await canvasPixels(page, 'Original'), before)).not.toBe(0);
      await page.getByRole('slider', { name: 'Mask ratio' }).fill('50');
      await viewsReady(page);
      // Every thumbnail came from the cache.
      const thumbnails = await page
        .getByRole('group', { name: 'Sample images' })
        .locator('img')
        .evaluateAll((images) => images.map((image) => (image as HTMLImageElement).naturalWidth));
      expect(thumbnails.every((width) => width > 0)).toBe(true);

      // An image from disk.
      const sampleOriginal = await canvasPixels(page, 'Original');
      await page.locator('input[type="file"][accept="image/*"]').setInputFiles(bandsPng());
      await page.getByText('Your image stays on this device').waitFor();
      await viewsReady(page);
      expect(Buffer.compare(await canvasPixels(page, 'Original'), sampleOriginal)).not.toBe(0);
      // The reloaded page asks the worker again; offline, every file is already in its cache.
      await offlineReady(page).waitFor({ timeout: 30_000 });
      expect(errors).toEqual([]);
    } finally {
      await context.setOffline(false);
      site.down = false;
    }
  });

  it('a new build at the same address is offered, not swapped in; the click loads it', async () => {
    const [firstCache] = await shellCaches();
    site.mounts[SUB_PATH] = secondBuild;
    // The navigation makes the browser check coi-sw.js: the new worker installs and waits.
    await page.reload();
    await viewsReady(page);
    const offer = page.getByRole('button', { name: 'A new version is ready — reload' });
    await offer.waitFor({ timeout: 120_000 });
    // Still the first build, under its own worker, with the model running.
    expect(await page.locator(SECOND_BUILD).count()).toBe(0);
    expect(await page.getByRole('slider', { name: 'Mask ratio' }).isEnabled()).toBe(true);

    await Promise.all([page.waitForEvent('load'), offer.click()]);
    await page.locator(SECOND_BUILD).waitFor({ state: 'attached' });
    await viewsReady(page);
    await offlineReady(page).waitFor({ timeout: 120_000 });
    // The first build's cache is gone; one cache, the second build's.
    const caches = await shellCaches();
    expect(caches).toHaveLength(1);
    expect(caches[0]).not.toBe(firstCache);
    expect(await page.getByRole('button', { name: 'A new version is ready — reload' }).count()).toBe(0);
    expect(errors).toEqual([]);
  });
});

describe('offline on a host that sends no headers (GitHub Pages)', () => {
  it('the worker isolates the page from its cache too: threads without a network', async () => {
    const bare: Site = { mounts: { [SUB_PATH]: firstBuild } };
    const { server: bareServer, origin } = await listen(bare);
    const visitor = await openProfile('profile-no-headers');
    try {
      await visitor.page.goto(`${origin}${SUB_PATH}`);
      await viewsReady(visitor.page);
      await offlineReady(visitor.page).waitFor({ timeout: 120_000 });
      bare.down = true;
      await visitor.context.setOffline(true);
      await visitor.page.reload();
      await viewsReady(visitor.page);
      expect(await visitor.page.evaluate(() => crossOriginIsolated)).toBe(true);
      expect(await wasmThreads(visitor.page)).toBeGreaterThan(1);
      expect(visitor.errors).toEqual([]);
    } finally {
      await visitor.context.close();
      bareServer.close();
    }
  });
});
