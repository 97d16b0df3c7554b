import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { expectClose } from '../../tests/helpers/arrays';
import {
  channelsOf,
  crop,
  resizeBicubic,
  resizeShorterSideAndCenterCrop,
  type RgbImage,
  toRgb,
} from './image';
import { parseNpy } from './npy';

const pilDir = fileURLToPath(new URL('../../tests/fixtures/pil-bicubic/', import.meta.url));
const pilCases = (
  JSON.parse(readFileSync(pilDir + 'cases.json', 'utf8')) as {
    cases: { name: string; size: number; resized_wh: [number, number] }[];
  }
).cases;

function loadRgb(name: string): RgbImage {
  const { shape, data } = parseNpy(readFileSync(pilDir + name));
  const [height, width] = shape as [number, number, number];
  return { width, height, data: data as Uint8Array };
}

describe('resizeBicubic matches Pillow BICUBIC byte for byte', () => {
  it.each(pilCases.map((c) => [c.name, c] as const))('%s', (name, { resized_wh: [width, height] }) => {
    const input = loadRgb(`${name}_input.npy`);
    const expected = loadRgb(`${name}_resized.npy`);
    const actual = resizeBicubic(input, width, height);
    expect([actual.width, actual.height]).toEqual([expected.width, expected.height]);
    expectClose(actual.data, expected.data);
  });
});

describe('resizeShorterSideAndCenterCrop', () => {
  it.each(pilCases.map((c) => [c.name, c] as const))(
    'matches PIL resize + centre crop: %s',
    (name, { size }) => {
      const actual = resizeShorterSideAndCenterCrop(loadRgb(`${name}_input.npy`), size);
      const expected = loadRgb(`${name}_cropped.npy`);
      expect([actual.width, actual.height]).toEqual([size, size]);
      expectClose(actual.data, expected.data);
    },
  );

  it.each(pilCases.map((c) => [c.name, c] as const))(
    'reads RGBA directly with the same bytes, opaque or not: %s',
    (name, { size }) => {
      const rgb = loadRgb(`${name}_input.npy`);
      const pixels = rgb.width * rgb.height;
      const rgba = new Uint8ClampedArray(pixels * 4);
      for (let i = 0; i < pixels; i++) {
        rgba.set(rgb.data.subarray(i * 3, i * 3 + 3), i * 4);
        rgba[i * 4 + 3] = 255;
      }
      const opaque = { width: rgb.width, height: rgb.height, data: rgba };
      expectClose(resizeShorterSideAndCenterCrop(opaque, size).data, loadRgb(`${name}_cropped.npy`).data);
      rgba[7] = 100; // one translucent pixel: composited over white first
      expect(resizeShorterSideAndCenterCrop(opaque, size).data).toEqual(
        resizeShorterSideAndCenterCrop(toRgb(opaque), size).data,
      );
    },
  );

  it('uses an image already at size x size as is', () => {
    const data = Uint8Array.from({ length: 5 * 5 * 3 }, (_, i) => (i * 37) % 256);
    const out = resizeShorterSideAndCenterCrop({ width: 5, height: 5, data }, 5);
    expect(out.data).toEqual(data);
    expect(out.data).not.toBe(data);
  });

  it('composites RGBA over white before resizing', () => {
    // 2x2 image: opaque red, transparent (stored black), half-transparent blue, opaque green.
    const rgba = new Uint8ClampedArray([255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 255, 128, 0, 255, 0, 255]);
    const out = resizeShorterSideAndCenterCrop({ width: 2, height: 2, data: rgba }, 2);
    expect(Array.from(out.data)).toEqual([255, 0, 0, 255, 255, 255, 127, 127, 255, 0, 255, 0]);
  });
});

describe('image helpers', () => {
  it('channelsOf tells RGB from RGBA and rejects anything else', () => {
    expect(channelsOf({ width: 2, height: 1, data: new Uint8Array(6) })).toBe(3);
    expect(channelsOf({ width: 2, height: 1, data: new Uint8ClampedArray(8) })).toBe(4);
    expect(() => channelsOf({ width: 2, height: 1, data: new Uint8Array(7) })).toThrow(
      /expected 6 \(RGB\) or 8/,
    );
    expect(() => channelsOf({ width: 0, height: 1, data: new Uint8Array(0) })).toThrow(RangeError);
  });

  it('toRgb rounds the white composite exactly', () => {
    for (const alpha of [0, 1, 127, 128, 254, 255]) {
      for (const value of [0, 1, 100, 254, 255]) {
        const [r] = toRgb({ width: 1, height: 1, data: new Uint8Array([value, 0, 0, alpha]) }).data;
        expect(r).toBe(Math.round((value * alpha) / 255 + 255 * (1 - alpha / 255)));
      }
    }
  });

  it('crop copies the window and refuses one that does not fit', () => {
    const image = { width: 3, height: 2, data: Uint8Array.from({ length: 18 }, (_, i) => i) };
    expect(Array.from(crop(image, 1, 0, 2).data)).toEqual([3, 4, 5, 6, 7, 8, 12, 13, 14, 15, 16, 17]);
    expect(() => crop(image, 2, 0, 2)).toThrow(RangeError);
  });
});
