/**
 * The model folder's config.json (docs/model-format.md): the single source of truth for sizes,
 * normalisation and file names. Everything downstream derives its shapes from a ModelConfig.
 */

export const MODEL_FORMAT = 'mae-lens-model/1';

export const SOURCE_FORMATS = ['meta', 'hf', 'mae-lens', 'random'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

export interface TransformerConfig {
  embedDim: number;
  depth: number;
  numHeads: number;
  mlpHidden: number;
}

export interface ModelFile {
  /** Relative to config.json. */
  path: string;
  bytes?: number;
  sha256?: string;
  /** Weights stored beside the graph (ONNX external data), for graphs over protobuf's 2 GB. */
  externalData?: ModelFile;
}

/** The lean graphs compute only latent / pred and read their weights out of the full files. */
export interface ModelFiles {
  encoder: ModelFile;
  decoder: ModelFile;
  encoderLean?: ModelFile;
  decoderLean?: ModelFile;
}

/** Every file a config lists: the two graphs, and the lean graphs where the export has them. */
export function listedFiles(files: ModelFiles): ModelFile[] {
  return Object.values(files).filter((file): file is ModelFile => file !== undefined);
}

export const QUANTIZATION_MODES = ['int8', 'int4'] as const;
export type QuantizationMode = (typeof QUANTIZATION_MODES)[number];

/**
 * Quantised Linear weights (scripts/quantize_onnx.py): int8 runs them as DynamicQuantizeMatMul,
 * int4 as MatMulNBits with blocks of `blockSize` values. Absent for fp32 exports.
 */
export interface Quantization {
  mode: QuantizationMode;
  blockSize?: number;
}

/**
 * config.json's optional "evaluation": what `npm run eval -- --record-in-config` measured on
 * photos the model never trained on, so the page's model entry can show it. PSNRs are masked-patch
 * PSNR in dB, the mean over images of the mean over seeds; wins count images.
 */
export interface ModelEvaluation {
  /** Which photos, in words, e.g. "tuxpaint-data, a Debian package the model never trained on". */
  data: string;
  images: number;
  maskRatio: number;
  seeds: number[];
  modelPsnr: number;
  interpolationPsnr: number;
  convergedDiffusionPsnr: number;
  winsOverInterpolation: number;
  winsOverConvergedDiffusion: number;
}

export interface ModelConfig {
  format: typeof MODEL_FORMAT;
  name: string;
  source: { format: SourceFormat; file?: string; sha256?: string };
  /** S: the model sees S x S images. */
  imageSize: number;
  /** P: square patches of P x P pixels; divides imageSize. */
  patchSize: number;
  /** Always 3 (RGB). */
  inChans: 3;
  /** N = (S / P)^2. */
  numPatches: number;
  encoder: TransformerConfig;
  decoder: TransformerConfig;
  layerNormEps: number;
  /** When true, `pred` is per-patch normalised and needs de-normalising statistics. */
  normPixLoss: boolean;
  mean: [number, number, number];
  std: [number, number, number];
  opset: number;
  files: ModelFiles;
  quantization?: Quantization;
  evaluation?: ModelEvaluation;
}

export class ModelConfigError extends Error {
  override name = 'ModelConfigError';
}

/** G: patches per row and per column. */
export function gridSize(config: Pick<ModelConfig, 'imageSize' | 'patchSize'>): number {
  return config.imageSize / config.patchSize;
}

/** N = G * G. */
export function numPatchesOf(config: Pick<ModelConfig, 'imageSize' | 'patchSize'>): number {
  const grid = gridSize(config);
  return grid * grid;
}

/** Length of one patch vector: P * P * 3. */
export function patchDim(config: Pick<ModelConfig, 'patchSize'>): number {
  return config.patchSize * config.patchSize * 3;
}

type JsonObject = Record<string, unknown>;

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return typeof value;
  }
}

function fail(field: string, expected: string, got: unknown): never {
  throw new ModelConfigError(`config.json: "${field}" must be ${expected} (got ${describe(got)})`);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectField(obj: JsonObject, key: string, path: string): JsonObject {
  const value = obj[key];
  if (!isObject(value)) fail(path, 'an object', value);
  return value;
}

function positiveInteger(obj: JsonObject, key: string, path: string): number {
  const value = obj[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    fail(path, 'a positive integer', value);
  }
  return value;
}

function positiveNumber(obj: JsonObject, key: string, path: string): number {
  const value = obj[key];
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(path, 'a positive number', value);
  }
  return value;
}

function nonEmptyString(obj: JsonObject, key: string, path: string): string {
  const value = obj[key];
  if (typeof value !== 'string' || value.length === 0) fail(path, 'a non-empty string', value);
  return value;
}

function count(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(path, 'a non-negative integer', value);
  }
  return value;
}

function finiteNumber(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'a finite number', value);
  return value;
}

function optionalSha256(obj: JsonObject, key: string, path: string): string | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) {
    fail(path, 'a lowercase hex SHA-256 (64 characters)', value);
  }
  return value;
}

function rgbTriple(obj: JsonObject, key: string, positive: boolean): [number, number, number] {
  const value = obj[key];
  const expected = positive ? 'an array of 3 positive numbers' : 'an array of 3 finite numbers';
  if (
    !Array.isArray(value) ||
    value.length !== 3 ||
    !value.every((v) => typeof v === 'number' && Number.isFinite(v) && (!positive || v > 0))
  ) {
    fail(key, expected, value);
  }
  return [value[0] as number, value[1] as number, value[2] as number];
}

function transformer(obj: JsonObject, key: 'encoder' | 'decoder'): TransformerConfig {
  const section = objectField(obj, key, key);
  const embedDim = positiveInteger(section, 'embed_dim', `${key}.embed_dim`);
  const depth = positiveInteger(section, 'depth', `${key}.depth`);
  const numHeads = positiveInteger(section, 'num_heads', `${key}.num_heads`);
  if (embedDim % numHeads !== 0) {
    fail(`${key}.num_heads`, `a divisor of ${key}.embed_dim (${embedDim})`, numHeads);
  }
  const mlpHidden = positiveInteger(section, 'mlp_hidden', `${key}.mlp_hidden`);
  return { embedDim, depth, numHeads, mlpHidden };
}

function modelFile(files: JsonObject, key: string, path = `files.${key}`): ModelFile {
  const entry = objectField(files, key, path);
  const file: ModelFile = { path: nonEmptyString(entry, 'path', `${path}.path`) };
  if (entry.bytes !== undefined) file.bytes = count(entry.bytes, `${path}.bytes`);
  const sha256 = optionalSha256(entry, 'sha256', `${path}.sha256`);
  if (sha256 !== undefined) file.sha256 = sha256;
  if (entry.external_data !== undefined) {
    file.externalData = modelFile(entry, 'external_data', `${path}.external_data`);
  }
  return file;
}

function leanFile(files: JsonObject, key: string, weightsFrom: 'encoder' | 'decoder'): ModelFile | undefined {
  if (files[key] === undefined) return undefined;
  const file = modelFile(files, key);
  const entry = files[key] as JsonObject;
  if (entry.weights_from !== weightsFrom)
    fail(`files.${key}.weights_from`, `"${weightsFrom}"`, entry.weights_from);
  return file;
}

function modelFiles(json: JsonObject): ModelFiles {
  const filesJson = objectField(json, 'files', 'files');
  const files: ModelFiles = {
    encoder: modelFile(filesJson, 'encoder'),
    decoder: modelFile(filesJson, 'decoder'),
  };
  const encoderLean = leanFile(filesJson, 'encoder_lean', 'encoder');
  const decoderLean = leanFile(filesJson, 'decoder_lean', 'decoder');
  if (encoderLean) files.encoderLean = encoderLean;
  if (decoderLean) files.decoderLean = decoderLean;
  return files;
}

function quantization(json: JsonObject): Quantization | undefined {
  if (json.quantization === undefined) return undefined;
  const section = objectField(json, 'quantization', 'quantization');
  const mode = section.mode;
  if (typeof mode !== 'string' || !(QUANTIZATION_MODES as readonly string[]).includes(mode)) {
    fail('quantization.mode', `one of ${QUANTIZATION_MODES.join(', ')}`, mode);
  }
  const result: Quantization = { mode: mode as QuantizationMode };
  if (section.block_size !== undefined) {
    result.blockSize = positiveInteger(section, 'block_size', 'quantization.block_size');
  }
  return result;
}

/** ModelEvaluation's JSON field of each key, as config.json writes it. */
const EVALUATION_FIELDS = {
  data: 'data',
  images: 'images',
  maskRatio: 'mask_ratio',
  seeds: 'seeds',
  modelPsnr: 'model_psnr',
  interpolationPsnr: 'interpolation_psnr',
  convergedDiffusionPsnr: 'converged_diffusion_psnr',
  winsOverInterpolation: 'wins_over_interpolation',
  winsOverConvergedDiffusion: 'wins_over_converged_diffusion',
} as const satisfies Record<keyof ModelEvaluation, string>;

/** `evaluation` as config.json holds it (the inverse of the parsing in parseModelConfig). */
export function evaluationJson(evaluation: ModelEvaluation): JsonObject {
  return Object.fromEntries(
    Object.entries(EVALUATION_FIELDS).map(([key, field]) => [
      field,
      evaluation[key as keyof ModelEvaluation],
    ]),
  );
}

/**
 * A ModelEvaluation from `section`, whose keys are config.json's (`jsonKeys`) or ModelEvaluation's
 * own (models/index.json carries it parsed). Throws ModelConfigError naming the first bad field.
 */
export function parseModelEvaluation(section: unknown, jsonKeys: boolean): ModelEvaluation {
  if (!isObject(section)) fail('evaluation', 'an object', section);
  const name = (key: keyof ModelEvaluation) => (jsonKeys ? EVALUATION_FIELDS[key] : key);
  const at = (key: keyof ModelEvaluation) => `evaluation.${name(key)}`;
  const get = (key: keyof ModelEvaluation) => section[name(key)];
  const images = positiveInteger(section, name('images'), at('images'));
  const maskRatio = finiteNumber(get('maskRatio'), at('maskRatio'));
  if (!(maskRatio > 0 && maskRatio < 1)) fail(at('maskRatio'), 'a fraction between 0 and 1', maskRatio);
  const seeds = get('seeds');
  if (!Array.isArray(seeds) || seeds.length === 0 || !seeds.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    fail(at('seeds'), 'a non-empty array of non-negative integers', seeds);
  }
  const wins = (key: 'winsOverInterpolation' | 'winsOverConvergedDiffusion') => {
    const value = count(get(key), at(key));
    if (value > images) fail(at(key), `at most images (${images})`, value);
    return value;
  };
  const data = get('data');
  if (typeof data !== 'string' || data.length === 0) fail(at('data'), 'a non-empty string', data);
  return {
    data,
    images,
    maskRatio,
    seeds: seeds as number[],
    modelPsnr: finiteNumber(get('modelPsnr'), at('modelPsnr')),
    interpolationPsnr: finiteNumber(get('interpolationPsnr'), at('interpolationPsnr')),
    convergedDiffusionPsnr: finiteNumber(get('convergedDiffusionPsnr'), at('convergedDiffusionPsnr')),
    winsOverInterpolation: wins('winsOverInterpolation'),
    winsOverConvergedDiffusion: wins('winsOverConvergedDiffusion'),
  };
}

/**
 * Validates a parsed config.json. Throws ModelConfigError (and nothing else) naming the first
 * offending field. Unknown extra fields are allowed so newer exporters stay loadable.
 */
export function parseModelConfig(json: unknown): ModelConfig {
  if (!isObject(json)) fail('(root)', 'a JSON object', json);

  if (json.format !== MODEL_FORMAT) fail('format', `"${MODEL_FORMAT}"`, json.format);
  const name = nonEmptyString(json, 'name', 'name');

  const sourceJson = objectField(json, 'source', 'source');
  const sourceFormat = sourceJson.format;
  if (typeof sourceFormat !== 'string' || !(SOURCE_FORMATS as readonly string[]).includes(sourceFormat)) {
    fail('source.format', `one of ${SOURCE_FORMATS.join(', ')}`, sourceFormat);
  }
  const source: ModelConfig['source'] = { format: sourceFormat as SourceFormat };
  if (sourceJson.file !== undefined) source.file = nonEmptyString(sourceJson, 'file', 'source.file');
  const sourceSha = optionalSha256(sourceJson, 'sha256', 'source.sha256');
  if (sourceSha !== undefined) source.sha256 = sourceSha;

  const imageSize = positiveInteger(json, 'image_size', 'image_size');
  const patchSize = json.patch_size;
  if (
    typeof patchSize !== 'number' ||
    !Number.isSafeInteger(patchSize) ||
    patchSize <= 0 ||
    imageSize % patchSize !== 0
  ) {
    fail('patch_size', 'a positive integer dividing image_size', patchSize);
  }
  if (json.in_chans !== 3) fail('in_chans', '3', json.in_chans);
  const expectedPatches = numPatchesOf({ imageSize, patchSize });
  if (json.num_patches !== expectedPatches) {
    fail('num_patches', `(image_size / patch_size)^2 = ${expectedPatches}`, json.num_patches);
  }

  const encoder = transformer(json, 'encoder');
  const decoder = transformer(json, 'decoder');
  const layerNormEps = positiveNumber(json, 'layer_norm_eps', 'layer_norm_eps');
  if (typeof json.norm_pix_loss !== 'boolean') fail('norm_pix_loss', 'true or false', json.norm_pix_loss);
  const mean = rgbTriple(json, 'mean', false);
  const std = rgbTriple(json, 'std', true);
  const opset = positiveInteger(json, 'opset', 'opset');
  const files = modelFiles(json);
  const quantized = quantization(json);
  const evaluated = json.evaluation === undefined ? undefined : parseModelEvaluation(json.evaluation, true);

  return {
    format: MODEL_FORMAT,
    name,
    source,
    imageSize,
    patchSize,
    inChans: 3,
    numPatches: expectedPatches,
    encoder,
    decoder,
    layerNormEps,
    normPixLoss: json.norm_pix_loss,
    mean,
    std,
    opset,
    files,
    ...(quantized && { quantization: quantized }),
    ...(evaluated && { evaluation: evaluated }),
  };
}
