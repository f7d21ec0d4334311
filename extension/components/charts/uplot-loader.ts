/**
 * uPlot, loaded when a chart first needs it: charts.js (an ES module of the build, uplot-entry.ts)
 * by a dynamic import of its URL beside the page's own bundle, and its stylesheet charts.css. Types
 * only from "uplot" here: the panel's bundle carries none of its code.
 */
import { useEffect, useState } from "preact/hooks";
import type uPlot from "uplot";

export type UPlotLib = typeof uPlot;

let loaded: UPlotLib | null = null;
let loading: Promise<UPlotLib> | null = null;

/** uPlot if loaded, else null. */
export const uplotNow = (): UPlotLib | null => loaded;

export function loadUplot(): Promise<UPlotLib> {
  if (loaded) return Promise.resolve(loaded);
  loading ??= (async () => {
    const style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = new URL("charts.css", document.baseURI).href;
    document.head.append(style);
    // A URL the bundler leaves as it is: the file sits beside panel.js in every build.
    const module = (await import(new URL("charts.js", document.baseURI).href)) as { default: UPlotLib };
    loaded = module.default;
    return loaded;
  })().catch((e: unknown) => {
    loading = null;
    throw new Error(`charts.js could not be loaded (${(e as Error).message})`);
  });
  return loading;
}

/** uPlot once loaded (null meanwhile, or with the reason it could not be). */
export function useUplot(): { lib: UPlotLib | null; error: string | null } {
  const [state, setState] = useState<{ lib: UPlotLib | null; error: string | null }>({ lib: loaded, error: null });
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
