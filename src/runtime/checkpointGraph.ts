/**
 * Builds the encoder and decoder graphs of docs/model-format.md from a checkpoint's config and
 * tensors, in memory: no Python, no ONNX file on a server.
 *
 * Why build the graphs here instead of shipping weight-less templates: a template is fixed to
 * one depth, width, head count and patch size, and every config the Hub or Meta publishes (and
 * any other a user brings) must work. The graphs are small (tens of kB); the weights go to
 * onnxruntime as in-memory external data (`externalData: [{ path, data }]`), laid out once in
 * the order and orientation the graph wants (Linear weights as `[in, out]`, the patch
 * projection as `[P*P*3, D]` over (p, q, c) vectors, q/k/v side by side). The full and the lean
 * graph of each half read the same bytes.
 *
 * Peak memory: the checkpoint file plus these two weight buffers, about 2x the weights; the
 * caller drops the file before the sessions copy the weights in.
 * With `int8`, every Linear weight of 4096 values or more is stored as int8 per column and run by
 * com.microsoft DynamicQuantizeMatMul, in the format of scripts/quantize_onnx.py (int8Weights.ts).
 * Pure: no DOM, no Node, no onnxruntime.
 */
import { patchDim, type TransformerConfig } from '../formats/config';
import type { MaeCheckpoint, MaeTensors } from '../formats/maeCheckpoint';
import {
  type AttributeValue,
  type ElementType,
  FLOAT,
  INT8,
  INT64,
  type OnnxInitializer,
  type OnnxNode,
  type OnnxValue,
  writeOnnxModel,
} from '../formats/onnxProto';
import { toFloat32 } from '../formats/tensor';
import { MIN_QUANTIZED_ELEMENTS, quantizeInt8Columns } from './int8Weights';
import type { MaeModelBytes } from './maeRunner';

export const ENCODER_WEIGHTS_PATH = 'encoder.weights';
export const DECODER_WEIGHTS_PATH = 'decoder.weights';

interface ArenaEntry {
  name: string;
  type: ElementType;
  dims: number[];
  /** Byte range in the buffer. */
  offset: number;
  length: number;
}

/** A Linear weight stored as int8 (DynamicQuantizeMatMul's B, scale and zero point). */
interface QuantizedMatrix {
  q: string;
  scale: string;
  zero: string;
}

/** The weights of one graph, registered first and written into one buffer at the end. */
class WeightArena {
  private entries: ArenaEntry[] = [];
  private writers: ((buffer: ArrayBuffer) => void)[] = [];
  private size = 0;
  /** Linear weights (by float name) stored as int8 instead. */
  readonly quantized = new Map<string, QuantizedMatrix>();

  constructor(
    readonly path: string,
    private readonly int8: boolean,
  ) {}

  private reserve(name: string, dims: number[], type: ElementType): number {
    const length = dims.reduce((a, b) => a * b, 1) * (type === INT8 ? 1 : 4);
    const offset = this.size;
    this.entries.push({ name, type, dims, offset, length });
    this.size += Math.ceil(length / 64) * 64; // 64-byte aligned, as ORT's own external data
    return offset;
  }

  add(name: string, dims: number[], fill: (out: Float32Array) => void): string {
    const offset = this.reserve(name, dims, FLOAT);
    const count = dims.reduce((a, b) => a * b, 1);
    this.writers.push((buffer) => fill(new Float32Array(buffer, offset, count)));
    return name;
  }

  /** A Linear weight `[in, out]`: float32, or int8 per column when quantising and it is large enough. */
  matrix(name: string, rows: number, cols: number, fill: (out: Float32Array) => void): string {
    if (!this.int8 || rows * cols < MIN_QUANTIZED_ELEMENTS) return this.add(name, [rows, cols], fill);
    const refs = { q: `${name}.int8`, scale: `${name}.scale`, zero: `${name}.zero_point` };
    const q = this.reserve(refs.q, [rows, cols], INT8);
    const scale = this.reserve(refs.scale, [cols], FLOAT);
    this.reserve(refs.zero, [cols], INT8); // zeros: the buffer starts zeroed
    this.writers.push((buffer) => {
      const weight = new Float32Array(rows * cols); // one matrix at a time, dropped after
      fill(weight);
      quantizeInt8Columns(
        weight,
        rows,
        cols,
        new Int8Array(buffer, q, rows * cols),
        new Float32Array(buffer, scale, cols),
      );
    });
    this.quantized.set(name, refs);
    return name;
  }

  initializers(): OnnxInitializer[] {
    return this.entries.map(({ name, type, dims, offset, length }) => ({
      name,
      type,
      dims,
      data: { location: this.path, offset, length },
    }));
  }

  /** Allocates the buffer and writes every tensor into it. */
  materialise(): Uint8Array {
    const buffer = new ArrayBuffer(this.size);
    for (const write of this.writers) write(buffer);
    return new Uint8Array(buffer);
  }
}

/** Nodes and inline constants, with generated value names. */
class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly constants: OnnxInitializer[] = [];
  private count = 0;

  constructor(readonly quantized: ReadonlyMap<string, QuantizedMatrix>) {}

  op(op: string, inputs: string[], attributes?: Record<string, AttributeValue>, domain?: string): string {
    return this.ops(op, inputs, 1, attributes, domain)[0]!;
  }

  ops(
    op: string,
    inputs: string[],
    outputs: number,
    attributes?: Record<string, AttributeValue>,
    domain?: string,
  ): string[] {
    const names = Array.from({ length: outputs }, () => `${op.toLowerCase()}_${this.count++}`);
    this.nodes.push({
      op,
      inputs,
      outputs: names,
      ...(attributes && { attributes }),
      ...(domain && { domain }),
    });
    return names;
  }

  /** Renames the last node's output to a graph output name. */
  name(value: string, as: string): string {
    for (const node of this.nodes) {
      node.inputs = node.inputs.map((input) => (input === value ? as : input));
      node.outputs = node.outputs.map((output) => (output === value ? as : output));
    }
    return as;
  }

  int64(values: number[], dims: number[] = [values.length]): string {
    const name = `const_${this.count++}`;
    const data = new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer);
    this.constants.push({ name, type: INT64, dims, data });
    return name;
  }

  float(value: number): string {
    const name = `const_${this.count++}`;
    this.constants.push({
      name,
      type: FLOAT,
      dims: [],
      data: new Uint8Array(new Float32Array([value]).buffer),
    });
    return name;
  }
}

// --- weight layouts -------------------------------------------------------------------------

function tensor(tensors: MaeTensors, name: string): Float32Array {
  return toFloat32(tensors.get(name)!);
}

function copy(tensors: MaeTensors, name: string) {
  return (out: Float32Array) => out.set(tensor(tensors, name));
}

/** `[out, in]` (torch Linear) → `[in, out]` (MatMul's right operand). */
function transposed(tensors: MaeTensors, name: string, rows: number, cols: number) {
  return (out: Float32Array) => {
    const w = tensor(tensors, name); // [rows, cols]
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c]!;
  };
}

/** A block's weights under `prefix`, registered in `arena`; names are the ONNX initializers. */
interface BlockWeights {
  norm1: [string, string];
  qkv: string;
  qkvBias: string | null;
  proj: [string, string];
  norm2: [string, string];
  fc1: [string, string];
  fc2: [string, string];
}

function blockWeights(
  arena: WeightArena,
  tensors: MaeTensors,
  prefix: string,
  t: TransformerConfig,
  qkvBias: boolean,
): BlockWeights {
  const D = t.embedDim;
  const H = t.mlpHidden;
  const vector = (name: string, size: number) => arena.add(name, [size], copy(tensors, name));
  const matrix = (name: string, out: number, input: number) =>
    arena.matrix(name, input, out, transposed(tensors, name, out, input));
  const parts = ['q', 'k', 'v'].map((part) => `${prefix}.attn.${part}`);
  return {
    norm1: [vector(`${prefix}.norm1.weight`, D), vector(`${prefix}.norm1.bias`, D)],
    // [D, 3D]: q, k and v side by side, as Meta's fused qkv.
    qkv: arena.matrix(`${prefix}.attn.qkv.weight`, D, 3 * D, (out) => {
      parts.forEach((part, index) => {
        const w = tensor(tensors, `${part}.weight`); // [D, D] (out, in)
        for (let o = 0; o < D; o++)
          for (let i = 0; i < D; i++) out[i * 3 * D + index * D + o] = w[o * D + i]!;
      });
    }),
    qkvBias: qkvBias
      ? arena.add(`${prefix}.attn.qkv.bias`, [3 * D], (out) =>
          parts.forEach((part, index) => out.set(tensor(tensors, `${part}.bias`), index * D)),
        )
      : null,
    proj: [matrix(`${prefix}.attn.proj.weight`, D, D), vector(`${prefix}.attn.proj.bias`, D)],
    norm2: [vector(`${prefix}.norm2.weight`, D), vector(`${prefix}.norm2.bias`, D)],
    fc1: [matrix(`${prefix}.mlp.fc1.weight`, H, D), vector(`${prefix}.mlp.fc1.bias`, H)],
    fc2: [matrix(`${prefix}.mlp.fc2.weight`, D, H), vector(`${prefix}.mlp.fc2.bias`, D)],
  };
}

// --- graph pieces ---------------------------------------------------------------------------

/** x times a weight `[in, out]`: MatMul, or DynamicQuantizeMatMul for an int8 one. */
function matmul(g: GraphBuilder, x: string, weight: string): string {
  const int8 = g.quantized.get(weight);
  return int8
    ? g.op('DynamicQuantizeMatMul', [x, int8.q, int8.scale, int8.zero], undefined, 'com.microsoft')
    : g.op('MatMul', [x, weight]);
}

function linear(g: GraphBuilder, x: string, [weight, bias]: [string, string]): string {
  return g.op('Add', [matmul(g, x, weight), bias]);
}

function layerNorm(g: GraphBuilder, x: string, [scale, bias]: [string, string], eps: number): string {
  return g.op('LayerNormalization', [x, scale, bias], { axis: -1, epsilon: { float: eps } });
}

/** Exact GELU, x * 0.5 * (1 + erf(x / sqrt 2)), in the node order onnxruntime fuses into Gelu. */
function gelu(g: GraphBuilder, x: string): string {
  const erf = g.op('Erf', [g.op('Div', [x, g.float(Math.SQRT2)])]);
  return g.op('Mul', [g.op('Mul', [x, g.op('Add', [erf, g.float(1)])]), g.float(0.5)]);
}

/** Pre-norm block (timm 0.3.2 / models_mae.py). x: [B, T, D] → [B, T, D] and attention [B, H, T, T]. */
function block(
  g: GraphBuilder,
  x: string,
  w: BlockWeights,
  t: TransformerConfig,
  eps: number,
): { out: string; attention: string } {
  const D = t.embedDim;
  const heads = t.numHeads;
  const headDim = D / heads;
  let qkv = matmul(g, layerNorm(g, x, w.norm1, eps), w.qkv); // [B, T, 3D]
  if (w.qkvBias) qkv = g.op('Add', [qkv, w.qkvBias]);
  const split = g.op('Transpose', [g.op('Reshape', [qkv, g.int64([0, 0, 3, heads, headDim])])], {
    perm: [2, 0, 3, 1, 4],
  }); // [3, B, H, T, Dh]
  const [q, k, v] = [0, 1, 2].map((index) => g.op('Gather', [split, g.int64([index], [])], { axis: 0 }));
  const keysT = g.op('Transpose', [k!], { perm: [0, 1, 3, 2] }); // [B, H, Dh, T]
  const scores = g.op('Mul', [g.op('MatMul', [q!, keysT]), g.float(Math.fround(headDim ** -0.5))]);
  const attention = g.op('Softmax', [scores], { axis: -1 }); // [B, H, T, T]
  const mixed = g.op('Transpose', [g.op('MatMul', [attention, v!])], { perm: [0, 2, 1, 3] }); // [B, T, H, Dh]
  const merged = g.op('Reshape', [mixed, g.int64([0, 0, D])]);
  const afterAttention = g.op('Add', [x, linear(g, merged, w.proj)]);
  const hidden = gelu(g, linear(g, layerNorm(g, afterAttention, w.norm2, eps), w.fc1));
  return { out: g.op('Add', [afterAttention, linear(g, hidden, w.fc2)]), attention };
}

/** Stacks [B, ...] tensors along a new axis 1. */
function stack(g: GraphBuilder, values: string[]): string {
  const axis = g.int64([1]);
  return g.op(
    'Concat',
    values.map((value) => g.op('Unsqueeze', [value, axis])),
    { axis: 1 },
  );
}

/** First `count` entries of a shape. */
function shapeSlice(g: GraphBuilder, shape: string, start: number, end: number): string {
  return g.op('Slice', [shape, g.int64([start]), g.int64([end])]);
}

// --- the two graphs -------------------------------------------------------------------------

interface Built {
  graph: Uint8Array;
  lean: Uint8Array;
}

function encoderGraphs(checkpoint: MaeCheckpoint, arena: WeightArena): Built {
  const { config, tensors, qkvBias } = checkpoint;
  const { encoder } = config;
  const D = encoder.embedDim;
  const P = config.patchSize;
  const N = config.numPatches;
  const dim = patchDim(config);
  // Conv weight [D, c, p, q] → a matrix over (p, q, c)-ordered patch vectors: [P*P*3, D].
  const patchWeight = arena.matrix('patch_embed.weight', dim, D, (out) => {
    const conv = tensor(tensors, 'patch_embed.proj.weight');
    for (let d = 0; d < D; d++)
      for (let c = 0; c < 3; c++)
        for (let p = 0; p < P; p++)
          for (let q = 0; q < P; q++)
            out[((p * P + q) * 3 + c) * D + d] = conv[((d * 3 + c) * P + p) * P + q]!;
  });
  const patchBias = arena.add('patch_embed.proj.bias', [D], copy(tensors, 'patch_embed.proj.bias'));
  const positions = arena.add('pos_embed.patches', [N, D], (out) =>
    out.set(tensor(tensors, 'pos_embed').subarray(D, (N + 1) * D)),
  );
  // The cls token never changes: its position is added once, here.
  const cls = arena.add('cls_token.with_pos', [1, 1, D], (out) => {
    const token = tensor(tensors, 'cls_token');
    const position = tensor(tensors, 'pos_embed');
    for (let d = 0; d < D; d++) out[d] = token[d]! + position[d]!;
  });
  const blocks = Array.from({ length: encoder.depth }, (_, i) =>
    blockWeights(arena, tensors, `blocks.${i}`, encoder, qkvBias),
  );
  const norm: [string, string] = [
    arena.add('norm.weight', [D], copy(tensors, 'norm.weight')),
    arena.add('norm.bias', [D], copy(tensors, 'norm.bias')),
  ];

  const build = (extras: boolean) => {
    const g = new GraphBuilder(arena.quantized);
    const embedded = g.op('Add', [
      linear(g, 'visible_patches', [patchWeight, patchBias]),
      g.op('Gather', [positions, 'ids_keep'], { axis: 0 }),
    ]); // [B, K, D]
    const batch = shapeSlice(g, g.op('Shape', ['visible_patches']), 0, 1);
    const clsRows = g.op('Expand', [cls, g.op('Concat', [batch, g.int64([1, D])], { axis: 0 })]); // [B, 1, D]
    let x = g.op('Concat', [clsRows, embedded], { axis: 1 }); // [B, K+1, D]
    const attentions: string[] = [];
    for (const weights of blocks) {
      const result = block(g, x, weights, encoder, config.layerNormEps);
      x = result.out;
      attentions.push(result.attention);
    }
    g.name(layerNorm(g, x, norm, config.layerNormEps), 'latent');
    const outputs: OnnxValue[] = [{ name: 'latent', type: FLOAT, dims: ['batch', 'tokens', D] }];
    if (extras) g.name(stack(g, attentions), 'attentions');
    return writeOnnxModel({
      name: 'mae_encoder',
      opset: config.opset,
      nodes: g.nodes,
      initializers: [...arena.initializers(), ...g.constants],
      inputs: [
        { name: 'visible_patches', type: FLOAT, dims: ['batch', 'visible', dim] },
        { name: 'ids_keep', type: INT64, dims: ['batch', 'visible'] },
      ],
      outputs: extras
        ? [
            ...outputs,
            {
              name: 'attentions',
              type: FLOAT,
              dims: ['batch', encoder.depth, encoder.numHeads, 'tokens', 'tokens'],
            },
          ]
        : outputs,
    });
  };
  return { graph: build(true), lean: build(false) };
}

function decoderGraphs(checkpoint: MaeCheckpoint, arena: WeightArena): Built {
  const { config, tensors, qkvBias } = checkpoint;
  const { decoder } = config;
  const D = config.encoder.embedDim;
  const Dd = decoder.embedDim;
  const N = config.numPatches;
  const dim = patchDim(config);
  const embed: [string, string] = [
    arena.matrix('decoder_embed.weight', D, Dd, transposed(tensors, 'decoder_embed.weight', Dd, D)),
    arena.add('decoder_embed.bias', [Dd], copy(tensors, 'decoder_embed.bias')),
  ];
  const maskToken = arena.add('mask_token', [1, 1, Dd], copy(tensors, 'mask_token'));
  const positions = arena.add('decoder_pos_embed', [1, N + 1, Dd], copy(tensors, 'decoder_pos_embed'));
  const blocks = Array.from({ length: decoder.depth }, (_, i) =>
    blockWeights(arena, tensors, `decoder_blocks.${i}`, decoder, qkvBias),
  );
  const norm: [string, string] = [
    arena.add('decoder_norm.weight', [Dd], copy(tensors, 'decoder_norm.weight')),
    arena.add('decoder_norm.bias', [Dd], copy(tensors, 'decoder_norm.bias')),
  ];
  const head: [string, string] = [
    arena.matrix('decoder_pred.weight', Dd, dim, transposed(tensors, 'decoder_pred.weight', dim, Dd)),
    arena.add('decoder_pred.bias', [dim], copy(tensors, 'decoder_pred.bias')),
  ];

  const build = (extras: boolean) => {
    const g = new GraphBuilder(arena.quantized);
    const x = linear(g, 'latent', embed); // [B, K+1, Dd]
    const one = g.int64([1]);
    const tokens = g.op('Slice', [x, one, g.int64([2 ** 53 - 1]), one]); // [B, K, Dd]
    const clsRow = g.op('Slice', [x, g.int64([0]), one, one]); // [B, 1, Dd]
    const restoreShape = g.op('Shape', ['ids_restore']); // [B, N]
    const masked = g.op('Add', [
      g.op('Sub', [shapeSlice(g, restoreShape, 1, 2), shapeSlice(g, g.op('Shape', [x]), 1, 2)]),
      one,
    ]); // N - K
    const batch = shapeSlice(g, restoreShape, 0, 1);
    const maskTokens = g.op('Expand', [
      maskToken,
      g.op('Concat', [batch, masked, g.int64([Dd])], { axis: 0 }),
    ]); // [B, N-K, Dd]
    const shuffled = g.op('Concat', [tokens, maskTokens], { axis: 1 }); // [B, N, Dd], kept first
    const index = g.op('Expand', [
      g.op('Unsqueeze', ['ids_restore', g.int64([2])]),
      g.op('Concat', [restoreShape, g.int64([Dd])], { axis: 0 }),
    ]); // [B, N, Dd]
    const unshuffled = g.op('GatherElements', [shuffled, index], { axis: 1 });
    let h = g.op('Add', [g.op('Concat', [clsRow, unshuffled], { axis: 1 }), positions]); // [B, N+1, Dd]
    const predictions: string[] = [];
    blocks.forEach((weights, i) => {
      h = block(g, h, weights, decoder, config.layerNormEps).out;
      if (!extras && i < blocks.length - 1) return;
      const patches = linear(g, layerNorm(g, h, norm, config.layerNormEps), head); // [B, N+1, P*P*3]
      predictions.push(g.op('Slice', [patches, one, g.int64([2 ** 53 - 1]), one]));
    });
    g.name(predictions[predictions.length - 1]!, 'pred');
    if (extras) g.name(stack(g, predictions.slice(0, -1).concat('pred')), 'pred_per_layer');
    const pred: OnnxValue = { name: 'pred', type: FLOAT, dims: ['batch', N, dim] };
    return writeOnnxModel({
      name: 'mae_decoder',
      opset: config.opset,
      nodes: g.nodes,
      initializers: [...arena.initializers(), ...g.constants],
      inputs: [
        { name: 'latent', type: FLOAT, dims: ['batch', 'tokens', D] },
        { name: 'ids_restore', type: INT64, dims: ['batch', N] },
      ],
      outputs: extras
        ? [pred, { name: 'pred_per_layer', type: FLOAT, dims: ['batch', decoder.depth, N, dim] }]
        : [pred],
    });
  };
  return { graph: build(true), lean: build(false) };
}

/**
 * The encoder and decoder of a checkpoint, full and lean, with their weights as two buffers
 * that MaeRunner hands onnxruntime as external data. The checkpoint's tensors are read once,
 * here; drop the checkpoint afterwards.
 */
export function buildMaeModel(checkpoint: MaeCheckpoint, options: { int8?: boolean } = {}): MaeModelBytes {
  const int8 = options.int8 ?? false;
  const encoderArena = new WeightArena(ENCODER_WEIGHTS_PATH, int8);
  const decoderArena = new WeightArena(DECODER_WEIGHTS_PATH, int8);
  const encoder = encoderGraphs(checkpoint, encoderArena);
  const decoder = decoderGraphs(checkpoint, decoderArena);
  return {
    encoder: encoder.graph,
    decoder: decoder.graph,
    lean: {
      encoder: encoder.lean,
      decoder: decoder.lean,
      encoderPath: ENCODER_WEIGHTS_PATH,
      decoderPath: DECODER_WEIGHTS_PATH,
    },
    weights: {
      encoder: { path: ENCODER_WEIGHTS_PATH, data: encoderArena.materialise() },
      decoder: { path: DECODER_WEIGHTS_PATH, data: decoderArena.materialise() },
    },
  };
}
