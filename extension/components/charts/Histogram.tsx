/**
 * A histogram of durations as columns: one per bin, evenly spaced (the agent's bins widen
 * logarithmically, so their ranges label the axis rather than a linear time scale); hovering a
 * column shows its range and how many tasks fell in it.
 */
import { useMemo } from "preact/hooks";
import type uPlot from "uplot";
import type { HistogramBin } from "../../../agent/api/schema";
import { formatTasks, histogramColumns } from "../../shared/chart-data";
import { NONE } from "../../shared/format";
import { type ChartTheme, useChartTheme, withAlpha } from "./chart-theme";
import { UPlot } from "./UPlot";
import { uplotNow } from "./uplot-loader";

const FONT = "11px system-ui, sans-serif";

function buildOptions(theme: ChartTheme, labels: readonly string[], ticks: readonly string[]): Omit<uPlot.Options, "width" | "height"> {
  const label = (i: number) => labels[Math.round(i)] ?? "";
  return {
    legend: { live: true },
    cursor: { drag: { x: false, y: false }, points: { show: false } },
    scales: { x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.08)] } },
    axes: [
      {
        stroke: theme.text,
        font: FONT,
        grid: { show: false },
        ticks: { stroke: theme.grid, width: 1, size: 3 },
        // Whole bins only, as many as fit, each labelled by where it starts.
        space: 60,
        incrs: [1, 2, 5, 10, 20, 50],
        values: (_u, splits) => splits.map((i) => (Number.isInteger(i) ? (ticks[i] ?? "") : "")),
      },
      {
        stroke: theme.text,
        font: FONT,
        size: 44,
        grid: { stroke: theme.grid, width: 1 },
        ticks: { stroke: theme.grid, width: 1, size: 3 },
        values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : "")),
      },
    ],
    series: [
      { label: "Runtime", value: (_u, i) => (i === null ? NONE : label(i)) },
      {
        label: "Tasks",
        stroke: theme.accent,
        fill: withAlpha(theme.accent, 0.55),
        width: 1,
        // uPlot's own bar builder: loaded by the time the chart draws (UPlot waits for it).
        paths: (u, seriesIdx, idx0, idx1) => uplotNow()!.paths.bars!({ size: [0.9, 40], align: 0 })(u, seriesIdx, idx0, idx1),
        points: { show: false },
        value: (_u, v) => formatTasks(v),
      },
    ],
  };
}

export function Histogram({ label, bins, empty, height = 140 }: { label: string; bins: readonly HistogramBin[]; empty: string; height?: number }) {
  const theme = useChartTheme();
  const columns = useMemo(() => histogramColumns(bins), [bins]);
  const labelKey = columns.labels.join("|");
  const options = useMemo(() => buildOptions(theme, columns.labels, columns.ticks), [theme, labelKey]);
  const data = useMemo(() => [columns.x, columns.counts] as uPlot.AlignedData, [columns]);
  if (bins.length === 0) {
    return (
      <div class="chart-empty" data-chart-empty={label}>
        {empty}
      </div>
    );
  }
  return <UPlot options={options} data={data} height={height} label={label} />;
}
