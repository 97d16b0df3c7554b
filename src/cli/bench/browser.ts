/**
 * The browser half of `npm run bench`: builds the bench page (bench.html, src/bench/) for
 * production, serves it with `vite preview` (the project's config: COOP/COEP, binary .onnx) and
 * drives it in headless Chromium through `window.maeBench`.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, preview, type Connect, type Plugin, type PreviewServer } from 'vite';
import type { AdapterReport, Measurement, MeasureRequest } from '../../bench/protocol';
import { CHROMIUM, CHROMIUM_FLAGS } from '../chromium';

// --enable-unsafe-webgpu exposes navigator.gpu headless; without a GPU the adapter is SwiftShader.
const BENCH_FLAGS = [...CHROMIUM_FLAGS, '--enable-unsafe-webgpu'];

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
          input: join(repoRoot, 'bench.html'),
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
   * Moves the page's mask ratio slider with the keyboard `moves` times, each time waiting for the
   * views to be repainted, and returns the input -> repaint latencies. The slider bounces between
   * its ends, so every mask ratio it offers is visited.
   */
  async sliderLatencies(modelUrl: string, threads: number, moves: number): Promise<number[]> {
    const { page } = this;
    await page.evaluate((r) => window.maeBench.openSlider(r), { modelUrl, threads });
    const slider = page.locator('#mask-percent');
    await slider.focus();
    const [min, max, step] = await slider.evaluate((input: HTMLInputElement) =>
      [input.min, input.max, input.step].map(Number),
    );
    let value = Number(await slider.inputValue());
    let direction = 1;
    for (let move = 1; move <= moves; move++) {
      if (value + direction * step! > max! || value + direction * step! < min!) direction = -direction;
      value += direction * step!;
      await page.keyboard.press(direction > 0 ? 'ArrowRight' : 'ArrowLeft');
      await page.waitForFunction(
        (n) => window.maeBench.slider().latencies.length >= n || window.maeBench.slider().error !== undefined,
        move,
        { polling: 'raf' },
      );
    }
    const { latencies, error } = await page.evaluate(() => window.maeBench.slider());
    if (error !== undefined) throw new Error(`slider: ${error}`);
    return latencies;
  }

  async close(): Promise<void> {
    await this.browser.close();
    await this.server.close();
  }
}
