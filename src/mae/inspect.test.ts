import { describe, expect, it } from 'vitest';

import {
  attentionOnPatches,
  attentionRow,
  attentionShape,
  decoderInputSources,
  decoderInputView,
  finiteRange,
  NO_VALUE_RGB,
  overlayPatchWeights,
  patchHeatmap,
  viridis,
  visibleTokenStrip,
} from './inspect';
import { maskFromNoise } from './masking';
import { denormalizeFromNeighbours, predictionForDisplay } from './normPix';

describe('attention rows', () => {
  // [1, L=2, H=2, T=3, T=3] with value = 1000*l + 100*h + 10*i + j, to read indices back.
  const dims = [1, 2, 2, 3, 3];
  const data = new Float32Array(36);
  for (let l = 0; l < 2; l++)
    for (let h = 0; h < 2; h++)
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) data[((l * 2 + h) * 3 + i) * 3 + j] = 1000 * l + 100 * h + 10 * i + j;

  it('reads one head at the right index and averages heads for the mean', () => {
    expect(attentionShape(dims)).toEqual({ layers: 2, heads: 2, tokens: 3 });
    expect([...attentionRow(data, dims, 1, 1, 2)]).toEqual([1120, 1121, 1122]);
    expect([...attentionRow(data, dims, 0, 'mean', 1)]).toEqual([60, 61, 62]);
    expect(() => attentionRow(data, dims, 2, 0, 0)).toThrow(RangeError);
    expect(() => attentionRow(data, dims, 0, 2, 0)).toThrow(RangeError);
    expect(() => attentionRow(data, dims, 0, 0, 3)).toThrow(RangeError);
    expect(() => attentionShape([2, 3, 3])).toThrow(RangeError);
  });

  it('puts row entries on the visible patches in idsKeep order and NaN elsewhere', () => {
    const { cls, patches } = attentionOnPatches(Float32Array.of(0.5, 0.3, 0.2), [7, 2], 9);
    expect(cls).toBeCloseTo(0.5);
    expect(patches[7]).toBeCloseTo(0.3);
    expect(patches[2]).toBeCloseTo(0.2);
    expect([0, 1, 3, 4, 5, 6, 8].every((l) => Number.isNaN(patches[l]!))).toBe(true);
  });
});

describe('decoder input layout', () => {
  it('follows upstream: position l holds latent row idsRestore[l] + 1 when kept, else the mask token', () => {
    const masking = maskFromNoise([0.9, 0.1, 0.5, 0.3], 0.5); // keeps patches 1 and 3
    expect([...decoderInputSources(masking.idsRestore, masking.idsKeep.length)]).toEqual([-1, 1, -1, 2]);
  });
});

describe('colour maps and overlays', () => {
  it('viridis ends at its published endpoints and clamps', () => {
    expect(viridis(0)).toEqual([68, 1, 84]);
    expect(viridis(1)).toEqual([253, 231, 37]);
    expect(viridis(2)).toEqual([253, 231, 37]);
    expect(finiteRange([Number.NaN, 3, -1])).toEqual([-1, 3]);
  });

  it('heat map: one pixel per patch, NaN gray, low and high at the ends of the scale', () => {
    const rgba = patchHeatmap([0, Number.NaN, 1, 0.5], 2);
    expect([...rgba.subarray(0, 4)]).toEqual([68, 1, 84, 255]);
    expect([...rgba.subarray(4, 7)]).toEqual([...NO_VALUE_RGB]);
    expect([...rgba.subarray(8, 12)]).toEqual([253, 231, 37, 255]);
  });

  it('overlay darkens removed patches and tints visible ones by weight', () => {
    const image = new Uint8ClampedArray(4 * 4 * 4).fill(200); // 4x4, patches of 2
    const out = overlayPatchWeights(image, 4, 2, [Number.NaN, 1, 0, 0.5], 1);
    expect([...out.subarray(0, 4)]).toEqual([50, 50, 50, 255]); // patch 0 removed
    expect([...out.subarray(2 * 4, 2 * 4 + 4)]).toEqual([253, 231, 37, 255]); // patch 1 = max
    expect([...out.subarray(8 * 4, 8 * 4 + 4)]).toEqual([68, 1, 84, 255]); // patch 2 = 0
  });

  it('visible token strip copies each kept patch in idsKeep order', () => {
    // 4x4 image, patch 2: value of every pixel = its patch index * 10.
    const image = new Uint8ClampedArray(64);
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 4; x++)
        image.fill((Math.floor(y / 2) * 2 + Math.floor(x / 2)) * 10, (y * 4 + x) * 4, (y * 4 + x) * 4 + 4);
    const strip = visibleTokenStrip(image, 4, 2, [3, 0], 8);
    expect(strip.width).toBe(5);
    expect(strip.height).toBe(2);
    expect(strip.rgba[0]).toBe(30); // first token = patch 3
    expect(strip.rgba[2 * 4 + 3]).toBe(0); // the gap is transparent
    expect(strip.rgba[3 * 4]).toBe(0); // second token = patch 0
    expect(strip.rgba[3 * 4 + 3]).toBe(0);
  });

  it('decoder input view hatches exactly the removed patches', () => {
    const image = new Uint8ClampedArray(64).fill(7);
    const out = decoderInputView(image, 4, 2, [0, 1, 0, 0]);
    expect(out[0]).toBe(7);
    expect(out[2 * 4]).not.toBe(7);
    expect(out[(3 * 4 + 3) * 4]).toBe(7);
  });
});

describe('norm-pix display statistics', () => {
  it('uses the nearest ring of visible patches for removed ones and own stats for visible ones', () => {
    const dim = 2;
    // 3x3 grid; patch values (a, b) chosen so each has a known mean and unbiased variance.
    const patches = new Float32Array(18);
    for (let l = 0; l < 9; l++) patches.set([l, l + 2], l * dim); // mean l + 1, variance 2
    const pred = new Float32Array(18).fill(1); // one std above the mean
    const mask = [1, 1, 1, 1, 1, 1, 1, 1, 0]; // only patch 8 visible
    const out = denormalizeFromNeighbours(pred, patches, mask, 3, dim);
    const scale = Math.sqrt(2 + 1e-6);
    expect(out[8 * dim]).toBeCloseTo(9 + scale, 5); // visible: own stats
    expect(out[0]).toBeCloseTo(9 + scale, 5); // removed, ring 2 holds patch 8
    const noneVisible = denormalizeFromNeighbours(pred, patches, Array(9).fill(1), 3, dim);
    expect(noneVisible[0]).toBeCloseTo(Math.sqrt(1 + 1e-6), 5);
  });

  it('predictionForDisplay leaves pixel-loss models alone and picks the statistics otherwise', () => {
    const pred = new Float32Array(4 * 12).fill(0.5);
    const patches = new Float32Array(4 * 12).map((_, i) => i % 7);
    const config = { imageSize: 4, patchSize: 2, normPixLoss: false };
    expect(predictionForDisplay(pred, patches, [1, 0, 0, 0], config, 'neighbours')).toBe(pred);
    const normPix = { ...config, normPixLoss: true };
    const own = predictionForDisplay(pred, patches, [1, 0, 0, 0], normPix, 'patch');
    const borrowed = predictionForDisplay(pred, patches, [1, 0, 0, 0], normPix, 'neighbours');
    expect(own.subarray(12)).toEqual(borrowed.subarray(12));
    expect(own.subarray(0, 12)).not.toEqual(borrowed.subarray(0, 12));
  });
});
