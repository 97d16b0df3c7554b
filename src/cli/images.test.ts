import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';

import { readImage } from './images';

const folder = mkdtempSync(join(tmpdir(), 'mae-lens-images-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('readImage', () => {
  it('composites transparent PNG pixels on white, as the page does', async () => {
    const png = new PNG({ width: 3, height: 1 });
    png.data.set([0, 255, 0, 0, 220, 30, 40, 255, 0, 0, 0, 128]);
    const path = join(folder, 'alpha.png');
    writeFileSync(path, PNG.sync.write(png));
    const image = await readImage(path);
    expect([...image.data]).toEqual([255, 255, 255, 255, 220, 30, 40, 255, 127, 127, 127, 255]);
  });

  it('names the file and the reason when it is empty or not a picture', async () => {
    const empty = join(folder, 'empty.png');
    writeFileSync(empty, '');
    await expect(readImage(empty)).rejects.toThrow(`${empty}: empty file`);
    const pdf = join(folder, 'doc.pdf');
    writeFileSync(pdf, '%PDF-1.4\n');
    await expect(readImage(pdf)).rejects.toThrow(`${pdf}: not a PNG or JPEG file (.pdf)`);
  });
});
