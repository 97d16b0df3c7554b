/**
 * onnxruntime-node behind the web API the worker's handler expects, and the bundled model's
 * folder: for tests that run the page's own request handler natively.
 */
import { readFileSync } from 'node:fs';

import { type ModelConfig, type ModelFile, parseModelConfig } from '../../src/formats/config';
import type { Backend } from '../../src/runtime/inferenceHandler';
import type { MaeModelBytes } from '../../src/runtime/maeRunner';
import { readModelBytes } from '../../src/runtime/modelBytes';

export const bundledModel = new URL('../../models/mae-small/', import.meta.url);

export async function nodeOrt(): Promise<Backend['ort']> {
  const node = await import('onnxruntime-node');
  // onnxruntime-node names its CPU provider "cpu"; everything else is the web API.
  return {
    Tensor: node.Tensor,
    InferenceSession: {
      create: (bytes: Uint8Array, options?: object) =>
        node.InferenceSession.create(bytes, { ...options, executionProviders: ['cpu'] }),
    },
  } as unknown as Backend['ort'];
}

export async function readBundledModel(): Promise<{ config: ModelConfig; bytes: MaeModelBytes }> {
  const config = parseModelConfig(JSON.parse(readFileSync(new URL('config.json', bundledModel), 'utf8')));
  const read = async (file: ModelFile) => new Uint8Array(readFileSync(new URL(file.path, bundledModel)));
  return { config, bytes: await readModelBytes(config, read) };
}
