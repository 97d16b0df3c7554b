/**
 * Hosting end to end: dist/ served by a plain Node file server (not Vite) under a sub-path, once
 * with the headers public/_headers ships and once with none, plus a second loopback origin that
 * serves the model with and without CORS.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildDist, launchChromium, root, viewsReady, wasmThreads } from './harness';
import { listen, parseHeadersFile } from './staticHost';

const dist = join(root, 'dist');
const SUB_PATH = '/mae-lens/';

let servers: Server[] = [];
let browser: Browser;
let withHeaders: string;
let withoutHeaders: string;
let modelOrigin: string;
let bundledConfigText: string;
/** A copy of the bundled model whose config.json records wrong SHA-256 values. */
let tamperedFolder: string;

beforeAll(async () => {
  buildDist();
  const rules = parseHeadersFile(readFileSync(join(dist, '_headers'), 'utf8'));
  const modelFolder = join(dist, 'models', 'mae-small');
  bundledConfigText = readFileSync(join(modelFolder, 'config.json'), 'utf8');
  tamperedFolder = mkdtempSync(join(tmpdir(), 'mae-lens-tampered-'));
  cpSync(modelFolder, tamperedFolder, { recursive: true });
  const tampered = JSON.parse(bundledConfigText);
  for (const file of Object.values(tampered.files) as { sha256?: string }[]) file.sha256 = '0'.repeat(64);
  writeFileSync(join(tamperedFolder, 'config.json'), JSON.stringify(tampered));
  const sites = await Promise.all([
    listen({ mounts: { [SUB_PATH]: dist }, rules }),
    listen({ mounts: { [SUB_PATH]: dist } }),
    listen({
      mounts: { '/cors/': modelFolder, '/no-cors/': modelFolder, '/tampered/': tamperedFolder },
      mountHeaders: {
        '/cors/': { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' },
        '/tampered/': { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' },
      },
    }),
  ]);
  servers = sites.map((site) => site.server);
  [withHeaders, withoutHeaders, modelOrigin] = sites.map((site) => site.origin) as [string, string, string];
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  for (const server of servers) server.close();
  if (tamperedFolder) rmSync(tamperedFolder, { recursive: true, force: true });
});

/** A fresh context per test: its own Cache API, service workers and console. */
async function open(
  url: string,
  options: { serviceWorkers?: 'allow' | 'block' } = {},
): Promise<{ context: BrowserContext; page: Page; errors: string[]; requests: string[] }> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  context.on('request', (request) => requests.push(request.url()));
  await page.goto(url);
  return { context, page, errors, requests };
}

async function alertText(page: Page): Promise<string> {
  return (await page.locator('[role="alert"]').textContent()) ?? '';
}

describe('the built page on a static host', () => {
  it('with the shipped _headers under a sub-path: isolated, multithreaded, CSP-clean', async () => {
    const { context, page, errors, requests } = await open(`${withHeaders}${SUB_PATH}`);
    await viewsReady(page);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await wasmThreads(page)).toBeGreaterThan(1);
    expect(await page.getByText('Not cross-origin isolated').count()).toBe(0);
    // No CSP violation (they are console errors) and nothing fetched outside the sub-path.
    expect(errors).toEqual([]);
    const outside = requests.filter((url) => {
      const { origin, pathname } = new URL(url);
      return origin === withHeaders && !pathname.startsWith(SUB_PATH);
    });
    expect(outside).toEqual([]);
    expect(requests.some((url) => url.endsWith('.onnx'))).toBe(true);
    await context.close();
  });

  it('without headers: coi-sw.js isolates the page after one reload', async () => {
    const { context, page, errors } = await open(`${withoutHeaders}${SUB_PATH}`);
    await viewsReady(page);
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await wasmThreads(page)).toBeGreaterThan(1);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('without headers or service workers: one thread, and the page says so', async () => {
    const { context, page } = await open(`${withoutHeaders}${SUB_PATH}`, { serviceWorkers: 'block' });
    await viewsReady(page);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    expect(await wasmThreads(page)).toBe(1);
    await page.getByText('Not cross-origin isolated: 1 thread').waitFor();
    await context.close();
  });
});

describe('a model from another origin', () => {
  it('loads by ?model=URL when that origin allows CORS', async () => {
    const configUrl = `${modelOrigin}/cors/config.json`;
    const { context, page, errors, requests } = await open(
      `${withoutHeaders}${SUB_PATH}?model=${encodeURIComponent(configUrl)}`,
    );
    await viewsReady(page);
    // Isolated by coi-sw.js, so COEP require-corp applies to the model's responses too.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await alertText(page)).toBe('');
    const name = JSON.parse(bundledConfigText).name as string;
    await page.getByRole('option', { name: `${name} (from URL)` }).waitFor({ state: 'attached' });
    expect(
      requests.filter((url) => url.startsWith(modelOrigin) && url.endsWith('.onnx')).length,
    ).toBeGreaterThan(0);
    expect(new URL(page.url()).searchParams.get('model')).toBe(configUrl);
    expect(errors).toEqual([]);

    // Files that do not match config.json's SHA-256 are refused; the model from the URL keeps running.
    await page.getByRole('textbox', { name: 'Load from URL' }).fill(`${modelOrigin}/tampered/config.json`);
    await page.getByRole('button', { name: 'Load', exact: true }).click();
    await page.getByRole('alert').getByText('SHA-256 mismatch').waitFor();
    await page.getByRole('slider', { name: 'Mask ratio' }).fill('60');
    await viewsReady(page);
    expect(new URL(page.url()).searchParams.get('model')).toBe(configUrl);
    await context.close();
  });

  it('without CORS: a clear alert, and the bundled model keeps working', async () => {
    const configUrl = `${modelOrigin}/no-cors/config.json`;
    const { context, page } = await open(
      `${withoutHeaders}${SUB_PATH}?model=${encodeURIComponent(configUrl)}`,
    );
    await viewsReady(page);
    const alert = await alertText(page);
    expect(alert).toContain(`could not fetch ${configUrl} from another origin`);
    expect(alert).toContain('Access-Control-Allow-Origin');
    expect(await page.getByRole('combobox', { name: 'Model' }).inputValue()).toBe('mae-small');

    // The same through the "Load from URL" field, with the bundled model already running.
    await page.getByRole('button', { name: 'Dismiss the error' }).click();
    await page.getByRole('textbox', { name: 'Load from URL' }).fill(configUrl);
    await page.getByRole('button', { name: 'Load', exact: true }).click();
    await page.getByRole('alert').getByText('Access-Control-Allow-Origin').waitFor();
    await page.getByRole('slider', { name: 'Mask ratio' }).fill('60');
    await viewsReady(page);
    expect(await page.getByRole('combobox', { name: 'Model' }).inputValue()).toBe('mae-small');

    // A 404 names the missing file.
    await page
      .getByRole('textbox', { name: 'Load from URL' })
      .fill(`${modelOrigin}/cors/missing/config.json`);
    await page.getByRole('button', { name: 'Load', exact: true }).click();
    await page.getByRole('alert').getByText('does not exist (HTTP 404)').waitFor();
    await context.close();
  });
});
