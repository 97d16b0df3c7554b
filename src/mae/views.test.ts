import { describe, expect, it } from 'vitest';

import { expectClose } from '../../tests/helpers/arrays';
import { asFloat32, loadReference } from '../../tests/helpers/fixture';
import type { RgbImage } from './image';
import { perPatchMse } from './metrics';
import { denormalize, normalize, toByte } from './normalize';
import { patchify, unpatchify } from './patches';
import {
  denormalizePerPatch,
  MASKED_FILL,
  patchIndexOfPixels,
  predictionInImageSpace,
  predictionToPixels,
  readOutPrediction,
  reconstructionView,
  type Views,
} from './views';

const mean = [0.5, 0.4, 0.3] as const;
const std = [0.2, 0.25, 0.3] as const;
const space = { imageSize: 4, patchSize: 2, mean, std };

/** 4x4 RGB image with distinct bytes. */
const image = { width: 4, height: 4, data: Uint8Array.from({ length: 48 }, (_, i) => (i * 53) % 256) };
const rgb = (rgba: Uint8ClampedArray) => Array.from(rgba.filter((_, i) => i % 4 !== 3));

describe('normalize / toByte', () => {
  it('rounds halves up, clips and maps NaN to 0', () => {
    expect([-3, 0, 0.49, 0.5, 127.5, 254.5, 255, 999, Number.NaN].map(toByte)).toEqual([
      0, 0, 0, 1, 128, 255, 255, 255, 0,
    ]);
  });

  it('agrees with Math.round on the clipped value, at the edges and on random doubles', () => {
    const edges = [0.49999999999999994, 0.5, 1.4999999999999998, 1.5, 2.5, 254.49999999999997, 254.5];
    const random = Array.from({ length: 20_000 }, (_, i) => ((Math.sin(i * 12.9898) * 43758.5453) % 1) * 300);
    const halves = Array.from({ length: 255 }, (_, n) => n + 0.5);
    for (const value of [...edges, ...random, ...halves, ...halves.map((h) => Math.fround(h - 1e-5))]) {
      expect(toByte(value)).toBe(Math.round(Math.min(255, Math.max(0, value))));
    }
  });

  it('round-trips every byte value in every channel', () => {
    const all = Uint8Array.from({ length: 16 * 16 * 3 }, (_, i) => Math.floor(i / 3) % 256);
    expect(denormalize(normalize(all, 16, mean, std), 16, mean, std)).toEqual(all);
  });

  it('writes planes in CHW order', () => {
    const chw = normalize(image.data, 4, mean, std);
    expect(chw[16 + 5]).toBeCloseTo((image.data[5 * 3 + 1]! / 255 - 0.4) / 0.25, 6);
  });
});

/** The four views by their definition, pixel by pixel: the reference composeViews must match. */
function viewsPixelByPixel(
  input: RgbImage,
  pixels: Float32Array,
  mask: number[],
  patchSize: number,
  fill = MASKED_FILL,
): Views {
  const patchOf = patchIndexOfPixels(input.width, patchSize);
  const rgba = (pixel: (i: number, c: number) => number) =>
    Uint8ClampedArray.from({ length: patchOf.length * 4 }, (_, at) =>
      at % 4 === 3 ? 255 : pixel(Math.floor(at / 4), at % 4),
    );
  const removed = (i: number) => mask[patchOf[i]!] === 1;
  return {
    original: rgba((i, c) => input.data[i * 3 + c]!),
    masked: rgba((i, c) => (removed(i) ? fill[c]! : input.data[i * 3 + c]!)),
    reconstruction: rgba((i, c) => toByte(pixels[i * 3 + c]!)),
    reconstructionPlusVisible: rgba((i, c) =>
      removed(i) ? toByte(pixels[i * 3 + c]!) : input.data[i * 3 + c]!,
    ),
  };
}

describe('views', () => {
  const mask = [1, 0, 0, 1]; // top-left and bottom-right patches removed

  it('maps pixels to patches row-major', () => {
    expect(Array.from(patchIndexOfPixels(4, 2))).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
  });

  it('masked view fills removed patches and keeps the rest', () => {
    const out = rgb(readOutPrediction(new Float32Array(48), image, mask, space, [1, 2, 3]).views.masked);
    const patchOf = patchIndexOfPixels(4, 2);
    for (let i = 0; i < 16; i++) {
      const expected = mask[patchOf[i]!] ? [1, 2, 3] : Array.from(image.data.subarray(i * 3, i * 3 + 3));
      expect(out.slice(i * 3, i * 3 + 3)).toEqual(expected);
    }
  });

  it('a perfect prediction reconstructs the input bytes', () => {
    const pred = patchify(normalize(image.data, 4, mean, std), 4, 2);
    const { views } = readOutPrediction(pred, image, mask, space);
    expect(rgb(views.original)).toEqual(Array.from(image.data));
    expect(rgb(views.reconstruction)).toEqual(Array.from(image.data));
    expect(rgb(views.reconstructionPlusVisible)).toEqual(Array.from(image.data));
  });

  it('pastes the reconstruction into removed patches only', () => {
    const { views } = readOutPrediction(new Float32Array(48).fill(100), image, mask, space); // clipped to 255
    const out = rgb(views.reconstructionPlusVisible);
    const patchOf = patchIndexOfPixels(4, 2);
    for (let i = 0; i < 48; i++) expect(out[i]).toBe(mask[patchOf[Math.floor(i / 3)]!] ? 255 : image.data[i]);
    expect(rgb(views.reconstruction).every((v) => v === 255)).toBe(true);
  });

  it('reads out the views their definition gives, pixel by pixel, and the MSE of every patch', () => {
    const pred = Float32Array.from({ length: 48 }, (_, i) => Math.cos(i) * 3);
    const pixels = predictionToPixels(pred, space);
    const { views, perPatchMse: errors } = readOutPrediction(pred, image, mask, space);
    expect(views).toEqual(viewsPixelByPixel(image, pixels, mask, 2));
    expect(views.reconstruction).toEqual(reconstructionView(pixels, 4));
    expect(errors).toEqual(perPatchMse(image.data, pixels, 4, 2));
  });

  it('reads out the same on a larger image with a random mask and another fill', () => {
    const size = 32;
    const big = {
      width: size,
      height: size,
      data: Uint8Array.from({ length: size * size * 3 }, (_, i) => (i * 31) % 256),
    };
    const bigSpace = { imageSize: size, patchSize: 4, mean, std };
    const pred = Float32Array.from({ length: size * size * 3 }, (_, i) => Math.sin(i * 0.37) * 3);
    const pixels = predictionToPixels(pred, bigSpace);
    const randomMask = Array.from({ length: 64 }, (_, l) => ((l * 7919) % 11 < 8 ? 1 : 0));
    const { views, perPatchMse: errors } = readOutPrediction(pred, big, randomMask, bigSpace, [9, 99, 199]);
    expect(views).toEqual(viewsPixelByPixel(big, pixels, randomMask, 4, [9, 99, 199]));
    expect(errors).toEqual(perPatchMse(big.data, pixels, size, 4));
  });

  it('predictionToPixels is unpatchify, then de-normalisation and clipping', () => {
    const pred = Float32Array.from({ length: 48 }, (_, i) => Math.sin(i * 1.3) * 2.5);
    const chw = unpatchify(pred, 4, 2);
    const expected = new Float32Array(48);
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 16; i++) {
        const value = (chw[c * 16 + i]! * std[c]! + mean[c]!) * 255;
        expected[i * 3 + c] = Math.min(255, Math.max(0, value));
      }
    }
    expect(predictionToPixels(pred, space)).toEqual(expected);
  });

  it('predictionToPixels clips to [0, 255]', () => {
    const pixels = predictionToPixels(new Float32Array(48).fill(100), space);
    expect(pixels.every((v) => v === 255)).toBe(true);
    expect(predictionToPixels(new Float32Array(48).fill(-100), space).every((v) => v === 0)).toBe(true);
  });

  it('rejects an image, a prediction or a mask that do not fit together', () => {
    const short = { ...image, data: image.data.subarray(0, 45) };
    expect(() => readOutPrediction(new Float32Array(48), short, mask, space)).toThrow(
      /expected a 4x4 RGB image/,
    );
    expect(() => readOutPrediction(new Float32Array(45), image, mask, space)).toThrow(
      /expected 48 predicted values and a mask of 4 patches, got 45 and 4/,
    );
    expect(() => readOutPrediction(new Float32Array(48), image, [1, 0], space)).toThrow(/got 48 and 2/);
  });
});

describe('denormalizePerPatch', () => {
  it('rescales with the reference patch mean and unbiased variance', () => {
    const reference = Float32Array.from([1, 2, 3, 4, 10, 10, 10, 10]); // [2, 4]
    const normalized = Float32Array.from([-1, 0, 1, 2, 5, 5, 5, 5]);
    const out = denormalizePerPatch(normalized, reference, 4);
    const scale = Math.sqrt(5 / 3 + 1e-6); // var of 1..4 with divisor 3
    expectClose(out.subarray(0, 4), [2.5 - scale, 2.5, 2.5 + scale, 2.5 + 2 * scale], 1e-5);
    expectClose(out.subarray(4), [10.005, 10.005, 10.005, 10.005], 1e-5); // sqrt(1e-6) = 1e-3
  });

  it('is applied by predictionInImageSpace only for norm_pix_loss models', () => {
    const target = asFloat32(loadReference('target_patchified.npy'));
    const normPix = asFloat32(loadReference('target_patchified_normpix.npy'));
    expect(predictionInImageSpace(normPix, target, { normPixLoss: false, patchSize: 16 })).toBe(normPix);
    expectClose(predictionInImageSpace(normPix, target, { normPixLoss: true, patchSize: 16 }), target, 2e-5);
  });

  it('inverts the norm_pix target of the fixture', () => {
    const target = asFloat32(loadReference('target_patchified.npy'));
    const normPix = asFloat32(loadReference('target_patchified_normpix.npy'));
    expectClose(denormalizePerPatch(normPix, target, 768), target, 2e-5);
  });
});
