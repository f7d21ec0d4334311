/**
 * One uPlot chart in a preact tree: made when its options change (the theme, the series), given
 * new data in place (a live refresh keeps the cursor and the legend), and as wide as its container
 * (devtools is often docked narrow: the chart follows it).
 */
import "./charts.css";
import { useEffect, useRef } from "preact/hooks";
import type uPlot from "uplot";
import { useUplot } from "./uplot-loader";

export interface UPlotProps {
  /** Everything but the size; a new object makes a new chart, so build it in a useMemo. */
  options: Omit<uPlot.Options, "width" | "height">;
  data: uPlot.AlignedData;
  height: number;
  /** Names the chart for people (aria-label) and tests (data-chart). */
  label: string;
}

/** Width of the container, less nothing: uPlot's legend goes below at the same width. */
const widthOf = (el: HTMLElement) => Math.max(200, Math.floor(el.clientWidth));

export function UPlot({ options, data, height, label }: UPlotProps) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const latestData = useRef(data);
  latestData.current = data;
  const { lib, error } = useUplot();

  useEffect(() => {
    if (!lib) return;
    const el = container.current!;
    const plot = new lib({ ...options, width: widthOf(el), height }, latestData.current, el);
    chart.current = plot;
    const resize = new ResizeObserver(() => {
      if (plot.width !== widthOf(el)) plot.setSize({ width: widthOf(el), height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
      chart.current = null;
    };
  }, [lib, options, height]);

  useEffect(() => {
    // The first render's data went in with the chart; later ones replace it, keeping the zoom reset.
    if (chart.current && chart.current.data !== data) chart.current.setData(data);
  }, [data]);

  return (
    <div class="chart" ref={container} role="img" aria-label={label} data-chart={label} style={lib ? undefined : { minHeight: height }}>
      {error ? <span class="dim">Chart not drawn: {error}</span> : null}
    </div>
  );
}
