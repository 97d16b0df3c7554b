/**
 * Getting a model's bytes onto the page: config.json (validated), then the ONNX files, fetched
 * with byte progress, kept in the Cache API between visits and checked against the SHA-256 that
 * config.json records.
 */
import {
  listedFiles,
  type ModelConfig,
  ModelConfigError,
  type ModelFile,
  parseModelConfig,
} from '../formats/config';
import type { MaeModelBytes } from './maeRunner';
import { readModelBytes } from './modelBytes';

export const MODEL_CACHE_NAME = 'mae-lens-models-v1';

export interface ByteProgress {
  loaded: number;
  /** Null while the total is unknown (no size in config.json and no Content-Length). */
  total: number | null;
}

export class ModelFileError extends Error {
  override name = 'ModelFileError';
}

/** The bytes arrived but are not the ones config.json describes (size or SHA-256). */
export class ModelFileMismatchError extends ModelFileError {
  override name = 'ModelFileMismatchError';
}

/** Validates config.json text; errors name the file and the offending field. */
export function parseConfigText(text: string, fileName: string): ModelConfig {
  if (/^\s*</.test(text)) {
    // What a wrong URL usually gets: a single-page host's index.html or an error page, with status 200.
    throw new ModelFileError(
      `${fileName} is an HTML page, not a config.json: the address is wrong, or the server answered with an error page.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelFileError(`${fileName} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  try {
    return parseModelConfig(json);
  } catch (error) {
    if (error instanceof ModelConfigError) {
      // parseModelConfig's messages start with "config.json:"; name the actual file instead.
      throw new ModelFileError(error.message.replace(/^config\.json/, fileName), { cause: error });
    }
    throw error;
  }
}

function isCrossOrigin(url: string): boolean {
  const page = globalThis.location?.origin;
  return page !== undefined && new URL(url, globalThis.location.href).origin !== page;
}

/**
 * fetch, with an error that says what to fix: fetch rejects with a bare TypeError when CORS
 * blocks a response.
 */
export async function fetchResponse(
  url: string,
  fetchImpl: typeof fetch,
  init?: RequestInit,
): Promise<Response> {
  try {
    return await fetchImpl(url, init);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    if (!isCrossOrigin(url))
      throw new ModelFileError(`could not fetch ${url}: ${error.message}`, { cause: error });
    // With COEP require-corp even a no-cors fetch would be blocked: CORS is the only way in.
    const isolation = globalThis.crossOriginIsolated
      ? ' This page is cross-origin isolated (COEP require-corp), so the model host must allow CORS.'
      : '';
    throw new ModelFileError(
      `could not fetch ${url} from another origin: the server must send Access-Control-Allow-Origin ` +
        `(or it is unreachable, or the page's Content-Security-Policy blocks it).${isolation}`,
      { cause: error },
    );
  }
}

/** fetchResponse, and a 404 names the file that is missing. */
export async function fetchOk(url: string, fetchImpl: typeof fetch, init?: RequestInit): Promise<Response> {
  const response = await fetchResponse(url, fetchImpl, init);
  if (response.status === 404) throw new ModelFileError(`${url} does not exist (HTTP 404).`);
  if (!response.ok) throw new ModelFileError(`${url}: HTTP ${response.status}`);
  return response;
}

export async function fetchModelConfig(
  configUrl: string,
  fetchImpl: typeof fetch = fetch,
): Promise<ModelConfig> {
  const response = await fetchOk(configUrl, fetchImpl);
  return parseConfigText(await response.text(), configUrl);
}

export async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Throws when the bytes do not match the size or SHA-256 that config.json gives for them. */
export async function verifyModelFile(bytes: ArrayBuffer, file: ModelFile, source: string): Promise<void> {
  if (file.bytes !== undefined && bytes.byteLength !== file.bytes) {
    throw new ModelFileMismatchError(
      `${source}: config.json says ${file.bytes} bytes, got ${bytes.byteLength}. ` +
        (bytes.byteLength < file.bytes
          ? 'The file is incomplete (cut off while downloading or copying?), or it and config.json come from different exports.'
          : 'The file and config.json come from different exports.'),
    );
  }
  if (file.sha256 === undefined) return;
  const actual = await sha256Hex(bytes);
  if (actual !== file.sha256) {
    throw new ModelFileMismatchError(
      `${source}: SHA-256 mismatch: config.json says ${file.sha256}, the file has ${actual}. ` +
        'The file and config.json come from different exports.',
    );
  }
}

/** Reads a response body, reporting every chunk. */
export async function readWithProgress(
  response: Response,
  expectedBytes: number | null,
  onChunk: (loadedSoFar: number, total: number | null) => void,
): Promise<ArrayBuffer> {
  const header = Number(response.headers.get('Content-Length'));
  const total = expectedBytes ?? (Number.isSafeInteger(header) && header > 0 ? header : null);
  if (!response.body) {
    const buffer = await response.arrayBuffer();
    onChunk(buffer.byteLength, total);
    return buffer;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onChunk(loaded, total);
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes.buffer;
}

export async function openCache(): Promise<Cache | null> {
  if (typeof caches === 'undefined') return null;
  try {
    return await caches.open(MODEL_CACHE_NAME);
  } catch {
    // Opaque origins and some private modes refuse the Cache API: plain fetch still works.
    return null;
  }
}

/**
 * The cache key carries the expected SHA-256: a re-exported model with the same file names gets
 * a new key instead of a stale hit.
 */
function cacheKey(url: string, file: ModelFile): string {
  return file.sha256 ? `${url}#sha256=${file.sha256}` : url;
}

/**
 * Where a model's files are kept between visits: `model-cache` for models from elsewhere (this
 * module's Cache API entries); `service-worker` for the build's bundled models, which the site's
 * service worker precaches with the app (public/coi-sw.js), so they are not stored twice.
 */
export type ModelFileStore = 'model-cache' | 'service-worker';

/** Deletes every model kept in the model cache; the service worker's copy of the app stays. */
export async function clearModelCache(): Promise<void> {
  if (typeof caches !== 'undefined') await caches.delete(MODEL_CACHE_NAME);
}

/** True when every file of the model is in the model cache (under its expected SHA-256). */
export async function modelFilesCached(configUrl: string, config: ModelConfig): Promise<boolean> {
  const cache = await openCache();
  if (!cache) return false;
  const base = new URL(configUrl, globalThis.location?.href);
  const files = listedFiles(config.files);
  const found = await Promise.all(
    files.map(
      async (file) => (await cache.match(cacheKey(new URL(file.path, base).href, file))) !== undefined,
    ),
  );
  return found.every(Boolean);
}

async function fetchChecked(
  url: string,
  file: ModelFile,
  fetchImpl: typeof fetch,
  onChunk: (loadedSoFar: number, total: number | null) => void,
  init?: RequestInit,
): Promise<ArrayBuffer> {
  const response = await fetchOk(url, fetchImpl, init);
  if (response.headers.get('Content-Type')?.startsWith('text/html')) {
    // Single-page hosts answer a missing file with their index.html and status 200.
    throw new ModelFileError(
      `${url}: the server sent an HTML page instead of this file, so it is probably missing there.`,
    );
  }
  const bytes = await readWithProgress(response, file.bytes ?? null, onChunk);
  await verifyModelFile(bytes, file, url);
  return bytes;
}

async function fetchOneFile(
  url: string,
  file: ModelFile,
  cache: Cache | null,
  store: ModelFileStore,
  fetchImpl: typeof fetch,
  onChunk: (loadedSoFar: number, total: number | null) => void,
): Promise<ArrayBuffer> {
  const key = cacheKey(url, file);
  if (store === 'service-worker') {
    // Left here by versions that kept bundled models in the model cache too.
    await cache?.delete(key);
    try {
      return await fetchChecked(url, file, fetchImpl, onChunk);
    } catch (error) {
      if (!(error instanceof ModelFileMismatchError)) throw error;
      // A damaged copy in the worker's cache (or the HTTP cache): `reload` asks the server, and
      // the worker keeps the server's copy.
      return fetchChecked(url, file, fetchImpl, onChunk, { cache: 'reload' });
    }
  }
  const cached = await cache?.match(key);
  if (cached) {
    const bytes = await readWithProgress(cached, file.bytes ?? null, onChunk);
    try {
      await verifyModelFile(bytes, file, url);
      return bytes;
    } catch {
      // A damaged cache entry: drop it and fetch again.
      await cache?.delete(key);
    }
  }
  const bytes = await fetchChecked(url, file, fetchImpl, onChunk);
  if (cache && file.sha256) {
    await cache
      .put(key, new Response(bytes, { headers: { 'Content-Type': 'application/octet-stream' } }))
      .catch(() => undefined); // A full quota only costs the next visit a download.
  }
  return bytes;
}

/** Every ONNX file of the model whose config.json is at `configUrl`, verified. */
export async function fetchModelBytes(
  configUrl: string,
  config: ModelConfig,
  onProgress: (progress: ByteProgress) => void,
  fetchImpl: typeof fetch = fetch,
  store: ModelFileStore = 'model-cache',
): Promise<MaeModelBytes> {
  const cache = await openCache();
  const base = new URL(configUrl, globalThis.location?.href);
  const files = listedFiles(config.files);
  const loaded = new Map<ModelFile, number>(files.map((file) => [file, 0]));
  const totals = new Map<ModelFile, number | null>(files.map((file) => [file, file.bytes ?? null]));
  const report = () => {
    const sizes = [...totals.values()];
    const known = sizes.every((size) => size !== null);
    onProgress({
      loaded: [...loaded.values()].reduce((a, b) => a + b, 0),
      total: known ? (sizes as number[]).reduce((a, b) => a + b, 0) : null,
    });
  };
  return readModelBytes(config, async (file) => {
    const bytes = await fetchOneFile(
      new URL(file.path, base).href,
      file,
      cache,
      store,
      fetchImpl,
      (soFar, total) => {
        loaded.set(file, soFar);
        totals.set(file, total);
        report();
      },
    );
    return new Uint8Array(bytes);
  });
}

/**
 * "Load your own": config.json plus the ONNX files it names, picked from disk together. Files are
 * matched by name (config.json paths may include folders; only the last part counts here).
 */
export async function readLocalModel(files: File[]): Promise<{ config: ModelConfig; bytes: MaeModelBytes }> {
  const configFile = files.find((file) => file.name.endsWith('.json'));
  if (!configFile) throw new ModelFileError('Pick the model’s config.json together with its ONNX files.');
  const config = parseConfigText(await configFile.text(), configFile.name);
  const baseName = (entry: ModelFile) => entry.path.split('/').pop() ?? entry.path;
  const picked = (entry: ModelFile | undefined) =>
    entry !== undefined && files.some((f) => f.name === baseName(entry));
  // The lean graphs only speed up plain runs: without them the full graphs do everything.
  if (!picked(config.files.encoderLean) || !picked(config.files.decoderLean)) {
    config.files = { encoder: config.files.encoder, decoder: config.files.decoder };
  }
  const pick = async (entry: ModelFile): Promise<Uint8Array> => {
    const name = baseName(entry);
    const file = files.find((f) => f.name === name);
    if (!file) {
      throw new ModelFileError(`${configFile.name} names "${name}", which was not among the picked files.`);
    }
    const bytes = await file.arrayBuffer();
    await verifyModelFile(bytes, entry, file.name);
    return new Uint8Array(bytes);
  };
  return { config, bytes: await readModelBytes(config, pick) };
}
