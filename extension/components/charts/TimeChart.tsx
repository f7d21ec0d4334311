/**
 * A chart of figures over time: local time on x, one or two value axes (left, and right for a
 * second unit), the legend under it showing each series' value at the cursor with its unit.
 * Nothing to draw (no points, or all empty): a line saying why instead of an empty frame.
 */
import { useMemo } from "preact/hooks";
import type uPlot from "uplot";
import { type Column, formatClock, hasData, isolatedIndexes, latestIndex } from "../../shared/chart-data";
import { NONE } from "../../shared/format";
import { type ChartColor, type ChartTheme, useChartTheme, withAlpha } from "./chart-theme";
import { UPlot } from "./UPlot";

export interface TimeSeries {
  label: string;
  color: ChartColor;
  values: Column;
  /** A value as the legend shows it, with its unit ("12/min", "1.2 s"). */
  format: (value: number) => string;
  /** The right axis, for a second unit (consumers beside messages). */
  right?: boolean;
  /** Shade the area under the line (one or two series of a chart at most, or it turns to mud). */
  fill?: boolean;
  dashed?: boolean;
  /** Counted in whole numbers (messages, consumers): no tick at 0.5. */
  whole?: boolean;
}

export interface TimeChartProps {
  label: string;
  times: readonly number[];
  series: readonly TimeSeries[];
  /** Says why there is nothing to draw, e.g. "No task events in the last hour". */
  empty: string;
  height?: number;
}

const FONT = "11px system-ui, sans-serif";

/** Tick labels of an axis: its first series' format, compact. */
const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 1_000_000];

function axis(theme: ChartTheme, series: TimeSeries, side: 1 | 3, scale: string): uPlot.Axis {
  const { format } = series;
  return {
    ...(series.whole ? { incrs: WHOLE_STEPS } : {}),
    scale,
    side,
    stroke: theme.text,
    font: FONT,
    size: 56,
    gap: 3,
    grid: { show: side === 3, stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1, size: 3 },
    values: (_u, splits) => splits.map((v) => format(v)),
  };
}

function showLatest(u: uPlot): void {
  if (u.cursor.idx !== null && u.cursor.idx !== undefined) return;
  const idx = latestIndex(u.data.slice(1), u.data[0].length);
  if (idx !== null) u.setLegend({ idx }, false);
}

/** A value scale from zero: rates, counts and durations are read against zero, not against their minimum. */
const fromZero: uPlot.Scale = { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] };

export function buildTimeOptions(theme: ChartTheme, series: readonly TimeSeries[]): Omit<uPlot.Options, "width" | "height"> {
  const left = series.find((s) => !s.right);
  const right = series.find((s) => s.right);
  const axes: uPlot.Axis[] = [
    {
      stroke: theme.text,
      font: FONT,
      grid: { stroke: theme.grid, width: 1 },
      ticks: { stroke: theme.grid, width: 1, size: 3 },
      space: 50,
      values: (_u, splits) => splits.map(formatClock),
    },
  ];
  if (left) axes.push(axis(theme, left, 3, "y"));
  if (right) axes.push(axis(theme, right, 1, "right"));
  return {
    legend: { live: true },
    // Not hovered, the legend shows the latest values rather than dashes.
    hooks: { ready: [showLatest], setData: [showLatest], setCursor: [showLatest] },
    cursor: { points: { size: 6 }, drag: { x: false, y: false } },
    scales: { x: { time: true }, y: fromZero, right: fromZero },
    axes,
    series: [
      // The time at the cursor, in local time like the axis.
      { value: (_u, v) => (v === null ? NONE : formatClock(v)) },
      ...series.map(
        (s): uPlot.Series => ({
          label: s.label,
          scale: s.right ? "right" : "y",
          stroke: theme[s.color],
          width: 1.5,
          dash: s.dashed ? [4, 3] : undefined,
          fill: s.fill ? withAlpha(theme[s.color], 0.15) : undefined,
          spanGaps: false,
          // Only a point with no neighbour gets a dot: a line cannot draw it (one busy minute in an idle hour).
          points: { show: true, size: 5, fill: theme[s.color], filter: (u, i) => isolatedIndexes(u.data[i]!) },
          value: (_u, v) => (v === null ? NONE : s.format(v)),
        }),
      ),
    ],
  };
}

export function TimeChart({ label, times, series, empty, height = 150 }: TimeChartProps) {
  const theme = useChartTheme();
  // The options hold no data: a refresh with the same series keeps the chart and only swaps its data.
  const shape = series.map((s) => `${s.label}/${s.color}/${s.right}/${s.fill}/${s.dashed}`).join("|");
  const options = useMemo(() => buildTimeOptions(theme, series), [theme, shape]);
  const data = useMemo(() => [times as number[], ...series.map((s) => s.values)] as uPlot.AlignedData, [times, ...series.map((s) => s.values)]);
  if (times.length === 0 || !hasData(series.map((s) => s.values))) {
    return (
      <div class="chart-empty" data-chart-empty={label}>
        {empty}
      </div>
    );
  }
  return <UPlot options={options} data={data} height={height} label={label} />;
}
