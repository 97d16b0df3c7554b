/**
 * The four ways the app chooses visible patches. `random` is MAE's own (noise argsort,
 * masking.ts); `block` removes BEiT-style rectangles; `grid` keeps one patch per s x s cell;
 * `painted` keeps exactly the patches the user chose. All give a Masking with the same
 * conventions (idsKeep, idsRestore, mask 1 = removed), so the encoder and decoder do not care.
 */
import {
  lenKeep,
  maskFromKeptPatches,
  maskFromNoise,
  type Masking,
  mulberry32,
  uniformNoise,
} from './masking';

export const MASK_MODES = ['random', 'block', 'grid', 'painted'] as const;
export type MaskMode = (typeof MASK_MODES)[number];

export type MaskSpec =
  | { mode: 'random' | 'block' | 'grid'; ratio: number; seed: number }
  /** `mask` `[N]`: 1 = removed, upstream's convention. */
  | { mode: 'painted'; mask: Uint8Array }
  /** Upstream's `noise` argument: argsort(noise) ascending picks the kept patches. */
  | { mode: 'noise'; noise: Float32Array; ratio: number };

export interface MaskPlan extends Masking {
  /** `[N]` the per-patch noise whose argsort gave idsShuffle; only random masking draws one. */
  noise: Float32Array | null;
}

function checkGrid(grid: number): number {
  if (!Number.isInteger(grid) || grid < 1)
    throw new RangeError(`grid size must be a positive integer (got ${grid})`);
  return grid * grid;
}

/**
 * BEiT's smallest block is 16 patches on a 14 x 14 grid; the same share of the grid on others,
 * so small test models still get blocks.
 */
export function minBlockPatches(numPatches: number): number {
  return Math.max(1, Math.round((numPatches * 16) / 196));
}

/**
 * Block-wise masking after BEiT (Bao et al. 2021, MaskingGenerator): rectangles of random area
 * and aspect ratio in [0.3, 1/0.3] are removed until `N - lenKeep(N, ratio)` patches are gone.
 * BEiT may stop short when no rectangle fits the remainder; here the last few patches are taken
 * next to removed ones, so the count is always exact.
 */
export function blockMasking(grid: number, ratio: number, seed: number): Masking {
  const numPatches = checkGrid(grid);
  const target = numPatches - lenKeep(numPatches, ratio);
  const next = mulberry32(seed);
  const uniform = (low: number, high: number) => low + (next() / 0x100000000) * (high - low);
  const integer = (low: number, high: number) => Math.min(high, Math.floor(uniform(low, high + 1)));
  const removed = new Uint8Array(numPatches);
  const minArea = minBlockPatches(numPatches);
  const logAspect = Math.log(0.3);
  let count = 0;

  while (count < target) {
    const room = target - count;
    if (room < minArea) break;
    let added = 0;
    for (let attempt = 0; attempt < 10 && added === 0; attempt++) {
      const area = uniform(minArea, room);
      const aspect = Math.exp(uniform(logAspect, -logAspect));
      const height = Math.round(Math.sqrt(area * aspect));
      const width = Math.round(Math.sqrt(area / aspect));
      if (height < 1 || width < 1 || height > grid || width > grid) continue;
      const top = integer(0, grid - height);
      const left = integer(0, grid - width);
      let fresh = 0;
      for (let r = top; r < top + height; r++)
        for (let c = left; c < left + width; c++) fresh += removed[r * grid + c] ? 0 : 1;
      if (fresh === 0 || fresh > room) continue;
      for (let r = top; r < top + height; r++)
        for (let c = left; c < left + width; c++) removed[r * grid + c] = 1;
      added = fresh;
    }
    if (added === 0) break;
    count += added;
  }

  // Top up to the exact count, preferring patches that touch a removed one (blocks stay blocks).
  while (count < target) {
    const touching: number[] = [];
    const free: number[] = [];
    for (let l = 0; l < numPatches; l++) {
      if (removed[l]) continue;
      free.push(l);
      const r = Math.floor(l / grid);
      const c = l % grid;
      const near =
        (r > 0 && removed[l - grid]) ||
        (r < grid - 1 && removed[l + grid]) ||
        (c > 0 && removed[l - 1]) ||
        (c < grid - 1 && removed[l + 1]);
      if (near) touching.push(l);
    }
    const pool = touching.length > 0 ? touching : free;
    removed[pool[integer(0, pool.length - 1)]!] = 1;
    count++;
  }
  return maskFromKeptPatches(
    Array.from(removed, (r) => r === 0),
    numPatches,
  );
}

/** Cell side s for a grid mask near `ratio`: one kept per s x s cell removes 1 - 1/s^2. */
export function gridCellSize(ratio: number): number {
  if (!(ratio >= 0 && ratio < 1)) throw new RangeError(`mask ratio must be in [0, 1) (got ${ratio})`);
  return Math.max(1, Math.round(1 / Math.sqrt(1 - ratio)));
}

/**
 * Regular grid: patch (row, col) is kept when row % s = dy and col % s = dx, with s from the
 * ratio and the offset (dy, dx) from the seed. On grids that s does not divide, the last partial
 * cells keep their patch only if the offset falls inside them.
 */
export function gridMasking(grid: number, ratio: number, seed: number): Masking {
  const numPatches = checkGrid(grid);
  const cell = gridCellSize(ratio);
  const offset = (seed >>> 0) % (cell * cell);
  const dy = Math.floor(offset / cell);
  const dx = offset % cell;
  const kept = new Uint8Array(numPatches);
  for (let r = dy; r < grid; r += cell) for (let c = dx; c < grid; c += cell) kept[r * grid + c] = 1;
  return maskFromKeptPatches(
    Array.from(kept, (k) => k === 1),
    numPatches,
  );
}

/** The masking a spec describes, on a grid x grid patch grid. */
export function buildMasking(spec: MaskSpec, grid: number): MaskPlan {
  const numPatches = checkGrid(grid);
  switch (spec.mode) {
    case 'random': {
      // randomMasking's own noise, drawn once and kept for the stepper.
      const noise = uniformNoise(numPatches, spec.seed);
      return { ...maskFromNoise(noise, spec.ratio), noise };
    }
    case 'block':
      return { ...blockMasking(grid, spec.ratio, spec.seed), noise: null };
    case 'grid':
      return { ...gridMasking(grid, spec.ratio, spec.seed), noise: null };
    case 'painted':
      return {
        ...maskFromKeptPatches(
          Array.from(spec.mask, (removed) => removed === 0),
          numPatches,
        ),
        noise: null,
      };
    case 'noise':
      if (spec.noise.length !== numPatches) {
        throw new RangeError(`noise has ${spec.noise.length} values for ${numPatches} patches`);
      }
      return { ...maskFromNoise(spec.noise, spec.ratio), noise: spec.noise };
  }
}

/** K for a spec without building the masking: what the controls show while a run is on its way. */
export function visibleCount(spec: MaskSpec, grid: number): number {
  const numPatches = checkGrid(grid);
  switch (spec.mode) {
    case 'random':
    case 'block':
    case 'noise':
      return lenKeep(numPatches, spec.ratio);
    case 'grid': {
      const cell = gridCellSize(spec.ratio);
      const offset = (spec.seed >>> 0) % (cell * cell);
      const perAxis = (start: number) => Math.max(0, Math.ceil((grid - start) / cell));
      return perAxis(Math.floor(offset / cell)) * perAxis(offset % cell);
    }
    case 'painted': {
      let kept = 0;
      for (const removed of spec.mask) kept += removed ? 0 : 1;
      return kept;
    }
  }
}
