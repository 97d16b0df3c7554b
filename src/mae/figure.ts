/**
 * One picture of a run, for papers and bug reports: the views side by side, a label above each
 * and a caption below, as plain RGBA bytes. No DOM and no fonts from the system, so the CLI and
 * the app's "Download figure" produce the same pixels everywhere.
 */

export interface FigureView {
  label: string;
  /** `[height, width, 4]` RGBA bytes, row-major (ImageData layout). */
  rgba: ArrayLike<number>;
  width: number;
  height: number;
}

export interface FigureSpec {
  views: readonly FigureView[];
  /** Below the views; wrapped at spaces to the figure's width, '\n' starts a new line. */
  caption: string;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Figure {
  width: number;
  height: number;
  /** `[height, width, 4]` RGBA bytes. */
  rgba: Uint8ClampedArray;
  /** Where each view was copied, in the order given. */
  viewBoxes: Box[];
}

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;
/** Each font pixel becomes a TEXT_SCALE x TEXT_SCALE block: 5x7 is unreadable at 1x on a screen. */
export const TEXT_SCALE = 2;
/** Horizontal distance between characters: the glyph plus one blank column. */
export const CHAR_ADVANCE = (GLYPH_WIDTH + 1) * TEXT_SCALE;
/** Distance between text lines: the glyph plus two blank rows. */
export const LINE_HEIGHT = (GLYPH_HEIGHT + 2) * TEXT_SCALE;
/** Around the whole figure and between neighbouring views. */
export const MARGIN = 8;
export const VIEW_GAP = 8;
/** Between a block of text and the views it belongs to. */
export const TEXT_GAP = 6;

export const BACKGROUND: readonly [number, number, number] = [255, 255, 255];
export const INK: readonly [number, number, number] = [24, 24, 24];

/** Drawn instead of any character the font lacks. */
export const REPLACEMENT_CHAR = '?';

/**
 * The classic 5x7 LCD font for printable ASCII 32..126, in code order. Each glyph is 5 column
 * bytes, left to right; bit r (LSB = top) set means row r is ink.
 */
const ASCII_COLUMNS: readonly (readonly number[])[] = [
  [0x00, 0x00, 0x00, 0x00, 0x00], // space
  [0x00, 0x00, 0x5f, 0x00, 0x00], // !
  [0x00, 0x07, 0x00, 0x07, 0x00], // "
  [0x14, 0x7f, 0x14, 0x7f, 0x14], // #
  [0x24, 0x2a, 0x7f, 0x2a, 0x12], // $
  [0x23, 0x13, 0x08, 0x64, 0x62], // %
  [0x36, 0x49, 0x55, 0x22, 0x50], // &
  [0x00, 0x05, 0x03, 0x00, 0x00], // '
  [0x00, 0x1c, 0x22, 0x41, 0x00], // (
  [0x00, 0x41, 0x22, 0x1c, 0x00], // )
  [0x08, 0x2a, 0x1c, 0x2a, 0x08], // *
  [0x08, 0x08, 0x3e, 0x08, 0x08], // +
  [0x00, 0x50, 0x30, 0x00, 0x00], // ,
  [0x08, 0x08, 0x08, 0x08, 0x08], // -
  [0x00, 0x60, 0x60, 0x00, 0x00], // .
  [0x20, 0x10, 0x08, 0x04, 0x02], // /
  [0x3e, 0x51, 0x49, 0x45, 0x3e], // 0
  [0x00, 0x42, 0x7f, 0x40, 0x00], // 1
  [0x42, 0x61, 0x51, 0x49, 0x46], // 2
  [0x21, 0x41, 0x45, 0x4b, 0x31], // 3
  [0x18, 0x14, 0x12, 0x7f, 0x10], // 4
  [0x27, 0x45, 0x45, 0x45, 0x39], // 5
  [0x3c, 0x4a, 0x49, 0x49, 0x30], // 6
  [0x01, 0x71, 0x09, 0x05, 0x03], // 7
  [0x36, 0x49, 0x49, 0x49, 0x36], // 8
  [0x06, 0x49, 0x49, 0x29, 0x1e], // 9
  [0x00, 0x36, 0x36, 0x00, 0x00], // :
  [0x00, 0x56, 0x36, 0x00, 0x00], // ;
  [0x08, 0x14, 0x22, 0x41, 0x00], // <
  [0x14, 0x14, 0x14, 0x14, 0x14], // =
  [0x00, 0x41, 0x22, 0x14, 0x08], // >
  [0x02, 0x01, 0x51, 0x09, 0x06], // ?
  [0x32, 0x49, 0x79, 0x41, 0x3e], // @
  [0x7e, 0x11, 0x11, 0x11, 0x7e], // A
  [0x7f, 0x49, 0x49, 0x49, 0x36], // B
  [0x3e, 0x41, 0x41, 0x41, 0x22], // C
  [0x7f, 0x41, 0x41, 0x22, 0x1c], // D
  [0x7f, 0x49, 0x49, 0x49, 0x41], // E
  [0x7f, 0x09, 0x09, 0x09, 0x01], // F
  [0x3e, 0x41, 0x49, 0x49, 0x7a], // G
  [0x7f, 0x08, 0x08, 0x08, 0x7f], // H
  [0x00, 0x41, 0x7f, 0x41, 0x00], // I
  [0x20, 0x40, 0x41, 0x3f, 0x01], // J
  [0x7f, 0x08, 0x14, 0x22, 0x41], // K
  [0x7f, 0x40, 0x40, 0x40, 0x40], // L
  [0x7f, 0x02, 0x0c, 0x02, 0x7f], // M
  [0x7f, 0x04, 0x08, 0x10, 0x7f], // N
  [0x3e, 0x41, 0x41, 0x41, 0x3e], // O
  [0x7f, 0x09, 0x09, 0x09, 0x06], // P
  [0x3e, 0x41, 0x51, 0x21, 0x5e], // Q
  [0x7f, 0x09, 0x19, 0x29, 0x46], // R
  [0x46, 0x49, 0x49, 0x49, 0x31], // S
  [0x01, 0x01, 0x7f, 0x01, 0x01], // T
  [0x3f, 0x40, 0x40, 0x40, 0x3f], // U
  [0x1f, 0x20, 0x40, 0x20, 0x1f], // V
  [0x3f, 0x40, 0x38, 0x40, 0x3f], // W
  [0x63, 0x14, 0x08, 0x14, 0x63], // X
  [0x07, 0x08, 0x70, 0x08, 0x07], // Y
  [0x61, 0x51, 0x49, 0x45, 0x43], // Z
  [0x00, 0x7f, 0x41, 0x41, 0x00], // [
  [0x02, 0x04, 0x08, 0x10, 0x20], // backslash
  [0x00, 0x41, 0x41, 0x7f, 0x00], // ]
  [0x04, 0x02, 0x01, 0x02, 0x04], // ^
  [0x40, 0x40, 0x40, 0x40, 0x40], // _
  [0x00, 0x01, 0x02, 0x04, 0x00], // `
  [0x20, 0x54, 0x54, 0x54, 0x78], // a
  [0x7f, 0x48, 0x44, 0x44, 0x38], // b
  [0x38, 0x44, 0x44, 0x44, 0x20], // c
  [0x38, 0x44, 0x44, 0x48, 0x7f], // d
  [0x38, 0x54, 0x54, 0x54, 0x18], // e
  [0x08, 0x7e, 0x09, 0x01, 0x02], // f
  [0x0c, 0x52, 0x52, 0x52, 0x3e], // g
  [0x7f, 0x08, 0x04, 0x04, 0x78], // h
  [0x00, 0x44, 0x7d, 0x40, 0x00], // i
  [0x20, 0x40, 0x44, 0x3d, 0x00], // j
  [0x7f, 0x10, 0x28, 0x44, 0x00], // k
  [0x00, 0x41, 0x7f, 0x40, 0x00], // l
  [0x7c, 0x04, 0x18, 0x04, 0x78], // m
  [0x7c, 0x08, 0x04, 0x04, 0x78], // n
  [0x38, 0x44, 0x44, 0x44, 0x38], // o
  [0x7c, 0x14, 0x14, 0x14, 0x08], // p
  [0x08, 0x14, 0x14, 0x18, 0x7c], // q
  [0x7c, 0x08, 0x04, 0x04, 0x08], // r
  [0x48, 0x54, 0x54, 0x54, 0x20], // s
  [0x04, 0x3f, 0x44, 0x40, 0x20], // t
  [0x3c, 0x40, 0x40, 0x20, 0x7c], // u
  [0x1c, 0x20, 0x40, 0x20, 0x1c], // v
  [0x3c, 0x40, 0x30, 0x40, 0x3c], // w
  [0x44, 0x28, 0x10, 0x28, 0x44], // x
  [0x0c, 0x50, 0x50, 0x50, 0x3c], // y
  [0x44, 0x64, 0x54, 0x4c, 0x44], // z
  [0x00, 0x08, 0x36, 0x41, 0x00], // {
  [0x00, 0x00, 0x7f, 0x00, 0x00], // |
  [0x00, 0x41, 0x36, 0x08, 0x00], // }
  [0x08, 0x04, 0x08, 0x10, 0x08], // ~
];

/**
 * Character -> 5 column bytes (see ASCII_COLUMNS). Printable ASCII, plus the middle dot that
 * captions use as a separator.
 */
export const FONT_5X7: ReadonlyMap<string, readonly number[]> = new Map([
  ...ASCII_COLUMNS.map((columns, i) => [String.fromCharCode(32 + i), columns] as const),
  ['\u00b7', [0x00, 0x18, 0x18, 0x00, 0x00]],
]);

function glyphOf(char: string): readonly number[] {
  return FONT_5X7.get(char) ?? FONT_5X7.get(REPLACEMENT_CHAR)!;
}

/** Whole characters (code points), so that a character outside the BMP is one '?', not two. */
const charsOf = (text: string): string[] => Array.from(text);

/**
 * Greedy word wrap to lines of at most `maxChars` characters. Breaks at spaces; a word longer
 * than a line is split wherever the line ends, and '\n' always starts a new line.
 */
export function wrapText(text: string, maxChars: number): string[] {
  const width = Math.max(1, Math.floor(maxChars));
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line: string[] = [];
    for (const word of paragraph.split(' ').filter((w) => w.length > 0)) {
      let rest = charsOf(word);
      if (line.length > 0 && line.length + 1 + rest.length <= width) {
        line.push(' ', ...rest);
        continue;
      }
      if (line.length > 0) lines.push(line.join(''));
      while (rest.length > width) {
        lines.push(rest.slice(0, width).join(''));
        rest = rest.slice(width);
      }
      line = rest;
    }
    if (line.length > 0) lines.push(line.join(''));
  }
  return lines;
}

/** Width in pixels of one line of text (no trailing blank column). */
export function textWidth(line: string): number {
  const count = charsOf(line).length;
  return count === 0 ? 0 : count * CHAR_ADVANCE - TEXT_SCALE;
}

/** Draws one line with its top-left corner at (x, y); ink outside the canvas is dropped. */
function drawLine(rgba: Uint8ClampedArray, canvasWidth: number, line: string, x: number, y: number): void {
  const canvasHeight = rgba.length / (canvasWidth * 4);
  let left = x;
  for (const char of charsOf(line)) {
    const columns = glyphOf(char);
    for (let col = 0; col < GLYPH_WIDTH; col++) {
      for (let row = 0; row < GLYPH_HEIGHT; row++) {
        if (!((columns[col]! >> row) & 1)) continue;
        for (let dy = 0; dy < TEXT_SCALE; dy++) {
          const py = y + row * TEXT_SCALE + dy;
          if (py < 0 || py >= canvasHeight) continue;
          for (let dx = 0; dx < TEXT_SCALE; dx++) {
            const px = left + col * TEXT_SCALE + dx;
            if (px < 0 || px >= canvasWidth) continue;
            const at = (py * canvasWidth + px) * 4;
            rgba[at] = INK[0];
            rgba[at + 1] = INK[1];
            rgba[at + 2] = INK[2];
          }
        }
      }
    }
    left += CHAR_ADVANCE;
  }
}

function checkView(view: FigureView, index: number): void {
  const { width, height } = view;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`figure view ${index}: size must be positive integers (got ${width}x${height})`);
  }
  if (view.rgba.length !== width * height * 4) {
    throw new RangeError(
      `figure view ${index}: expected ${width * height * 4} RGBA bytes for ${width}x${height}, got ${view.rgba.length}`,
    );
  }
}

/**
 * Layout, top to bottom: margin, labels (each wrapped to its view's width and centred over it),
 * the views side by side with gaps (top-aligned), the caption (wrapped to the views' total width,
 * left-aligned), margin. Opaque background; view pixels are copied unchanged, alpha included.
 */
export function composeFigure(spec: FigureSpec): Figure {
  const { views } = spec;
  if (views.length === 0) throw new RangeError('a figure needs at least one view');
  views.forEach(checkView);

  const contentWidth = views.reduce((sum, v) => sum + v.width, 0) + VIEW_GAP * (views.length - 1);
  const labelLines = views.map((v) => wrapText(v.label, (v.width + TEXT_SCALE) / CHAR_ADVANCE));
  const labelRows = Math.max(...labelLines.map((lines) => lines.length));
  const captionLines = wrapText(spec.caption, (contentWidth + TEXT_SCALE) / CHAR_ADVANCE);

  const viewsTop = MARGIN + (labelRows > 0 ? labelRows * LINE_HEIGHT + TEXT_GAP : 0);
  const viewsBottom = viewsTop + Math.max(...views.map((v) => v.height));
  const captionTop = viewsBottom + TEXT_GAP;
  const width = contentWidth + 2 * MARGIN;
  const height =
    (captionLines.length > 0 ? captionTop + captionLines.length * LINE_HEIGHT : viewsBottom) + MARGIN;

  const rgba = new Uint8ClampedArray(width * height * 4); // [height, width, 4]
  for (let at = 0; at < rgba.length; at += 4) {
    rgba[at] = BACKGROUND[0];
    rgba[at + 1] = BACKGROUND[1];
    rgba[at + 2] = BACKGROUND[2];
    rgba[at + 3] = 255;
  }

  const viewBoxes: Box[] = [];
  let x = MARGIN;
  views.forEach((view, index) => {
    const box = { x, y: viewsTop, width: view.width, height: view.height };
    viewBoxes.push(box);
    const rowBytes = view.width * 4;
    for (let row = 0; row < view.height; row++) {
      const target = ((box.y + row) * width + box.x) * 4;
      const source = row * rowBytes;
      for (let i = 0; i < rowBytes; i++) rgba[target + i] = view.rgba[source + i]!;
    }
    // Labels sit on the bottom of the label band, so one-line labels line up with each other.
    const lines = labelLines[index]!;
    lines.forEach((line, i) => {
      const lineTop = viewsTop - TEXT_GAP - (lines.length - i) * LINE_HEIGHT;
      drawLine(rgba, width, line, x + Math.floor((view.width - textWidth(line)) / 2), lineTop);
    });
    x += view.width + VIEW_GAP;
  });
  captionLines.forEach((line, i) => drawLine(rgba, width, line, MARGIN, captionTop + i * LINE_HEIGHT));
  return { width, height, rgba, viewBoxes };
}
