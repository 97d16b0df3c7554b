import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { lenKeep, randomMasking } from './masking';
import {
  blockMasking,
  buildMasking,
  gridCellSize,
  gridMasking,
  type MaskSpec,
  minBlockPatches,
  visibleCount,
} from './maskModes';

function keptSet(mask: Uint8Array): number[] {
  return [...mask.keys()].filter((l) => mask[l] === 0);
}

function checkMaskingInvariants(plan: {
  idsShuffle: Int32Array;
  idsKeep: Int32Array;
  idsRestore: Int32Array;
  mask: Uint8Array;
}) {
  const n = plan.mask.length;
  expect([...plan.idsShuffle].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
  for (let l = 0; l < n; l++) expect(plan.idsShuffle[plan.idsRestore[l]!]).toBe(l);
  expect([...plan.idsKeep].sort((a, b) => a - b)).toEqual(keptSet(plan.mask));
}

describe('block masking', () => {
  it('removes exactly N - floor(N * (1 - ratio)) patches for any grid, ratio and seed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        fc.nat(),
        (grid, ratio, seed) => {
          const masking = blockMasking(grid, ratio, seed);
          const n = grid * grid;
          expect(masking.idsKeep.length).toBe(lenKeep(n, ratio));
          expect(masking.mask.reduce((a, b) => a + b, 0)).toBe(n - lenKeep(n, ratio));
          checkMaskingInvariants(masking);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is reproducible from the seed and differs between seeds', () => {
    expect(blockMasking(14, 0.4, 7).mask).toEqual(blockMasking(14, 0.4, 7).mask);
    expect(blockMasking(14, 0.4, 7).mask).not.toEqual(blockMasking(14, 0.4, 8).mask);
  });

  it('removes rectangles, not scattered patches: most removed patches touch another removed one', () => {
    const grid = 14;
    const { mask } = blockMasking(grid, 0.4, 3);
    let removed = 0;
    let isolated = 0;
    for (let l = 0; l < mask.length; l++) {
      if (!mask[l]) continue;
      removed++;
      const r = Math.floor(l / grid);
      const c = l % grid;
      const neighbours = [
        r > 0 ? mask[l - grid] : 0,
        r < grid - 1 ? mask[l + grid] : 0,
        c > 0 ? mask[l - 1] : 0,
        c < grid - 1 ? mask[l + 1] : 0,
      ];
      if (!neighbours.some(Boolean)) isolated++;
    }
    expect(removed).toBe(196 - 117);
    expect(isolated).toBe(0);
    // Random masking at the same ratio scatters patches: the block test above is not vacuous.
    const scattered = randomMasking(196, 0.4, 3).mask;
    let randomIsolated = 0;
    for (let l = 0; l < 196; l++) {
      const r = Math.floor(l / grid);
      const c = l % grid;
      if (
        scattered[l] &&
        !(r > 0 && scattered[l - grid]) &&
        !(r < grid - 1 && scattered[l + grid]) &&
        !(c > 0 && scattered[l - 1]) &&
        !(c < grid - 1 && scattered[l + 1])
      )
        randomIsolated++;
    }
    expect(randomIsolated).toBeGreaterThan(0);
  });

  it('scales the smallest block with the grid like BEiT (16 of 196)', () => {
    expect(minBlockPatches(196)).toBe(16);
    expect(minBlockPatches(16)).toBe(1);
  });
});

describe('grid masking', () => {
  it('keeps one patch per s x s cell at the seed-chosen offset', () => {
    expect(gridCellSize(0.75)).toBe(2);
    expect(gridCellSize(0.9)).toBe(3);
    expect(gridCellSize(0)).toBe(1);
    const { mask, idsKeep } = gridMasking(4, 0.75, 0);
    expect([...mask]).toEqual([0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1]);
    expect([...idsKeep]).toEqual([0, 2, 8, 10]);
    // seed 3 -> offset (1, 1)
    expect([...gridMasking(4, 0.75, 3).idsKeep]).toEqual([5, 7, 13, 15]);
  });

  it('counts partial cells at the edge only where the offset lands in them', () => {
    // 14 x 14 with s = 3, offset (0, 0): rows and columns 0, 3, 6, 9, 12.
    expect(gridMasking(14, 0.9, 0).idsKeep.length).toBe(25);
    // offset (2, 2): rows and columns 2, 5, 8, 11 (14 is outside).
    expect(gridMasking(14, 0.9, 8).idsKeep.length).toBe(16);
  });
});

describe('buildMasking and visibleCount', () => {
  it('random mode is exactly masking.ts randomMasking, with its noise', () => {
    const plan = buildMasking({ mode: 'random', ratio: 0.75, seed: 5 }, 14);
    const reference = randomMasking(196, 0.75, 5);
    expect(plan.idsKeep).toEqual(reference.idsKeep);
    expect(plan.idsRestore).toEqual(reference.idsRestore);
    expect(plan.noise).toHaveLength(196);
    // The kept patches are the ones with the smallest noise.
    const threshold = Math.max(...[...plan.idsKeep].map((l) => plan.noise![l]!));
    for (let l = 0; l < 196; l++) expect(plan.noise![l]! <= threshold).toBe(plan.mask[l] === 0);
  });

  it('painted mode keeps exactly the painted patches', () => {
    const mask = new Uint8Array(16).fill(1);
    mask[3] = 0;
    mask[9] = 0;
    mask[15] = 0;
    const plan = buildMasking({ mode: 'painted', mask }, 4);
    expect([...plan.idsKeep]).toEqual([3, 9, 15]);
    expect(keptSet(plan.mask)).toEqual([3, 9, 15]);
    expect(plan.noise).toBeNull();
    expect(buildMasking({ mode: 'painted', mask: new Uint8Array(16).fill(1) }, 4).idsKeep).toHaveLength(0);
    expect(() => buildMasking({ mode: 'painted', mask: new Uint8Array(15) }, 4)).toThrow(RangeError);
  });

  it('visibleCount agrees with the masking it predicts, for every mode', () => {
    const spec = fc.oneof(
      fc.record({
        mode: fc.constantFrom('random' as const, 'block' as const, 'grid' as const),
        ratio: fc.double({ min: 0, max: 0.95, noNaN: true }),
        seed: fc.nat(),
      }),
      fc
        .uint8Array({ minLength: 49, maxLength: 49, max: 1 })
        .map((mask) => ({ mode: 'painted' as const, mask })),
      fc
        .float32Array({ minLength: 49, maxLength: 49, noNaN: true })
        .map((noise) => ({ mode: 'noise' as const, noise, ratio: 0.75 })),
    );
    fc.assert(
      fc.property(spec, (s: MaskSpec) => {
        const plan = buildMasking(s, 7);
        expect(visibleCount(s, 7)).toBe(plan.idsKeep.length);
        checkMaskingInvariants(plan);
      }),
      { numRuns: 300 },
    );
  });
});
