/**
 * The upstream reference fixture (facebookresearch/mae + HF transformers outputs), checked index
 * by index against our pure pipeline for case r75.
 */
import { describe, expect, it } from 'vitest';

import { expectClose } from '../../tests/helpers/arrays';
import { asFloat32, asIndices, asUint8, loadReference, tinyConfigJson } from '../../tests/helpers/fixture';
import { gridSize, parseModelConfig, patchDim } from '../formats/config';
import { lenKeep, maskFromNoise } from './masking';
import { denormalize, normalize } from './normalize';
import { gatherRows, patchify, unpatchify } from './patches';
import { predictionToPixels, readOutPrediction } from './views';

const config = parseModelConfig(tinyConfigJson());
const { imageSize, patchSize, mean, std } = config;
const dim = patchDim(config);

const imageUint8 = asUint8(loadReference('image_uint8.npy')); // [224, 224, 3]
const imageNchw = asFloat32(loadReference('image_nchw.npy')); // [1, 3, 224, 224]
const noise = asFloat32(loadReference('r75_noise.npy')); // [1, 196]
const pred = asFloat32(loadReference('r75_pred.npy')); // [1, 196, 768]
const maskReference = asFloat32(loadReference('r75_mask.npy')); // [1, 196]

describe('reference fixture, case r75', () => {
  it('has the geometry the config describes', () => {
    expect(gridSize(config)).toBe(14);
    expect(imageNchw).toHaveLength(3 * imageSize * imageSize);
    expect(pred).toHaveLength(config.numPatches * dim);
  });

  it('lenKeep truncates like Python int()', () => {
    expect(lenKeep(196, 0.9)).toBe(19);
    expect(lenKeep(196, 0.75)).toBe(49);
    expect(lenKeep(196, 0.5)).toBe(98);
  });

  it('derives ids_shuffle, ids_keep, ids_restore and mask from the noise exactly', () => {
    const masking = maskFromNoise(noise, 0.75);
    expect(Array.from(masking.idsShuffle)).toEqual(asIndices(loadReference('r75_ids_shuffle.npy')));
    expect(Array.from(masking.idsKeep)).toEqual(asIndices(loadReference('r75_ids_keep.npy')));
    expect(Array.from(masking.idsRestore)).toEqual(asIndices(loadReference('r75_ids_restore.npy')));
    expect(Array.from(masking.mask)).toEqual(Array.from(maskReference));
  });

  it('normalizes image_uint8 to image_nchw within 1e-6', () => {
    expectClose(normalize(imageUint8, imageSize, mean, std), imageNchw, 1e-6);
  });

  it('denormalize inverts normalize to the same bytes', () => {
    expectClose(denormalize(imageNchw, imageSize, mean, std), imageUint8);
  });

  it('patchify(image_nchw) equals target_patchified exactly', () => {
    expectClose(patchify(imageNchw, imageSize, patchSize), asFloat32(loadReference('target_patchified.npy')));
  });

  it('gathers the visible patches in ids_keep order', () => {
    const { idsKeep } = maskFromNoise(noise, 0.75);
    const patches = patchify(imageNchw, imageSize, patchSize);
    expectClose(gatherRows(patches, dim, idsKeep), asFloat32(loadReference('r75_visible_patches.npy')));
  });

  it('unpatchify(pred) equals recon_nchw exactly', () => {
    expectClose(unpatchify(pred, imageSize, patchSize), asFloat32(loadReference('recon_nchw.npy')));
  });

  it('pastes like upstream: x * (1 - m) + recon * m equals pasted_nchw', () => {
    const { mask } = maskFromNoise(noise, 0.75);
    const patchMask = new Float32Array(config.numPatches * dim);
    mask.forEach((m, l) => patchMask.fill(m, l * dim, (l + 1) * dim));
    const m = unpatchify(patchMask, imageSize, patchSize);
    const recon = unpatchify(pred, imageSize, patchSize);
    const pasted = imageNchw.map((x, i) => x * (1 - m[i]!) + recon[i]! * m[i]!);
    expectClose(pasted, asFloat32(loadReference('pasted_nchw.npy')));
  });

  it('composes the four views consistently with the reference tensors', () => {
    const { mask } = maskFromNoise(noise, 0.75);
    const image = { width: imageSize, height: imageSize, data: imageUint8 };
    const { views } = readOutPrediction(pred, image, mask, config);
    const rgb = (rgba: Uint8ClampedArray) => rgba.filter((_, i) => i % 4 !== 3);
    const alpha = (rgba: Uint8ClampedArray) => rgba.filter((_, i) => i % 4 === 3);

    expectClose(rgb(views.original), imageUint8);
    const reconBytes = denormalize(asFloat32(loadReference('recon_nchw.npy')), imageSize, mean, std);
    expectClose(rgb(views.reconstruction), reconBytes);
    const pastedBytes = denormalize(asFloat32(loadReference('pasted_nchw.npy')), imageSize, mean, std);
    expectClose(rgb(views.reconstructionPlusVisible), pastedBytes);
    for (const view of Object.values(views)) expect(alpha(view).every((a) => a === 255)).toBe(true);

    // Masked view: visible pixels are the input, removed ones the neutral fill.
    const expectedMasked = new Uint8Array(imageUint8.length);
    let visiblePixels = 0;
    for (let y = 0; y < imageSize; y++) {
      for (let x = 0; x < imageSize; x++) {
        const l = Math.floor(y / patchSize) * gridSize(config) + Math.floor(x / patchSize);
        const at = (y * imageSize + x) * 3;
        if (mask[l]) expectedMasked.fill(128, at, at + 3);
        else expectedMasked.set(imageUint8.subarray(at, at + 3), at);
        if (!mask[l]) visiblePixels++;
      }
    }
    expectClose(rgb(views.masked), expectedMasked);
    expect(visiblePixels).toBe(49 * patchSize * patchSize);
  });

  it('predictionToPixels de-normalises and clips without rounding', () => {
    const pixels = predictionToPixels(pred, config);
    const recon = unpatchify(pred, imageSize, patchSize);
    const plane = imageSize * imageSize;
    const expected = new Float64Array(pixels.length);
    let clipped = 0;
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < plane; i++) {
        const raw = (recon[c * plane + i]! * std[c]! + mean[c]!) * 255;
        if (raw < 0 || raw > 255) clipped++;
        expected[i * 3 + c] = Math.min(255, Math.max(0, raw));
      }
    }
    expectClose(pixels, expected, 1e-4);
    // Random weights overshoot the range: the clipping is exercised by the fixture itself.
    expect(clipped).toBeGreaterThan(0);
  });
});
