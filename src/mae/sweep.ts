/**
 * The mask-ratio sweep (the MAE paper's ratio figure): one noise array for every ratio, so each
 * ratio keeps a prefix of the same argsort and a higher ratio's visible patches are a subset of
 * a lower one's. The picture changes only by the patches each step removes.
 */
import { maskFromNoise, type Masking } from './masking';

/** The ratios the sweep shows by default, as in the paper's figure. */
export const DEFAULT_SWEEP_RATIOS: readonly number[] = [0.5, 0.75, 0.85, 0.95];

/** Maskings of the same noise at each ratio: keep the first floor(N (1 - r)) of argsort(noise). */
export function sweepMaskings(noise: ArrayLike<number>, ratios: readonly number[]): Masking[] {
  return ratios.map((ratio) => maskFromNoise(noise, ratio));
}

/** `step`, 2 `step`, ... up to `max` (inclusive), rounded to whole percents: the plot's x values. */
export function ratioGrid(step = 0.05, max = 0.95): number[] {
  if (!(step > 0 && step <= 1)) throw new RangeError(`step must be in (0, 1] (got ${step})`);
  const ratios: number[] = [];
  for (let i = 1; i * step <= max + 1e-9; i++) ratios.push(Math.round(i * step * 100) / 100);
  return ratios;
}

/** "0.5,0.75" -> [0.5, 0.75]: each in [0, 1], at least one, no repeats; in the order given. */
export function parseRatioList(text: string): number[] {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length === 0 || parts.some((part) => part === '')) {
    throw new RangeError(`"${text}" is not a comma-separated list of ratios such as 0.5,0.75,0.85,0.95`);
  }
  const ratios = parts.map((part) => {
    const ratio = Number(part);
    if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
      throw new RangeError(`mask ratio "${part}" must be a number in [0, 1]`);
    }
    return ratio;
  });
  if (new Set(ratios).size !== ratios.length) throw new RangeError(`"${text}" repeats a ratio`);
  return ratios;
}
