/**
 * models/index.json: the models bundled with the app, generated at dev and build time from the
 * folders under models/ (see src/build/modelsPlugin.ts).
 */

import { isObject, type ModelEvaluation, parseModelEvaluation } from '../formats/config';

export const MODEL_INDEX_FORMAT = 'mae-lens-model-index/1';

export interface ModelIndexEntry {
  /** Folder name under models/; also the `model` URL parameter. */
  id: string;
  /** Human-readable name from config.json. */
  name: string;
  /** URL of config.json relative to the app's base URL. */
  config: string;
  /** Total size of the ONNX files in bytes. */
  bytes: number;
  /** Parameter count when the exporter recorded it. */
  parameters: number | null;
  imageSize: number;
  patchSize: number;
  /** config.json's held-out evaluation, when `npm run eval -- --record-in-config` wrote one. */
  evaluation: ModelEvaluation | null;
}

export interface ModelIndex {
  format: typeof MODEL_INDEX_FORMAT;
  /** Id of the model to open when the URL names none; null when there are no models. */
  default: string | null;
  models: ModelIndexEntry[];
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function parseEntry(value: unknown, at: number): ModelIndexEntry {
  const fail = (field: string): never => {
    throw new Error(`models/index.json: models[${at}].${field} is missing or invalid`);
  };
  if (!isObject(value)) return fail('(entry)');
  const { id, name, config, bytes, parameters, imageSize, patchSize, evaluation } = value;
  if (typeof id !== 'string' || id === '') fail('id');
  if (typeof name !== 'string') fail('name');
  if (typeof config !== 'string' || config === '') fail('config');
  if (!isCount(bytes)) fail('bytes');
  if (parameters !== null && !isCount(parameters)) fail('parameters');
  if (!isCount(imageSize)) fail('imageSize');
  if (!isCount(patchSize)) fail('patchSize');
  let parsedEvaluation: ModelEvaluation | null = null;
  try {
    if (evaluation !== null) parsedEvaluation = parseModelEvaluation(evaluation, false);
  } catch (error) {
    fail(`evaluation (${(error as Error).message})`);
  }
  return {
    id: id as string,
    name: name as string,
    config: config as string,
    bytes: bytes as number,
    parameters: parameters as number | null,
    imageSize: imageSize as number,
    patchSize: patchSize as number,
    evaluation: parsedEvaluation,
  };
}

/** Validates a parsed models/index.json. */
export function parseModelIndex(json: unknown): ModelIndex {
  if (!isObject(json) || json.format !== MODEL_INDEX_FORMAT || !Array.isArray(json.models)) {
    throw new Error(`models/index.json: expected {"format": "${MODEL_INDEX_FORMAT}", "models": [...]}`);
  }
  const models = json.models.map(parseEntry);
  const defaultId = json.default;
  if (defaultId !== null && !models.some((m) => m.id === defaultId)) {
    throw new Error(`models/index.json: default ${JSON.stringify(defaultId)} is not one of the models`);
  }
  return { format: MODEL_INDEX_FORMAT, default: defaultId as string | null, models };
}
