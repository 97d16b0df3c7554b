import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { attentionEntropy, attentionRollout, meanAttentionDistance, residualAttention } from './attention';

/** `[1, L, H, T, T]` from per-layer, per-head T x T matrices given as nested arrays. */
function tensor(layers: number[][][][]): { data: Float32Array; dims: number[] } {
  const heads = layers[0]!.length;
  const tokens = layers[0]![0]!.length;
  return {
    data: Float32Array.from(layers.flat(3)),
    dims: [1, layers.length, heads, tokens, tokens],
  };
}

const identity = (t: number) =>
  Array.from({ length: t }, (_, i) => Array.from({ length: t }, (_, j) => (i === j ? 1 : 0)));
const uniform = (t: number) => Array.from({ length: t }, () => Array<number>(t).fill(1 / t));

/** Row `query` of the full product A'_L ... A'_1, the textbook way. */
function naiveRollout(data: Float32Array, dims: number[], query: number): number[] {
  const [, layers = 0, , tokens = 0] = dims;
  let product: number[][] = identity(tokens);
  for (let l = 0; l < layers; l++) {
    const factor = residualAttention(data, dims, l);
    // product := factor_l . product (later layers multiply from the left)
    product = Array.from({ length: tokens }, (_, i) =>
      Array.from({ length: tokens }, (_, j) => {
        let sum = 0;
        for (let k = 0; k < tokens; k++) sum += factor[i * tokens + k]! * product[k]![j]!;
        return sum;
      }),
    );
  }
  return product[query]!;
}

describe('attention rollout', () => {
  it('is the identity row when every layer attends to itself', () => {
    const { data, dims } = tensor([[identity(3)], [identity(3)]]);
    expect([...attentionRollout(data, dims, 1)]).toEqual([0, 1, 0]);
  });

  it('adds the residual identity and multiplies layers: uniform 2-token attention', () => {
    // One layer: A' = 0.5 [[.5,.5],[.5,.5]] + 0.5 I = [[.75,.25],[.25,.75]].
    const one = tensor([[uniform(2)]]);
    expect([...attentionRollout(one.data, one.dims, 0)]).toEqual([0.75, 0.25]);
    // Two layers: [[.75,.25],[.25,.75]]^2 = [[.625,.375],[.375,.625]].
    const two = tensor([[uniform(2)], [uniform(2)]]);
    const row = attentionRollout(two.data, two.dims, 1);
    expect(row[0]).toBeCloseTo(0.375, 12);
    expect(row[1]).toBeCloseTo(0.625, 12);
    // Through the first layer only.
    expect([...attentionRollout(two.data, two.dims, 1, 1)]).toEqual([0.25, 0.75]);
  });

  it('averages the heads before adding the identity', () => {
    // Head 1 = I, head 2 = swap: their mean is uniform, so the same as above.
    const swap = [
      [0, 1],
      [1, 0],
    ];
    const { data, dims } = tensor([[identity(2), swap]]);
    expect([...attentionRollout(data, dims, 0)]).toEqual([0.75, 0.25]);
  });

  it('renormalises rows that do not sum to 1', () => {
    const scaled = uniform(2).map((row) => row.map((v) => v * 4));
    const { data, dims } = tensor([[scaled]]);
    // 0.5 * [2, 2] + 0.5 * [1, 0] = [1.5, 1] -> [0.6, 0.4]
    const row = attentionRollout(data, dims, 0);
    expect(row[0]).toBeCloseTo(0.6, 12);
    expect(row[1]).toBeCloseTo(0.4, 12);
  });

  it('order matters: the last layer multiplies from the left (cls reads from token 2 via token 1)', () => {
    // Layer 1: token 1 attends only to token 2. Layer 2: cls attends only to token 1.
    const layer1 = [
      [1, 0, 0],
      [0, 0, 1],
      [0, 0, 1],
    ];
    const layer2 = [
      [0, 1, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
    const { data, dims } = tensor([[layer1], [layer2]]);
    // A'2 row 0 = [.5, .5, 0]; A'1 rows: [1,0,0], [0,.5,.5], [0,0,1] -> [.5, .25, .25].
    expect([...attentionRollout(data, dims, 0)]).toEqual([0.5, 0.25, 0.25]);
  });

  it('equals the row of the full matrix product on random softmax tensors, and sums to 1', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 1000 }),
        (layers, heads, tokens, seed) => {
          let state = seed + 1;
          const random = () => (state = (state * 16807) % 2147483647) / 2147483647 + 0.01;
          const data = new Float32Array(layers * heads * tokens * tokens);
          for (let r = 0; r < data.length / tokens; r++) {
            const values = Array.from({ length: tokens }, random);
            const sum = values.reduce((a, b) => a + b, 0);
            values.forEach((v, j) => (data[r * tokens + j] = v / sum));
          }
          const dims = [1, layers, heads, tokens, tokens];
          const query = seed % tokens;
          const fast = attentionRollout(data, dims, query);
          const naive = naiveRollout(data, dims, query);
          naive.forEach((v, j) => expect(fast[j]).toBeCloseTo(v, 10));
          expect(fast.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
        },
      ),
    );
  });

  it('refuses bad shapes and indices', () => {
    const { data, dims } = tensor([[identity(2)]]);
    expect(() => attentionRollout(data, dims, 2)).toThrow(RangeError);
    expect(() => attentionRollout(data, dims, 0, 2)).toThrow(RangeError);
    expect(() => attentionRollout(data.subarray(1), dims, 0)).toThrow(RangeError);
  });
});

describe('mean attention distance', () => {
  // A 3 x 3 grid of 16-pixel patches; visible: patches 0 (row 0, col 0), 1 (0, 1) and 8 (2, 2).
  const idsKeep = [0, 1, 8];
  const diagonal = 16 * Math.hypot(2, 2);
  const far = 16 * Math.hypot(1, 2);

  it('is 0 for a head that attends to itself and the patch spacing for a neighbour-only head', () => {
    // T = 4 (cls + 3). Head 1: each token to itself. Head 2: 0 <-> 1 swap, patch 8 -> patch 0.
    const self = identity(4);
    const other = [
      [1, 0, 0, 0],
      [0, 0, 1, 0],
      [0, 1, 0, 0],
      [0, 1, 0, 0],
    ];
    const { data, dims } = tensor([[self, other]]);
    const { layers, heads, values } = meanAttentionDistance(data, dims, idsKeep, 3, 16);
    expect([layers, heads]).toEqual([1, 2]);
    expect(values[0]).toBe(0);
    // Queries: patch 0 -> patch 1 (16 px), patch 1 -> patch 0 (16 px), patch 8 -> patch 0 (diagonal).
    expect(values[1]).toBeCloseTo((16 + 16 + diagonal) / 3, 10);
  });

  it('leaves cls out as query and key, renormalising each query over the patches', () => {
    // Every patch query gives half to cls and half to patch 8; cls's own row is ignored.
    const row = [0.5, 0, 0, 0.5];
    const { data, dims } = tensor([[[[0, 0, 0, 1], row, row, row]]]);
    const { values } = meanAttentionDistance(data, dims, idsKeep, 3, 16);
    // Patch 0 -> 8: diagonal, patch 1 -> 8: far, patch 8 -> 8: 0.
    expect(values[0]).toBeCloseTo((diagonal + far + 0) / 3, 10);
  });

  it('is NaN with no visible patch and refuses a K that does not match the tensor', () => {
    const { data, dims } = tensor([[[[1]]]]);
    expect(Number.isNaN(meanAttentionDistance(data, dims, [], 3, 16).values[0])).toBe(true);
    expect(() => meanAttentionDistance(data, dims, [4], 3, 16)).toThrow(RangeError);
  });
});

describe('attention entropy', () => {
  it('is 0 for one-hot rows and log2(T) for uniform rows, per head', () => {
    const { data, dims } = tensor([
      [identity(4), uniform(4)],
      [uniform(4), identity(4)],
    ]);
    const { layers, heads, values } = attentionEntropy(data, dims);
    expect([layers, heads]).toEqual([2, 2]);
    expect(values[0]).toBe(0);
    expect(values[1]).toBeCloseTo(2, 12);
    expect(values[2]).toBeCloseTo(2, 12);
    expect(values[3]).toBe(0);
  });

  it('averages over query rows: half one-hot, half spread over two tokens gives 0.5 bit', () => {
    const { data, dims } = tensor([
      [
        [
          [1, 0],
          [0.5, 0.5],
        ],
      ],
    ]);
    expect(attentionEntropy(data, dims).values[0]).toBeCloseTo(0.5, 12);
  });
});
