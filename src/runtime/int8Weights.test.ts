/** int8 columns as scripts/quantize_onnx.py makes them: close to the weights, never saturating AVX2. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { int8PairsFitInt16, quantizeInt8Columns } from './int8Weights';

describe('quantizeInt8Columns', () => {
  it('stays within half a step of every weight, and no neighbouring pair can saturate int16', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.float({ min: -4, max: 4, noNaN: true }), { minLength: 72, maxLength: 72 }),
        (rows, cols, values) => {
          const weight = Float32Array.from({ length: rows * cols }, (_, i) => values[i % values.length]!);
          const q = new Int8Array(rows * cols);
          const scale = new Float32Array(cols);
          quantizeInt8Columns(weight, rows, cols, q, scale);
          expect(int8PairsFitInt16(q, rows, cols)).toBe(true);
          for (let i = 0; i < weight.length; i++) {
            const step = scale[i % cols]!;
            expect(Math.abs(weight[i]! - q[i]! * step)).toBeLessThanOrEqual(step / 2 + 1e-6);
          }
        },
      ),
    );
  });

  it('maps the largest same-sign neighbour sum of a column to 127, as quantize_onnx.py does', () => {
    // Column 0: neighbours 1 + 2 = 3 is the worst pair; column 1: a single -5.
    const weight = Float32Array.of(1, 0, 2, -5, -1, 0);
    const q = new Int8Array(6);
    const scale = new Float32Array(2);
    quantizeInt8Columns(weight, 3, 2, q, scale);
    expect(scale[0]).toBeCloseTo(3 / 127, 7);
    expect(Array.from(q)).toEqual([42, 0, 85, -127, -42, 0]);
    expect(int8PairsFitInt16(Int8Array.of(100, 0, 40, 0), 2, 2)).toBe(false);
  });
});
