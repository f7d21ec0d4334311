/**
 * A sparkline for a table cell: one series as a small SVG line, no axes. Hand-drawn rather than a
 * uPlot per row: a list of fifty queues would make fifty canvases and cursors for a 90 px cell,
 * where a polyline is a few hundred bytes of DOM; the cell's tooltip gives the latest and largest
 * values with their unit, which is what a glance at a sparkline asks.
 */
import type { Column } from "../../shared/chart-data";
import { NONE } from "../../shared/format";

export interface SparklineProps {
  values: Column;
  format: (value: number) => string;
  /** Names what is drawn, for the tooltip and for tests (data-sparkline). */
  label: string;
  width?: number;
  height?: number;
}

/** The points of the line in a width x height box, the largest value at the top; nulls break it. */
export function sparklinePaths(values: Column, width: number, height: number): string[] {
  const max = Math.max(0, ...values.map((v) => v ?? 0));
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const paths: string[] = [];
  let current: string[] = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (current.length) paths.push(current.join(" "));
      current = [];
      return;
    }
    const y = max > 0 ? height - 1 - (v / max) * (height - 2) : height - 1;
    current.push(`${(i * step).toFixed(1)},${y.toFixed(1)}`);
  });
  if (current.length) paths.push(current.join(" "));
  return paths;
}

export function Sparkline({ values, format, label, width = 90, height = 18 }: SparklineProps) {
  const known = values.filter((v): v is number => v !== null);
  if (known.length === 0) return <span class="dim">{NONE}</span>;
  const latest = known[known.length - 1]!;
  const title = `${label}: now ${format(latest)}, at most ${format(Math.max(...known))}`;
  return (
    <svg class="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title} data-sparkline={label}>
      <title>{title}</title>
      {/* The zero line, so a cell with one sample (a dot) still reads as a chart. */}
      <line class="base" x1={0} y1={height - 0.5} x2={width} y2={height - 0.5} />
      {sparklinePaths(values, width, height).map((points) => {
        // A lone sample (nothing either side) is a dot: a polyline of one point draws nothing.
        const [x, y] = points.split(",");
        return points.includes(" ") ? <polyline key={points} points={points} /> : <circle key={points} cx={x} cy={y} r={2} />;
      })}
    </svg>
  );
}
