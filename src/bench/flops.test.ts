import { describe, expect, it } from 'vitest';

import { blockFlops, reconstructionFlops } from './flops';

/** Meta's ViT-MAE base: ViT-B/16 encoder, 8 x 512 decoder. */
const base = {
  patchSize: 16,
  numPatches: 196,
  encoder: { embedDim: 768, depth: 12, numHeads: 12, mlpHidden: 3072 },
  decoder: { embedDim: 512, depth: 8, numHeads: 16, mlpHidden: 2048 },
};

describe('reconstructionFlops', () => {
  it('gives the published ViT-B/16 cost for the encoder on all 196 patches', () => {
    // ViT-B/16 at 224 px: 17.6 G multiply-adds (fvcore, timm), i.e. ~35.1 GFLOP.
    const { encoder } = reconstructionFlops(base, 196);
    expect(encoder / 2 / 1e9).toBeCloseTo(17.56, 1);
  });

  it('counts each matrix product of a block once: qkv, Q K^T, A V, proj, fc1, fc2', () => {
    const block = { embedDim: 4, depth: 1, numHeads: 2, mlpHidden: 8 };
    const tokens = 3;
    const macs = tokens * 4 * 12 + tokens * tokens * 4 * 2 + tokens * 4 * 4 + tokens * 4 * 8 + tokens * 8 * 4;
    expect(blockFlops(block, tokens)).toBe(2 * macs);
  });

  it('splits the work into encoder and decoder, and the decoder does not depend on K but for its embedding', () => {
    const k49 = reconstructionFlops(base, 49);
    const k0 = reconstructionFlops(base, 0);
    expect(k49.total).toBe(k49.encoder + k49.decoder);
    expect(k49.patchEmbed).toBe(2 * 49 * 768 * 768);
    expect(k0.patchEmbed).toBe(0);
    expect(k49.decoder - k0.decoder).toBe(2 * 49 * 768 * 512);
    // Visible-only encoding is what makes MAE cheap: ~4.4x fewer encoder FLOPs at 75 % masking.
    expect(reconstructionFlops(base, 196).encoder / k49.encoder).toBeGreaterThan(4);
  });
});
