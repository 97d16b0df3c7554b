/**
 * The first steps of the data flow, shared by the app and the Node tools:
 * decoded image -> S x S RGB -> normalised patches. Done once per image: a mask change reuses it.
 */
import type { ModelConfig } from './config';
import { type Image8, resizeShorterSideAndCenterCrop, type RgbImage } from './image';
import { patchifyNormalized } from './patches';

export interface PreparedImage {
  /** The model-size crop, HWC uint8 `[S, S, 3]`. */
  image: RgbImage;
  /** `[N, P*P*3]` normalised patches, in patch order. */
  patches: Float32Array;
}

/** An image already at the model's size -> its normalised patches. */
export function preparePixels(image: RgbImage, config: ModelConfig): PreparedImage {
  const { imageSize, patchSize, mean, std } = config;
  if (image.width !== imageSize || image.height !== imageSize) {
    throw new RangeError(
      `the model expects ${imageSize}x${imageSize} images, got ${image.width}x${image.height}`,
    );
  }
  return { image, patches: patchifyNormalized(image.data, imageSize, patchSize, mean, std) }; // [N, P*P*3]
}

/** Any decoded image -> resized, centre-cropped, normalised patches. */
export function prepareImage(decoded: Image8, config: ModelConfig): PreparedImage {
  return preparePixels(resizeShorterSideAndCenterCrop(decoded, config.imageSize), config);
}
