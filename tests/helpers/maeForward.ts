/**
 * A plain, slow ViT-MAE forward pass in float64 over a checkpoint's tensors (Meta's names, q/k/v
 * split, as readMaeCheckpoint gives them): the independent reference the built graphs are held
 * to for geometries no upstream fixture covers. Written from models_mae.py, loop by loop.
 */
import type { ModelConfig, TransformerConfig } from '../../src/formats/config';
import type { MaeTensors } from '../../src/formats/maeCheckpoint';
import { toFloat32 } from '../../src/formats/tensor';

type Rows = Float64Array[];

/** erf to ~1e-7 (Abramowitz & Stegun 7.1.26): plenty for a 1e-4 comparison. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

export function maeForward(
  tensors: MaeTensors,
  config: ModelConfig,
  visible: Float32Array,
  idsKeep: number[],
  idsRestore: number[],
  qkvBias: boolean,
): { latent: Float64Array; pred: Float64Array } {
  const get = (name: string) => toFloat32(tensors.get(name)!);
  const eps = config.layerNormEps;
  const linear = (x: Rows, name: string, bias = true): Rows => {
    const w = get(`${name}.weight`);
    const b = bias ? get(`${name}.bias`) : null;
    const inDim = x[0]!.length;
    const out = w.length / inDim;
    return x.map((row) => {
      const y = new Float64Array(out);
      for (let o = 0; o < out; o++) {
        let sum = b ? b[o]! : 0;
        for (let i = 0; i < inDim; i++) sum += row[i]! * w[o * inDim + i]!;
        y[o] = sum;
      }
      return y;
    });
  };
  const norm = (x: Rows, name: string): Rows => {
    const w = get(`${name}.weight`);
    const b = get(`${name}.bias`);
    return x.map((row) => {
      const mean = row.reduce((a, v) => a + v, 0) / row.length;
      const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / row.length;
      return row.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * w[i]! + b[i]!);
    });
  };
  const add = (a: Rows, b: Rows): Rows => a.map((row, t) => row.map((v, i) => v + b[t]![i]!));
  const block = (x: Rows, prefix: string, t: TransformerConfig): Rows => {
    const h = norm(x, `${prefix}.norm1`);
    const [q, k, v] = ['q', 'k', 'v'].map((part) => linear(h, `${prefix}.attn.${part}`, qkvBias));
    const headDim = t.embedDim / t.numHeads;
    const mixed = x.map(() => new Float64Array(t.embedDim));
    for (let head = 0; head < t.numHeads; head++) {
      const off = head * headDim;
      for (let i = 0; i < x.length; i++) {
        const scores = x.map((_, j) => {
          let dot = 0;
          for (let d = 0; d < headDim; d++) dot += q![i]![off + d]! * k![j]![off + d]!;
          return dot / Math.sqrt(headDim);
        });
        const top = Math.max(...scores);
        const weights = scores.map((s) => Math.exp(s - top));
        const total = weights.reduce((a, w) => a + w, 0);
        for (let j = 0; j < x.length; j++)
          for (let d = 0; d < headDim; d++) mixed[i]![off + d]! += (weights[j]! / total) * v![j]![off + d]!;
      }
    }
    const afterAttention = add(x, linear(mixed, `${prefix}.attn.proj`));
    const hidden = linear(norm(afterAttention, `${prefix}.norm2`), `${prefix}.mlp.fc1`).map((row) =>
      row.map((value) => 0.5 * value * (1 + erf(value / Math.SQRT2))),
    );
    return add(afterAttention, linear(hidden, `${prefix}.mlp.fc2`));
  };

  // Encoder: the conv as a matrix over (p, q, c)-ordered vectors.
  const P = config.patchSize;
  const D = config.encoder.embedDim;
  const dim = P * P * 3;
  const conv = get('patch_embed.proj.weight');
  const convBias = get('patch_embed.proj.bias');
  const pos = get('pos_embed');
  const cls = get('cls_token');
  let x: Rows = [Float64Array.from({ length: D }, (_, d) => cls[d]! + pos[d]!)];
  idsKeep.forEach((id, row) => {
    const embedded = new Float64Array(D);
    for (let d = 0; d < D; d++) {
      let sum = convBias[d]! + pos[(1 + id) * D + d]!;
      for (let p = 0; p < P; p++)
        for (let q = 0; q < P; q++)
          for (let c = 0; c < 3; c++)
            sum += visible[row * dim + (p * P + q) * 3 + c]! * conv[((d * 3 + c) * P + p) * P + q]!;
      embedded[d] = sum;
    }
    x.push(embedded);
  });
  for (let i = 0; i < config.encoder.depth; i++) x = block(x, `blocks.${i}`, config.encoder);
  const latent = norm(x, 'norm');

  // Decoder: kept rows then mask tokens, unshuffled by idsRestore.
  const embedded = linear(latent, 'decoder_embed');
  const mask = Float64Array.from(get('mask_token'));
  const shuffled = [...embedded.slice(1), ...idsRestore.slice(idsKeep.length).map(() => mask)];
  const decoderPos = get('decoder_pos_embed');
  const Dd = config.decoder.embedDim;
  let h: Rows = [embedded[0]!, ...idsRestore.map((index) => shuffled[index]!)].map((row, t) =>
    row.map((v, i) => v + decoderPos[t * Dd + i]!),
  );
  for (let i = 0; i < config.decoder.depth; i++) h = block(h, `decoder_blocks.${i}`, config.decoder);
  const pred = linear(norm(h, 'decoder_norm'), 'decoder_pred').slice(1);
  const flat = (rows: Rows) => Float64Array.from(rows.flatMap((row) => Array.from(row)));
  return { latent: flat(latent), pred: flat(pred) };
}
