/**
 * Reconstruction quality over the removed patches, and the two classical baselines the model is
 * compared with. All images here are HWC `[S, S, 3]` in pixel space [0, 255]: the truth as
 * uint8, predictions as real numbers (see predictionToPixels: de-normalised and clipped).
 */
import { patchCorner, sharedPatchIndex } from './views';

/** Value a pixel gets when there is nothing visible to borrow colour from (K = 0). */
export const NO_VISIBLE_FILL = 127.5;

function checkSizes(imageSize: number, patchSize: number, ...arrays: ArrayLike<number>[]): number {
  if (
    !Number.isInteger(imageSize) ||
    !Number.isInteger(patchSize) ||
    patchSize <= 0 ||
    imageSize % patchSize !== 0
  ) {
    throw new RangeError(`patch size ${patchSize} must divide image size ${imageSize}`);
  }
  const expected = imageSize * imageSize * 3;
  for (const array of arrays) {
    if (array.length !== expected) {
      throw new RangeError(
        `expected ${expected} values for a ${imageSize}x${imageSize} RGB image, got ${array.length}`,
      );
    }
  }
  return imageSize / patchSize;
}

function clip255(value: number): number {
  return value < 0 ? 0 : value > 255 ? 255 : value;
}

/**
 * `[N]` mean squared error of each patch: mean over its P*P pixels and 3 channels of
 * (clip(predicted, 0, 255) - truth)^2. Every patch, visible ones included.
 */
export function perPatchMse(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  imageSize: number,
  patchSize: number,
): Float64Array {
  const grid = checkSizes(imageSize, patchSize, truth, predicted);
  const sums = new Float64Array(grid * grid);
  const valuesPerRow = patchSize * 3; // one patch's row of RGB
  for (let l = 0; l < sums.length; l++) {
    const corner = patchCorner(l, grid, patchSize, imageSize);
    let squares = 0;
    for (let row = 0; row < patchSize; row++) {
      const start = (corner + row * imageSize) * 3;
      for (let at = start; at < start + valuesPerRow; at++) {
        const error = clip255(predicted[at]!) - truth[at]!;
        squares += error * error;
      }
    }
    sums[l] = squares / (valuesPerRow * patchSize);
  }
  return sums;
}

/** PSNR in dB for 8-bit images: 10 * log10(255^2 / mse). Infinity when mse = 0. */
export function psnrFromMse(mse: number): number {
  return 10 * Math.log10((255 * 255) / mse);
}

export interface MaskedMetrics {
  /** Mean of (clip(predicted) - truth)^2 over every pixel and channel of the removed patches; NaN if none is removed. */
  mse: number;
  /** psnrFromMse(mse). */
  psnr: number;
  /** [N] per-patch MSE (see perPatchMse), for the error map. */
  perPatchMse: Float64Array;
}

/**
 * MSE and PSNR over the removed patches (mask 1), in [0, 255] pixel space. All patches have the
 * same size, so the mean of their per-patch MSEs is the per-pixel mean.
 */
export function maskedMetrics(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  mask: ArrayLike<number>,
  imageSize: number,
  patchSize: number,
): MaskedMetrics {
  return maskedMetricsOfPatches(perPatchMse(truth, predicted, imageSize, patchSize), mask);
}

/** maskedMetrics from the per-patch MSEs `[N]` already computed (see readOutPrediction). */
export function maskedMetricsOfPatches(patchErrors: Float64Array, mask: ArrayLike<number>): MaskedMetrics {
  if (mask.length !== patchErrors.length) {
    throw new RangeError(`mask has ${mask.length} entries for ${patchErrors.length} patches`);
  }
  let total = 0;
  let removed = 0;
  for (let l = 0; l < patchErrors.length; l++) {
    if (mask[l]) {
      total += patchErrors[l]!;
      removed++;
    }
  }
  const mse = removed > 0 ? total / removed : Number.NaN;
  return { mse, psnr: psnrFromMse(mse), perPatchMse: patchErrors };
}

/** Copy of the truth as reals, and the list of pixels whose patch is removed. */
function start(truth: ArrayLike<number>, mask: ArrayLike<number>, imageSize: number, patchSize: number) {
  const grid = checkSizes(imageSize, patchSize, truth);
  if (mask.length !== grid * grid)
    throw new RangeError(`mask has ${mask.length} entries for ${grid * grid} patches`);
  const patchOf = sharedPatchIndex(imageSize, patchSize);
  const removedPixels: number[] = [];
  for (let i = 0; i < patchOf.length; i++) if (mask[patchOf[i]!]) removedPixels.push(i);
  return { grid, patchOf, removedPixels: Int32Array.from(removedPixels), image: new Float32Array(truth) };
}

/**
 * Baseline (a): every pixel of a removed patch gets the per-channel mean of all visible pixels
 * (NO_VISIBLE_FILL when nothing is visible). Visible pixels are the truth. Returns HWC `[S, S, 3]`.
 */
export function meanColorFill(
  truth: ArrayLike<number>,
  mask: ArrayLike<number>,
  imageSize: number,
  patchSize: number,
): Float32Array {
  const { patchOf, removedPixels, image } = start(truth, mask, imageSize, patchSize);
  const sums = [0, 0, 0];
  let visible = 0;
  for (let i = 0; i < patchOf.length; i++) {
    if (mask[patchOf[i]!]) continue;
    for (let c = 0; c < 3; c++) sums[c]! += truth[i * 3 + c]!;
    visible++;
  }
  const fill = sums.map((s) => (visible > 0 ? s / visible : NO_VISIBLE_FILL));
  for (const i of removedPixels) for (let c = 0; c < 3; c++) image[i * 3 + c] = fill[c]!;
  return image;
}

export const DIFFUSION_ROUNDS = 200;

/**
 * Baseline (b), interpolation. Returns HWC `[S, S, 3]`; visible pixels are the truth.
 * 1. Each removed patch is filled with the inverse-distance-squared weighted mean of the visible
 *    patches' mean colours, distance measured between patch centres (in patches).
 *    With nothing visible the fill is NO_VISIBLE_FILL, and diffusion keeps it.
 * 2. `rounds` rounds of diffusion: every removed pixel := mean of the 3x3 neighbourhood of the
 *    previous round's image (edges replicated); visible pixels stay the truth.
 */
export function interpolationFill(
  truth: ArrayLike<number>,
  mask: ArrayLike<number>,
  imageSize: number,
  patchSize: number,
  rounds: number = DIFFUSION_ROUNDS,
): Float32Array {
  const { grid, patchOf, removedPixels, image } = start(truth, mask, imageSize, patchSize);
  const numPatches = grid * grid;
  if (removedPixels.length === 0) return image;

  // Mean colour of every patch of the truth; only visible ones are used.
  const patchMeans = new Float64Array(numPatches * 3);
  for (let i = 0; i < patchOf.length; i++) {
    const l = patchOf[i]!;
    for (let c = 0; c < 3; c++) patchMeans[l * 3 + c]! += truth[i * 3 + c]!;
  }
  for (let k = 0; k < patchMeans.length; k++) patchMeans[k]! /= patchSize * patchSize;
  const visiblePatches: number[] = [];
  for (let l = 0; l < numPatches; l++) if (!mask[l]) visiblePatches.push(l);

  const patchFill = new Float64Array(numPatches * 3);
  for (let l = 0; l < numPatches; l++) {
    if (!mask[l]) continue;
    if (visiblePatches.length === 0) {
      patchFill.fill(NO_VISIBLE_FILL, l * 3, l * 3 + 3);
      continue;
    }
    const row = Math.floor(l / grid);
    const col = l % grid;
    let weightSum = 0;
    let r = 0;
    let g = 0;
    let b = 0;
    for (const v of visiblePatches) {
      const dy = Math.floor(v / grid) - row;
      const dx = (v % grid) - col;
      const weight = 1 / (dx * dx + dy * dy);
      weightSum += weight;
      r += weight * patchMeans[v * 3]!;
      g += weight * patchMeans[v * 3 + 1]!;
      b += weight * patchMeans[v * 3 + 2]!;
    }
    patchFill[l * 3] = r / weightSum;
    patchFill[l * 3 + 1] = g / weightSum;
    patchFill[l * 3 + 2] = b / weightSum;
  }
  for (const i of removedPixels) {
    const l = patchOf[i]!;
    for (let c = 0; c < 3; c++) image[i * 3 + c] = patchFill[l * 3 + c]!;
  }
  if (visiblePatches.length === 0) return image;
  return diffuse(image, removedPixels, imageSize, rounds);
}

/**
 * Jacobi iterations of a 3x3 box blur restricted to `removedPixels`, per channel on a padded
 * plane whose 1-pixel border replicates the edges (refreshed every round). Double-buffered so
 * each round reads only the previous one.
 */
function diffuse(image: Float32Array, removedPixels: Int32Array, size: number, rounds: number): Float32Array {
  const stride = size + 2;
  const padded = removedPixels.map((i) => (Math.floor(i / size) + 1) * stride + (i % size) + 1);
  let current = new Float64Array(stride * stride);
  let next = new Float64Array(stride * stride);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) current[(y + 1) * stride + x + 1] = image[(y * size + x) * 3 + c]!;
    }
    next.set(current);
    for (let round = 0; round < rounds; round++) {
      replicateEdges(current, size);
      for (let k = 0; k < padded.length; k++) {
        const at = padded[k]!;
        const above = at - stride;
        const below = at + stride;
        next[at] =
          (current[above - 1]! +
            current[above]! +
            current[above + 1]! +
            current[at - 1]! +
            current[at]! +
            current[at + 1]! +
            current[below - 1]! +
            current[below]! +
            current[below + 1]!) /
          9;
      }
      [current, next] = [next, current];
    }
    for (let k = 0; k < padded.length; k++) image[removedPixels[k]! * 3 + c] = current[padded[k]!]!;
  }
  return image;
}

function replicateEdges(plane: Float64Array, size: number): void {
  const stride = size + 2;
  for (let y = 1; y <= size; y++) {
    plane[y * stride] = plane[y * stride + 1]!;
    plane[y * stride + size + 1] = plane[y * stride + size]!;
  }
  plane.copyWithin(0, stride, 2 * stride);
  plane.copyWithin((size + 1) * stride, size * stride, (size + 1) * stride);
}

/**
 * The classical baseline as `npm run eval` and the page both score it: interpolationFill, then
 * the masked-patch PSNR of the fill against the truth. Returns the fill HWC `[S, S, 3]` too.
 */
export function interpolationBaseline(
  truth: ArrayLike<number>,
  mask: ArrayLike<number>,
  imageSize: number,
  patchSize: number,
  rounds: number = DIFFUSION_ROUNDS,
): { pixels: Float32Array; psnr: number } {
  const pixels = interpolationFill(truth, mask, imageSize, patchSize, rounds);
  return { pixels, psnr: maskedMetrics(truth, pixels, mask, imageSize, patchSize).psnr };
}

/**
 * `[N]` root-mean-square difference of two RGBA pictures `[S, S, 4]` over each patch's pixels
 * and RGB channels (alpha ignored), in 8-bit units: where two models' reconstructions disagree.
 */
export function perPatchRmsDifference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  imageSize: number,
  patchSize: number,
): Float64Array {
  const grid = checkSizes(imageSize, patchSize);
  const expected = imageSize * imageSize * 4;
  if (a.length !== expected || b.length !== expected) {
    throw new RangeError(`expected two ${imageSize}x${imageSize} RGBA pictures (${expected} values each)`);
  }
  const sums = new Float64Array(grid * grid); // [N]
  const patchOf = sharedPatchIndex(imageSize, patchSize);
  for (let i = 0; i < patchOf.length; i++) {
    let squares = 0;
    for (let c = 0; c < 3; c++) {
      const difference = a[i * 4 + c]! - b[i * 4 + c]!;
      squares += difference * difference;
    }
    sums[patchOf[i]!]! += squares;
  }
  const valuesPerPatch = patchSize * patchSize * 3;
  return sums.map((sum) => Math.sqrt(sum / valuesPerPatch));
}
