/**
 * The browser half of `npm run bench`: builds the bench page (bench.html, src/bench/) for
 * production, serves it with `vite preview` (the project's config: COOP/COEP, binary .onnx) and
 * drives it in headless Chromium through `window.maeBench`.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';

import { type Browser, chromium, type Page } from 'playwright-core';
import { build, type Connect, type Plugin, preview, type PreviewServer } from 'vite';

import { CHROMIUM, CHROMIUM_FLAGS } from '../cli/chromium';
import { VIEWS_PAINTED_MARK } from '../shared/marks';
import type { AdapterReport, Measurement, MeasureRequest } from './protocol';

// --enable-unsafe-webgpu exposes navigator.gpu headless; without a GPU the adapter is SwiftShader.
// The fake camera (a moving test pattern at 20 frames per second) is granted without a prompt.
const BENCH_FLAGS = [
  ...CHROMIUM_FLAGS,
  '--enable-unsafe-webgpu',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
];

const MODELS_PREFIX = '/bench-models/';

/**
 * Serves each model folder at /bench-models/ID/, straight from disk: the bench page is built
 * without models, and a base-size export is too big to copy into the build for every run.
 */
function serveModels(folders: ReadonlyMap<string, string>): Plugin {
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '');
    if (!path.startsWith(MODELS_PREFIX)) return next();
    const [id = '', ...rest] = path.slice(MODELS_PREFIX.length).split('/');
    const folder = folders.get(id);
    const file = folder && resolve(folder, rest.join('/'));
    if (!folder || !file?.startsWith(folder + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('Content-Type', file.endsWith('.json') ? 'application/json' : 'application/octet-stream');
    res.setHeader('Content-Length', statSync(file).size);
    createReadStream(file).on('error', next).pipe(res);
  };
  return {
    name: 'mae-lens:bench-models',
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
  };
}

export interface BrowserInfo {
  chromium: string;
  userAgent: string;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  webgpuAdapter: AdapterReport | null;
}

export class BenchBrowser {
  private constructor(
    private readonly server: PreviewServer,
    private readonly browser: Browser,
    private readonly page: Page,
    readonly info: BrowserInfo,
  ) {}

  /** Builds the page into `outDir`, serves it and `models` (id -> folder), opens it in Chromium. */
  static async open(
    repoRoot: string,
    outDir: string,
    models: ReadonlyMap<string, string>,
  ): Promise<BenchBrowser> {
    const configFile = join(repoRoot, 'vite.config.ts');
    await build({
      root: repoRoot,
      configFile,
      logLevel: 'warn',
      build: {
        outDir,
        emptyOutDir: true,
        rolldownOptions: {
          // The bench page, and the app itself for slider input -> repainted views.
          input: [join(repoRoot, 'bench.html'), join(repoRoot, 'index.html')],
          // Its "plugins took long" warning is about the build's speed, which nobody measures here.
          checks: { bundlerTimings: false },
        },
      },
    });
    const server = await preview({
      root: repoRoot,
      configFile,
      logLevel: 'warn',
      build: { outDir },
      preview: { host: '127.0.0.1', port: 0 },
      plugins: [serveModels(new Map([...models].map(([id, folder]) => [id, resolve(folder)])))],
    });
    let browser: Browser | undefined;
    try {
      const { port } = server.httpServer.address() as AddressInfo;
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: BENCH_FLAGS });
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`http://127.0.0.1:${port}/bench.html`);
      await page
        .waitForFunction(() => 'maeBench' in window)
        .catch((error: unknown) => {
          throw new Error(`the bench page did not start: ${pageErrors.join('; ') || String(error)}`);
        });
      const info = await page.evaluate(async () => ({
        userAgent: window.maeBench.userAgent,
        crossOriginIsolated: window.maeBench.crossOriginIsolated,
        hardwareConcurrency: window.maeBench.hardwareConcurrency,
        webgpuAdapter: await window.maeBench.adapter(),
      }));
      return new BenchBrowser(server, browser, page, { chromium: browser.version(), ...info });
    } catch (error) {
      await browser?.close();
      await server.close();
      throw error;
    }
  }

  static modelUrl(id: string): string {
    return `${MODELS_PREFIX}${id}/`;
  }

  measure(request: MeasureRequest): Promise<Measurement> {
    return this.page.evaluate((r) => window.maeBench.measure(r), request);
  }

  /**
   * Opens the app itself (index.html of the same build, its default model: the bundled one), moves
   * its mask ratio slider with the keyboard `moves` times and returns, for each move, the time
   * from the slider's input event to the app's VIEWS_PAINTED_MARK (the first animation frame after
   * the four canvases were drawn with the new views), and the WASM threads the app reports. The
   * slider bounces between its ends; each move waits for the previous one to be on screen. The
   * first `warmupMoves` moves are not timed (the first runs pay for JIT and thread-pool warm-up).
   */
  async appSliderLatencies(
    moves: number,
    warmupMoves: number,
  ): Promise<{ latencies: number[]; jsMs: number[]; threads: number | null }> {
    const page = await this.openApp();
    try {
      const slider = page.getByRole('slider', { name: 'Mask ratio' });
      await slider.evaluate((input: HTMLInputElement) => {
        const inputs: number[] = [];
        Object.assign(window, { benchSliderInputs: inputs });
        // event.timeStamp: when the browser created the input event, on the performance.now() clock.
        input.addEventListener('input', (event) => inputs.push(event.timeStamp));
      });
      await slider.focus();
      const [min, max] = await slider.evaluate((input: HTMLInputElement) =>
        [input.min, input.max].map(Number),
      );
      let value = Number(await slider.inputValue());
      let direction = 1;
      const latencies: number[] = [];
      const jsMs: number[] = [];
      for (let move = 1; move <= warmupMoves + moves; move++) {
        if (value + direction > max! || value + direction < min!) direction = -direction;
        value += direction;
        await page.keyboard.press(direction > 0 ? 'ArrowRight' : 'ArrowLeft');
        const latency = await page.waitForFunction(
          ({ mark, count }) => {
            const inputs = (window as unknown as { benchSliderInputs: number[] }).benchSliderInputs;
            const region = document.querySelector('[aria-label="Views"]');
            if (inputs.length < count || region?.getAttribute('aria-busy') !== 'false') return null;
            const inputAt = inputs[count - 1]!;
            const painted = performance.getEntriesByName(mark).find((entry) => entry.startTime > inputAt);
            return painted ? painted.startTime - inputAt : null;
          },
          { mark: VIEWS_PAINTED_MARK, count: move },
          { polling: 'raf', timeout: 60_000 },
        );
        if (move <= warmupMoves) continue;
        latencies.push((await latency.jsonValue()) as number);
        jsMs.push(await appJavaScriptMs(page));
      }
      return { latencies, jsMs, threads: await appThreads(page) };
    } finally {
      await page.close();
    }
  }

  /**
   * Opens the app, turns its camera on (Chromium's fake camera) and returns the times of the
   * VIEWS_PAINTED_MARKs over `seconds` (each a camera frame reconstructed and repainted), after
   * the first three frames, and the WASM threads the app reports.
   */
  async appCameraFrames(seconds: number): Promise<{ paintedAt: number[]; threads: number | null }> {
    const page = await this.openApp();
    try {
      const paintedSince = (since: number) =>
        page.evaluate(
          ({ mark, since }) =>
            performance
              .getEntriesByName(mark)
              .map((entry) => entry.startTime)
              .filter((time) => time > since),
          { mark: VIEWS_PAINTED_MARK, since },
        );
      const clickedAt = await page.evaluate(() => performance.now());
      await page.getByRole('button', { name: 'Camera', exact: true }).click();
      // Warm-up: the camera starts and the first frames are on screen.
      const deadline = Date.now() + 60_000;
      while ((await paintedSince(clickedAt)).length < 3) {
        if (Date.now() > deadline) throw new Error('camera mode painted fewer than 3 frames in 60 s');
        await page.waitForTimeout(100);
      }
      const started = await page.evaluate(() => performance.now());
      await page.waitForTimeout(seconds * 1000);
      const paintedAt = await paintedSince(started);
      const threads = await appThreads(page);
      await page.getByRole('button', { name: 'Stop camera' }).click();
      return { paintedAt, threads };
    } finally {
      await page.close();
    }
  }

  /**
   * The app (index.html of the same build, its default model) with its first reconstruction on
   * screen and its offline copy saved: a first visit's service worker downloads and hashes the
   * whole app in the background, which is not what a slider move or a camera frame costs.
   */
  private async openApp(): Promise<Page> {
    const page = await this.browser.newPage();
    try {
      await page.goto(new URL('index.html', this.page.url()).href);
      // The views are not busy and the stats show K.
      await page.waitForFunction(
        () =>
          document.querySelector('[aria-label="Views"]')?.getAttribute('aria-busy') === 'false' &&
          /K = \d+/.test(document.querySelector('[aria-label="Run statistics"]')?.textContent ?? ''),
        null,
        { timeout: 150_000 },
      );
      await page
        .getByRole('status')
        .filter({ hasText: 'Saving the app for offline use' })
        .waitFor({ state: 'detached', timeout: 150_000 });
      return page;
    } catch (error) {
      await page.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.browser.close();
    await this.server.close();
  }
}

/** The app's "JavaScript" statistic of the run on screen: masking, gather, views and PSNR, in ms. */
async function appJavaScriptMs(page: Page): Promise<number> {
  const stats = (await page.getByLabel('Run statistics').textContent()) ?? '';
  const ms = /JavaScript([\d.]+) ms/.exec(stats)?.[1];
  if (ms === undefined) throw new Error(`no JavaScript time in the run statistics: ${stats}`);
  return Number(ms);
}

/** WASM threads as the app's run statistics show them; null on WebGPU. */
async function appThreads(page: Page): Promise<number | null> {
  const stats = (await page.getByLabel('Run statistics').textContent()) ?? '';
  const threads = /WASM · (\d+) thread/.exec(stats)?.[1];
  return threads === undefined ? null : Number(threads);
}
