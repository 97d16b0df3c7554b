import { createHash } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';

import { tinyConfigJson } from '../../tests/helpers/fixture';
import { fakeMaeGraphs } from '../../tests/helpers/onnxBytes';
import { parseModelConfig } from '../mae/config';
import {
  clearModelCache,
  fetchModelBytes,
  fetchModelConfig,
  MODEL_CACHE_NAME,
  ModelFileError,
  modelFilesCached,
  parseConfigText,
  readLocalModel,
  readWithProgress,
  sha256Hex,
  verifyModelFile,
} from './modelFiles';

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
// The tiny fixture's geometry (tinyConfigJson): 16-pixel patches, 196 of them, 192-wide encoder.
const geometry = { patchSize: 16, numPatches: 196, encoderDim: 192 };
const { encoder: encoderBytes, decoder: decoderBytes } = fakeMaeGraphs(geometry);

function configFor(files: Record<string, object>) {
  const json = tinyConfigJson();
  json.files = files;
  return json;
}

const goodConfig = configFor({
  encoder: { path: 'encoder.onnx', bytes: encoderBytes.length, sha256: sha(encoderBytes) },
  decoder: { path: 'decoder.onnx', bytes: decoderBytes.length, sha256: sha(decoderBytes) },
});

// Distinct bytes (another graph name) with the same contract.
const { encoder: encoderLeanBytes, decoder: decoderLeanBytes } = fakeMaeGraphs(geometry, 1);
const leanConfig = configFor({
  encoder: { path: 'onnx/encoder.onnx', bytes: encoderBytes.length, sha256: sha(encoderBytes) },
  decoder: { path: 'onnx/decoder.onnx', bytes: decoderBytes.length, sha256: sha(decoderBytes) },
  encoder_lean: { path: 'onnx/encoder.lean.onnx', sha256: sha(encoderLeanBytes), weights_from: 'encoder' },
  decoder_lean: { path: 'onnx/decoder.lean.onnx', sha256: sha(decoderLeanBytes), weights_from: 'decoder' },
});

/** A fetch over a map of URL -> body, streaming each body in two chunks. */
function fakeFetch(files: Record<string, Uint8Array | string>) {
  return vi.fn(async (input: RequestInfo | URL) => {
    const body = files[String(input)];
    if (body === undefined) return new Response('missing', { status: 404 });
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const half = Math.ceil(bytes.length / 2);
        controller.enqueue(bytes.slice(0, half));
        controller.enqueue(bytes.slice(half));
        controller.close();
      },
    });
    return new Response(stream, { headers: { 'Content-Length': String(bytes.length) } });
  }) as unknown as typeof fetch;
}

describe('config.json', () => {
  it('names the file and the field when a config is invalid', () => {
    const json = tinyConfigJson();
    json.patch_size = 15;
    expect(() => parseConfigText(JSON.stringify(json), 'models/x/config.json')).toThrow(
      'models/x/config.json: "patch_size" must be a positive integer dividing image_size (got 15)',
    );
  });

  it('names the file when it is not JSON', () => {
    expect(() => parseConfigText('{oops', 'my/config.json')).toThrow(/^my\/config\.json is not valid JSON/);
  });

  it('throws only ModelFileError, naming the file, on any text: random, or valid config.json cut short', () => {
    const good = JSON.stringify(goodConfig, null, 2);
    const text = fc.oneof(
      fc.string(),
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.integer({ min: 0, max: good.length - 1 }).map((cut) => good.slice(0, cut)),
    );
    fc.assert(
      fc.property(text, (input) => {
        try {
          parseConfigText(input, 'm/config.json');
        } catch (error) {
          expect(error).toBeInstanceOf(ModelFileError);
          expect((error as Error).message).toMatch(/^m\/config\.json[ :]/);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('says so when an HTML page came instead of config.json (a single-page host’s answer to a wrong URL)', () => {
    expect(() => parseConfigText('\n<!doctype html><title>x</title>', 'https://h/m/config.json')).toThrow(
      'https://h/m/config.json is an HTML page, not a config.json: the address is wrong, or the server answered with an error page.',
    );
  });

  it('fetches and validates, reporting HTTP errors with the URL', async () => {
    const fetchImpl = fakeFetch({ 'http://x/m/config.json': JSON.stringify(goodConfig) });
    await expect(fetchModelConfig('http://x/m/config.json', fetchImpl)).resolves.toMatchObject({
      imageSize: 224,
    });
    await expect(fetchModelConfig('http://x/none/config.json', fetchImpl)).rejects.toThrow(
      'http://x/none/config.json does not exist (HTTP 404)',
    );
  });

  it('explains a fetch that fails on another origin as missing CORS', async () => {
    vi.stubGlobal('location', new URL('http://app.test/mae-lens/'));
    try {
      const refused: typeof fetch = () => Promise.reject(new TypeError('Failed to fetch'));
      await expect(fetchModelConfig('http://models.test/m/config.json', refused)).rejects.toThrow(
        'could not fetch http://models.test/m/config.json from another origin: the server must send Access-Control-Allow-Origin',
      );
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('file checks', () => {
  it('computes SHA-256 like everyone else', async () => {
    expect(await sha256Hex(encoderBytes.slice().buffer)).toBe(sha(encoderBytes));
  });

  it('explains a SHA-256 mismatch', async () => {
    const file = { path: 'encoder.onnx', sha256: 'a'.repeat(64) };
    await expect(verifyModelFile(encoderBytes.slice().buffer, file, 'encoder.onnx')).rejects.toThrow(
      `encoder.onnx: SHA-256 mismatch: config.json says ${'a'.repeat(64)}, the file has ${sha(encoderBytes)}`,
    );
  });

  it('explains a size mismatch before hashing', async () => {
    await expect(
      verifyModelFile(encoderBytes.slice().buffer, { path: 'e.onnx', bytes: 6 }, 'e.onnx'),
    ).rejects.toThrow(
      `e.onnx: config.json says 6 bytes, got ${encoderBytes.length}. The file and config.json come from different exports.`,
    );
    const longer = encoderBytes.length + 10;
    await expect(
      verifyModelFile(encoderBytes.slice().buffer, { path: 'e.onnx', bytes: longer }, 'e.onnx'),
    ).rejects.toThrow(
      `e.onnx: config.json says ${longer} bytes, got ${encoderBytes.length}. The file is incomplete (cut off while downloading or copying?)`,
    );
  });

  it('reports progress chunk by chunk', async () => {
    const seen: [number, number | null][] = [];
    const bytes = new Uint8Array([1, 2, 3, 4, 5]);
    const response = await fakeFetch({ u: bytes })('u');
    const buffer = await readWithProgress(response, null, (loaded, total) => seen.push([loaded, total]));
    expect(new Uint8Array(buffer)).toEqual(bytes);
    expect(seen).toEqual([
      [3, 5],
      [5, 5],
    ]);
  });
});

describe('fetchModelBytes', () => {
  it('fetches both files relative to config.json, verified, with total progress', async () => {
    const config = parseModelConfig(goodConfig);
    const fetchImpl = fakeFetch({
      'http://host/models/m/encoder.onnx': encoderBytes,
      'http://host/models/m/decoder.onnx': decoderBytes,
    });
    const progress: { loaded: number; total: number | null }[] = [];
    const bytes = await fetchModelBytes(
      'http://host/models/m/config.json',
      config,
      (p) => progress.push(p),
      fetchImpl,
    );
    expect(new Uint8Array(bytes.encoder)).toEqual(encoderBytes);
    expect(new Uint8Array(bytes.decoder)).toEqual(decoderBytes);
    const total = encoderBytes.length + decoderBytes.length;
    expect(progress.at(-1)).toEqual({ loaded: total, total });
  });

  it('also fetches the lean graphs, naming the full files they read as the exporter did', async () => {
    const config = parseModelConfig(leanConfig);
    const fetchImpl = fakeFetch({
      'http://host/m/onnx/encoder.onnx': encoderBytes,
      'http://host/m/onnx/decoder.onnx': decoderBytes,
      'http://host/m/onnx/encoder.lean.onnx': encoderLeanBytes,
      'http://host/m/onnx/decoder.lean.onnx': decoderLeanBytes,
    });
    const progress: { loaded: number; total: number | null }[] = [];
    const bytes = await fetchModelBytes(
      'http://host/m/config.json',
      config,
      (p) => progress.push(p),
      fetchImpl,
    );
    expect(bytes.lean).toEqual({
      encoder: encoderLeanBytes,
      decoder: decoderLeanBytes,
      encoderPath: 'encoder.onnx',
      decoderPath: 'decoder.onnx',
    });
    const total =
      encoderBytes.length + decoderBytes.length + encoderLeanBytes.length + decoderLeanBytes.length;
    expect(progress.at(-1)).toEqual({ loaded: total, total });
  });

  it('refuses an HTML page served in place of a model file', async () => {
    const config = parseModelConfig(goodConfig);
    const fetchImpl = vi.fn(async (input: RequestInfo | URL) =>
      String(input).endsWith('decoder.onnx')
        ? new Response('<!doctype html>', { headers: { 'Content-Type': 'text/html; charset=utf-8' } })
        : new Response(encoderBytes.slice()),
    ) as unknown as typeof fetch;
    await expect(fetchModelBytes('http://host/m/config.json', config, () => {}, fetchImpl)).rejects.toThrow(
      'http://host/m/decoder.onnx: the server sent an HTML page instead of this file, so it is probably missing there.',
    );
  });

  it('refuses a file whose hash does not match config.json', async () => {
    const config = parseModelConfig(goodConfig);
    const fetchImpl = fakeFetch({
      'http://host/m/encoder.onnx': encoderBytes.map((byte, i) =>
        i === encoderBytes.length - 1 ? byte ^ 1 : byte,
      ),
      'http://host/m/decoder.onnx': decoderBytes,
    });
    await expect(fetchModelBytes('http://host/m/config.json', config, () => {}, fetchImpl)).rejects.toThrow(
      'http://host/m/encoder.onnx: SHA-256 mismatch',
    );
  });
});

/** A Cache API over a Map (the model cache), installed as globalThis.caches for one test. */
function fakeCaches() {
  const entries = new Map<string, Uint8Array<ArrayBuffer>>();
  const cache = {
    match: async (key: string) => (entries.has(key) ? new Response(entries.get(key)!.slice()) : undefined),
    put: async (key: string, response: Response) =>
      void entries.set(key, new Uint8Array(await response.arrayBuffer())),
    delete: async (key: string) => entries.delete(key),
  };
  vi.stubGlobal('caches', {
    open: async (name: string) => {
      expect(name).toBe(MODEL_CACHE_NAME);
      return cache;
    },
    delete: async (name: string) => (expect(name).toBe(MODEL_CACHE_NAME), entries.clear(), true),
  });
  return entries;
}

describe('the Cache API copy', () => {
  it('keeps verified files, and drops and fetches again an entry that no longer matches its SHA-256', async () => {
    const entries = fakeCaches();
    try {
      const config = parseModelConfig(goodConfig);
      const urls = { encoder: 'http://host/m/encoder.onnx', decoder: 'http://host/m/decoder.onnx' };
      const fetchImpl = fakeFetch({ [urls.encoder]: encoderBytes, [urls.decoder]: decoderBytes });
      await fetchModelBytes('http://host/m/config.json', config, () => {}, fetchImpl);
      expect(fetchImpl).toHaveBeenCalledTimes(2);
      const key = `${urls.encoder}#sha256=${sha(encoderBytes)}`;
      expect(entries.get(key)).toEqual(encoderBytes);

      // Served from the cache: no request.
      await fetchModelBytes('http://host/m/config.json', config, () => {}, fetchImpl);
      expect(fetchImpl).toHaveBeenCalledTimes(2);

      // Same length, other bytes (a damaged disk cache): only the hash tells.
      entries.set(key, new Uint8Array(encoderBytes.length));
      const bytes = await fetchModelBytes('http://host/m/config.json', config, () => {}, fetchImpl);
      expect(new Uint8Array(bytes.encoder)).toEqual(encoderBytes);
      expect(
        vi
          .mocked(fetchImpl)
          .mock.calls.slice(2)
          .map(([url]) => String(url)),
      ).toEqual([urls.encoder]);
      expect(entries.get(key)).toEqual(encoderBytes);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('bundled models, kept by the service worker', () => {
  const urls = { encoder: 'http://host/m/encoder.onnx', decoder: 'http://host/m/decoder.onnx' };
  const config = parseModelConfig(goodConfig);
  const encoderKey = `${urls.encoder}#sha256=${sha(encoderBytes)}`;

  it('are not stored in the model cache, and a copy an earlier version left there is dropped', async () => {
    const entries = fakeCaches();
    try {
      entries.set(encoderKey, encoderBytes.slice());
      const fetchImpl = fakeFetch({ [urls.encoder]: encoderBytes, [urls.decoder]: decoderBytes });
      await fetchModelBytes('http://host/m/config.json', config, () => {}, fetchImpl, 'service-worker');
      expect(fetchImpl).toHaveBeenCalledTimes(2);
      expect(entries.size).toBe(0);
      expect(await modelFilesCached('http://host/m/config.json', config)).toBe(false);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('a copy that fails its SHA-256 is asked for again with cache: reload, which the worker takes from the server', async () => {
    fakeCaches();
    try {
      const damaged = new Uint8Array(encoderBytes.length);
      let served = 0;
      const fetchImpl = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
        if (String(input) === urls.decoder) return new Response(decoderBytes.slice());
        served += 1;
        return new Response(init?.cache === 'reload' ? encoderBytes.slice() : damaged);
      }) as unknown as typeof fetch;
      const bytes = await fetchModelBytes(
        'http://host/m/config.json',
        config,
        () => {},
        fetchImpl,
        'service-worker',
      );
      expect(new Uint8Array(bytes.encoder)).toEqual(encoderBytes);
      expect(served).toBe(2);

      // The server's copy is wrong too: the mismatch is reported, not retried again.
      const wrong = vi.fn(
        async (input: RequestInfo | URL) =>
          new Response(String(input) === urls.decoder ? decoderBytes.slice() : damaged),
      ) as unknown as typeof fetch;
      await expect(
        fetchModelBytes('http://host/m/config.json', config, () => {}, wrong, 'service-worker'),
      ).rejects.toThrow(/SHA-256 mismatch/);
      expect(wrong).toHaveBeenCalledTimes(3);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('models from elsewhere: cached once fetched, and gone after clearModelCache', async () => {
    const entries = fakeCaches();
    try {
      const fetchImpl = fakeFetch({ [urls.encoder]: encoderBytes, [urls.decoder]: decoderBytes });
      expect(await modelFilesCached('http://host/m/config.json', config)).toBe(false);
      await fetchModelBytes('http://host/m/config.json', config, () => {}, fetchImpl);
      expect(await modelFilesCached('http://host/m/config.json', config)).toBe(true);
      entries.delete(encoderKey);
      expect(await modelFilesCached('http://host/m/config.json', config)).toBe(false);
      await fetchModelBytes('http://host/m/config.json', config, () => {}, fetchImpl);
      await clearModelCache();
      expect(await modelFilesCached('http://host/m/config.json', config)).toBe(false);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('readLocalModel', () => {
  const file = (bytes: Uint8Array | string, name: string) => new File([bytes as BlobPart], name);

  it('matches the picked files to the names in config.json', async () => {
    const model = await readLocalModel([
      file(decoderBytes, 'decoder.onnx'),
      file(JSON.stringify(goodConfig), 'config.json'),
      file(encoderBytes, 'encoder.onnx'),
    ]);
    expect(model.config.name).toBe(goodConfig.name);
    expect(new Uint8Array(model.bytes.decoder)).toEqual(decoderBytes);
  });

  it('uses the lean graphs when they were picked too, and runs without them otherwise', async () => {
    const full = [
      file(JSON.stringify(leanConfig), 'config.json'),
      file(encoderBytes, 'encoder.onnx'),
      file(decoderBytes, 'decoder.onnx'),
    ];
    const withoutLean = await readLocalModel(full);
    expect(withoutLean.bytes.lean).toBeUndefined();
    expect(withoutLean.config.files.encoderLean).toBeUndefined();
    const lean = [file(encoderLeanBytes, 'encoder.lean.onnx'), file(decoderLeanBytes, 'decoder.lean.onnx')];
    const withLean = await readLocalModel([...full, ...lean]);
    expect(withLean.bytes.lean?.encoder).toEqual(encoderLeanBytes);
    expect(withLean.bytes.lean?.decoderPath).toBe('decoder.onnx');
  });

  it('says which file is missing', async () => {
    await expect(
      readLocalModel([file(JSON.stringify(goodConfig), 'config.json'), file(encoderBytes, 'encoder.onnx')]),
    ).rejects.toThrow('config.json names "decoder.onnx", which was not among the picked files.');
  });

  it('asks for config.json when it was not picked', async () => {
    await expect(readLocalModel([file(encoderBytes, 'encoder.onnx')])).rejects.toThrow(/config\.json/);
  });
});
