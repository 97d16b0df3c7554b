/**
 * End to end: the explainer features of issue 14 on the production build in Debian's Chromium,
 * with the bundled model: the interpolation baseline view, attention rollout / distance / entropy
 * in the encoder step, the mask-ratio sweep and its PNG downloads, the guided article's links and
 * headings, Compare mode against the bundled model's int8 copy (with memory over open/close
 * cycles), and that none of it makes a request the user did not ask for.
 */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { type Browser, chromium, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CHROMIUM, CHROMIUM_FLAGS } from '../../src/cli/chromium';
import { type ModelConfig, parseModelConfig } from '../../src/formats/config';
import { panelLayout } from '../../src/formats/figure';
import { lenKeep } from '../../src/mae/masking';
import { interpolationBaseline } from '../../src/mae/metrics';
import { ARTICLE_SECTIONS } from '../../src/ui/components/Article';
import { STEP_IDS, STEP_TITLES } from '../../src/ui/steps';
import {
  buildDist,
  canvasPixels,
  recordErrors,
  rendererRssMb,
  root,
  startPreview,
  viewsReady,
} from './harness';

/** The bundled model's int8 copy (built by `npm run fixtures`), served next to the build. */
const INT8_SOURCE = join(root, 'tests', 'fixtures', 'onnx', 'mae-small-int8');
const INT8_PATH = 'e2e-compare/mae-small-int8/config.json';
const marker = `--mae-lens-explain-${process.pid}`;
/**
 * Growth of the renderer's RSS allowed over 5 Compare open/close cycles, after a garbage
 * collection. Measured here without a leak: -3, -12 and +15 MB. This bound only catches large
 * leaks: with the release deliberately removed (a new slot per cycle, never released) the
 * renderer grew +1 MB with the int8 copy and +50 MB with the fp32 model over 5 cycles, as ORT's
 * WASM heap had room for the extra sessions. That release happens is tested where it can be
 * seen: inferenceHandler.test.ts (the slot's sessions are released and it answers no more) and
 * explainSlices.test.ts (closing asks for the release).
 */
const COMPARE_MEMORY_BOUND_MB = 100;

let preview: { baseUrl: string; stop(): void };
let browser: Browser;
let page: Page;
let config: ModelConfig;
let consoleErrors: string[] = [];
const requests: { url: string; type: string }[] = [];
/** Requests made before loading ended: the first reconstruction on screen and the app saved for offline use. */
let requestsAfterLoad = 0;

beforeAll(async () => {
  expect(
    existsSync(join(INT8_SOURCE, 'config.json')),
    `${INT8_SOURCE} missing: run \`npm run fixtures\``,
  ).toBe(true);
  buildDist();
  cpSync(INT8_SOURCE, join(root, 'dist', 'e2e-compare', 'mae-small-int8'), { recursive: true });
  preview = await startPreview();
  config = parseModelConfig(
    JSON.parse(readFileSync(join(root, 'models', 'mae-small', 'config.json'), 'utf8')),
  );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // --expose-gc: the memory numbers are taken after a full garbage collection.
    args: [...CHROMIUM_FLAGS, marker, '--js-flags=--expose-gc'],
  });
  const context = await browser.newContext({
    viewport: { width: 1280, height: 1000 },
    acceptDownloads: true,
  });
  // The page's and its workers' requests; the offline service worker's own background fetches
  // (saving and revalidating the app's files) are not the page asking for anything.
  context.on('request', (request) => {
    if (!request.serviceWorker()) requests.push({ url: request.url(), type: request.resourceType() });
  });
  page = await context.newPage();
  consoleErrors = recordErrors(page);
  await page.goto(preview.baseUrl);
  await viewsReady(page);
  // Loading ends when the service worker has saved the app for offline use (it fetches the
  // samples and the bundled model for that).
  await page
    .getByRole('status')
    .filter({ hasText: /Offline-ready|works offline|Not available offline/ })
    .waitFor({ timeout: 120_000 });
  requestsAfterLoad = requests.length;
}, 240_000);

afterAll(async () => {
  await browser?.close();
  preview?.stop();
});

/** `[N]` 1 = removed, read from the page: a patch of the Masked view that differs from the Original. */
function maskFromViews(original: Uint8Array, masked: Uint8Array): Uint8Array {
  const { imageSize: S, patchSize: P } = config;
  const grid = S / P;
  const mask = new Uint8Array(grid * grid);
  for (let i = 0; i < S * S; i++) {
    const patch = Math.floor(Math.floor(i / S) / P) * grid + Math.floor((i % S) / P);
    for (let c = 0; c < 3; c++) if (original[i * 4 + c] !== masked[i * 4 + c]) mask[patch] = 1;
  }
  return mask;
}

function rgbOf(rgba: Uint8Array): Uint8Array {
  const rgb = new Uint8Array((rgba.length / 4) * 3);
  for (let i = 0; i < rgba.length / 4; i++) rgb.set(rgba.subarray(i * 4, i * 4 + 3), i * 3);
  return rgb;
}

function distinctColours(rgba: Uint8Array): number {
  const colours = new Set<number>();
  for (let i = 0; i < rgba.length; i += 4) colours.add((rgba[i]! << 16) | (rgba[i + 1]! << 8) | rgba[i + 2]!);
  return colours.size;
}

async function downloadedPng(click: () => Promise<void>): Promise<PNG> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  const path = await download.path();
  return PNG.sync.read(readFileSync(path));
}

describe('interpolation baseline', () => {
  it('shows a fifth view and its PSNR, the same number src/mae computes from the page’s own pixels', async () => {
    await page.getByRole('checkbox', { name: 'Compare with interpolation' }).check();
    const verdict = page.getByText(/^On this image (the model|interpolation)/);
    await verdict.waitFor();
    const stat = page.locator('.stat').filter({ hasText: 'Interpolation PSNR' }).locator('dd');
    await expect.poll(() => stat.textContent()).toMatch(/^\d+\.\d dB$/);
    const shown = Number.parseFloat((await stat.textContent())!);
    const original = await canvasPixels(page, 'Original');
    const mask = maskFromViews(original, await canvasPixels(page, 'Masked'));
    expect(mask.reduce((a, b) => a + b, 0)).toBe(config.numPatches - lenKeep(config.numPatches, 0.75));
    const expected = interpolationBaseline(rgbOf(original), mask, config.imageSize, config.patchSize).psnr;
    expect(Math.abs(shown - expected)).toBeLessThanOrEqual(0.05);
    expect(distinctColours(await canvasPixels(page, 'Interpolation'))).toBeGreaterThan(100);
    await page.getByRole('checkbox', { name: 'Compare with interpolation' }).uncheck();
    await expect(page.getByRole('img', { name: 'Interpolation', exact: true }).count()).resolves.toBe(0);
  });
});

describe('encoder step: rollout, attention distance and entropy', () => {
  it('render for the bundled model', async () => {
    await page.getByRole('button', { name: 'Step through the pipeline' }).click();
    const stepper = page.getByRole('region', { name: 'Pipeline steps' });
    await stepper.getByRole('button', { name: /Encoder$/ }).click();
    await stepper.getByRole('img', { name: 'Attention map' }).waitFor();
    // At layer 1 the rollout from cls is that layer's attention, scaled; from the last layer on they differ.
    await stepper.getByRole('slider', { name: /Encoder layer/ }).fill(String(config.encoder.depth - 1));
    await stepper.getByText(`${config.encoder.depth} of ${config.encoder.depth}`).waitFor();
    await page.waitForTimeout(300);
    const layerMap = await canvasPixels(page, 'Attention map');
    await stepper.getByRole('button', { name: 'Rollout' }).click();
    await stepper.getByRole('img', { name: 'Attention rollout map' }).waitFor();
    // The canvas is redrawn in an effect after its name changes.
    await expect
      .poll(async () =>
        Buffer.compare(Buffer.from(await canvasPixels(page, 'Attention rollout map')), Buffer.from(layerMap)),
      )
      .not.toBe(0);

    const { depth, numHeads } = config.encoder;
    const distance = stepper.getByRole('img', { name: /^Mean attention distance in pixels per head/ });
    const entropy = stepper.getByRole('img', { name: /^Attention entropy in bits per head/ });
    await expect(distance.getAttribute('aria-label')).resolves.toContain('visible tokens only');
    // One dot per layer and head in each plot.
    await expect(distance.locator('circle').count()).resolves.toBe(depth * numHeads);
    await expect(entropy.locator('circle').count()).resolves.toBe(depth * numHeads);
    await expect(distance.textContent()).resolves.toMatch(/Encoder layer.*Distance \(px\)/);
    await page.getByRole('button', { name: 'Close the steps' }).click();
  });
});

describe('mask-ratio sweep', () => {
  it('renders the row and the plot from nested masks, and downloads both as PNG of the expected size', async () => {
    await page.getByRole('button', { name: 'Open the sweep' }).click();
    const sweep = page.getByRole('region', { name: 'Mask-ratio sweep' });
    const plot = sweep.getByRole('img', { name: /^Masked-patch PSNR in dB against mask ratio/ });
    await plot.waitFor({ timeout: 120_000 });
    // Model and interpolation, every 5 % from 5 to 95.
    await expect(plot.locator('circle').count()).resolves.toBe(2 * 19);

    const percents = [50, 75, 85, 95];
    const original = await canvasPixels(page, 'Original');
    let previous: Uint8Array | null = null;
    for (const percent of percents) {
      const mask = maskFromViews(original, await canvasPixels(page, `Masked at ${percent}%`));
      const visible = mask.length - mask.reduce((a, b) => a + b, 0);
      expect(visible).toBe(lenKeep(config.numPatches, percent / 100));
      // One noise array: what is visible at a higher ratio was visible at the lower one.
      if (previous) for (let l = 0; l < mask.length; l++) if (!mask[l]) expect(previous[l]).toBe(0);
      previous = mask;
      expect(distinctColours(await canvasPixels(page, `Reconstruction at ${percent}%`))).toBeGreaterThan(100);
    }

    const row = await downloadedPng(() => sweep.getByRole('button', { name: 'Download figure' }).click());
    const size = { width: config.imageSize, height: 2 * config.imageSize };
    const layout = panelLayout(percents.map(() => size));
    expect([row.width, row.height]).toEqual([layout.width, layout.height]);
    const chart = await downloadedPng(() => sweep.getByRole('button', { name: 'Download plot' }).click());
    const svgSize = await plot.evaluate((svg) => [svg.getAttribute('width'), svg.getAttribute('height')]);
    expect([chart.width, chart.height]).toEqual(svgSize.map((v) => 2 * Number(v)));
    // The chart is drawn, not blank.
    expect(distinctColours(new Uint8Array(chart.data))).toBeGreaterThan(10);
    await page.getByRole('button', { name: 'Close the sweep' }).click();
  }, 240_000);
});

describe('guided article', () => {
  it('has its formulas typeset, keyboard-reachable headings, and links that open their step', async () => {
    const article = page.getByRole('article');
    // MathML laid out by the browser: a fraction is taller than a line of text.
    const heights = await article
      .locator('mfrac')
      .evaluateAll((fractions) => fractions.map((f) => f.getBoundingClientRect().height));
    expect(heights.length).toBeGreaterThanOrEqual(3);
    for (const height of heights) expect(height).toBeGreaterThan(20);

    const toc = page.getByRole('navigation', { name: 'Article sections' });
    for (const section of ARTICLE_SECTIONS) {
      await toc.getByRole('link', { name: section.title }).focus();
      await page.keyboard.press('Enter');
      await expect
        .poll(() => page.evaluate(() => document.activeElement?.textContent ?? ''))
        .toBe(section.title);
    }

    for (const section of ARTICLE_SECTIONS) {
      const index = STEP_IDS.indexOf(section.step);
      await article
        .getByRole('link', { name: `Open step ${index + 1}, ${STEP_TITLES[section.step]} →` })
        .click();
      const stepper = page.getByRole('region', { name: 'Pipeline steps' });
      await expect
        .poll(() => stepper.locator('[aria-current="step"]').innerText())
        .toContain(STEP_TITLES[section.step]);
      await expect
        .poll(() => stepper.evaluate((region) => region.contains(document.activeElement)))
        .toBe(true);
    }
    await page.getByRole('button', { name: 'Close the steps' }).click();

    await article.getByRole('button', { name: /^Time the encoder on all \d+ patches$/ }).click();
    await expect(article.getByText(/Measured on this device/).innerText()).resolves.toMatch(
      new RegExp(
        `for the ${lenKeep(config.numPatches, 0.75)} visible patches, .* for all ${config.numPatches}`,
      ),
    );
  }, 120_000);
});

describe('compare two models', () => {
  const int8Url = () => new URL(INT8_PATH, preview.baseUrl).href;

  async function openAndCompare(): Promise<void> {
    await page.getByRole('button', { name: 'Open compare' }).click();
    await page.getByRole('textbox', { name: 'or from URL' }).fill(int8Url());
    await page.getByRole('button', { name: 'Load second model' }).click();
    await page.getByRole('img', { name: 'Per-patch difference' }).waitFor({ timeout: 60_000 });
  }

  it('the bundled model against its int8 copy: both views, both PSNRs, a non-empty difference map', async () => {
    await openAndCompare();
    const region = page.getByRole('region', { name: 'Compare two models' });
    await expect(region.getByText(/Second model ready: .*\(int8\)/).count()).resolves.toBe(1);
    const text = await region.innerText();
    expect(text.match(/masked-patch PSNR \d+\.\d dB/g)).toHaveLength(2);
    const first = await canvasPixels(page, "First model's reconstruction");
    const second = await canvasPixels(page, "Second model's reconstruction");
    expect(distinctColours(first)).toBeGreaterThan(100);
    expect(distinctColours(second)).toBeGreaterThan(100);
    // int8 weights change the prediction a little: the pictures and the map are not uniform.
    expect(Buffer.compare(Buffer.from(first), Buffer.from(second))).not.toBe(0);
    expect(Number(text.match(/0 \(dark\) to (\d+\.\d)/)?.[1])).toBeGreaterThan(0);
    expect(distinctColours(await canvasPixels(page, 'Per-patch difference'))).toBeGreaterThan(2);
    await page.getByRole('button', { name: 'Close compare' }).click();
    await expect(page.getByRole('img', { name: 'Per-patch difference' }).count()).resolves.toBe(0);
  });

  it('closing releases the second model: 5 open/close cycles stay within a memory bound', async () => {
    const collect = async () => {
      await page.evaluate(() => (window as unknown as { gc(): void }).gc());
      await page.waitForTimeout(500);
      return rendererRssMb(marker);
    };
    const baseline = await collect();
    const samples: number[] = [];
    for (let cycle = 0; cycle < 5; cycle++) {
      await openAndCompare();
      await page.getByRole('button', { name: 'Close compare' }).click();
      samples.push(await collect());
    }
    const final = samples.at(-1)!;
    console.info(
      `compare memory: renderer RSS ${baseline} MB after one cycle; after each of 5 open/close cycles: ${samples.join(', ')} MB (${final - baseline >= 0 ? '+' : ''}${final - baseline} MB)`,
    );
    expect(final - baseline).toBeLessThan(COMPARE_MEMORY_BOUND_MB);
    await expect(page.locator('[role="alert"]').textContent()).resolves.toBe('');
  }, 240_000);
});

describe('requests and console', () => {
  it('after load, only the second model the user asked for was fetched; nothing logged an error', () => {
    const origin = new URL(preview.baseUrl).origin;
    const later = requests.slice(requestsAfterLoad).filter(({ url }) => /^https?:/.test(url));
    // Allowed: the second model's files, and the sample photos' own thumbnails as <img> (the
    // gallery and credits load them lazily when the page scrolls, as the article test does).
    const unasked = later.filter(({ url, type }) => {
      const { origin: from, pathname } = new URL(url);
      if (from !== origin) return true;
      return (
        !pathname.startsWith('/e2e-compare/mae-small-int8/') &&
        !(type === 'image' && pathname.startsWith('/samples/'))
      );
    });
    expect(unasked).toEqual([]);
    expect(requests.filter(({ url }) => /^https?:/.test(url) && new URL(url).origin !== origin)).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
