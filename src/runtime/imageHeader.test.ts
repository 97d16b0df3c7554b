import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';

import { sniffImage } from './imageHeader';

const ascii = (text: string) => new Uint8Array([...text].map((c) => c.charCodeAt(0)));

describe('sniffImage', () => {
  it('reads the stored size of PNG and JPEG files, whatever their names', () => {
    const png = PNG.sync.write(new PNG({ width: 4000, height: 10 }));
    expect(sniffImage(png)).toEqual({ format: 'png', width: 4000, height: 10 });
    const data = new Uint8Array(7 * 3 * 4).fill(128);
    const encoded = jpeg.encode({ width: 7, height: 3, data }, 90).data;
    expect(sniffImage(new Uint8Array(encoded))).toEqual({ format: 'jpeg', width: 7, height: 3 });
  });

  it('reads GIF and WebP (lossless and extended) sizes', () => {
    const gif = new Uint8Array([...ascii('GIF89a'), 0x40, 0x01, 0xf0, 0x00]);
    expect(sniffImage(gif)).toEqual({ format: 'gif', width: 320, height: 240 });
    // VP8L: 14 bits width-1, 14 bits height-1 after the 0x2f signature byte.
    const bits = 319 | (239 << 14);
    const vp8l = new Uint8Array([
      ...ascii('RIFF'),
      0,
      0,
      0,
      0,
      ...ascii('WEBPVP8L'),
      0,
      0,
      0,
      0,
      0x2f,
      bits & 0xff,
      (bits >> 8) & 0xff,
      (bits >> 16) & 0xff,
      (bits >> 24) & 0xff,
    ]);
    expect(sniffImage(vp8l)).toEqual({ format: 'webp', width: 320, height: 240 });
    const vp8x = new Uint8Array(30);
    vp8x.set(ascii('RIFF'), 0);
    vp8x.set(ascii('WEBPVP8X'), 8);
    vp8x.set([0x3f, 0x01, 0x00, 0xef, 0x00, 0x00], 24); // 319 and 239, 24-bit little-endian
    expect(sniffImage(vp8x)).toEqual({ format: 'webp', width: 320, height: 240 });
  });

  it('tells the formats the page explains apart from pictures', () => {
    expect(sniffImage(ascii('%PDF-1.7\n')).format).toBe('pdf');
    expect(sniffImage(ascii('\n  <svg xmlns="http://www.w3.org/2000/svg"/>')).format).toBe('svg');
    expect(sniffImage(ascii('<?xml version="1.0"?>\n<svg/>')).format).toBe('svg');
    expect(sniffImage(new Uint8Array([0, 0, 0, 24, ...ascii('ftypheic')])).format).toBe('heic');
    expect(sniffImage(new Uint8Array([0, 0, 0, 24, ...ascii('ftypavif')])).format).toBe('avif');
    expect(sniffImage(ascii('hello')).format).toBe('unknown');
    expect(sniffImage(new Uint8Array(0)).format).toBe('unknown');
  });

  it('never throws, and a truncated header gives no size rather than a wrong one', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        sniffImage(bytes);
      }),
      { numRuns: 2000 },
    );
    const png = PNG.sync.write(new PNG({ width: 5, height: 6 }));
    expect(sniffImage(png.subarray(0, 20))).toEqual({ format: 'png' });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: png.length }), (cut) => {
        const { width, height } = sniffImage(png.subarray(0, cut));
        if (width !== undefined) expect([width, height]).toEqual([5, 6]);
      }),
    );
  });
});
