import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';

import { panelLayout } from '../formats/figure';
import { writeFigure } from './figure';

/** A picture whose every pixel has its own colour, so a misplaced or smoothed copy shows. */
function pattern(label: string, size: number, seed: number) {
  const rgba = new Uint8ClampedArray(size * size * 4);
  for (let i = 0; i < size * size; i++)
    rgba.set([(i * 7 + seed) % 256, (i * 13) % 256, (seed * 40) % 256, 255], i * 4);
  return { label, rgba, width: size, height: size };
}

describe('the CLI figure (the page’s renderer on @napi-rs/canvas)', () => {
  it('places every picture, scaled by whole factors without smoothing, with its label and the caption', async () => {
    const size = 28;
    const pictures = ['Original', 'Masked', 'Reconstruction'].map((label, i) => pattern(label, size, i + 1));
    const path = join(await mkdtemp(join(tmpdir(), 'figure-')), 'figure.png');
    await writeFigure(path, pictures, 'mae-small · mask 75% · seed 0');
    const png = PNG.sync.read(await readFile(path));
    const layout = panelLayout(pictures);
    expect([png.width, png.height]).toEqual([layout.width, layout.height]);

    const pixel = (x: number, y: number) =>
      Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3));
    const scale = layout.sizes[0]!.width / size;
    expect(Number.isInteger(scale) && scale > 1).toBe(true);
    const [padding, labelHeight, gap] = [32, 36, 16];
    pictures.forEach((picture, p) => {
      const left = padding + p * (layout.sizes[0]!.width + gap);
      for (const [px, py] of [
        [0, 0],
        [size - 1, 0],
        [5, 17],
        [size - 1, size - 1],
      ] as const) {
        const at = (py * size + px) * 4;
        const expected = Array.from(picture.rgba.subarray(at, at + 3));
        // Both the first and the last screen pixel of a picture pixel carry its exact colour.
        expect(pixel(left + px * scale, padding + labelHeight + py * scale)).toEqual(expected);
        expect(pixel(left + px * scale + scale - 1, padding + labelHeight + py * scale + scale - 1)).toEqual(
          expected,
        );
      }
    });
    const darkIn = (x0: number, y0: number, x1: number, y1: number) => {
      let dark = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (pixel(x, y)[0]! < 128) dark++;
      return dark;
    };
    // Text was drawn (a system font rendered): the label band and the caption band hold dark pixels.
    expect(darkIn(padding, padding, padding + 200, padding + labelHeight)).toBeGreaterThan(50);
    expect(
      darkIn(padding, png.height - 64 - padding + 8, png.width - padding, png.height - padding),
    ).toBeGreaterThan(50);
  });
});
