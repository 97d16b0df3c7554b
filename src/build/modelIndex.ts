/**
 * The model index the app's picker reads (models/index.json), built from the model folders under
 * models/. Node-only: used by the Vite plugin at dev and build time.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { listedFiles, ModelConfigError, parseModelConfig } from '../formats/config.ts';
import { MODEL_INDEX_FORMAT, type ModelIndex, type ModelIndexEntry } from '../runtime/modelIndex.ts';

/** The model the app opens when the URL names none, if it is there. */
export const DEFAULT_MODEL_ID = 'mae-small';

export interface ModelFolder {
  entry: ModelIndexEntry;
  /** Absolute paths of every file the app may fetch from this folder (config.json included). */
  files: string[];
}

function readModelFolder(modelsDir: string, id: string): ModelFolder {
  const configPath = join(modelsDir, id, 'config.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (error) {
    throw new Error(`${configPath}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  let config;
  try {
    config = parseModelConfig(json);
  } catch (error) {
    if (error instanceof ModelConfigError)
      throw new Error(`${configPath}: ${error.message}`, { cause: error });
    throw error;
  }
  const files = [configPath];
  let bytes = 0;
  for (const file of listedFiles(config.files)) {
    const path = join(modelsDir, id, file.path);
    if (!existsSync(path)) throw new Error(`${configPath}: "${file.path}" is listed but missing`);
    files.push(path);
    bytes += statSync(path).size;
  }
  // "parameters" is an optional extra written by the exporter; parseModelConfig ignores extras.
  const parameters = (json as { parameters?: unknown }).parameters;
  return {
    entry: {
      id,
      name: config.name,
      config: `models/${id}/config.json`,
      bytes,
      parameters: typeof parameters === 'number' && Number.isSafeInteger(parameters) ? parameters : null,
      imageSize: config.imageSize,
      patchSize: config.patchSize,
      evaluation: config.evaluation ?? null,
    },
    files,
  };
}

/** Every sub-folder of `modelsDir` holding a config.json, sorted by id. Invalid folders throw. */
export function scanModels(modelsDir: string): ModelFolder[] {
  if (!existsSync(modelsDir)) return [];
  return readdirSync(modelsDir, { withFileTypes: true })
    .filter((dirent) => dirent.isDirectory() && existsSync(join(modelsDir, dirent.name, 'config.json')))
    .map((dirent) => dirent.name)
    .sort()
    .map((id) => readModelFolder(modelsDir, id));
}

export function buildModelIndex(folders: ModelFolder[]): ModelIndex {
  const models = folders.map((folder) => folder.entry);
  const defaultModel = models.some((m) => m.id === DEFAULT_MODEL_ID) ? DEFAULT_MODEL_ID : models[0]?.id;
  return { format: MODEL_INDEX_FORMAT, default: defaultModel ?? null, models };
}
