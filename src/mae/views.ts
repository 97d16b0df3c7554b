/**
 * The four pictures the app shows, as RGBA bytes ready for ImageData (width * height * 4):
 * Original, Masked, Reconstruction, Reconstruction + visible. Inputs are the preprocessed
 * S x S RGB image, the model's `pred` and the mask (1 = removed).
 */
import type { RgbImage } from './image';
import { denormalizeValue, type Rgb, toByte } from './normalize';

/** What the views need from a ModelConfig. */
export interface PixelSpace {
  imageSize: number;
  patchSize: number;
  mean: Rgb;
  std: Rgb;
}

/** Fill of removed patches in the Masked view: mid gray, neutral against any content. */
export const MASKED_FILL: Rgb = [128, 128, 128];

function checkImage(image: RgbImage, imageSize: number): void {
  if (
    image.width !== imageSize ||
    image.height !== imageSize ||
    image.data.length !== imageSize * imageSize * 3
  ) {
    throw new RangeError(
      `expected a ${imageSize}x${imageSize} RGB image, got ${image.width}x${image.height}`,
    );
  }
}

/** [S * S] patch index of every pixel, row-major. */
export function patchIndexOfPixels(imageSize: number, patchSize: number): Int32Array {
  const grid = imageSize / patchSize;
  const index = new Int32Array(imageSize * imageSize);
  for (let y = 0; y < imageSize; y++) {
    const rowBase = Math.floor(y / patchSize) * grid;
    for (let x = 0; x < imageSize; x++) index[y * imageSize + x] = rowBase + Math.floor(x / patchSize);
  }
  return index;
}

/**
 * [S * S] patch index of every pixel for the views and metrics, computed once per geometry (the
 * same few are used on every run); callers must not write to it.
 */
let cachedPatchIndex: { imageSize: number; patchSize: number; index: Int32Array } | undefined;
export function sharedPatchIndex(imageSize: number, patchSize: number): Int32Array {
  if (cachedPatchIndex?.imageSize !== imageSize || cachedPatchIndex.patchSize !== patchSize) {
    cachedPatchIndex = { imageSize, patchSize, index: patchIndexOfPixels(imageSize, patchSize) };
  }
  return cachedPatchIndex.index;
}

/** Pixel index (row-major in the S x S image) of patch `patch`'s top-left pixel. */
export function patchCorner(patch: number, grid: number, patchSize: number, imageSize: number): number {
  return Math.floor(patch / grid) * patchSize * imageSize + (patch % grid) * patchSize;
}

/** A predicted value in normalised space -> its pixel value in [0, 255], clipped, not rounded. */
function pixelValue(value: number, mean: number, std: number): number {
  const v = denormalizeValue(value, mean, std);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Model prediction `[N, P*P*3]` (normalised space) -> pixel values HWC `[S, S, 3]` in [0, 255]:
 * unpatchified, de-normalised with mean/std, clipped, not rounded (metrics use the exact values).
 * One pass from patches to HWC: the patch vector is already (p, q, c), HWC order within a row.
 */
export function predictionToPixels(pred: ArrayLike<number>, space: PixelSpace): Float32Array {
  const { imageSize, patchSize, mean, std } = space;
  const grid = imageSize / patchSize;
  if (!Number.isInteger(grid) || pred.length !== imageSize * imageSize * 3) {
    throw new RangeError(
      `predictionToPixels: expected ${imageSize * imageSize * 3} values for ${imageSize}x${imageSize} in patches of ${patchSize}, got ${pred.length}`,
    );
  }
  const hwc = new Float32Array(imageSize * imageSize * 3); // [S, S, 3]
  const [meanR, meanG, meanB] = mean;
  const [stdR, stdG, stdB] = std;
  let element = 0;
  for (let patch = 0; patch < grid * grid; patch++) {
    const corner = patchCorner(patch, grid, patchSize, imageSize);
    for (let p = 0; p < patchSize; p++) {
      const rowStart = (corner + p * imageSize) * 3;
      for (let at = rowStart; at < rowStart + patchSize * 3; at += 3, element += 3) {
        hwc[at] = pixelValue(pred[element]!, meanR, stdR);
        hwc[at + 1] = pixelValue(pred[element + 1]!, meanG, stdG);
        hwc[at + 2] = pixelValue(pred[element + 2]!, meanB, stdB);
      }
    }
  }
  return hwc;
}

/**
 * For models trained with norm_pix_loss: `pred` `[N, dim]` is each patch normalised by its own
 * statistics. Re-scales it with the mean and unbiased variance of the matching `reference`
 * patch (e.g. the input's own patches, as upstream's visualisation does):
 * pred * sqrt(var + 1e-6) + mean.
 */
export function denormalizePerPatch(pred: Float32Array, reference: Float32Array, dim: number): Float32Array {
  if (pred.length !== reference.length || dim < 2 || pred.length % dim !== 0) {
    throw new RangeError(
      `denormalizePerPatch: ${pred.length} vs ${reference.length} values in rows of ${dim}`,
    );
  }
  const out = new Float32Array(pred.length); // [N, dim]
  for (let base = 0; base < pred.length; base += dim) {
    let sum = 0;
    for (let k = 0; k < dim; k++) sum += reference[base + k]!;
    const mean = sum / dim;
    let squares = 0;
    for (let k = 0; k < dim; k++) squares += (reference[base + k]! - mean) ** 2;
    const scale = Math.sqrt(squares / (dim - 1) + 1e-6);
    for (let k = 0; k < dim; k++) out[base + k] = pred[base + k]! * scale + mean;
  }
  return out;
}

/**
 * The model's `pred` `[N, P*P*3]` in normalised image space, ready for predictionToPixels: as is
 * for pixel-loss models; norm_pix_loss predictions get each patch's scale back from the input's
 * own patch `patches` `[N, P*P*3]` (upstream's visualisation does the same).
 */
export function predictionInImageSpace(
  pred: Float32Array,
  patches: Float32Array,
  config: { normPixLoss: boolean; patchSize: number },
): Float32Array {
  return config.normPixLoss
    ? denormalizePerPatch(pred, patches, config.patchSize * config.patchSize * 3)
    : pred;
}

function rgbaFrom(imageSize: number, pixel: (i: number, c: number) => number): Uint8ClampedArray {
  const pixels = imageSize * imageSize;
  const rgba = new Uint8ClampedArray(pixels * 4);
  for (let i = 0; i < pixels; i++) {
    rgba[i * 4] = pixel(i, 0);
    rgba[i * 4 + 1] = pixel(i, 1);
    rgba[i * 4 + 2] = pixel(i, 2);
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

/** Reconstruction from pixel values `[S, S, 3]` (see predictionToPixels), rounded for display. */
export function reconstructionView(reconstruction: ArrayLike<number>, imageSize: number): Uint8ClampedArray {
  return rgbaFrom(imageSize, (i, c) => toByte(reconstruction[i * 3 + c]!));
}

export interface Views {
  original: Uint8ClampedArray;
  masked: Uint8ClampedArray;
  reconstruction: Uint8ClampedArray;
  reconstructionPlusVisible: Uint8ClampedArray;
}

/**
 * The decoder's `pred` `[N, P*P*3]` (normalised image space) read out against the input `image`
 * in one pass over the patches, for a mask change's budget: the four views and each patch's MSE,
 * without the float image between them. Exactly what predictionToPixels, then perPatchMse
 * (src/mae/metrics.ts) and the views by their definition give one after the other (the tests
 * hold it to their bytes and values; the float32 rounding of predictionToPixels is kept):
 * - Original: the input;
 * - Masked: visible patches as in the input, removed ones filled with `fill`;
 * - Reconstruction: the prediction in pixels, rounded for display;
 * - Reconstruction + visible: upstream's x * (1 - m) + recon * m, with the visible patches
 *   copied from the input bytes, so they are exact, not a round trip through normalisation.
 * Masked and Reconstruction + visible are copied row by row within each patch.
 */
export function readOutPrediction(
  pred: ArrayLike<number>,
  image: RgbImage,
  mask: ArrayLike<number>,
  space: PixelSpace,
  fill: Rgb = MASKED_FILL,
): { views: Views; perPatchMse: Float64Array } {
  const { imageSize: size, patchSize, mean, std } = space;
  checkImage(image, size);
  const grid = size / patchSize;
  if (!Number.isInteger(grid) || pred.length !== size * size * 3 || mask.length !== grid * grid) {
    throw new RangeError(
      `readOutPrediction: expected ${size * size * 3} predicted values and a mask of ${grid * grid} patches, got ${pred.length} and ${mask.length}`,
    );
  }
  const data = image.data;
  const original = new Uint8ClampedArray(size * size * 4);
  for (let from = 0, to = 0; to < original.length; from += 3, to += 4) {
    original[to] = data[from]!;
    original[to + 1] = data[from + 1]!;
    original[to + 2] = data[from + 2]!;
    original[to + 3] = 255;
  }
  const recon = new Uint8ClampedArray(size * size * 4);
  const perPatchMse = new Float64Array(grid * grid);
  const [meanR, meanG, meanB] = mean;
  const [stdR, stdG, stdB] = std;
  // predictionToPixels' value, as it stores it: float32.
  const pixel = (value: number, m: number, s: number) => Math.fround(pixelValue(value, m, s));
  let element = 0;
  for (let patch = 0; patch < perPatchMse.length; patch++) {
    const corner = patchCorner(patch, grid, patchSize, size);
    let squares = 0;
    for (let row = 0; row < patchSize; row++) {
      const rowStart = corner + row * size;
      for (let at = rowStart; at < rowStart + patchSize; at++, element += 3) {
        const r = pixel(pred[element]!, meanR, stdR);
        const g = pixel(pred[element + 1]!, meanG, stdG);
        const b = pixel(pred[element + 2]!, meanB, stdB);
        const errorR = r - data[at * 3]!;
        const errorG = g - data[at * 3 + 1]!;
        const errorB = b - data[at * 3 + 2]!;
        squares += errorR * errorR;
        squares += errorG * errorG;
        squares += errorB * errorB;
        recon[at * 4] = toByte(r);
        recon[at * 4 + 1] = toByte(g);
        recon[at * 4 + 2] = toByte(b);
        recon[at * 4 + 3] = 255;
      }
    }
    perPatchMse[patch] = squares / (patchSize * patchSize * 3);
  }
  const masked = original.slice();
  const pasted = original.slice();
  const rowBytes = patchSize * 4; // one patch's row of RGBA
  for (let patch = 0; patch < mask.length; patch++) {
    if (!mask[patch]) continue;
    const corner = patchCorner(patch, grid, patchSize, size);
    for (let row = 0; row < patchSize; row++) {
      const start = (corner + row * size) * 4;
      pasted.set(recon.subarray(start, start + rowBytes), start);
      for (let at = start; at < start + rowBytes; at += 4) {
        masked[at] = fill[0];
        masked[at + 1] = fill[1];
        masked[at + 2] = fill[2];
      }
    }
  }
  return {
    views: { original, masked, reconstruction: recon, reconstructionPlusVisible: pasted },
    perPatchMse,
  };
}
