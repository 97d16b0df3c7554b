/**
 * The one figure renderer of the page and the CLI: pictures side by side, a label above each and
 * a caption below, drawn with the Canvas 2D API. The page passes the browser's canvas; the CLI
 * passes @napi-rs/canvas (Skia, the same API in Node), so "Download figure" and
 * `npm run reconstruct` draw the same layout with real fonts.
 */

/** The part of a 2D context the figure uses: the browser's and @napi-rs/canvas's both fit. */
export interface FigureContext<Picture> {
  /** Set to CSS colours only. */
  fillStyle: unknown;
  font: string;
  textBaseline: string;
  imageSmoothingEnabled: boolean;
  fillRect(x: number, y: number, width: number, height: number): void;
  fillText(text: string, x: number, y: number, maxWidth?: number): void;
  drawImage(picture: Picture, x: number, y: number, width: number, height: number): void;
}

export interface FigureCanvas<Picture> {
  width: number;
  height: number;
  getContext(kind: '2d'): FigureContext<Picture> | null;
}

export interface Panel<Picture> {
  label: string;
  /** The picture at its own resolution. */
  picture: Picture & { width: number; height: number };
}

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';
const PADDING = 32;
const GAP = 16;
const LABEL_HEIGHT = 36;
const CAPTION_HEIGHT = 64;
/** Pictures are enlarged until their longer side is about this many pixels, by whole factors so patches stay crisp. */
const TARGET_PANEL_SIZE = 448;

interface Size {
  width: number;
  height: number;
}

/** Where drawPanels puts pictures of these sizes: each one's drawn size, and the figure's size. */
export function panelLayout(pictures: readonly Size[]): { sizes: Size[]; width: number; height: number } {
  const sizes = pictures.map((picture) => {
    const scale = Math.max(1, Math.round(TARGET_PANEL_SIZE / Math.max(picture.width, picture.height)));
    return { width: picture.width * scale, height: picture.height * scale };
  });
  const tallest = Math.max(...sizes.map((size) => size.height));
  return {
    sizes,
    width: PADDING * 2 + sizes.reduce((sum, size) => sum + size.width, 0) + GAP * (pictures.length - 1),
    height: PADDING * 2 + LABEL_HEIGHT + tallest + CAPTION_HEIGHT,
  };
}

export function context2d<Picture>(canvas: FigureCanvas<Picture>): FigureContext<Picture> {
  const context = canvas.getContext('2d');
  if (!context) throw new Error('No 2D canvas to draw the figure on.');
  return context;
}

/** The figure on a canvas from `createCanvas(width, height)`. */
export function drawPanels<Picture, Canvas extends FigureCanvas<Picture>>(
  createCanvas: (width: number, height: number) => Canvas,
  panels: readonly Panel<Picture>[],
  caption: string,
): Canvas {
  const layout = panelLayout(panels.map(({ picture }) => picture));
  const tallest = Math.max(...layout.sizes.map((size) => size.height));
  const canvas = createCanvas(layout.width, layout.height);
  const context = context2d(canvas);
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.imageSmoothingEnabled = false;
  context.textBaseline = 'alphabetic';
  let x = PADDING;
  panels.forEach(({ label, picture }, i) => {
    const size = layout.sizes[i]!;
    context.fillStyle = '#1c1d22';
    context.font = `600 20px ${FONT}`;
    context.fillText(label, x, PADDING + LABEL_HEIGHT - 12, size.width);
    context.drawImage(picture, x, PADDING + LABEL_HEIGHT, size.width, size.height);
    x += size.width + GAP;
  });
  context.fillStyle = '#4a4d57';
  context.font = `400 18px ${FONT}`;
  context.fillText(caption, PADDING, PADDING + LABEL_HEIGHT + tallest + 36, canvas.width - 2 * PADDING);
  return canvas;
}
