/**
 * The upstream tiny fixture model (exported by `npm run fixtures`) running in the worker's own
 * request handler on onnxruntime-web (WASM, one thread). Paths are relative to the repository root (the working
 * directory of every test run), so jsdom tests can use it too.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { type ModelConfig, parseModelConfig } from '../../src/mae/config';
import { parseNpy } from '../../src/mae/npy';
import { type Backend, createRequestHandler } from '../../src/runtime/inferenceHandler';
import { readModelBytes } from '../../src/runtime/modelBytes';
import type { WorkerReply, WorkerRequest } from '../../src/runtime/protocol';

const MODEL_DIR = join('tests', 'fixtures', 'onnx', 'official');
const REFERENCE_DIR = join('tests', 'fixtures', 'mae-tiny-reference');

export function referenceArray(name: string): Float32Array | Uint8Array {
  const array = parseNpy(readFileSync(join(REFERENCE_DIR, name)));
  if (!(array.data instanceof Float32Array || array.data instanceof Uint8Array)) {
    throw new Error(`${name}: unexpected ${array.dtype}`);
  }
  return array.data;
}

/** The fixture's 224 x 224 test image as straight RGBA. */
export function referenceImageRgba(): { width: number; height: number; data: Uint8ClampedArray } {
  const rgb = referenceArray('image_uint8.npy');
  const pixels = rgb.length / 3;
  const side = Math.round(Math.sqrt(pixels));
  const data = new Uint8ClampedArray(pixels * 4);
  for (let i = 0; i < pixels; i++) data.set([rgb[i * 3]!, rgb[i * 3 + 1]!, rgb[i * 3 + 2]!, 255], i * 4);
  return { width: side, height: side, data };
}

/** A request handler with the fixture model loaded, and its config (with `overrides` applied). */
export async function fixtureHandler(overrides: Partial<ModelConfig> = {}): Promise<{
  config: ModelConfig;
  handle: (request: WorkerRequest) => Promise<WorkerReply>;
}> {
  const config = {
    ...parseModelConfig(JSON.parse(readFileSync(join(MODEL_DIR, 'config.json'), 'utf8'))),
    ...overrides,
  };
  // onnxruntime-web's WASM build, the app's own: onnxruntime-node's native outputs would be typed
  // arrays of another realm under jsdom.
  const ort = await import('onnxruntime-web/wasm');
  ort.env.wasm.numThreads = 1;
  const backend: Backend = {
    ort,
    info: { executionProvider: 'wasm', threads: 1, crossOriginIsolated: false },
  };
  const handle = createRequestHandler({ openBackend: async () => backend });
  const model = await readModelBytes(
    config,
    async (file) => new Uint8Array(readFileSync(join(MODEL_DIR, file.path))),
  );
  const loaded = await handle({ type: 'load', id: 0, config, model, executionProvider: 'wasm' });
  if (loaded.status !== 'loaded')
    throw new Error(`the fixture model did not load: ${JSON.stringify(loaded)}`);
  return { config, handle };
}
