import { expect } from 'vitest';

type Numeric = ArrayLike<number>;

/** Index and size of the largest |actual - expected|; -1 when every pair matches exactly. */
export function largestDifference(actual: Numeric, expected: Numeric): { index: number; difference: number } {
  let index = -1;
  let difference = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (d > difference || (Number.isNaN(d) && index === -1)) {
      difference = Number.isNaN(d) ? Infinity : d;
      index = i;
    }
  }
  return { index, difference };
}

/**
 * Element-wise |actual - expected| <= tolerance (0 = exact), reporting the worst element.
 * Faster than toEqual on large typed arrays, and the failure says where.
 */
export function expectClose(actual: Numeric, expected: Numeric, tolerance = 0): void {
  expect(actual.length, 'length').toBe(expected.length);
  const { index, difference } = largestDifference(actual, expected);
  const where =
    index < 0 ? 'no difference' : `index ${index}: got ${actual[index]}, expected ${expected[index]}`;
  expect(difference, where).toBeLessThanOrEqual(tolerance);
}

/** RMS of `b - a` relative to the RMS of `a`: how quantised outputs are held to fp32. */
export function relativeRms(a: Numeric, b: Numeric): number {
  let error = 0;
  let energy = 0;
  for (let i = 0; i < a.length; i++) {
    error += (a[i]! - b[i]!) ** 2;
    energy += a[i]! ** 2;
  }
  return Math.sqrt(error / energy);
}
