/**
 * Downloadable figures: pictures side by side with their labels and a caption, as one PNG. The
 * four views ("Download figure") and the pictures of a pipeline step ("Download this step").
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

export function drawPanels(panels: readonly Panel[], caption: string): HTMLCanvasElement {
  const sizes = panels.map(({ picture }) => {
    const scale = Math.max(1, Math.round(TARGET_PANEL_SIZE / Math.max(picture.width, picture.height)));
    return { width: picture.width * scale, height: picture.height * scale };
  });
  const tallest = Math.max(...sizes.map((size) => size.height));
  const canvas = document.createElement('canvas');
  canvas.width = PADDING * 2 + sizes.reduce((sum, size) => sum + size.width, 0) + GAP * (panels.length - 1);
  canvas.height = PADDING * 2 + LABEL_HEIGHT + tallest + CAPTION_HEIGHT;
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

export function drawFigure(views: Views, caption: string): HTMLCanvasElement {
  const size = Math.round(Math.sqrt(views.original.length / 4));
  const panels = VIEW_LABELS.map(({ key, label }) => {
    const picture = Object.assign(document.createElement('canvas'), { width: size, height: size });
    context2d(picture).putImageData(new ImageData(new Uint8ClampedArray(views[key]), size, size), 0, 0);
    return { label, picture };
  });
  return drawPanels(panels, caption);
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
