/** Test images on disk: the CLI writes its figures through @napi-rs/canvas (src/cli/figure.ts). */
import { writeFile } from 'node:fs/promises';

import { PNG } from 'pngjs';

/** RGBA bytes `[H, W, 4]` to a PNG file. */
export async function writePng(
  path: string,
  width: number,
  height: number,
  rgba: Uint8ClampedArray | Uint8Array,
) {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  await writeFile(path, PNG.sync.write(png));
}
