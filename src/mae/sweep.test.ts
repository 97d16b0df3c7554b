import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { randomMasking, uniformNoise } from './masking';
import { buildMasking } from './maskModes';
import { DEFAULT_SWEEP_RATIOS, parseRatioList, ratioGrid, sweepMaskings } from './sweep';

const visibleSet = (idsKeep: Int32Array) => new Set(idsKeep);

describe('sweep maskings', () => {
  it('keep floor(N (1 - r)) patches, and each higher ratio keeps a subset of a lower one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 8 }),
        (n, seed, percents) => {
          const ratios = percents.map((p) => p / 100).sort((a, b) => a - b);
          const maskings = sweepMaskings(uniformNoise(n, seed), ratios);
          maskings.forEach((masking, i) => {
            expect(masking.idsKeep.length).toBe(Math.floor(n * (1 - ratios[i]!)));
            expect(masking.mask.reduce((sum, removed) => sum + removed, 0)).toBe(n - masking.idsKeep.length);
            if (i === 0) return;
            const lower = visibleSet(maskings[i - 1]!.idsKeep);
            for (const patch of masking.idsKeep) expect(lower.has(patch)).toBe(true);
          });
        },
      ),
    );
  });

  it('for the bundled geometry at the default ratios: 98, 49, 29, 9 of 196 visible, nested', () => {
    const noise = uniformNoise(196, 1);
    const maskings = sweepMaskings(noise, DEFAULT_SWEEP_RATIOS);
    expect(maskings.map((m) => m.idsKeep.length)).toEqual([98, 49, 29, 9]);
    for (let i = 1; i < maskings.length; i++) {
      const lower = visibleSet(maskings[i - 1]!.idsKeep);
      expect([...maskings[i]!.idsKeep].every((patch) => lower.has(patch))).toBe(true);
    }
  });

  it('is what the page sends: random masking with one seed draws the same noise for every ratio', () => {
    const noise = uniformNoise(196, 7);
    for (const ratio of DEFAULT_SWEEP_RATIOS) {
      const fromSweep = sweepMaskings(noise, [ratio])[0]!;
      expect(randomMasking(196, ratio, 7)).toEqual(fromSweep);
      const plan = buildMasking({ mode: 'random', ratio, seed: 7 }, 14);
      expect(plan.idsKeep).toEqual(fromSweep.idsKeep);
    }
  });
});

describe('ratio lists', () => {
  it('every 5 % from 5 to 95', () => {
    const grid = ratioGrid();
    expect(grid).toHaveLength(19);
    expect(grid[0]).toBe(0.05);
    expect(grid.at(-1)).toBe(0.95);
    expect(grid[14]).toBe(0.75);
  });

  it('parses the CLI form and refuses the rest', () => {
    expect(parseRatioList('0.5,0.75, 0.85,0.95')).toEqual([0.5, 0.75, 0.85, 0.95]);
    expect(parseRatioList('1')).toEqual([1]);
    for (const bad of ['', '0.5,', 'a', '1.5', '-0.1', '0.5,0.5', 'NaN']) {
      expect(() => parseRatioList(bad)).toThrow(RangeError);
    }
  });
});
