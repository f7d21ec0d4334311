/**
 * charts.js: uPlot and its stylesheet, a bundle of its own (about 22 KB gzipped, more than a
 * quarter of the panel's), loaded by uplot-loader.ts the first time a chart is drawn: the views
 * without charts never load it.
 */
import "uplot/dist/uPlot.min.css";
import uPlot from "uplot";
import { UPLOT_GLOBAL } from "./uplot-global";

(globalThis as Record<string, unknown>)[UPLOT_GLOBAL] = uPlot;
