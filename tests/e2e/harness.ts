/**
 * What the e2e files share: building dist/, a free loopback port, Debian's Chromium through
 * playwright-core, and waiting for the views to show a finished reconstruction.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

import { type Browser, chromium, type Page } from 'playwright-core';

import { CHROMIUM, CHROMIUM_FLAGS } from '../../src/cli/chromium';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const vite = `${root}node_modules/vite/bin/vite.js`;

/** The first visit downloads and compiles the model on a possibly busy machine. */
export const READY_TIMEOUT_MS = 150_000;

/** `vite build` into dist/. */
export function buildDist(): void {
  const built = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production' },
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`vite build failed:\n${built.stdout}\n${built.stderr}`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error()),
      );
    });
  });
}

async function waitForServer(url: string, preview: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (preview.exitCode !== null) throw new Error(`vite preview exited with ${preview.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`vite preview did not answer at ${url}`);
}

/** `vite preview` of dist/ on a free port; resolves once it answers. */
export async function startPreview(): Promise<{ baseUrl: string; stop(): void }> {
  const port = await freePort();
  const baseUrl = `http://localhost:${port}/`;
  const preview = spawn(process.execPath, [vite, 'preview', '--port', String(port), '--strictPort'], {
    cwd: root,
    stdio: 'ignore',
  });
  await waitForServer(baseUrl, preview);
  return { baseUrl, stop: () => preview.kill() };
}

/** launch() gives every run a fresh temporary profile: no Cache API entries from earlier runs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_FLAGS] });
}

/** Waits until the views show the current inputs (aria-busy="false" with a result on screen). */
export async function viewsReady(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const region = document.querySelector('[aria-label="Views"]');
      const stats = document.querySelector('[aria-label="Run statistics"]')?.textContent ?? '';
      return region?.getAttribute('aria-busy') === 'false' && /K = \d+/.test(stats);
    },
    null,
    { timeout: READY_TIMEOUT_MS },
  );
}

/** Console errors and uncaught exceptions of `page`, collected as they happen. */
export function recordErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/** RGBA bytes of the canvas with this accessible name, read in the page (base64 keeps the transfer small). */
export async function canvasPixels(page: Page, name: string): Promise<Uint8Array> {
  const encoded = await page.evaluate((label) => {
    const canvas = document.querySelector<HTMLCanvasElement>(`canvas[aria-label="${label}"]`);
    const bytes = canvas?.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
    if (!bytes) throw new Error(`no canvas named ${label}`);
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000)
      binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  }, name);
  return new Uint8Array(Buffer.from(encoded, 'base64'));
}

/** K, as the run statistics show it. */
export async function visibleTokens(page: Page): Promise<number> {
  const match = (await page.locator('[aria-label="Run statistics"]').innerText()).match(/K = (\d+)/);
  if (!match) throw new Error('no K in the statistics');
  return Number(match[1]);
}

/** The WASM thread count the run statistics show. */
export async function wasmThreads(page: Page): Promise<number> {
  const text = await page.locator('[aria-label="Run statistics"]').innerText();
  const match = text.match(/WASM · (\d+) threads?/);
  if (!match) throw new Error(`no WASM thread count in: ${text}`);
  return Number(match[1]);
}
