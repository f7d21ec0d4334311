/**
 * The charts' colors, read from the panel's theme (theme.css): uPlot draws on a canvas, which takes
 * no CSS variables, so each color is resolved to rgb once per theme, and charts are redrawn when
 * devtools' theme (`data-theme` on the root) or the system's color scheme changes.
 */
import { useEffect, useState } from "preact/hooks";

/** Theme variables a chart draws with; series pick theirs by name. */
const VARIABLES = {
  text: "--text-dim",
  grid: "--border",
  accent: "--accent",
  bad: "--bad",
  ok: "--ok",
  warn: "--warn",
  violet: "--chart-violet",
} as const;

export type ChartColor = Exclude<keyof typeof VARIABLES, "text" | "grid">;
export type ChartTheme = Record<keyof typeof VARIABLES, string>;

function readTheme(): ChartTheme {
  // A variable holding light-dark() computes to that text, not a color: a probe's `color` resolves it.
  const probe = document.createElement("span");
  probe.style.display = "none";
  document.body.append(probe);
  const theme = {} as ChartTheme;
  for (const [name, variable] of Object.entries(VARIABLES) as [keyof ChartTheme, string][]) {
    probe.style.color = `var(${variable})`;
    theme[name] = getComputedStyle(probe).color;
  }
  probe.remove();
  return theme;
}

/** A color with an alpha, for area fills: "rgb(1, 2, 3)" -> "rgba(1, 2, 3, 0.15)". */
export function withAlpha(rgb: string, alpha: number): string {
  const m = /rgba?\(([^,]+),\s*([^,]+),\s*([^,)]+)/.exec(rgb);
  return m ? `rgba(${m[1]}, ${m[2]}, ${m[3]}, ${alpha})` : rgb;
}

const listeners = new Set<() => void>();
let current: ChartTheme | null = null;
let watching = false;

function watchThemeChanges(): void {
  if (watching) return;
  watching = true;
  const changed = () => {
    current = null;
    for (const listener of listeners) listener();
  };
  new MutationObserver(changed).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", changed);
}

/** The current theme's chart colors; the component re-renders when the theme changes. */
export function useChartTheme(): ChartTheme {
  const [, setVersion] = useState(0);
  useEffect(() => {
    watchThemeChanges();
    const listener = () => setVersion((n) => n + 1);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  current ??= readTheme();
  return current;
}
