/**
 * Browser image decoding: any file the browser can show becomes straight-alpha RGBA bytes, with
 * EXIF orientation applied. Huge photos are scaled down while decoding; the model-size resize and
 * crop then happen in src/mae (resizeShorterSideAndCenterCrop), identical to the Python side.
 */
import type { Image8 } from '../mae/image';

/**
 * Shorter side kept at decode time: several times any model's input size, so the bicubic resize
 * in src/mae still antialiases properly, while 50-MP photos stay fast to crop.
 */
const MAX_DECODED_SHORT_SIDE = 1536;

export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

function drawToRgba(bitmap: ImageBitmap): Image8 {
  const { width, height } = bitmap;
  const canvas =
    typeof OffscreenCanvas !== 'undefined'
      ? new OffscreenCanvas(width, height)
      : Object.assign(document.createElement('canvas'), { width, height });
  const context = canvas.getContext('2d', { willReadFrequently: true }) as
    CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (!context) throw new ImageDecodeError('This browser gave no 2D canvas to read the image with.');
  context.drawImage(bitmap, 0, 0);
  const { data } = context.getImageData(0, 0, width, height);
  return { width, height, data };
}

export async function decodeImage(blob: Blob, label: string): Promise<Image8> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch {
    throw new ImageDecodeError(`${label} could not be read as an image.`);
  }
  const shortSide = Math.min(bitmap.width, bitmap.height);
  if (shortSide > MAX_DECODED_SHORT_SIDE) {
    const scale = MAX_DECODED_SHORT_SIDE / shortSide;
    const reduced = await createImageBitmap(bitmap, {
      resizeWidth: Math.max(1, Math.round(bitmap.width * scale)),
      resizeHeight: Math.max(1, Math.round(bitmap.height * scale)),
      resizeQuality: 'high',
    });
    bitmap.close();
    bitmap = reduced;
  }
  try {
    return drawToRgba(bitmap);
  } finally {
    bitmap.close();
  }
}
