/**
 * uPlot, loaded when a chart first needs it: charts.js and charts.css (uplot-entry.ts) beside the
 * page's own bundle, added to the document once. Types only from "uplot" here: the panel's bundle
 * carries none of its code.
 */
import { useEffect, useState } from "preact/hooks";
import type uPlot from "uplot";
import { UPLOT_GLOBAL } from "./uplot-global";

export type UPlotLib = typeof uPlot;

/** uPlot if charts.js has run, else null. */
export const uplotNow = (): UPlotLib | null => ((globalThis as Record<string, unknown>)[UPLOT_GLOBAL] as UPlotLib | undefined) ?? null;

let loading: Promise<UPlotLib> | null = null;

export function loadUplot(): Promise<UPlotLib> {
  const ready = uplotNow();
  if (ready) return Promise.resolve(ready);
  loading ??= new Promise<UPlotLib>((resolve, reject) => {
    const style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = "charts.css";
    document.head.append(style);
    const script = document.createElement("script");
    script.src = "charts.js";
    script.onload = () => {
      const lib = uplotNow();
      if (lib) resolve(lib);
      else reject(new Error("charts.js defined no uPlot"));
    };
    script.onerror = () => {
      loading = null;
      reject(new Error("charts.js could not be loaded"));
    };
    document.head.append(script);
  });
  return loading;
}

/** uPlot once loaded (null meanwhile, or with the reason it could not be). */
export function useUplot(): { lib: UPlotLib | null; error: string | null } {
  const [state, setState] = useState<{ lib: UPlotLib | null; error: string | null }>({ lib: uplotNow(), error: null });
  useEffect(() => {
    if (state.lib) return;
    let live = true;
    loadUplot().then(
      (lib) => live && setState({ lib, error: null }),
      (e: Error) => live && setState({ lib: null, error: e.message }),
    );
    return () => {
      live = false;
    };
  }, []);
  return state;
}
