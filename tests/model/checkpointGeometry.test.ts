/**
 * Any geometry a config can give builds and runs: random Hugging Face checkpoints (depth, width,
 * heads, MLP size, patch and image size, layer_norm_eps, qkv_bias, norm_pix_loss) through the
 * TypeScript loader and onnxruntime-node, against a plain float64 forward pass of the same weights.
 */
import fc from 'fast-check';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

import { readMaeCheckpoint } from '../../src/formats/maeCheckpoint';
import { readSafetensors } from '../../src/formats/safetensors';
import { loadCheckpointModel } from '../../src/runtime/checkpointModel';
import { MaeRunner } from '../../src/runtime/maeRunner';
import { expectClose } from '../helpers/arrays';
import { type NamedTensor, writeSafetensors } from '../helpers/checkpointBytes';
import { maeForward } from '../helpers/maeForward';

interface Geometry {
  patchSize: number;
  grid: number;
  encoder: { heads: number; headDim: number; depth: number; mlp: number };
  decoder: { heads: number; headDim: number; depth: number; mlp: number };
  eps: number;
  qkvBias: boolean;
  normPixLoss: boolean;
  seed: number;
  keep: number;
}

const stackOf = fc.record({
  heads: fc.integer({ min: 1, max: 3 }),
  headDim: fc.constantFrom(4, 8),
  depth: fc.integer({ min: 1, max: 3 }),
  mlp: fc.constantFrom(8, 20),
});
const geometries = fc.record({
  patchSize: fc.constantFrom(2, 4, 7),
  grid: fc.integer({ min: 1, max: 4 }),
  encoder: stackOf,
  decoder: stackOf,
  eps: fc.constantFrom(1e-12, 1e-6, 1e-5),
  qkvBias: fc.boolean(),
  normPixLoss: fc.boolean(),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
  keep: fc.double({ min: 0, max: 1, noNaN: true }),
});

/** A Hugging Face ViTMAE checkpoint with random weights (every tensor, biases included). */
function hfCheckpoint(g: Geometry): { config: Record<string, unknown>; tensors: NamedTensor[] } {
  let state = g.seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31 - 0.5;
  };
  const tensors: NamedTensor[] = [];
  const add = (name: string, shape: number[], scale = 0.5, offset = 0) =>
    tensors.push({
      name,
      shape,
      values: Float32Array.from(
        { length: shape.reduce((a, b) => a * b, 1) },
        () => offset + scale * random(),
      ),
    });
  const D = g.encoder.heads * g.encoder.headDim;
  const Dd = g.decoder.heads * g.decoder.headDim;
  const P = g.patchSize;
  const tokens = g.grid * g.grid + 1;
  const layer = (prefix: string, width: number, mlp: number) => {
    add(`${prefix}.layernorm_before.weight`, [width], 0.2, 1);
    add(`${prefix}.layernorm_before.bias`, [width]);
    for (const part of ['query', 'key', 'value']) {
      add(`${prefix}.attention.attention.${part}.weight`, [width, width]);
      if (g.qkvBias) add(`${prefix}.attention.attention.${part}.bias`, [width]);
    }
    add(`${prefix}.attention.output.dense.weight`, [width, width]);
    add(`${prefix}.attention.output.dense.bias`, [width]);
    add(`${prefix}.layernorm_after.weight`, [width], 0.2, 1);
    add(`${prefix}.layernorm_after.bias`, [width]);
    add(`${prefix}.intermediate.dense.weight`, [mlp, width]);
    add(`${prefix}.intermediate.dense.bias`, [mlp]);
    add(`${prefix}.output.dense.weight`, [width, mlp]);
    add(`${prefix}.output.dense.bias`, [width]);
  };
  add('vit.embeddings.cls_token', [1, 1, D]);
  add('vit.embeddings.position_embeddings', [1, tokens, D]);
  add('vit.embeddings.patch_embeddings.projection.weight', [D, 3, P, P], 0.2);
  add('vit.embeddings.patch_embeddings.projection.bias', [D]);
  for (let i = 0; i < g.encoder.depth; i++) layer(`vit.encoder.layer.${i}`, D, g.encoder.mlp);
  add('vit.layernorm.weight', [D], 0.2, 1);
  add('vit.layernorm.bias', [D]);
  add('decoder.decoder_embed.weight', [Dd, D]);
  add('decoder.decoder_embed.bias', [Dd]);
  add('decoder.mask_token', [1, 1, Dd]);
  add('decoder.decoder_pos_embed', [1, tokens, Dd]);
  for (let i = 0; i < g.decoder.depth; i++) layer(`decoder.decoder_layers.${i}`, Dd, g.decoder.mlp);
  add('decoder.decoder_norm.weight', [Dd], 0.2, 1);
  add('decoder.decoder_norm.bias', [Dd]);
  add('decoder.decoder_pred.weight', [P * P * 3, Dd]);
  add('decoder.decoder_pred.bias', [P * P * 3]);
  const config = {
    model_type: 'vit_mae',
    hidden_size: D,
    num_hidden_layers: g.encoder.depth,
    num_attention_heads: g.encoder.heads,
    intermediate_size: g.encoder.mlp,
    decoder_hidden_size: Dd,
    decoder_num_hidden_layers: g.decoder.depth,
    decoder_num_attention_heads: g.decoder.heads,
    decoder_intermediate_size: g.decoder.mlp,
    image_size: g.grid * P,
    patch_size: P,
    num_channels: 3,
    layer_norm_eps: g.eps,
    qkv_bias: g.qkvBias,
    norm_pix_loss: g.normPixLoss,
    hidden_act: 'gelu',
  };
  return { config, tensors };
}

describe('graphs built for any ViT-MAE geometry', () => {
  it('match a float64 forward pass of the same weights to 1e-4', async () => {
    await fc.assert(
      fc.asyncProperty(geometries, async (g) => {
        const { config: configJson, tensors } = hfCheckpoint(g);
        const bytes = writeSafetensors(tensors);
        const { config, bytes: model } = loadCheckpointModel({
          weights: { name: 'model.safetensors', bytes },
          configJson,
        });
        expect(config.normPixLoss).toBe(g.normPixLoss);
        const N = config.numPatches;
        const dim = 3 * g.patchSize ** 2;
        // A random permutation of the patches; the first `keep` are visible.
        const idsShuffle = Array.from({ length: N }, (_, i) => i).sort(
          (a, b) => ((a * 7919 + g.seed) % 101) - ((b * 7919 + g.seed) % 101) || a - b,
        );
        const idsKeep = idsShuffle.slice(0, Math.floor(N * g.keep));
        const idsRestore = idsShuffle.map((_, i) => idsShuffle.indexOf(i));
        const visible = Float32Array.from({ length: idsKeep.length * dim }, (_, i) => Math.sin(i + g.seed));
        const runner = await MaeRunner.create(ort, model, config);
        try {
          const ours = await runner.run({ visiblePatches: visible, idsKeep, idsRestore });
          const checkpoint = readMaeCheckpoint({
            fileName: 'model.safetensors',
            tensors: readSafetensors(bytes, 'model.safetensors'),
            configJson,
          });
          const reference = maeForward(checkpoint.tensors, config, visible, idsKeep, idsRestore, g.qkvBias);
          expect(ours.latentDims).toEqual([1, idsKeep.length + 1, g.encoder.heads * g.encoder.headDim]);
          expectClose(ours.latent, reference.latent, 1e-4);
          expectClose(ours.pred, reference.pred, 1e-4);
        } finally {
          await runner.dispose();
        }
      }),
      { numRuns: 12 },
    );
  });
});
