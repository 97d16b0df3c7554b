/** The page's figure renderer (src/formats/figure.ts) in Node, on @napi-rs/canvas, written as PNG. */
import { writeFile } from 'node:fs/promises';

import { createCanvas, ImageData } from '@napi-rs/canvas';

import { drawPanels } from '../formats/figure';

export interface FigurePicture {
  label: string;
  /** `[height, width, 4]` RGBA bytes. */
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
}

/** Draws the pictures side by side with their labels and `caption`, and writes the PNG to `path`. */
export async function writeFigure(
  path: string,
  pictures: readonly FigurePicture[],
  caption: string,
): Promise<void> {
  const panels = pictures.map(({ label, rgba, width, height }) => {
    const picture = createCanvas(width, height);
    picture.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
    return { label, picture };
  });
  const figure = drawPanels((width: number, height: number) => createCanvas(width, height), panels, caption);
  await writeFile(path, await figure.encode('png'));
}
