/**
 * Summaries of the encoder's attention `[1, L, H, T, T]` (T = K + 1, cls first, then the visible
 * patches in idsKeep order): attention rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow
 * in Transformers"), each head's mean attention distance (the ViT paper's figure 7, Dosovitskiy
 * et al. 2020) and each head's attention entropy. Written here because no maintained JS library
 * computes them; they are a few loops over one typed array. Pure: no DOM, no ORT.
 */
import { type AttentionShape, attentionShape } from './inspect';

function checkedShape(attentions: ArrayLike<number>, dims: readonly number[]): AttentionShape {
  const shape = attentionShape(dims);
  const { layers, heads, tokens } = shape;
  if (attentions.length !== layers * heads * tokens * tokens) {
    throw new RangeError(
      `attentions has ${attentions.length} values for [1, ${layers}, ${heads}, ${tokens}, ${tokens}]`,
    );
  }
  return shape;
}

/**
 * One layer's rollout factor `[T, T]`: the mean over heads, plus the identity for the residual
 * connection, A' = 0.5 A + 0.5 I, each row renormalised to sum to 1.
 */
export function residualAttention(
  attentions: ArrayLike<number>,
  dims: readonly number[],
  layer: number,
): Float64Array {
  const { layers, heads, tokens } = checkedShape(attentions, dims);
  if (!(layer >= 0 && layer < layers)) throw new RangeError(`layer ${layer} outside [0, ${layers})`);
  const matrix = new Float64Array(tokens * tokens); // [T, T]
  for (let h = 0; h < heads; h++) {
    const base = (layer * heads + h) * tokens * tokens;
    for (let k = 0; k < tokens * tokens; k++) matrix[k]! += attentions[base + k]! / heads;
  }
  for (let i = 0; i < tokens; i++) {
    let sum = 0;
    for (let j = 0; j < tokens; j++) {
      const at = i * tokens + j;
      matrix[at] = 0.5 * matrix[at]! + (i === j ? 0.5 : 0);
      sum += matrix[at]!;
    }
    if (sum > 0) for (let j = 0; j < tokens; j++) matrix[i * tokens + j]! /= sum;
  }
  return matrix;
}

/**
 * Row `query` of the attention rollout through the first `throughLayers` layers (all by default):
 * e_query^T A'_last ... A'_1, i.e. how much of token `query`'s output flows from each input token
 * `[T]` (sums to 1). Computed as a row vector times each factor, O(L T^2) instead of the full
 * O(L T^3) matrix product.
 */
export function attentionRollout(
  attentions: ArrayLike<number>,
  dims: readonly number[],
  query: number,
  throughLayers?: number,
): Float64Array {
  const { layers, tokens } = checkedShape(attentions, dims);
  const count = throughLayers ?? layers;
  if (!(count >= 1 && count <= layers)) throw new RangeError(`layer count ${count} outside [1, ${layers}]`);
  if (!(query >= 0 && query < tokens)) throw new RangeError(`token ${query} outside [0, ${tokens})`);
  let row = new Float64Array(tokens); // [T]
  row[query] = 1;
  for (let layer = count - 1; layer >= 0; layer--) {
    const factor = residualAttention(attentions, dims, layer); // [T, T]
    const next = new Float64Array(tokens);
    for (let i = 0; i < tokens; i++) {
      const weight = row[i]!;
      if (weight === 0) continue;
      for (let j = 0; j < tokens; j++) next[j]! += weight * factor[i * tokens + j]!;
    }
    row = next;
  }
  return row;
}

/** Per-head values `[L, H]`, row-major. */
export interface PerHead {
  layers: number;
  heads: number;
  values: Float64Array;
}

/**
 * Each head's mean attention distance in pixels `[L, H]`, over the visible tokens only: for every
 * visible query patch, the attention-weighted mean distance between its centre and the centres
 * of the visible patches it attends to, averaged over the queries. The cls token is left out as
 * query and as key (it has no place in the image), and each query's weights over the patches are
 * renormalised to sum to 1, so a head that mostly attends to cls is not counted as "local".
 * NaN when no patch is visible.
 */
export function meanAttentionDistance(
  attentions: ArrayLike<number>,
  dims: readonly number[],
  idsKeep: ArrayLike<number>,
  grid: number,
  patchSize: number,
): PerHead {
  const { layers, heads, tokens } = checkedShape(attentions, dims);
  const keep = idsKeep.length;
  if (keep !== tokens - 1)
    throw new RangeError(`${keep} visible patches for ${tokens} tokens (K + 1 expected)`);
  // [K, K] distances in pixels between patch centres.
  const distance = new Float64Array(keep * keep);
  for (let a = 0; a < keep; a++) {
    for (let b = 0; b < keep; b++) {
      const dy = Math.floor(idsKeep[a]! / grid) - Math.floor(idsKeep[b]! / grid);
      const dx = (idsKeep[a]! % grid) - (idsKeep[b]! % grid);
      distance[a * keep + b] = patchSize * Math.hypot(dx, dy);
    }
  }
  const values = new Float64Array(layers * heads).fill(Number.NaN); // [L, H]
  if (keep === 0) return { layers, heads, values };
  for (let l = 0; l < layers; l++) {
    for (let h = 0; h < heads; h++) {
      const base = (l * heads + h) * tokens * tokens;
      let total = 0;
      let queries = 0;
      for (let a = 0; a < keep; a++) {
        const row = base + (a + 1) * tokens + 1; // query token a + 1, keys from token 1
        let weightSum = 0;
        let weighted = 0;
        for (let b = 0; b < keep; b++) {
          const weight = attentions[row + b]!;
          weightSum += weight;
          weighted += weight * distance[a * keep + b]!;
        }
        if (weightSum > 0) {
          total += weighted / weightSum;
          queries++;
        }
      }
      values[l * heads + h] = queries > 0 ? total / queries : Number.NaN;
    }
  }
  return { layers, heads, values };
}

/**
 * Each head's attention entropy in bits `[L, H]`: -sum_j a_ij log2 a_ij of every query row i
 * (cls included), averaged over the T rows. 0 = every token looks at one token only; log2(T) =
 * attention spread evenly over all tokens. Rows are renormalised first; 0 log 0 = 0.
 */
export function attentionEntropy(attentions: ArrayLike<number>, dims: readonly number[]): PerHead {
  const { layers, heads, tokens } = checkedShape(attentions, dims);
  const values = new Float64Array(layers * heads); // [L, H]
  for (let l = 0; l < layers; l++) {
    for (let h = 0; h < heads; h++) {
      const base = (l * heads + h) * tokens * tokens;
      let total = 0;
      for (let i = 0; i < tokens; i++) {
        const row = base + i * tokens;
        let sum = 0;
        for (let j = 0; j < tokens; j++) sum += Math.max(0, attentions[row + j]!);
        if (sum <= 0) continue;
        let entropy = 0;
        for (let j = 0; j < tokens; j++) {
          const p = Math.max(0, attentions[row + j]!) / sum;
          if (p > 0) entropy -= p * Math.log2(p);
        }
        total += entropy;
      }
      values[l * heads + h] = total / tokens;
    }
  }
  return { layers, heads, values };
}
