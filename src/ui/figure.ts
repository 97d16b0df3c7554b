/**
 * Downloadable figures: pictures side by side with their labels and a caption, as one PNG. The
 * four views ("Download figure"), the pictures of a pipeline step ("Download this step"), the
 * mask-ratio sweep's row, and charts (SVG drawn onto a canvas).
 */
import type { Views } from '../mae/views';
import { VIEW_LABELS } from './viewLabels';

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const PADDING = 32;
const GAP = 16;
const LABEL_HEIGHT = 36;
const CAPTION_HEIGHT = 64;
/** Pictures are enlarged until their longer side is about this many pixels, by whole factors so patches stay crisp. */
const TARGET_PANEL_SIZE = 448;

export interface Panel {
  label: string;
  /** A canvas holding the picture at its own resolution. */
  picture: HTMLCanvasElement;
}

function context2d(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const context = canvas.getContext('2d');
  if (!context) throw new Error('This browser gave no 2D canvas to draw the figure on.');
  return context;
}

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

export function drawPanels(panels: readonly Panel[], caption: string): HTMLCanvasElement {
  const layout = panelLayout(panels.map(({ picture }) => picture));
  const { sizes } = layout;
  const tallest = Math.max(...sizes.map((size) => size.height));
  const canvas = document.createElement('canvas');
  canvas.width = layout.width;
  canvas.height = layout.height;
  const context = context2d(canvas);
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.imageSmoothingEnabled = false;
  let x = PADDING;
  panels.forEach(({ label, picture }, i) => {
    const size = sizes[i]!;
    context.fillStyle = '#1c1d22';
    context.font = `600 20px ${FONT}`;
    context.textBaseline = 'alphabetic';
    context.fillText(label, x, PADDING + LABEL_HEIGHT - 12, size.width);
    context.drawImage(picture, x, PADDING + LABEL_HEIGHT, size.width, size.height);
    x += size.width + GAP;
  });
  context.fillStyle = '#4a4d57';
  context.font = `400 18px ${FONT}`;
  context.fillText(caption, PADDING, PADDING + LABEL_HEIGHT + tallest + 36, canvas.width - 2 * PADDING);
  return canvas;
}

/** Square RGBA pictures `[S, S, 4]` stacked top to bottom on one canvas `S` wide. */
export function stackedCanvas(pictures: readonly Uint8ClampedArray[]): HTMLCanvasElement {
  const size = Math.round(Math.sqrt(pictures[0]!.length / 4));
  const canvas = Object.assign(document.createElement('canvas'), {
    width: size,
    height: size * pictures.length,
  });
  const context = context2d(canvas);
  pictures.forEach((rgba, i) =>
    context.putImageData(new ImageData(new Uint8ClampedArray(rgba), size, size), 0, i * size),
  );
  return canvas;
}

export function drawFigure(views: Views, caption: string): HTMLCanvasElement {
  const panels = VIEW_LABELS.map(({ key, label }) => ({ label, picture: stackedCanvas([views[key]]) }));
  return drawPanels(panels, caption);
}

/**
 * An SVG drawn onto a canvas `scale` times its size (a chart as PNG). The SVG must carry its
 * styles as attributes: a standalone SVG image sees none of the page's CSS.
 */
export async function svgToCanvas(svg: SVGSVGElement, scale = 2): Promise<HTMLCanvasElement> {
  const width = svg.width.baseVal.value;
  const height = svg.height.baseVal.value;
  const text = new XMLSerializer().serializeToString(svg);
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = Object.assign(document.createElement('canvas'), {
      width: width * scale,
      height: height * scale,
    });
    context2d(canvas).drawImage(image, 0, 0, canvas.width, canvas.height);
    return canvas;
  } finally {
    URL.revokeObjectURL(url);
  }
}

export async function downloadCanvas(canvas: HTMLCanvasElement, fileName: string): Promise<void> {
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('The figure could not be encoded as PNG.');
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement('a'), { href: url, download: fileName });
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked later: some browsers read the URL only after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadFigure(views: Views, caption: string, fileName: string): Promise<void> {
  return downloadCanvas(drawFigure(views, caption), fileName);
}
