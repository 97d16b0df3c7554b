/**
 * End to end: the pipeline stepper and the mask modes on the production build in Debian's
 * Chromium, with the bundled model. Walks the ten steps with the keyboard, changes the attention
 * query, paints patches and checks K, and that nothing logs an error.
 */
import { readFileSync } from 'node:fs';

import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { lenKeep } from '../../src/mae/masking';
import { gridCellSize } from '../../src/mae/maskModes';
import { type ModelIndexEntry, parseModelIndex } from '../../src/runtime/modelIndex';
import { STEP_IDS, STEP_TITLES } from '../../src/ui/steps';
import {
  buildDist,
  canvasPixels,
  launchChromium,
  recordErrors,
  startPreview,
  viewsReady,
  visibleTokens,
} from './harness';

let preview: { baseUrl: string; stop(): void };
let browser: Browser;
let page: Page;
let model: ModelIndexEntry;
let consoleErrors: string[] = [];

async function waitForK(expected: number): Promise<void> {
  await page.waitForFunction(
    (k) => {
      const region = document.querySelector('[aria-label="Views"]');
      const stats = document.querySelector('[aria-label="Run statistics"]')?.textContent ?? '';
      return region?.getAttribute('aria-busy') === 'false' && stats.includes(`K = ${k}`);
    },
    expected,
    { timeout: 60_000 },
  );
}

const stepper = () => page.getByRole('region', { name: 'Pipeline steps' });

beforeAll(async () => {
  buildDist();
  preview = await startPreview();
  const index = parseModelIndex(await (await fetch(`${preview.baseUrl}models/index.json`)).json());
  const entry = index.models.find((m) => m.id === index.default);
  if (!entry) throw new Error('the build lists no default model');
  model = entry;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
  consoleErrors = recordErrors(page);
  await page.goto(preview.baseUrl);
  await viewsReady(page);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  preview?.stop();
});

describe('pipeline stepper', () => {
  it('walks all ten steps with the arrow keys, each with its heading and picture', async () => {
    await page.getByRole('button', { name: 'Step through the pipeline' }).click();
    await stepper().waitFor();
    await page.getByRole('img', { name: 'Input image' }).waitFor({ timeout: 60_000 });
    await stepper().focus();
    const pictures: Record<(typeof STEP_IDS)[number], string> = {
      input: 'Input image',
      patchify: 'Patch grid',
      noise: 'Noise heat map',
      mask: 'Mask',
      'visible-tokens': 'Visible tokens',
      encoder: 'Attention map',
      'decoder-input': 'Decoder input',
      'decoder-layers': `Prediction after decoder block`,
      reconstruction: 'Reconstruction',
      'reconstruction-plus-visible': 'Per-patch error',
    };
    for (const [index, id] of STEP_IDS.entries()) {
      const title = STEP_TITLES[id];
      await expect.poll(() => stepper().locator('[aria-current="step"]').innerText()).toContain(title);
      await stepper().getByRole('heading', { name: title, exact: true }).waitFor();
      await stepper().getByRole('img', { name: pictures[id] }).first().waitFor();
      expect(await stepper().innerText()).toContain(`Step ${index + 1} of ${STEP_IDS.length}`);
      await page.keyboard.press('ArrowRight');
    }
    // The last step stays; ← goes back one at a time.
    await expect
      .poll(() => stepper().locator('[aria-current="step"]').innerText())
      .toContain('Reconstruction + visible');
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowLeft');
    await stepper().getByRole('heading', { name: 'Encoder', exact: true }).waitFor();
  });

  it('redraws the attention overlay when a patch is clicked in the encoder step', async () => {
    const before = Buffer.from(await canvasPixels(page, 'Attention map'));
    const target = stepper()
      .getByRole('button', { name: /^Attend from patch \d+$/ })
      .nth(5);
    await target.click();
    await expect
      .poll(async () => Buffer.compare(Buffer.from(await canvasPixels(page, 'Attention map')), before))
      .not.toBe(0);
    expect(await target.getAttribute('aria-pressed')).toBe('true');
    const fromPatch = Buffer.from(await canvasPixels(page, 'Attention map'));
    await stepper().getByRole('combobox', { name: 'Attention head' }).selectOption('0');
    await expect
      .poll(async () => Buffer.compare(Buffer.from(await canvasPixels(page, 'Attention map')), fromPatch))
      .not.toBe(0);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      stepper().getByRole('button', { name: 'Download this step' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('mae-lens_step6_encoder.png');
    const png = PNG.sync.read(readFileSync((await download.path())!));
    // One enlarged picture plus margins, label and caption.
    expect(png.width).toBeGreaterThanOrEqual(model.imageSize * 2);
    expect(png.height).toBeGreaterThan(png.width);
  });

  it('paints three patches and K grows by three; clearing leaves K = 0 and the page working', async () => {
    await page.getByRole('radio', { name: 'Painted' }).check();
    const start = await visibleTokens(page);
    const hidden = page
      .getByRole('group', { name: 'Paint the mask' })
      .locator('button[aria-pressed="false"]');
    for (let i = 0; i < 3; i++) await hidden.first().click();
    await waitForK(start + 3);
    expect(await page.getByRole('slider', { name: 'Mask ratio' }).isDisabled()).toBe(true);
    // The stepper shows the painted run: its mask step counts the same K.
    await stepper().getByRole('button', { name: /Mask$/ }).click();
    await expect.poll(() => stepper().innerText()).toContain(`${start + 3} kept (0)`);

    await page.getByRole('button', { name: 'Clear painting' }).click();
    await waitForK(0);
    const masked = Buffer.from(await canvasPixels(page, 'Masked'));
    const gray = masked.every((value, i) => (i % 4 === 3 ? value === 255 : value === 128));
    expect(gray, 'with K = 0 the Masked view is all gray').toBe(true);
    expect(await page.locator('[aria-label="Run statistics"]').innerText()).toMatch(/\d+\.\d dB/);
  });

  it('block and grid modes keep the counts they promise', async () => {
    const numPatches = (model.imageSize / model.patchSize) ** 2;
    await page.getByRole('radio', { name: 'Block' }).check();
    await page.getByRole('slider', { name: 'Mask ratio' }).fill('60');
    await waitForK(lenKeep(numPatches, 0.6));
    await page.getByRole('radio', { name: 'Grid' }).check();
    const grid = model.imageSize / model.patchSize;
    const cell = gridCellSize(0.6);
    await waitForK(Math.ceil(grid / cell) ** 2);
    await page.getByRole('radio', { name: 'Random' }).check();
    await waitForK(lenKeep(numPatches, 0.6));
    expect(consoleErrors).toEqual([]);
  });
});
