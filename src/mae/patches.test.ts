import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { expectClose } from '../../tests/helpers/arrays';
import { normalize } from './normalize';
import { gatherRows, patchify, patchifyNormalized, unpatchify } from './patches';

/** Geometry with patchSize dividing imageSize: grid 1..6, patch 1..5. */
const geometry = fc
  .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }))
  .map(([grid, patchSize]) => ({ grid, patchSize, imageSize: grid * patchSize }));

describe('patchify / unpatchify', () => {
  it('places element (p*P + q)*3 + c of patch row*G + col at pixel (row*P + p, col*P + q) of channel c', () => {
    // Each CHW value encodes its own coordinates, so any index mix-up changes the result.
    const imageSize = 6;
    const patchSize = 3;
    const chw = Float32Array.from({ length: 3 * 36 }, (_, i) => i);
    const patches = patchify(chw, imageSize, patchSize);
    for (let row = 0; row < 2; row++) {
      for (let col = 0; col < 2; col++) {
        for (let p = 0; p < 3; p++) {
          for (let q = 0; q < 3; q++) {
            for (let c = 0; c < 3; c++) {
              const element = (row * 2 + col) * 27 + (p * 3 + q) * 3 + c;
              expect(patches[element]).toBe(c * 36 + (row * 3 + p) * 6 + (col * 3 + q));
            }
          }
        }
      }
    }
  });

  it('round-trips exactly for random sizes and values', () => {
    fc.assert(
      fc.property(geometry, fc.integer(), ({ imageSize, patchSize }, seed) => {
        const chw = Float32Array.from({ length: 3 * imageSize * imageSize }, (_, i) =>
          Math.fround(Math.sin(seed + i * 12.9898) * 1000),
        );
        const patches = patchify(chw, imageSize, patchSize);
        expect(patches).toHaveLength(chw.length);
        expectClose(unpatchify(patches, imageSize, patchSize), chw);
        expectClose(patchify(unpatchify(patches, imageSize, patchSize), imageSize, patchSize), patches);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects sizes that do not fit', () => {
    expect(() => patchify(new Float32Array(3 * 16), 4, 3)).toThrow(/does not divide/);
    expect(() => patchify(new Float32Array(10), 4, 2)).toThrow(/expected 48 values/);
    expect(() => unpatchify(new Float32Array(10), 4, 2)).toThrow(/expected 48 values/);
  });
});

describe('patchifyNormalized', () => {
  it('gives the float32 values of patchify(normalize(...)), bit for bit', () => {
    const mean = [0.485, 0.456, 0.406] as const;
    const std = [0.229, 0.224, 0.225] as const;
    for (const [size, patch] of [
      [8, 4],
      [12, 3],
      [6, 6],
    ] as const) {
      const hwc = Uint8Array.from({ length: size * size * 3 }, (_, i) => (i * 97 + 13) % 256);
      expect(patchifyNormalized(hwc, size, patch, mean, std)).toEqual(
        patchify(normalize(hwc, size, mean, std), size, patch),
      );
    }
    expect(() => patchifyNormalized(new Uint8Array(10), 8, 4, mean, std)).toThrow(RangeError);
  });
});

describe('gatherRows', () => {
  it('picks rows in the order given, repeats allowed, K = 0 allowed', () => {
    const rows = Float32Array.from([0, 1, 10, 11, 20, 21]); // [3, 2]
    expect(Array.from(gatherRows(rows, 2, [2, 0, 2]))).toEqual([20, 21, 0, 1, 20, 21]);
    expect(gatherRows(rows, 2, [])).toHaveLength(0);
  });

  it('rejects out-of-range ids and ragged input', () => {
    const rows = new Float32Array(6);
    expect(() => gatherRows(rows, 2, [3])).toThrow(/outside \[0, 3\)/);
    expect(() => gatherRows(rows, 2, [-1])).toThrow(RangeError);
    expect(() => gatherRows(rows, 4, [0])).toThrow(/not whole rows/);
  });
});
