import { describe, expect, it } from 'vitest';

import { expectClose } from '../../tests/helpers/arrays';
import { randomMasking } from './masking';
import {
  interpolationFill,
  maskedMetrics,
  meanColorFill,
  NO_VISIBLE_FILL,
  perPatchMse,
  psnrFromMse,
} from './metrics';
import { patchIndexOfPixels } from './views';

/** HWC image of `size` x `size` whose pixel (x, y) channel c is value(x, y, c). */
function image(size: number, value: (x: number, y: number, c: number) => number): Float32Array {
  const out = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) out[(y * size + x) * 3 + c] = value(x, y, c);
  return out;
}

const gray = (size: number, v: number) => image(size, () => v);

describe('perPatchMse / maskedMetrics', () => {
  it('averages squared errors per patch, clipping predictions to [0, 255]', () => {
    // 2x2 image, 1x1 patches: patch l is pixel l.
    const truth = new Uint8Array([0, 0, 0, 10, 10, 10, 255, 255, 255, 100, 100, 100]);
    const predicted = [-50, 0, 3, 10, 10, 10, 300, 255, 255, 97, 100, 106];
    expect(Array.from(perPatchMse(truth, predicted, 2, 1))).toEqual([3, 0, 0, 15]);
  });

  it('averages over removed patches only; PSNR = 10 log10(255^2 / MSE)', () => {
    const truth = gray(4, 100);
    const predicted = image(4, (x) => (x < 2 ? 110 : 100)); // left patches off by 10
    const { mse, psnr, perPatchMse: errors } = maskedMetrics(truth, predicted, [1, 0, 1, 1], 4, 2);
    expect(Array.from(errors)).toEqual([100, 0, 100, 0]);
    expect(mse).toBeCloseTo(200 / 3, 10);
    expect(psnr).toBeCloseTo(10 * Math.log10((255 * 255) / (200 / 3)), 10);
  });

  it('gives Infinity for a perfect fill and NaN when nothing is removed', () => {
    expect(maskedMetrics(gray(4, 7), gray(4, 7), [1, 1, 1, 1], 4, 2).psnr).toBe(Infinity);
    const none = maskedMetrics(gray(4, 7), gray(4, 9), [0, 0, 0, 0], 4, 2);
    expect(none.mse).toBeNaN();
    expect(none.psnr).toBeNaN();
    expect(psnrFromMse(255 * 255)).toBe(0);
  });

  it('rejects mismatched sizes', () => {
    expect(() => perPatchMse(gray(4, 0), gray(2, 0), 4, 2)).toThrow(/expected 48 values/);
    expect(() => maskedMetrics(gray(4, 0), gray(4, 0), [1, 0], 4, 2)).toThrow(/mask has 2 entries/);
  });
});

describe('meanColorFill', () => {
  it('fills removed patches with the per-channel mean of the visible pixels', () => {
    const truth = image(4, (x, y, c) => (x < 2 ? 10 : 50) + c + (y >= 2 && x >= 2 ? 100 : 0));
    const out = meanColorFill(truth, [1, 0, 0, 1], 4, 2);
    // Visible: top-right (50+c) and bottom-left (10+c) -> mean 30+c.
    expectClose(
      out,
      image(4, (x, y, c) => (x < 2 === y < 2 ? 30 + c : truth[(y * 4 + x) * 3 + c]!)),
    );
  });

  it('uses the mid value when nothing is visible', () => {
    expectClose(meanColorFill(gray(4, 9), [1, 1, 1, 1], 4, 2), gray(4, NO_VISIBLE_FILL));
  });
});

describe('interpolationFill', () => {
  it('starts from the inverse-distance-squared mean of visible patch colours', () => {
    // 3x3 grid of 1-pixel patches; visible: patch 0 (black) and patch 2 (100).
    const truth = image(3, (x, y) => (y === 0 && x === 2 ? 100 : 0));
    const mask = [0, 1, 0, 1, 1, 1, 1, 1, 1];
    const out = interpolationFill(truth, mask, 3, 1, 0);
    expect(out[1 * 3]).toBeCloseTo(50, 5); // patch 1: d^2 = 1 and 1
    expect(out[3 * 3]).toBeCloseTo(100 / 6, 4); // patch 3: weights 1 and 1/5
    expect(out[8 * 3]).toBeCloseTo((0.125 * 0 + 0.25 * 100) / 0.375, 4); // patch 8: d^2 = 8 and 4
  });

  it('diffuses with a 3x3 box blur of the previous round, edges replicated', () => {
    // 2x2 grid of 1-pixel patches, only the top-left pixel removed; initial fill = IDW of 10, 20, 40.
    const truth = image(2, (x, y) => [0, 10, 20, 40][y * 2 + x]!);
    const initial = (10 + 20 + 40 / 2) / 2.5;
    const out = interpolationFill(truth, [1, 0, 0, 0], 2, 1, 1);
    // Replicated neighbourhood of (0, 0): itself x4, right x2, below x2, diagonal x1.
    expect(out[0]).toBeCloseTo((4 * initial + 2 * 10 + 2 * 20 + 40) / 9, 4);
    expectClose(out.subarray(3), truth.subarray(3));
  });

  it('updates all removed pixels from the same previous round (Jacobi)', () => {
    // 1x2 removed pair inside a 4x4 image of 1-pixel patches.
    const truth = gray(4, 0);
    const mask = new Array<number>(16).fill(0);
    mask[5] = 1;
    mask[6] = 1;
    const out = interpolationFill(truth, mask, 4, 1, 1);
    expect(out[5 * 3]).toBe(0);
    const seeded = interpolationFill(
      image(4, (x, y) => (x === 0 && y === 1 ? 90 : 0)),
      mask,
      4,
      1,
      0,
    );
    const once = interpolationFill(
      image(4, (x, y) => (x === 0 && y === 1 ? 90 : 0)),
      mask,
      4,
      1,
      1,
    );
    // Pixel 6 is not next to the bright pixel (4): after one round it saw only pixel 5's initial value.
    const p5 = seeded[5 * 3]!;
    const p6 = seeded[6 * 3]!;
    expect(once[6 * 3]).toBeCloseTo((p5 + p6) / 9, 4);
    expect(once[5 * 3]).toBeCloseTo((90 + p5 + p6) / 9, 4);
  });

  it('keeps visible pixels exact and reproduces a linear ramp', () => {
    const truth = image(12, (x, y, c) => 10 * x + 5 * y + c);
    const mask = [0, 0, 0, 0, 1, 0, 0, 0, 0]; // centre patch of a 3x3 grid of 4x4 patches
    const out = interpolationFill(truth, mask, 12, 4);
    const { mse } = maskedMetrics(truth, out, mask, 12, 4);
    expect(mse).toBeLessThan(0.01);
    expect(maskedMetrics(truth, interpolationFill(truth, mask, 12, 4, 0), mask, 12, 4).mse).toBeGreaterThan(
      10,
    );
    const patchOf = patchIndexOfPixels(12, 4);
    const visible = (_: number, i: number) => mask[patchOf[Math.floor(i / 3)]!] === 0;
    expectClose(out.filter(visible), truth.filter(visible));
  });

  it('does not crash with nothing visible or nothing removed', () => {
    expectClose(interpolationFill(gray(4, 9), [1, 1, 1, 1], 4, 2), gray(4, NO_VISIBLE_FILL));
    const truth = image(4, (x, y, c) => x + y + c);
    expectClose(interpolationFill(truth, [0, 0, 0, 0], 4, 2), truth);
  });

  it('beats mean-colour fill on a smooth image at model size', () => {
    const size = 224;
    const truth = image(size, (x, y, c) => 128 + 100 * Math.sin((x + 2 * y + 40 * c) / 60));
    const { mask } = randomMasking(196, 0.75, 1);
    const started = performance.now();
    const interpolated = interpolationFill(truth, mask, size, 16);
    const elapsed = performance.now() - started;
    const interpolationMse = maskedMetrics(truth, interpolated, mask, size, 16).mse;
    const meanMse = maskedMetrics(truth, meanColorFill(truth, mask, size, 16), mask, size, 16).mse;
    expect(interpolationMse).toBeLessThan(meanMse / 4);
    // Budget for eval over many images; measured ~0.1 s on the 2-core CI machine.
    expect(elapsed).toBeLessThan(3000);
  });
});
