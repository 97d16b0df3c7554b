/** Image files for the Node tools: decode PNG/JPEG with pure-JS codecs (figures are written by figure.ts). */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

import type { Image8 } from '../mae/image';
import { errorText } from '../shared/errorText';

export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

export class ImageFileError extends Error {
  override name = 'ImageFileError';
}

/**
 * Transparent pixels composited on white, as the page does (src/runtime/decodeImage.ts), so that
 * the CLI and the page reconstruct the same picture from a PNG with alpha.
 */
function onWhite(rgba: Uint8Array): Uint8Array {
  for (let i = 0; i < rgba.length; i += 4) {
    const alpha = rgba[i + 3]! / 255;
    for (let c = 0; c < 3; c++) rgba[i + c] = Math.round(rgba[i + c]! * alpha + 255 * (1 - alpha));
    rgba[i + 3] = 255;
  }
  return rgba;
}

/** Decodes by content (magic bytes), not by the file name; throws ImageFileError with the reason. */
export async function readImage(path: string): Promise<Image8> {
  const bytes = await readFile(path);
  if (bytes.length === 0) throw new ImageFileError(`${path}: empty file`);
  try {
    if (bytes[0] === 0x89 && bytes.subarray(1, 4).toString('latin1') === 'PNG') {
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, data: onWhite(new Uint8Array(png.data)) };
    }
    if (bytes[0] === 0xff && bytes[1] === 0xd8) {
      const decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 2048 });
      return { width: decoded.width, height: decoded.height, data: decoded.data };
    }
  } catch (error) {
    throw new ImageFileError(`${path}: cannot decode (${errorText(error)})`);
  }
  throw new ImageFileError(`${path}: not a PNG or JPEG file (${extname(path) || 'no extension'})`);
}
