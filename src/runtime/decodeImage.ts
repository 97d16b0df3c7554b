/**
 * Browser image decoding: any file the browser can show becomes opaque RGBA bytes, upright (EXIF
 * orientation applied) and composited on white where it is transparent. Huge photos are decoded
 * at reduced size; the model-size resize and crop then happen in src/mae
 * (resizeShorterSideAndCenterCrop), identical to the Python side. Runs on the page's main thread.
 */
import type { Image8 } from '../mae/image';
import { describeFormat, HEADER_BYTES, type ImageHeader, sniffImage } from './imageHeader';

/**
 * Shorter side kept at decode time: several times any model's input size, so the bicubic resize
 * in src/mae still antialiases properly, while 50-MP photos stay fast to crop. Vector images are
 * drawn at this size too.
 */
const MAX_DECODED_SHORT_SIDE = 1536;

/**
 * Up to this many stored pixels (64 MB as RGBA) a file is decoded whole by createImageBitmap,
 * which rejects damaged files. Larger ones are drawn at reduced size from an <img>: Chromium then
 * decodes a JPEG at 1/2, 1/4 or 1/8 scale instead of allocating every pixel (a 12000 x 12000
 * JPEG measured +60 MB of renderer memory this way, +750 MB through createImageBitmap).
 */
const MAX_FULL_DECODE_PIXELS = 4096 * 4096;

/**
 * Transparent pixels are composited on white: the model only sees RGB, and white is what an
 * image viewer shows behind a transparent picture on a light page (docs/ROBUSTNESS.md).
 */
const BACKGROUND = '#ffffff';

export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

function undecodable(label: string, header: ImageHeader): ImageDecodeError {
  const pick = 'Pick a JPEG, PNG, WebP, AVIF, GIF or SVG picture.';
  switch (header.format) {
    case 'unknown':
      return new ImageDecodeError(`${label} is not an image this browser can open. ${pick}`);
    case 'pdf':
      return new ImageDecodeError(
        `${label} is not an image: it is ${describeFormat(header.format)}. ${pick}`,
      );
    case 'heic':
      return new ImageDecodeError(
        `${label} is ${describeFormat(header.format)}, which this browser cannot decode. Save it as JPEG or PNG and try again.`,
      );
    default:
      return new ImageDecodeError(
        `${label} looks like ${describeFormat(header.format)}, but it is damaged or incomplete ` +
          '(cut off while downloading or copying?), so it could not be decoded.',
      );
  }
}

/** The size to draw at: the stored size, or smaller so the shorter side is MAX_DECODED_SHORT_SIDE. */
function drawSize(width: number, height: number, fill = false): { width: number; height: number } {
  const shortSide = Math.min(width, height);
  const scale = fill || shortSide > MAX_DECODED_SHORT_SIDE ? MAX_DECODED_SHORT_SIDE / shortSide : 1;
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
  };
}

function drawOnWhite(source: CanvasImageSource, width: number, height: number): Image8 {
  const canvas =
    typeof OffscreenCanvas !== 'undefined'
      ? new OffscreenCanvas(width, height)
      : Object.assign(document.createElement('canvas'), { width, height });
  const context = canvas.getContext('2d', { willReadFrequently: true }) as
    CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (!context) throw new ImageDecodeError('This browser gave no 2D canvas to read the image with.');
  context.fillStyle = BACKGROUND;
  context.fillRect(0, 0, width, height);
  context.imageSmoothingQuality = 'high';
  context.drawImage(source, 0, 0, width, height);
  const { data } = context.getImageData(0, 0, width, height);
  return { width, height, data };
}

/** An <img> holding the file; Chromium decodes it lazily, at the size it is drawn at. */
async function withElement<T>(blob: Blob, draw: (image: HTMLImageElement) => T): Promise<T | null> {
  const url = URL.createObjectURL(blob);
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    return draw(image);
  } catch {
    return null;
  } finally {
    URL.revokeObjectURL(url);
  }
}

export async function decodeImage(blob: Blob, label: string): Promise<Image8> {
  if (blob.size === 0) throw new ImageDecodeError(`${label} is empty (0 bytes): there is no picture in it.`);
  const header = sniffImage(new Uint8Array(await blob.slice(0, HEADER_BYTES).arrayBuffer()));

  if (header.format === 'svg' || blob.type === 'image/svg+xml') {
    // createImageBitmap does not take SVG files; an <img> does. A vector has no pixel size worth
    // keeping (an SVG without width/height gets a default one), so it is drawn as large as any photo.
    const drawn = await withElement(blob, (image) => {
      if (image.naturalWidth === 0 || image.naturalHeight === 0) return null;
      const size = drawSize(image.naturalWidth, image.naturalHeight, true);
      return drawOnWhite(image, size.width, size.height);
    });
    if (!drawn) throw undecodable(label, { format: 'svg' });
    return drawn;
  }

  const { width, height } = header;
  if (width !== undefined && height !== undefined && width * height > MAX_FULL_DECODE_PIXELS) {
    // EXIF rotation swaps the sides, so the size to draw at comes from the oriented <img>.
    const drawn = await withElement(blob, (image) => {
      const size = drawSize(image.naturalWidth, image.naturalHeight);
      return drawOnWhite(image, size.width, size.height);
    });
    if (!drawn) throw undecodable(label, header);
    return drawn;
  }

  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch {
    throw undecodable(label, header);
  }
  try {
    const size = drawSize(bitmap.width, bitmap.height);
    return drawOnWhite(bitmap, size.width, size.height);
  } finally {
    bitmap.close();
  }
}
