/**
 * The first steps of the data flow, shared by the app and the Node tools:
 * decoded image -> S x S RGB -> normalised CHW -> patches.
 */
import type { ModelConfig } from './config';
import { resizeShorterSideAndCenterCrop, type Image8, type RgbImage } from './image';
import { patchifyNormalized } from './patches';

export interface PreparedImage {
  /** The model-size crop, HWC uint8 `[S, S, 3]`. */
  image: RgbImage;
  /** `[N, P*P*3]` normalised patches, in patch order. */
  patches: Float32Array;
}

export function prepareImage(decoded: Image8, config: ModelConfig): PreparedImage {
  const image = resizeShorterSideAndCenterCrop(decoded, config.imageSize);
  const { imageSize, patchSize, mean, std } = config;
  return { image, patches: patchifyNormalized(image.data, imageSize, patchSize, mean, std) };
}
