/**
 * Display statistics for norm_pix_loss models (Meta's `*_full.pth`): their `pred` is each patch
 * normalised by its own mean and variance, which the model never learns. Upstream's
 * visualisation puts them back from the true patches, i.e. from pixels the encoder never saw.
 * The honest alternative borrows them from the nearest visible patches.
 */
import { predictionInImageSpace } from './views';

export const NORM_PIX_STATISTICS = ['patch', 'neighbours'] as const;
/** 'patch': the hidden patch's own mean/variance (uses hidden pixels); 'neighbours': the nearest visible patches'. */
export type NormPixStatistics = (typeof NORM_PIX_STATISTICS)[number];

function meanAndVariance(patches: Float32Array, base: number, dim: number): [number, number] {
  let sum = 0;
  for (let k = 0; k < dim; k++) sum += patches[base + k]!;
  const mean = sum / dim;
  let squares = 0;
  for (let k = 0; k < dim; k++) squares += (patches[base + k]! - mean) ** 2;
  return [mean, squares / (dim - 1)];
}

/**
 * `[N, dim]` norm-pix prediction -> normalised image space, every removed patch re-scaled with the
 * average mean and unbiased variance of the visible patches in the smallest square ring around it
 * that holds any (Chebyshev distance 1, 2, ...). Visible patches use their own statistics. With
 * no visible patch at all: mean 0, variance 1 (the dataset's mean colour and spread).
 */
export function denormalizeFromNeighbours(
  pred: Float32Array,
  patches: Float32Array,
  mask: ArrayLike<number>,
  grid: number,
  dim: number,
): Float32Array {
  const numPatches = grid * grid;
  if (pred.length !== numPatches * dim || patches.length !== numPatches * dim || mask.length !== numPatches) {
    throw new RangeError(`denormalizeFromNeighbours: expected ${numPatches} patches of ${dim} values`);
  }
  const own = Array.from({ length: numPatches }, (_, l) => meanAndVariance(patches, l * dim, dim));
  const out = new Float32Array(pred.length); // [N, dim]
  for (let l = 0; l < numPatches; l++) {
    let mean = 0;
    let variance = 1;
    if (!mask[l]) {
      [mean, variance] = own[l]!;
    } else {
      const row = Math.floor(l / grid);
      const col = l % grid;
      for (let radius = 1; radius < grid; radius++) {
        let count = 0;
        let means = 0;
        let variances = 0;
        for (let r = Math.max(0, row - radius); r <= Math.min(grid - 1, row + radius); r++) {
          for (let c = Math.max(0, col - radius); c <= Math.min(grid - 1, col + radius); c++) {
            const neighbour = r * grid + c;
            if (mask[neighbour] || Math.max(Math.abs(r - row), Math.abs(c - col)) !== radius) continue;
            means += own[neighbour]![0];
            variances += own[neighbour]![1];
            count++;
          }
        }
        if (count > 0) {
          mean = means / count;
          variance = variances / count;
          break;
        }
      }
    }
    const scale = Math.sqrt(variance + 1e-6);
    for (let k = 0; k < dim; k++) out[l * dim + k] = pred[l * dim + k]! * scale + mean;
  }
  return out;
}

/** `pred` in normalised image space for display, with the statistics the viewer chose. */
export function predictionForDisplay(
  pred: Float32Array,
  patches: Float32Array,
  mask: ArrayLike<number>,
  config: { normPixLoss: boolean; patchSize: number; imageSize: number },
  statistics: NormPixStatistics,
): Float32Array {
  if (!config.normPixLoss || statistics === 'patch') return predictionInImageSpace(pred, patches, config);
  const grid = config.imageSize / config.patchSize;
  return denormalizeFromNeighbours(pred, patches, mask, grid, config.patchSize * config.patchSize * 3);
}
