/**
 * Issue 12 end to end: the production build with HF_ENDPOINT pointing at a stand-in Hub that
 * this test starts. Like the real Hub it serves OWNER/REPO/resolve/REV/FILE, answers the weights
 * with a 302 to a second origin (its "CDN") carrying X-Linked-Etag / X-Linked-Size, and both
 * origins send CORS. The tiny upstream fixture in Hugging Face format is the model.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { reconstructImages } from '../../src/cli/reconstruct';
import { parseNpy } from '../../src/formats/npy';
import { predictionToPixels } from '../../src/mae/views';
import { asUint8, loadReference, referenceDir } from '../helpers/fixture';
import { writePng } from '../helpers/png';
import {
  alertText,
  buildDist,
  canvasPixels,
  freePort,
  launchChromium,
  recordErrors,
  startPreview,
  viewsReady,
} from './harness';

const hfFolder = join(referenceDir, 'hf');
const RATIO = 75;
const SEED = 7;

interface Repo {
  files: Record<string, Buffer>;
  /** Config.json without Access-Control-Allow-Origin. */
  noCors?: boolean;
  /** No X-Linked-* headers on the weights (a mirror that serves a damaged copy). */
  unlinked?: boolean;
}

const config = readFileSync(join(hfFolder, 'config.json'));
const safetensors = readFileSync(join(hfFolder, 'model.safetensors'));
const repos: Record<string, Repo> = {
  'tiny/mae': { files: { 'config.json': config, 'model.safetensors': safetensors } },
  'tiny/nocors': { files: { 'config.json': config, 'model.safetensors': safetensors }, noCors: true },
  'tiny/truncated': {
    files: { 'config.json': config, 'model.safetensors': safetensors.subarray(0, safetensors.length / 2) },
    unlinked: true,
  },
};

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'X-Linked-Etag, X-Linked-Size, ETag, Content-Length',
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

let hubRequests: string[] = [];
let servers: Server[] = [];
let browser: Browser;
let preview: { baseUrl: string; stop(): void };
let hubOrigin: string;
let imageFile: string;
let tmp: string;

function handleHub(cdnOrigin: string) {
  return (request: IncomingMessage, response: ServerResponse) => {
    hubRequests.push(request.url ?? '');
    const match = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(request.url ?? '');
    const repo = match && repos[match[1]!];
    const body = repo?.files[match![3]!];
    if (!repo || !body) return void response.writeHead(404, CORS).end();
    if (match![3] === 'config.json') {
      return void response
        .writeHead(200, repo.noCors ? {} : { ...CORS, 'Content-Type': 'application/json' })
        .end(body);
    }
    // LFS files: a redirect to the CDN, with the SHA-256 and the size as the Hub gives them.
    const linked = repo.unlinked
      ? {}
      : {
          'X-Linked-Etag': `"${createHash('sha256').update(body).digest('hex')}"`,
          'X-Linked-Size': String(body.length),
        };
    response
      .writeHead(302, { ...CORS, ...linked, Location: `${cdnOrigin}/lfs/${match![1]}/${match![3]}` })
      .end();
  };
}

function handleCdn(request: IncomingMessage, response: ServerResponse) {
  hubRequests.push(`cdn:${request.url}`);
  const match = /^\/lfs\/([^/]+\/[^/]+)\/(.+)$/.exec(request.url ?? '');
  const repo = match && repos[match[1]!];
  const body = repo?.files[match![2]!];
  if (!repo || !body) return void response.writeHead(404, CORS).end();
  const etag = repo.unlinked ? {} : { ETag: `"${createHash('sha256').update(body).digest('hex')}"` };
  response.writeHead(200, { ...CORS, ...etag, 'Content-Type': 'application/octet-stream' }).end(body);
}

async function listenOn(port: number, handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  servers.push(server);
  return server;
}

beforeAll(async () => {
  const [hubPort, cdnPort] = [await freePort(), await freePort()];
  hubOrigin = `http://127.0.0.1:${hubPort}`;
  await listenOn(hubPort, handleHub(`http://127.0.0.1:${cdnPort}`));
  await listenOn(cdnPort, handleCdn);
  // The Hub address is fixed at build time (and vite preview's CSP follows it).
  const previous = process.env.HF_ENDPOINT;
  process.env.HF_ENDPOINT = hubOrigin;
  try {
    buildDist();
    preview = await startPreview();
  } finally {
    if (previous === undefined) delete process.env.HF_ENDPOINT;
    else process.env.HF_ENDPOINT = previous;
  }
  tmp = mkdtempSync(join(tmpdir(), 'mae-hub-'));
  // The fixture picture is 224 x 224 already: page and CLI use it as it is.
  const rgb = asUint8(loadReference('image_uint8.npy')); // [224, 224, 3]
  const rgba = new Uint8Array((rgb.length / 3) * 4); // [224, 224, 4]
  for (let i = 0; i < rgb.length / 3; i++) {
    rgba.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = 255;
  }
  imageFile = join(tmp, 'castle.png');
  await writePng(imageFile, 224, 224, rgba);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  preview?.stop();
  for (const server of servers) server.close();
  servers = [];
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function tinyRunning(page: Page) {
  await page.getByRole('option', { name: 'tiny/mae (from URL)' }).waitFor({ state: 'attached' });
  await viewsReady(page);
}

describe('a transformers ViT-MAE from the Hub', () => {
  it('asks first, loads on "Load model", matches the CLI, and loads from the cache on the next visit', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = recordErrors(page);
    await page.goto(`${preview.baseUrl}?model=hf:tiny/mae&ratio=${RATIO}&seed=${SEED}`);

    const dialog = page.getByRole('dialog', {
      name: `Load a model from 127.0.0.1:${new URL(hubOrigin).port}?`,
    });
    await dialog.waitFor();
    expect(await dialog.innerText()).toMatch(/a 8\.\d MB download/);
    // Nothing but config.json has been asked of the Hub; the bundled model runs meanwhile.
    expect(hubRequests).toEqual(['/tiny/mae/resolve/main/config.json']);
    await viewsReady(page);
    expect(await page.getByRole('combobox', { name: 'Model' }).inputValue()).toBe('mae-small');

    await dialog.getByRole('button', { name: 'Load model' }).click();
    await tinyRunning(page);
    expect(hubRequests).toContain('/tiny/mae/resolve/main/model.safetensors');
    expect(hubRequests).toContain('cdn:/lfs/tiny/mae/model.safetensors');

    // An uploaded image, against the CLI on the same checkpoint, image, ratio and seed.
    await page.locator('input[type="file"][accept="image/*"]').setInputFiles(imageFile);
    await page.waitForURL((url) => !url.searchParams.has('sample'));
    await viewsReady(page);
    const shown = await canvasPixels(page, 'Reconstruction'); // [224, 224, 4]
    const out = join(tmp, 'cli');
    const cli = await reconstructImages({
      model: hfFolder,
      images: [imageFile],
      maskRatio: RATIO / 100,
      seed: SEED,
      out,
      saveTensors: true,
      log: { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream,
    });
    expect(cli.failures).toEqual([]);
    const pred = parseNpy(readFileSync(join(out, 'castle.pred.npy'))).data as Float32Array; // [1, N, P*P*3]
    const space = {
      imageSize: 224,
      patchSize: 16,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    } as const;
    const expected = predictionToPixels(pred, { ...space, mean: [...space.mean], std: [...space.std] }); // [224, 224, 3]
    let worst = 0;
    for (let i = 0; i < expected.length; i++) {
      const pixel = Math.floor(i / 3) * 4 + (i % 3);
      worst = Math.max(worst, Math.abs(shown[pixel]! - Math.min(255, Math.max(0, Math.round(expected[i]!)))));
    }
    expect(worst, 'largest difference from the CLI, in grey levels').toBeLessThanOrEqual(1);
    expect(errors).toEqual([]);

    // The next visit: from the Cache API, no dialog and not one request to the Hub or its CDN.
    hubRequests = [];
    await page.reload();
    await tinyRunning(page);
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(hubRequests).toEqual([]);
    await context.close();
  });

  it('a 404, a CORS refusal and a truncated file each give a clear alert and keep the running model', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${preview.baseUrl}?model=hf:tiny/mae`);
    await page.getByRole('dialog').getByRole('button', { name: 'Load model' }).click();
    await tinyRunning(page);
    const cases = [
      ['hf:tiny/missing', 'does not exist (HTTP 404)'],
      ['hf:tiny/nocors', 'Access-Control-Allow-Origin'],
      ['hf:tiny/truncated', 'model.safetensors: tensor'],
    ] as const;
    for (const [spec, message] of cases) {
      await page.getByRole('textbox', { name: 'Load from URL' }).fill(spec);
      await page.getByRole('button', { name: 'Load', exact: true }).click();
      await page.getByRole('alert').getByText(message).waitFor();
      console.info(`${spec}: ${await alertText(page)}`);
      // The tiny model still runs: a new mask ratio reconstructs with it.
      await page.getByRole('slider', { name: 'Mask ratio' }).fill(spec.length % 2 ? '60' : '70');
      await tinyRunning(page);
      await page.getByRole('button', { name: 'Dismiss the error' }).click();
    }
    expect(await alertText(page)).toBe('');
    await context.close();
  });

  it('"Load your own" takes Meta’s .pth with its config.json', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = recordErrors(page);
    await page.goto(preview.baseUrl);
    await viewsReady(page);
    await page
      .locator('input[type="file"][multiple]')
      .setInputFiles([
        join(referenceDir, 'official', 'checkpoint.pth'),
        join(referenceDir, 'official', 'config.json'),
      ]);
    await page
      .getByRole('option', { name: 'checkpoint.pth (from your disk)' })
      .waitFor({ state: 'attached' });
    await viewsReady(page);
    expect(await alertText(page)).toBe('');
    expect(errors).toEqual([]);
    await context.close();
  });
});
