import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  lenKeep,
  maskFromKeptPatches,
  maskFromNoise,
  type Masking,
  randomMasking,
  uniformNoise,
} from './masking';

function checkConsistent({ idsShuffle, idsKeep, idsRestore, mask }: Masking): void {
  const n = idsShuffle.length;
  expect([...idsShuffle].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
  for (let l = 0; l < n; l++) expect(idsShuffle[idsRestore[l]!]).toBe(l);
  expect(Array.from(idsKeep)).toEqual(Array.from(idsShuffle.subarray(0, idsKeep.length)));
  const kept = new Set(idsKeep);
  for (let l = 0; l < n; l++) expect(mask[l]).toBe(kept.has(l) ? 0 : 1);
}

describe('lenKeep', () => {
  it('follows int(n * (1 - ratio)) in double arithmetic', () => {
    expect(lenKeep(196, 0.9)).toBe(19);
    expect(lenKeep(196, 0.75)).toBe(49);
    expect(lenKeep(196, 0.5)).toBe(98);
    expect(lenKeep(196, 0)).toBe(196);
    expect(lenKeep(196, 1)).toBe(0);
    expect(lenKeep(0, 0.5)).toBe(0);
    expect(lenKeep(10, 0.7)).toBe(3); // 10 * 0.30000000000000004 = 3.0000000000000004
    expect(lenKeep(100, 0.29)).toBe(71); // 100 * 0.71 = 71
    expect(lenKeep(100, 0.8)).toBe(19); // 100 * 0.19999999999999996, as Python: int() truncates
    expect(lenKeep(100, 0.55)).toBe(44); // 44.99999999999999
  });

  it('rejects ratios outside [0, 1] and bad counts', () => {
    for (const ratio of [-0.1, 1.01, Number.NaN]) expect(() => lenKeep(196, ratio)).toThrow(RangeError);
    expect(() => lenKeep(-1, 0.5)).toThrow(RangeError);
    expect(() => lenKeep(2.5, 0.5)).toThrow(RangeError);
  });
});

describe('maskFromNoise', () => {
  it('keeps the smallest noise, in noise order', () => {
    const masking = maskFromNoise([0.5, 0.1, 0.9, 0.3], 0.5);
    expect(Array.from(masking.idsShuffle)).toEqual([1, 3, 0, 2]);
    expect(Array.from(masking.idsKeep)).toEqual([1, 3]);
    expect(Array.from(masking.idsRestore)).toEqual([2, 0, 3, 1]);
    expect(Array.from(masking.mask)).toEqual([1, 0, 1, 0]);
  });

  it('sorts on float32 values, stably', () => {
    // 0.1 and 0.10000000001 are the same float32: patch order breaks the tie.
    const masking = maskFromNoise([0.10000000001, 0.1, 0.05], 0);
    expect(Array.from(masking.idsShuffle)).toEqual([2, 0, 1]);
    expect(Array.from(maskFromNoise([0.5, 0.5, 0.5, 0.5], 0.5).idsKeep)).toEqual([0, 1]);
  });

  it('holds the upstream invariants for any N and ratio', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer(),
        (n, ratio, seed) => {
          const noise = uniformNoise(n, seed);
          const masking = maskFromNoise(noise, ratio);
          const keep = lenKeep(n, ratio);
          expect(masking.idsKeep).toHaveLength(keep);
          expect(masking.mask.reduce((a, b) => a + b, 0)).toBe(n - keep);
          checkConsistent(masking);
          // Every kept patch has noise <= every removed patch.
          const keptNoise = Array.from(masking.idsKeep, (l) => noise[l]!);
          const removedNoise = Array.from(masking.idsShuffle.subarray(keep), (l) => noise[l]!);
          if (keptNoise.length > 0 && removedNoise.length > 0) {
            expect(Math.max(...keptNoise)).toBeLessThanOrEqual(Math.min(...removedNoise));
          }
          // Kept rows come in increasing noise order.
          for (let k = 1; k < keptNoise.length; k++)
            expect(keptNoise[k]).toBeGreaterThanOrEqual(keptNoise[k - 1]!);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects NaN noise', () => {
    expect(() => maskFromNoise([0.1, Number.NaN], 0.5)).toThrow(/NaN/);
  });
});

describe('uniformNoise / randomMasking', () => {
  it('is reproducible from the seed, float32 in [0, 1), and differs across seeds', () => {
    const a = uniformNoise(1000, 42);
    expect(a).toEqual(uniformNoise(1000, 42));
    expect(a).not.toEqual(uniformNoise(1000, 43));
    expect(a.every((v) => v >= 0 && v < 1)).toBe(true);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(new Set(a).size).toBeGreaterThan(990);
  });

  it('randomMasking equals maskFromNoise(uniformNoise(...))', () => {
    expect(randomMasking(196, 0.75, 7)).toEqual(maskFromNoise(uniformNoise(196, 7), 0.75));
  });
});

describe('maskFromKeptPatches', () => {
  it('keeps the painted patches in ascending order', () => {
    const masking = maskFromKeptPatches(new Set([5, 1, 3]), 6);
    expect(Array.from(masking.idsKeep)).toEqual([1, 3, 5]);
    expect(Array.from(masking.idsShuffle)).toEqual([1, 3, 5, 0, 2, 4]);
    expect(Array.from(masking.idsRestore)).toEqual([3, 0, 4, 1, 5, 2]);
    expect(Array.from(masking.mask)).toEqual([1, 0, 1, 0, 1, 0]);
  });

  it('accepts flag arrays, including all removed (K = 0) and all kept', () => {
    expect(maskFromKeptPatches([false, false], 2).idsKeep).toHaveLength(0);
    expect(Array.from(maskFromKeptPatches([true, true], 2).mask)).toEqual([0, 0]);
  });

  it('is consistent for any painting', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 200 }), (flags) => {
        const masking = maskFromKeptPatches(flags, flags.length);
        checkConsistent(masking);
        expect(Array.from(masking.idsKeep)).toEqual(flags.flatMap((kept, l) => (kept ? [l] : [])));
        expect(maskFromKeptPatches(new Set(masking.idsKeep), flags.length)).toEqual(masking);
      }),
    );
  });

  it('rejects patches outside the grid and wrong flag counts', () => {
    expect(() => maskFromKeptPatches(new Set([6]), 6)).toThrow(/outside \[0, 6\)/);
    expect(() => maskFromKeptPatches([true], 2)).toThrow(/expected 2 kept flags/);
  });
});
