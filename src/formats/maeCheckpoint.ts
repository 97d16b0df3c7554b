/**
 * A ViT-MAE checkpoint's tensors plus its config, in Hugging Face's layout (`config.json` with
 * `model_type: vit_mae`, names `vit.encoder.layer.N…`) or Meta's (`blocks.N…`, sizes inferred
 * from the shapes as scripts/mae/loaders.py does), turned into one ModelConfig and one set of
 * tensors under Meta's names. Every expected tensor must be there with the shape the config
 * implies, and nothing else may be: errors name the file, the tensor and both shapes.
 * Pure: no DOM, no Node.
 */
import { MODEL_FORMAT, type ModelConfig, type SourceFormat, type TransformerConfig } from '../formats/config';
import { CheckpointError, elementCount, type RawTensor } from './tensor';

/** Meta's names, except that each block's fused `attn.qkv` is split into `attn.q`, `attn.k`, `attn.v`. */
export type MaeTensors = Map<string, RawTensor>;

export interface MaeCheckpoint {
  config: ModelConfig;
  /** Query/key/value biases exist (HF `qkv_bias`; always in Meta's models). */
  qkvBias: boolean;
  tensors: MaeTensors;
  parameters: number;
}

const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

/** num_heads cannot be read off the shapes; these are Meta's released models (loaders.py). */
const KNOWN_HEADS: Record<number, number> = { 192: 3, 384: 6, 768: 12, 1024: 16, 1280: 16 };
const KNOWN_DECODER_HEADS: Record<number, number> = { 512: 16 };

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The architecture fields of a config; Hugging Face's and Meta's sidecar spell them differently. */
export interface Geometry {
  imageSize: number;
  patchSize: number;
  encoder: TransformerConfig;
  decoder: TransformerConfig;
  layerNormEps: number;
  normPixLoss: boolean;
  qkvBias: boolean;
}

function reader(json: Json, fileName: string) {
  const fail = (key: string, expected: string): never => {
    throw new CheckpointError(`${fileName}: "${key}" must be ${expected} (got ${JSON.stringify(json[key])})`);
  };
  return {
    count(key: string, fallback: number): number {
      const value = json[key] ?? fallback;
      return typeof value === 'number' && Number.isSafeInteger(value) && value > 0
        ? value
        : fail(key, 'a positive integer');
    },
    positive(key: string, fallback: number): number {
      const value = json[key] ?? fallback;
      return typeof value === 'number' && Number.isFinite(value) && value > 0
        ? value
        : fail(key, 'a positive number');
    },
    flag(key: string, fallback: boolean): boolean {
      const value = json[key] ?? fallback;
      return typeof value === 'boolean' ? value : fail(key, 'true or false');
    },
    fail,
  };
}

/** A transformers `ViTMAEConfig`; missing fields take transformers' defaults (facebook/vit-mae-base). */
export function parseHfConfig(json: unknown, fileName: string): Geometry {
  if (!isRecord(json)) throw new CheckpointError(`${fileName}: is not a JSON object`);
  if (json.model_type !== 'vit_mae') {
    throw new CheckpointError(
      `${fileName}: model_type is ${JSON.stringify(json.model_type)}, not "vit_mae": not a transformers ViT-MAE model`,
    );
  }
  const read = reader(json, fileName);
  if ((json.num_channels ?? 3) !== 3) read.fail('num_channels', '3');
  if ((json.hidden_act ?? 'gelu') !== 'gelu')
    read.fail('hidden_act', '"gelu" (the only activation built here)');
  const size = Array.isArray(json.image_size) ? json.image_size : [json.image_size ?? 224];
  const sizes = Array.isArray(json.patch_size) ? json.patch_size : [json.patch_size ?? 16];
  if (new Set(size).size !== 1) read.fail('image_size', 'square');
  if (new Set(sizes).size !== 1) read.fail('patch_size', 'square');
  const square = { image_size: size[0], patch_size: sizes[0] };
  const squareRead = reader(square, fileName);
  return {
    imageSize: squareRead.count('image_size', 224),
    patchSize: squareRead.count('patch_size', 16),
    encoder: {
      embedDim: read.count('hidden_size', 768),
      depth: read.count('num_hidden_layers', 12),
      numHeads: read.count('num_attention_heads', 12),
      mlpHidden: read.count('intermediate_size', 3072),
    },
    decoder: {
      embedDim: read.count('decoder_hidden_size', 512),
      depth: read.count('decoder_num_hidden_layers', 8),
      numHeads: read.count('decoder_num_attention_heads', 16),
      mlpHidden: read.count('decoder_intermediate_size', 2048),
    },
    layerNormEps: read.positive('layer_norm_eps', 1e-12),
    normPixLoss: read.flag('norm_pix_loss', false),
    qkvBias: read.flag('qkv_bias', true),
  };
}

const HF_SINGLE: Record<string, string> = {
  'vit.embeddings.cls_token': 'cls_token',
  'vit.embeddings.position_embeddings': 'pos_embed',
  'vit.embeddings.patch_embeddings.projection.weight': 'patch_embed.proj.weight',
  'vit.embeddings.patch_embeddings.projection.bias': 'patch_embed.proj.bias',
  'vit.layernorm.weight': 'norm.weight',
  'vit.layernorm.bias': 'norm.bias',
  'decoder.mask_token': 'mask_token',
  'decoder.decoder_pos_embed': 'decoder_pos_embed',
  'decoder.decoder_embed.weight': 'decoder_embed.weight',
  'decoder.decoder_embed.bias': 'decoder_embed.bias',
  'decoder.decoder_norm.weight': 'decoder_norm.weight',
  'decoder.decoder_norm.bias': 'decoder_norm.bias',
  'decoder.decoder_pred.weight': 'decoder_pred.weight',
  'decoder.decoder_pred.bias': 'decoder_pred.bias',
};
const HF_BLOCK_PARTS: Record<string, string> = {
  layernorm_before: 'norm1',
  layernorm_after: 'norm2',
  'attention.attention.query': 'attn.q',
  'attention.attention.key': 'attn.k',
  'attention.attention.value': 'attn.v',
  'attention.output.dense': 'attn.proj',
  'intermediate.dense': 'mlp.fc1',
  'output.dense': 'mlp.fc2',
};
const HF_BLOCK = /^(vit\.encoder\.layer|decoder\.decoder_layers)\.(\d+)\.(.+)\.(weight|bias)$/;

/** Hugging Face names → ours. Unknown names are kept as they are, so the check below names them. */
function renameHf(tensors: Map<string, RawTensor>): MaeTensors {
  const out: MaeTensors = new Map();
  for (const [name, tensor] of tensors) {
    const single = HF_SINGLE[name];
    const block = HF_BLOCK.exec(name);
    const part = block && HF_BLOCK_PARTS[block[3]!];
    if (single) out.set(single, tensor);
    else if (block && part) {
      const stack = block[1]!.startsWith('vit') ? 'blocks' : 'decoder_blocks';
      out.set(`${stack}.${block[2]}.${part}.${block[4]}`, tensor);
    } else out.set(name, tensor);
  }
  return out;
}

/** Meta's fused `attn.qkv` [3D, D] (and bias [3D]) split into three row blocks: views, no copy. */
function splitQkv(tensors: Map<string, RawTensor>, fileName: string): MaeTensors {
  const out: MaeTensors = new Map();
  for (const [name, tensor] of tensors) {
    const match = /^(.*)\.attn\.qkv\.(weight|bias)$/.exec(name);
    if (!match) {
      out.set(name, tensor);
      continue;
    }
    const [rows = 0, ...rest] = tensor.shape;
    if (rows % 3 !== 0)
      throw new CheckpointError(`${fileName}: ${name} has ${rows} rows, not a multiple of 3`);
    const third = tensor.bytes.byteLength / 3;
    ['q', 'k', 'v'].forEach((part, index) =>
      out.set(`${match[1]}.attn.${part}.${match[2]}`, {
        dtype: tensor.dtype,
        shape: [rows / 3, ...rest],
        bytes: tensor.bytes.subarray(index * third, (index + 1) * third),
      }),
    );
  }
  return out;
}

function blockCount(tensors: MaeTensors, prefix: string): number {
  let count = 0;
  for (const name of tensors.keys()) {
    const match = new RegExp(`^${prefix}\\.(\\d+)\\.`).exec(name);
    if (match) count = Math.max(count, Number(match[1]) + 1);
  }
  return count;
}

function shapeOf(tensors: MaeTensors, name: string, fileName: string): number[] {
  const tensor = tensors.get(name);
  if (!tensor) throw new CheckpointError(`${fileName}: tensor ${name} is missing`);
  return tensor.shape;
}

/** Meta's checkpoints carry no config: sizes from the shapes, the rest from an optional sidecar. */
function metaGeometry(tensors: MaeTensors, sidecar: unknown, fileName: string): Geometry {
  const side = isRecord(sidecar) ? sidecar : {};
  const read = reader(side, 'config.json');
  const [embedDim = 0, , patchSize = 0] = shapeOf(tensors, 'patch_embed.proj.weight', fileName);
  const positions = shapeOf(tensors, 'pos_embed', fileName)[1] ?? 0;
  const grid = Math.round(Math.sqrt(positions - 1));
  const [decoderDim = 0] = shapeOf(tensors, 'decoder_embed.weight', fileName);
  const mlp = (stack: string, dim: number) => tensors.get(`${stack}.0.mlp.fc1.weight`)?.shape[0] ?? 4 * dim;
  const heads = (key: string, dim: number, known: Record<number, number>) => {
    const value = side[key] ?? known[dim];
    if (value === undefined) {
      throw new CheckpointError(
        `${fileName}: cannot infer ${key} from the tensor shapes (width ${dim}); pick a config.json with "${key}" together with the checkpoint`,
      );
    }
    return read.count(key, value as number);
  };
  return {
    imageSize: grid * patchSize,
    patchSize,
    encoder: {
      embedDim,
      depth: blockCount(tensors, 'blocks'),
      numHeads: heads('num_heads', embedDim, KNOWN_HEADS),
      mlpHidden: mlp('blocks', embedDim),
    },
    decoder: {
      embedDim: decoderDim,
      depth: blockCount(tensors, 'decoder_blocks'),
      numHeads: heads('decoder_num_heads', decoderDim, KNOWN_DECODER_HEADS),
      mlpHidden: mlp('decoder_blocks', decoderDim),
    },
    layerNormEps: read.positive('layer_norm_eps', 1e-6),
    normPixLoss: read.flag('norm_pix_loss', false),
    qkvBias: true,
  };
}

/** Every tensor the architecture needs, with its shape. */
function expectedShapes(geometry: Geometry): Map<string, number[]> {
  const { patchSize: P, encoder, decoder, qkvBias } = geometry;
  const tokens = (geometry.imageSize / P) ** 2 + 1;
  const shapes = new Map<string, number[]>();
  const linear = (name: string, out: number, input: number, bias = true) => {
    shapes.set(`${name}.weight`, [out, input]);
    if (bias) shapes.set(`${name}.bias`, [out]);
  };
  const norm = (name: string, dim: number) => {
    shapes.set(`${name}.weight`, [dim]);
    shapes.set(`${name}.bias`, [dim]);
  };
  const blocks = (stack: string, t: TransformerConfig) => {
    for (let i = 0; i < t.depth; i++) {
      const block = `${stack}.${i}`;
      norm(`${block}.norm1`, t.embedDim);
      for (const part of ['q', 'k', 'v']) linear(`${block}.attn.${part}`, t.embedDim, t.embedDim, qkvBias);
      linear(`${block}.attn.proj`, t.embedDim, t.embedDim);
      norm(`${block}.norm2`, t.embedDim);
      linear(`${block}.mlp.fc1`, t.mlpHidden, t.embedDim);
      linear(`${block}.mlp.fc2`, t.embedDim, t.mlpHidden);
    }
  };
  const D = encoder.embedDim;
  shapes.set('patch_embed.proj.weight', [D, 3, P, P]);
  shapes.set('patch_embed.proj.bias', [D]);
  shapes.set('cls_token', [1, 1, D]);
  shapes.set('pos_embed', [1, tokens, D]);
  blocks('blocks', encoder);
  norm('norm', D);
  linear('decoder_embed', decoder.embedDim, D);
  shapes.set('mask_token', [1, 1, decoder.embedDim]);
  shapes.set('decoder_pos_embed', [1, tokens, decoder.embedDim]);
  blocks('decoder_blocks', decoder);
  norm('decoder_norm', decoder.embedDim);
  linear('decoder_pred', P * P * 3, decoder.embedDim);
  return shapes;
}

/** Parameters of a ViT-MAE of this geometry (the fixed position tables included, as checkpoints store them). */
export function parameterCount(geometry: Geometry): number {
  let count = 0;
  for (const shape of expectedShapes(geometry).values()) count += elementCount(shape);
  return count;
}

function checkTensors(tensors: MaeTensors, geometry: Geometry, fileName: string): void {
  const expected = expectedShapes(geometry);
  const missing = [...expected.keys()].filter((name) => !tensors.has(name));
  const unknown = [...tensors.keys()].filter((name) => !expected.has(name));
  const more = (list: string[]) => (list.length > 1 ? ` (and ${list.length - 1} more)` : '');
  if (missing.length > 0)
    throw new CheckpointError(`${fileName}: tensor ${missing[0]} is missing${more(missing)}`);
  if (unknown.length > 0) {
    throw new CheckpointError(`${fileName}: tensor ${unknown[0]} is not part of a ViT-MAE${more(unknown)}`);
  }
  for (const [name, shape] of expected) {
    const actual = tensors.get(name)!.shape;
    if (actual.join() !== shape.join()) {
      throw new CheckpointError(
        `${fileName}: tensor ${name} has shape [${actual.join(', ')}], but the config implies [${shape.join(', ')}]`,
      );
    }
  }
}

function checkGeometry(geometry: Geometry, fileName: string): void {
  const { imageSize, patchSize } = geometry;
  if (patchSize <= 0 || imageSize <= 0 || imageSize % patchSize !== 0) {
    throw new CheckpointError(
      `${fileName}: image size ${imageSize} is not a multiple of patch size ${patchSize}`,
    );
  }
  for (const [key, t] of [
    ['encoder', geometry.encoder],
    ['decoder', geometry.decoder],
  ] as const) {
    if (t.depth < 1) throw new CheckpointError(`${fileName}: the ${key} has no blocks`);
    if (t.embedDim % t.numHeads !== 0) {
      throw new CheckpointError(
        `${fileName}: ${key} width ${t.embedDim} does not split into ${t.numHeads} heads`,
      );
    }
  }
}

export interface CheckpointSource {
  /** The weights file's name, for messages and config.source. */
  fileName: string;
  tensors: Map<string, RawTensor>;
  /** Hugging Face's config.json (required for its layout); for Meta's, an optional sidecar. */
  configJson?: unknown;
  /** Shown in the model picker; defaults to the file name. */
  name?: string;
}

/** Checks and renames a checkpoint's tensors and derives the ModelConfig the app runs on. */
export function readMaeCheckpoint(source: CheckpointSource): MaeCheckpoint {
  const { fileName } = source;
  const isHf = [...source.tensors.keys()].some((name) => name.startsWith('vit.'));
  let geometry: Geometry;
  let tensors: MaeTensors;
  let format: SourceFormat;
  if (isHf) {
    if (source.configJson === undefined) {
      throw new CheckpointError(`${fileName}: Hugging Face weights need their config.json`);
    }
    geometry = parseHfConfig(source.configJson, 'config.json');
    tensors = renameHf(source.tensors);
    format = 'hf';
  } else {
    tensors = splitQkv(source.tensors, fileName);
    geometry = metaGeometry(tensors, source.configJson, fileName);
    format = 'meta';
  }
  checkGeometry(geometry, fileName);
  checkTensors(tensors, geometry, fileName);
  const parameters = [...tensors.values()].reduce((sum, tensor) => sum + elementCount(tensor.shape), 0);
  const config: ModelConfig = {
    format: MODEL_FORMAT,
    name: source.name ?? fileName,
    source: { format, file: fileName },
    imageSize: geometry.imageSize,
    patchSize: geometry.patchSize,
    inChans: 3,
    numPatches: (geometry.imageSize / geometry.patchSize) ** 2,
    encoder: geometry.encoder,
    decoder: geometry.decoder,
    layerNormEps: geometry.layerNormEps,
    normPixLoss: geometry.normPixLoss,
    // Meta's and Hugging Face's ViT-MAE were trained on ImageNet-normalised pixels.
    mean: IMAGENET_MEAN,
    std: IMAGENET_STD,
    opset: 17,
    // The graphs are built in memory (src/runtime/checkpointGraph.ts); these are their names.
    files: { encoder: { path: 'encoder.onnx' }, decoder: { path: 'decoder.onnx' } },
  };
  return { config, qkvBias: geometry.qkvBias, tensors, parameters };
}
