/**
 * A model run with onnxruntime-node through the same MaeRunner as the browser: our export folder,
 * a Hugging Face folder (config.json + model.safetensors or pytorch_model.bin), or a checkpoint
 * file (Meta's .pth; a config.json beside it is read when present), the latter two through the
 * same TypeScript loader as the page.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import ort from 'onnxruntime-node';

import { MODEL_FORMAT, type ModelConfig, parseModelConfig } from '../formats/config';
import { HF_WEIGHT_FILES, isCheckpointFileName, loadCheckpointModel } from '../runtime/checkpointModel';
import { type MaeModelBytes, MaeRunner } from '../runtime/maeRunner';
import { readModelBytes } from '../runtime/modelBytes';

export interface NodeModel {
  config: ModelConfig;
  /** Give it to `reconstruct` (src/runtime/reconstruct.ts), the page's own pass. */
  runner: MaeRunner;
  release(): Promise<void>;
}

/** What `--model PATH` names, and where its files are. */
export type ModelLocation =
  | { kind: 'export'; folder: string; configJson: unknown }
  /** `weights`: the checkpoint's file name in `folder`; `configJson`: the config.json beside it, if any. */
  | { kind: 'checkpoint' | 'hf-folder'; folder: string; weights: string; configJson?: unknown };

/**
 * Reads what PATH is: our export folder, a Hugging Face folder (config.json + model.safetensors
 * or pytorch_model.bin), or a checkpoint file (a config.json beside it is read when present).
 */
export async function locateModel(path: string): Promise<ModelLocation> {
  const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as unknown;
  if (!existsSync(path)) throw new Error(`${path}: no such file or folder`);
  if (!(await stat(path)).isDirectory()) {
    if (!isCheckpointFileName(path)) {
      throw new Error(`${path}: expected a model folder or a .pth, .bin or .safetensors checkpoint`);
    }
    const sidecar = join(dirname(path), 'config.json');
    return {
      kind: 'checkpoint',
      folder: dirname(path),
      weights: basename(path),
      ...(existsSync(sidecar) && { configJson: await readJson(sidecar) }),
    };
  }
  const configPath = join(path, 'config.json');
  if (!existsSync(configPath)) throw new Error(`${path}: a model folder needs a config.json`);
  const configJson = await readJson(configPath);
  if ((configJson as { format?: unknown }).format === MODEL_FORMAT)
    return { kind: 'export', folder: path, configJson };
  const weights = HF_WEIGHT_FILES.find((name) => existsSync(join(path, name)));
  if (!weights) {
    throw new Error(
      `${path}: config.json is not a MAE Lens export, and there is no ${HF_WEIGHT_FILES.join(' or ')} beside it`,
    );
  }
  return { kind: 'hf-folder', folder: path, weights, configJson };
}

/** The config and graphs of what `--model PATH` names, as MaeRunner.create takes them. */
export async function readNodeModel(path: string): Promise<{ config: ModelConfig; bytes: MaeModelBytes }> {
  const location = await locateModel(path);
  if (location.kind === 'export') {
    const config = parseModelConfig(location.configJson);
    const bytes = await readModelBytes(config, (file) => readFile(join(path, file.path)));
    return { config, bytes };
  }
  const { folder, weights, configJson } = location;
  return loadCheckpointModel({
    weights: { name: weights, bytes: await readFile(join(folder, weights)) },
    ...(configJson !== undefined && { configJson }),
    // A Hugging Face folder is named after the model; a checkpoint file names itself.
    ...(location.kind === 'hf-folder' && { name: basename(path) }),
  });
}

/** `threads` = 0 lets onnxruntime choose (all cores). */
export async function loadNodeModel(path: string, threads = 0): Promise<NodeModel> {
  const { config, bytes } = await readNodeModel(path);
  const runner = await MaeRunner.create(ort, bytes, config, { intraOpNumThreads: threads });
  return { config, runner, release: () => runner.dispose() };
}
