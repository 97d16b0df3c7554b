/** A model folder run with onnxruntime-node through the same MaeRunner as the browser. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import ort from 'onnxruntime-node';

import { type ModelConfig, parseModelConfig } from '../mae/config';
import { type MaeModelBytes, MaeRunner } from '../runtime/maeRunner';
import { readModelBytes } from '../runtime/modelBytes';

export interface NodeModel {
  config: ModelConfig;
  /** Give it to `reconstruct` (src/runtime/reconstruct.ts), the page's own pass. */
  runner: MaeRunner;
  release(): Promise<void>;
}

/** A model folder's config.json and graph files, as MaeRunner.create takes them. */
export async function readNodeModel(folder: string): Promise<{ config: ModelConfig; bytes: MaeModelBytes }> {
  const config = parseModelConfig(JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')));
  const bytes = await readModelBytes(config, (file) => readFile(join(folder, file.path)));
  return { config, bytes };
}

/** `threads` = 0 lets onnxruntime choose (all cores). */
export async function loadNodeModel(folder: string, threads = 0): Promise<NodeModel> {
  const { config, bytes } = await readNodeModel(folder);
  const runner = await MaeRunner.create(ort, bytes, config, { intraOpNumThreads: threads });
  return { config, runner, release: () => runner.dispose() };
}
