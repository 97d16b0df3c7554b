/**
 * A small accessible SVG chart: axes with ticks and labels, series of dots and/or lines, a legend.
 * Colours are SVG attributes, not CSS, so the chart serialises to a standalone image for "Download
 * figure" (src/ui/figure.ts svgToCanvas) and looks the same there. Hand-written: the page needs
 * three plots of at most a few hundred points, which does not justify a charting library.
 */
import { forwardRef, useId } from 'react';

export interface PlotPoint {
  x: number;
  y: number;
  /** Read by screen readers and shown on hover. */
  note?: string;
}

export interface PlotSeries {
  label: string;
  color: string;
  points: PlotPoint[];
  line?: boolean;
  dots?: boolean;
  dashed?: boolean;
  /** Dot radius in pixels (default 3.5). */
  radius?: number;
  /** Left out of the legend (e.g. one of many per-head series). */
  hideInLegend?: boolean;
}

export interface PlotProps {
  /** Heading drawn inside the chart. */
  title: string;
  /** A second, quieter line under the title. */
  subtitle?: string;
  /** The accessible name: what the chart shows, with its numbers in words. */
  label: string;
  xLabel: string;
  yLabel: string;
  xDomain: [number, number];
  xTicks: { value: number; label: string }[];
  /** Defaults to 0 .. the largest y, rounded up to a tick. */
  yDomain?: [number, number];
  series: PlotSeries[];
  /** A horizontal reference line, e.g. the largest possible value. */
  guide?: { y: number; label: string };
  /** Legend entries in addition to the series' own. */
  legendExtra?: { label: string; color: string }[];
  width?: number;
  height?: number;
}

const INK = '#1c1d22';
const MUTED = '#5c616d';
const GRID = '#e2e4e9';
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';

/** About `count` round tick values (1, 2 or 5 times a power of ten apart) covering [low, high]. */
export function niceTicks(low: number, high: number, count = 5): number[] {
  if (!(high > low)) return [low];
  const rough = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(low / step - 1e-9) * step; v <= high + step * 1e-9; v += step) {
    ticks.push(Number(v.toFixed(10)));
  }
  return ticks;
}

function tickLabel(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) < 1 ? 2 : 1);
}

export const Plot = forwardRef<SVGSVGElement, PlotProps>(function Plot(props, ref) {
  const { title, subtitle, label, xLabel, yLabel, xDomain, xTicks, series, guide, legendExtra = [] } = props;
  const width = props.width ?? 380;
  const height = props.height ?? 250;
  const titleId = useId();
  const margin = { left: 54, right: 14, top: subtitle ? 44 : 30, bottom: 64 };
  const finiteYs = series.flatMap((s) => s.points.map((p) => p.y)).filter(Number.isFinite);
  const dataMax = Math.max(guide?.y ?? 0, ...finiteYs, 1e-9);
  const yTicksAuto = niceTicks(0, dataMax);
  const [yLow, yHigh] = props.yDomain ?? [0, Math.max(dataMax, yTicksAuto.at(-1) ?? dataMax)];
  const yTicks = niceTicks(yLow, yHigh).filter((t) => t >= yLow - 1e-9 && t <= yHigh + 1e-9);
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const sx = (x: number) =>
    margin.left +
    (xDomain[1] > xDomain[0] ? ((x - xDomain[0]) / (xDomain[1] - xDomain[0])) * plotWidth : plotWidth / 2);
  const sy = (y: number) => margin.top + plotHeight - ((y - yLow) / (yHigh - yLow || 1)) * plotHeight;
  const legend = [
    ...series
      .filter((s) => !s.hideInLegend)
      .map((s) => ({ label: s.label, color: s.color, dashed: s.dashed })),
    ...legendExtra.map((entry) => ({ ...entry, dashed: false })),
  ];
  return (
    <svg
      ref={ref}
      xmlns="http://www.w3.org/2000/svg"
      className="plot"
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
      role="img"
      aria-label={label}
      aria-describedby={titleId}
      fontFamily={FONT}
    >
      <rect x={0} y={0} width={width} height={height} fill="#ffffff" />
      <text id={titleId} x={12} y={18} fontSize={13} fontWeight={600} fill={INK}>
        {title}
      </text>
      {subtitle && (
        <text x={12} y={33} fontSize={11} fill={MUTED}>
          {subtitle}
        </text>
      )}
      {yTicks.map((t) => (
        <g key={`y${t}`}>
          <line x1={margin.left} x2={width - margin.right} y1={sy(t)} y2={sy(t)} stroke={GRID} />
          <text x={margin.left - 6} y={sy(t) + 4} fontSize={11} textAnchor="end" fill={MUTED}>
            {tickLabel(t)}
          </text>
        </g>
      ))}
      {xTicks.map((t) => (
        <text
          key={`x${t.value}`}
          x={sx(t.value)}
          y={margin.top + plotHeight + 16}
          fontSize={11}
          textAnchor="middle"
          fill={MUTED}
        >
          {t.label}
        </text>
      ))}
      <line
        x1={margin.left}
        x2={width - margin.right}
        y1={margin.top + plotHeight}
        y2={margin.top + plotHeight}
        stroke={MUTED}
      />
      <line x1={margin.left} x2={margin.left} y1={margin.top} y2={margin.top + plotHeight} stroke={MUTED} />
      <text
        x={margin.left + plotWidth / 2}
        y={margin.top + plotHeight + 33}
        fontSize={12}
        textAnchor="middle"
        fill={INK}
      >
        {xLabel}
      </text>
      <text
        x={14}
        y={margin.top + plotHeight / 2}
        fontSize={12}
        textAnchor="middle"
        fill={INK}
        transform={`rotate(-90 14 ${margin.top + plotHeight / 2})`}
      >
        {yLabel}
      </text>
      {guide && Number.isFinite(guide.y) && (
        <g>
          <line
            x1={margin.left}
            x2={width - margin.right}
            y1={sy(guide.y)}
            y2={sy(guide.y)}
            stroke={MUTED}
            strokeDasharray="2 3"
          />
          <text x={width - margin.right} y={sy(guide.y) - 4} fontSize={10} textAnchor="end" fill={MUTED}>
            {guide.label}
          </text>
        </g>
      )}
      {series.map((s) => {
        const finite = s.points.filter((p) => Number.isFinite(p.y));
        return (
          <g key={s.label}>
            {s.line && finite.length > 1 && (
              <polyline
                fill="none"
                stroke={s.color}
                strokeWidth={2}
                strokeDasharray={s.dashed ? '6 4' : undefined}
                points={finite.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' ')}
              />
            )}
            {(s.dots ?? true) &&
              finite.map((p, i) => (
                <circle key={i} cx={sx(p.x)} cy={sy(p.y)} r={s.radius ?? 3.5} fill={s.color}>
                  {p.note && <title>{p.note}</title>}
                </circle>
              ))}
          </g>
        );
      })}
      <g transform={`translate(${margin.left}, ${height - 14})`}>
        {legend.map((entry, i) => {
          const x = (i * plotWidth) / Math.max(1, legend.length);
          return (
            <g key={entry.label} transform={`translate(${x}, 0)`}>
              <line
                x1={0}
                x2={16}
                y1={-4}
                y2={-4}
                stroke={entry.color}
                strokeWidth={3}
                strokeDasharray={entry.dashed ? '4 3' : undefined}
              />
              <text x={20} y={0} fontSize={11} fill={INK}>
                {entry.label}
              </text>
            </g>
          );
        })}
      </g>
    </svg>
  );
});
