/**
 * Downloadable figures in the page: the four views ("Download figure"), the pictures of a
 * pipeline step ("Download this step") and the mask-ratio sweep's row, drawn by the renderer the
 * CLI uses (src/formats/figure.ts); charts are SVG drawn onto a canvas.
 */
import { drawPanels as drawPanelsOn, type Panel } from '../formats/figure';
import type { Views } from '../mae/views';
import { VIEW_LABELS } from '../shared/viewLabels';

export type { Panel } from '../formats/figure';

const htmlCanvas = (width: number, height: number) =>
  Object.assign(document.createElement('canvas'), { width, height });

export function drawPanels(panels: readonly Panel<CanvasImageSource>[], caption: string): HTMLCanvasElement {
  return drawPanelsOn(htmlCanvas, panels, caption);
}

export function drawFigure(views: Views, caption: string): HTMLCanvasElement {
  return drawPanels(
    VIEW_LABELS.map(({ key, label }) => ({ label, picture: stackedCanvas([views[key]]) })),
    caption,
  );
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

/** Square RGBA pictures `[S, S, 4]` stacked top to bottom on one canvas `S` wide (the sweep's columns). */
export function stackedCanvas(pictures: readonly Uint8ClampedArray[]): HTMLCanvasElement {
  const size = Math.round(Math.sqrt(pictures[0]!.length / 4));
  const canvas = htmlCanvas(size, size * pictures.length);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('This browser gave no 2D canvas to draw the figure on.');
  pictures.forEach((rgba, i) =>
    context.putImageData(new ImageData(new Uint8ClampedArray(rgba), size, size), 0, i * size),
  );
  return canvas;
}

/**
 * An SVG drawn onto a canvas `scale` times its size (a chart as PNG). The SVG must carry its
 * styles as attributes: a standalone SVG image sees none of the page's CSS.
 */
export async function svgToCanvas(svg: SVGSVGElement, scale = 2): Promise<HTMLCanvasElement> {
  const text = new XMLSerializer().serializeToString(svg);
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = htmlCanvas(svg.width.baseVal.value * scale, svg.height.baseVal.value * scale);
    const context = canvas.getContext('2d');
    if (!context) throw new Error('This browser gave no 2D canvas to draw the figure on.');
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    return canvas;
  } finally {
    URL.revokeObjectURL(url);
  }
}
