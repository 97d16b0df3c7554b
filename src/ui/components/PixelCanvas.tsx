import { type CSSProperties, useEffect, useRef } from 'react';

/**
 * RGBA bytes on a canvas at their own resolution; CSS scales it (pixelated, so patches and heat-map
 * cells stay crisp). Draws nothing where the browser has no 2D canvas (jsdom in tests).
 */
export function PixelCanvas({
  rgba,
  width,
  height,
  label,
  className,
  style,
}: {
  rgba: Uint8ClampedArray | null;
  width: number;
  height: number;
  label: string;
  className?: string;
  style?: CSSProperties;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = canvasRef.current?.getContext('2d');
    if (!context || !rgba || rgba.length !== width * height * 4) return;
    context.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  }, [rgba, width, height]);
  return (
    <canvas
      ref={canvasRef}
      className={className ?? 'pixel-canvas'}
      style={style}
      role="img"
      aria-label={label}
      width={width}
      height={height}
    />
  );
}
