import { describe, expect, it } from 'vitest';

import {
  BACKGROUND,
  CHAR_ADVANCE,
  composeFigure,
  type Figure,
  type FigureView,
  FONT_5X7,
  GLYPH_HEIGHT,
  GLYPH_WIDTH,
  LINE_HEIGHT,
  MARGIN,
  TEXT_SCALE,
  textWidth,
  VIEW_GAP,
  wrapText,
} from './figure';

/** A view whose every byte depends on its position and `seed`, so a misplaced copy shows. */
function patternView(label: string, width: number, height: number, seed: number): FigureView {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 7 + seed * 31 + Math.floor(i / 97)) % 256;
  return { label, rgba, width, height };
}

function fourViews(size: number): FigureView[] {
  return ['Original', 'Masked', 'Reconstruction', 'Reconstruction + visible'].map((label, i) =>
    patternView(label, size, size, i + 1),
  );
}

/** Number of pixels in a rectangle that are not the background colour. */
function inkedPixels(figure: Figure, x0: number, y0: number, x1: number, y1: number): number {
  let count = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const at = (y * figure.width + x) * 4;
      if (BACKGROUND.some((value, c) => figure.rgba[at + c] !== value)) count++;
    }
  }
  return count;
}

const captionTop = (figure: Figure) => Math.max(...figure.viewBoxes.map((b) => b.y + b.height));

describe('composeFigure', () => {
  it('lays four views side by side with margins and gaps', () => {
    const views = fourViews(24);
    const figure = composeFigure({ views, caption: 'caption' });
    expect(figure.width).toBe(2 * MARGIN + 4 * 24 + 3 * VIEW_GAP);
    expect(figure.rgba).toHaveLength(figure.width * figure.height * 4);
    expect(figure.viewBoxes.map((b) => b.x)).toEqual([0, 1, 2, 3].map((i) => MARGIN + i * (24 + VIEW_GAP)));
    // Labels above the views, the caption below them, all inside the figure.
    const top = figure.viewBoxes[0]!.y;
    expect(figure.viewBoxes.every((b) => b.y === top)).toBe(true);
    expect(top).toBeGreaterThanOrEqual(MARGIN + LINE_HEIGHT);
    expect(figure.height).toBeGreaterThanOrEqual(top + 24 + LINE_HEIGHT + MARGIN);
  });

  it('copies every view byte for byte at its offset', () => {
    const views = [patternView('a', 10, 6, 1), patternView('b', 7, 9, 2), patternView('c', 5, 5, 3)];
    const figure = composeFigure({ views, caption: 'x' });
    views.forEach((view, v) => {
      const box = figure.viewBoxes[v]!;
      expect(box).toMatchObject({ width: view.width, height: view.height });
      for (let y = 0; y < view.height; y++) {
        for (let x = 0; x < view.width * 4; x++) {
          const actual = figure.rgba[((box.y + y) * figure.width + box.x) * 4 + x];
          if (actual !== view.rgba[y * view.width * 4 + x]) {
            throw new Error(`view ${v}: byte ${x} of row ${y} differs`);
          }
        }
      }
    });
    // Boxes do not overlap: each starts after the previous one and a gap.
    for (let v = 1; v < views.length; v++) {
      const previous = figure.viewBoxes[v - 1]!;
      expect(figure.viewBoxes[v]!.x).toBe(previous.x + previous.width + VIEW_GAP);
    }
  });

  it('draws the caption below the views and different text gives different pixels', () => {
    const views = fourViews(24);
    const draw = (caption: string) => composeFigure({ views, caption });
    const first = draw('seed 0 PSNR 21.3 dB');
    const top = captionTop(first);
    expect(inkedPixels(first, 0, top, first.width, first.height)).toBeGreaterThan(50);
    const empty = draw('');
    expect(empty.height).toBeLessThan(first.height);
    expect(inkedPixels(empty, 0, captionTop(empty), empty.width, empty.height)).toBe(0);
    const second = draw('seed 1 PSNR 21.3 dB');
    expect(second.height).toBe(first.height);
    expect(Buffer.from(second.rgba).equals(Buffer.from(first.rgba))).toBe(false);
    // Only the caption changed, so only pixels below the views may differ.
    const firstDiff = first.rgba.findIndex((value, i) => value !== second.rgba[i]);
    expect(Math.floor(firstDiff / 4 / first.width)).toBeGreaterThanOrEqual(top);
  });

  it('draws each label above its own view', () => {
    const views = [patternView('', 60, 10, 1), patternView('Masked', 60, 10, 2)];
    const figure = composeFigure({ views, caption: '' });
    const [unlabelled, labelled] = figure.viewBoxes;
    expect(inkedPixels(figure, unlabelled!.x, 0, unlabelled!.x + 60, unlabelled!.y)).toBe(0);
    expect(inkedPixels(figure, labelled!.x, 0, labelled!.x + 60, labelled!.y)).toBeGreaterThan(20);
  });

  it('wraps a long caption into more lines instead of widening the figure', () => {
    const views = fourViews(24);
    const short = composeFigure({ views, caption: 'one line' });
    const long = composeFigure({ views, caption: 'word '.repeat(40) });
    expect(long.width).toBe(short.width);
    expect(long.height).toBeGreaterThan(short.height + LINE_HEIGHT);
  });

  it('rejects views whose bytes do not match their size', () => {
    const bad = { label: 'x', rgba: new Uint8ClampedArray(10), width: 2, height: 2 };
    expect(() => composeFigure({ views: [bad], caption: '' })).toThrow(/16 RGBA bytes/);
    expect(() => composeFigure({ views: [], caption: '' })).toThrow(/at least one view/);
  });
});

describe('5x7 font', () => {
  const printable = Array.from({ length: 126 - 32 + 1 }, (_, i) => String.fromCharCode(32 + i));

  it('has a well-formed glyph for every printable ASCII character', () => {
    for (const char of printable) {
      const columns = FONT_5X7.get(char);
      expect(columns, `glyph for ${JSON.stringify(char)}`).toHaveLength(GLYPH_WIDTH);
      expect(columns!.every((c) => Number.isInteger(c) && c >= 0 && c < 1 << GLYPH_HEIGHT)).toBe(true);
      // Only the space is blank.
      expect(columns!.some((c) => c !== 0)).toBe(char !== ' ');
    }
  });

  it('gives distinct characters distinct glyphs', () => {
    const seen = new Map<string, string>();
    for (const [char, columns] of FONT_5X7) {
      const key = columns.join(',');
      expect(seen.get(key), `${JSON.stringify(char)} looks like ${JSON.stringify(seen.get(key))}`).toBe(
        undefined,
      );
      seen.set(key, char);
    }
  });

  it('draws characters outside the font as "?"', () => {
    const views = [patternView('', 200, 4, 1)];
    const pixels = (caption: string) => Buffer.from(composeFigure({ views, caption }).rgba);
    expect(pixels('a\u20acb').equals(pixels('a?b'))).toBe(true);
    expect(pixels('a\u{1f600}b').equals(pixels('a?b'))).toBe(true);
    expect(pixels('a!b').equals(pixels('a?b'))).toBe(false);
  });
});

describe('wrapText', () => {
  it('breaks at spaces, splits overlong words and honours newlines', () => {
    expect(wrapText('Reconstruction + visible', 18)).toEqual(['Reconstruction +', 'visible']);
    expect(wrapText('abcdefghij xy', 4)).toEqual(['abcd', 'efgh', 'ij', 'xy']);
    expect(wrapText('a b\nc', 10)).toEqual(['a b', 'c']);
    expect(wrapText('', 10)).toEqual([]);
  });

  it('measures text in pixels without a trailing gap', () => {
    expect(textWidth('')).toBe(0);
    expect(textWidth('a')).toBe(GLYPH_WIDTH * TEXT_SCALE);
    expect(textWidth('ab')).toBe(CHAR_ADVANCE + GLYPH_WIDTH * TEXT_SCALE);
  });
});
