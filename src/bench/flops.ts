/**
 * Analytic FLOP count of one reconstruction, from config.json alone. Counts the matrix products
 * (2 FLOPs per multiply-add), which are all but a few percent of the work; LayerNorm, softmax,
 * GELU, residual adds and gathers are left out. The decoder head is counted on the N+1 tokens the
 * graph computes it on (the cls row is dropped afterwards).
 */
import { type ModelConfig, patchDim, type TransformerConfig } from '../mae/config';

export interface ReconstructionFlops {
  /** Visible patches the encoder saw (K). */
  visiblePatches: number;
  /** Patch projection, K rows of P*P*3 -> D. */
  patchEmbed: number;
  /** The encoder's blocks on K+1 tokens. */
  encoderBlocks: number;
  /** Encoder total: patchEmbed + encoderBlocks. */
  encoder: number;
  /** decoder_embed (D -> Dd on K+1 tokens) + the decoder's blocks on N+1 tokens + the head. */
  decoder: number;
  total: number;
}

/** One pre-norm transformer block on `tokens` tokens: qkv, attention, projection, MLP. */
export function blockFlops(block: TransformerConfig, tokens: number): number {
  const { embedDim: d, mlpHidden: m } = block;
  const linears = tokens * (3 * d * d + d * d + 2 * d * m); // qkv, proj, fc1, fc2
  const attention = 2 * tokens * tokens * d; // Q K^T and A V over all heads
  return 2 * (linears + attention);
}

export function reconstructionFlops(
  config: Pick<ModelConfig, 'patchSize' | 'numPatches' | 'encoder' | 'decoder'>,
  visiblePatches: number,
): ReconstructionFlops {
  const { encoder, decoder, numPatches } = config;
  const dim = patchDim(config);
  const patchEmbed = 2 * visiblePatches * dim * encoder.embedDim;
  const encoderBlocks = encoder.depth * blockFlops(encoder, visiblePatches + 1);
  const decoderEmbed = 2 * (visiblePatches + 1) * encoder.embedDim * decoder.embedDim;
  const decoderBlocks = decoder.depth * blockFlops(decoder, numPatches + 1);
  const head = 2 * (numPatches + 1) * decoder.embedDim * dim;
  const encoderTotal = patchEmbed + encoderBlocks;
  const decoderTotal = decoderEmbed + decoderBlocks + head;
  return {
    visiblePatches,
    patchEmbed,
    encoderBlocks,
    encoder: encoderTotal,
    decoder: decoderTotal,
    total: encoderTotal + decoderTotal,
  };
}
