/**
 * Models named by a link (`?model=`, "Load from URL", the picker's Hugging Face entries): our
 * exports (config.json naming ONNX files) and transformers ViT-MAE repositories (config.json
 * with `model_type: vit_mae`, then `model.safetensors` or, failing that, `pytorch_model.bin`).
 * The size is known from config.json before any weights are fetched; the weights come with
 * byte progress, are checked against the Hub's SHA-256 (`X-Linked-Etag`) where it gives one,
 * and are kept in the Cache API with their config.json, so a second visit needs no network.
 */
import { listedFiles, MODEL_FORMAT, type ModelConfig } from '../formats/config';
import { parameterCount, parseHfConfig } from '../formats/maeCheckpoint';
import { type CheckpointFiles, checkWasmSize, HF_WEIGHT_FILES, inspectCheckpoint } from './checkpointModel';
import type { MaeModelBytes } from './maeRunner';
import {
  type ByteProgress,
  fetchModelBytes,
  fetchOk,
  fetchResponse,
  ModelFileError,
  modelFilesCached,
  openCache,
  parseConfigText,
  readWithProgress,
  sha256Hex,
} from './modelFiles';

export type RemoteModel = (
  { config: ModelConfig; bytes: MaeModelBytes } | { config: ModelConfig; checkpoint: CheckpointFiles }
) & {
  /** Said beside the model picker: e.g. that the model could not be cached. */
  notice?: string;
};

export interface RemoteModelInfo {
  /** Who the weights come from, as the confirmation says it. */
  host: string;
  /** Download size; null when config.json does not say. */
  bytes: number | null;
  /** Every file is in the Cache API: loading needs no network and no confirmation. */
  cached: boolean;
}

const megabytes = (bytes: number) =>
  bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`;

/** The repository's name for the picker: OWNER/REPO on the Hub, else the folder of config.json. */
function displayName(configUrl: string): string {
  const path = new URL(configUrl).pathname.split('/').filter(Boolean);
  const resolve = path.indexOf('resolve');
  return resolve >= 2 ? `${path[resolve - 2]}/${path[resolve - 1]}` : (path.at(-2) ?? configUrl);
}

function parseJson(text: string, url: string): Record<string, unknown> {
  // parseConfigText names the file in its errors (HTML pages, bad JSON); a transformers config
  // is not a MAE Lens config, so only its JSON checks are wanted here.
  if (/^\s*</.test(text)) parseConfigText(text, url);
  try {
    const json = JSON.parse(text) as unknown;
    if (typeof json === 'object' && json !== null && !Array.isArray(json))
      return json as Record<string, unknown>;
  } catch (error) {
    throw new ModelFileError(`${url} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  throw new ModelFileError(`${url} is not a JSON object`);
}

type ConfigKind = { kind: 'export'; config: ModelConfig } | { kind: 'hf'; json: Record<string, unknown> };

function classify(text: string, url: string): ConfigKind {
  const json = parseJson(text, url);
  if (json.format === MODEL_FORMAT) return { kind: 'export', config: parseConfigText(text, url) };
  if (json.model_type === 'vit_mae') return { kind: 'hf', json };
  throw new ModelFileError(
    `${url} is neither a MAE Lens export (format "${MODEL_FORMAT}") nor a transformers ViT-MAE ` +
      `(model_type "vit_mae"; this one says ${JSON.stringify(json.model_type ?? null)}).`,
  );
}

/** Download size of what config.json describes; throws for a model too large for the page. */
function downloadBytes(kind: ConfigKind, url: string): number | null {
  if (kind.kind === 'hf') {
    const parameters = parameterCount(parseHfConfig(kind.json, url));
    checkWasmSize(parameters, displayName(url));
    return parameters * 4;
  }
  const files = listedFiles(kind.config.files);
  return files.every((file) => file.bytes !== undefined)
    ? files.reduce((sum, file) => sum + (file.bytes ?? 0), 0)
    : null;
}

async function cachedText(cache: Cache | null, url: string): Promise<string | null> {
  const hit = await cache?.match(url);
  return hit ? hit.text() : null;
}

async function cachedWeights(cache: Cache | null, configUrl: string): Promise<string | null> {
  for (const file of HF_WEIGHT_FILES) {
    const url = new URL(file, configUrl).href;
    if (await cache?.match(url)) return url;
  }
  return null;
}

/** Whether the model at `configUrl` loads with no network: an export's files, or a checkpoint's. */
export async function remoteModelCached(configUrl: string, config: ModelConfig): Promise<boolean> {
  if (await modelFilesCached(configUrl, config)) return true;
  const cache = await openCache();
  return (await cachedText(cache, configUrl)) !== null && (await cachedWeights(cache, configUrl)) !== null;
}

/** Size and cache state, from config.json: what the confirmation shows before any download. */
export async function describeRemoteModel(
  configUrl: string,
  fetchImpl: typeof fetch = fetch,
): Promise<RemoteModelInfo> {
  const cache = await openCache();
  const host = new URL(configUrl).host;
  const cachedConfig = await cachedText(cache, configUrl);
  if (cachedConfig !== null) {
    const kind = classify(cachedConfig, configUrl);
    // Exports cache their files under their SHA-256 (modelFiles.ts); the Hub's weights by URL.
    const cached = kind.kind === 'hf' && (await cachedWeights(cache, configUrl)) !== null;
    if (cached) return { host, bytes: downloadBytes(kind, configUrl), cached };
  }
  const response = await fetchOk(configUrl, fetchImpl);
  const kind = classify(await response.text(), configUrl);
  return { host, bytes: downloadBytes(kind, configUrl), cached: false };
}

/** The SHA-256 the Hub gives for an LFS file: `X-Linked-Etag`, or an ETag that is one. */
function expectedSha256(headers: Headers): string | null {
  for (const name of ['X-Linked-Etag', 'ETag']) {
    const match = /^(?:W\/)?"?([0-9a-f]{64})"?$/.exec(headers.get(name) ?? '');
    if (match) return match[1]!;
  }
  return null;
}

/** Free Cache API room in bytes, or null when the browser does not say. */
async function storageRoom(): Promise<number | null> {
  const estimate = await globalThis.navigator?.storage?.estimate?.().catch(() => undefined);
  return estimate?.quota === undefined ? null : estimate.quota - (estimate.usage ?? 0);
}

async function fetchWeights(
  configUrl: string,
  expected: number | null,
  cache: Cache | null,
  onProgress: (progress: ByteProgress) => void,
  fetchImpl: typeof fetch,
): Promise<{ name: string; bytes: Uint8Array; fromCache: boolean }> {
  const report = (loaded: number, total: number | null) => onProgress({ loaded, total });
  for (const name of HF_WEIGHT_FILES) {
    const url = new URL(name, configUrl).href;
    const hit = await cache?.match(url);
    if (hit)
      return { name, bytes: new Uint8Array(await readWithProgress(hit, null, report)), fromCache: true };
  }
  for (const name of HF_WEIGHT_FILES) {
    const url = new URL(name, configUrl).href;
    const response = await fetchResponse(url, fetchImpl);
    if (response.status === 404) continue; // model.safetensors is optional on the Hub
    if (!response.ok) throw new ModelFileError(`${url}: HTTP ${response.status}`);
    const linkedSize = Number(response.headers.get('X-Linked-Size'));
    const declared = Number.isSafeInteger(linkedSize) && linkedSize > 0 ? linkedSize : null;
    // The total for the progress: the Hub's size, else Content-Length, else config.json's estimate.
    const length = Number(response.headers.get('Content-Length'));
    const total = declared ?? (Number.isSafeInteger(length) && length > 0 ? length : expected);
    const buffer = await readWithProgress(response, total, report);
    if (declared !== null && buffer.byteLength !== declared) {
      throw new ModelFileError(
        `${url}: the Hub says ${declared} bytes, ${buffer.byteLength} arrived (the download was cut off).`,
      );
    }
    const sha256 = expectedSha256(response.headers);
    if (sha256 !== null) {
      const actual = await sha256Hex(buffer);
      if (actual !== sha256) {
        throw new ModelFileError(
          `${url}: SHA-256 mismatch: the Hub says ${sha256}, the download has ${actual} (damaged or cut off in transit).`,
        );
      }
    }
    return { name, bytes: new Uint8Array(buffer), fromCache: false };
  }
  throw new ModelFileError(
    `${displayName(configUrl)} has neither ${HF_WEIGHT_FILES.join(' nor ')} beside its config.json.`,
  );
}

/** Keeps config.json and the weights for the next visit, when the quota allows. */
async function keep(
  cache: Cache | null,
  entries: { url: string; body: Uint8Array | string }[],
): Promise<string | undefined> {
  if (!cache)
    return 'This browser gives the page no Cache API here: the model will be downloaded again next time.';
  const total = entries.reduce(
    (sum, { body }) => sum + (typeof body === 'string' ? body.length : body.byteLength),
    0,
  );
  const room = await storageRoom();
  const refused = (free: number | null) =>
    `Running without caching: ${free === null ? 'the browser refused to store it' : `the browser lets this page store ${megabytes(Math.max(0, free))} more`}, and the ` +
    `model needs ${megabytes(total)}. It will be downloaded again next time.`;
  if (room !== null && room < total) return refused(room);
  try {
    for (const { url, body } of entries) {
      // Response copies the bytes: the weights' own buffer can go on to the worker afterwards.
      await cache.put(
        url,
        new Response(body as BodyInit, { headers: { 'Content-Type': 'application/octet-stream' } }),
      );
    }
  } catch {
    await Promise.all(entries.map(({ url }) => cache.delete(url)));
    return refused(room);
  }
  return undefined;
}

/** Fetches (or reads from the cache) the model whose config.json is at `configUrl`. */
export async function fetchRemoteModel(
  configUrl: string,
  onProgress: (progress: ByteProgress) => void,
  fetchImpl: typeof fetch = fetch,
): Promise<RemoteModel> {
  const cache = await openCache();
  const text = (await cachedText(cache, configUrl)) ?? (await (await fetchOk(configUrl, fetchImpl)).text());
  const kind = classify(text, configUrl);
  if (kind.kind === 'export') {
    return {
      config: kind.config,
      bytes: await fetchModelBytes(configUrl, kind.config, onProgress, fetchImpl),
    };
  }
  const expected = downloadBytes(kind, configUrl);
  const weights = await fetchWeights(configUrl, expected, cache, onProgress, fetchImpl);
  const checkpoint: CheckpointFiles = {
    weights: { name: weights.name, bytes: weights.bytes },
    configJson: kind.json,
    name: displayName(configUrl),
  };
  // Checked here, on the page, before the worker releases the running model for it.
  const config = inspectCheckpoint(checkpoint);
  if (weights.fromCache) return { config, checkpoint };
  const notice = await keep(cache, [
    { url: configUrl, body: text },
    { url: new URL(weights.name, configUrl).href, body: weights.bytes },
  ]);
  return { config, checkpoint, ...(notice !== undefined && { notice }) };
}
