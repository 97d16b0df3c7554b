/**
 * The first steps of the data flow, shared by the app and the Node tools:
 * decoded image -> S x S RGB -> normalised CHW -> patches.
 */
import type { ModelConfig } from './config';
import { resizeShorterSideAndCenterCrop, type Image8, type RgbImage } from './image';
import { normalize } from './normalize';
import { patchify } from './patches';

export interface PreparedImage {
  /** The model-size crop, HWC uint8 `[S, S, 3]`. */
  image: RgbImage;
  /** `[N, P*P*3]` normalised patches, in patch order. */
  patches: Float32Array;
}

export function prepareImage(decoded: Image8, config: ModelConfig): PreparedImage {
  const image = resizeShorterSideAndCenterCrop(decoded, config.imageSize);
  const chw = normalize(image.data, config.imageSize, config.mean, config.std); // [3, S, S]
  return { image, patches: patchify(chw, config.imageSize, config.patchSize) };
}
