/** "Download figure": the four views side by side with their labels and a caption, as one PNG. */
import type { Views } from '../mae/views';
import { VIEW_LABELS } from './viewLabels';

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const PADDING = 32;
const GAP = 16;
const LABEL_HEIGHT = 36;
const CAPTION_HEIGHT = 64;
/** Views are enlarged to about this many pixels, by whole factors so patches stay crisp. */
const TARGET_VIEW_SIZE = 448;

export function drawFigure(views: Views, caption: string): HTMLCanvasElement {
  const size = Math.round(Math.sqrt(views.original.length / 4));
  const scale = Math.max(1, Math.round(TARGET_VIEW_SIZE / size));
  const viewSize = size * scale;
  const canvas = document.createElement('canvas');
  canvas.width = PADDING * 2 + viewSize * VIEW_LABELS.length + GAP * (VIEW_LABELS.length - 1);
  canvas.height = PADDING * 2 + LABEL_HEIGHT + viewSize + CAPTION_HEIGHT;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('This browser gave no 2D canvas to draw the figure on.');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);

  const tile = document.createElement('canvas');
  tile.width = size;
  tile.height = size;
  const tileContext = tile.getContext('2d');
  if (!tileContext) throw new Error('This browser gave no 2D canvas to draw the figure on.');
  context.imageSmoothingEnabled = false;
  VIEW_LABELS.forEach(({ key, label }, i) => {
    const x = PADDING + i * (viewSize + GAP);
    context.fillStyle = '#1c1d22';
    context.font = `600 20px ${FONT}`;
    context.textBaseline = 'alphabetic';
    context.fillText(label, x, PADDING + LABEL_HEIGHT - 12);
    tileContext.putImageData(new ImageData(new Uint8ClampedArray(views[key]), size, size), 0, 0);
    context.drawImage(tile, x, PADDING + LABEL_HEIGHT, viewSize, viewSize);
  });

  context.fillStyle = '#4a4d57';
  context.font = `400 18px ${FONT}`;
  context.fillText(caption, PADDING, PADDING + LABEL_HEIGHT + viewSize + 36, canvas.width - 2 * PADDING);
  return canvas;
}

export async function downloadFigure(views: Views, caption: string, fileName: string): Promise<void> {
  const canvas = drawFigure(views, caption);
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
