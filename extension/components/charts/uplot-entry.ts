/**
 * charts.js: uPlot and its stylesheet (charts.css), an ES module of its own (about 23 KB gzipped,
 * more than a quarter of the panel's size), imported by uplot-loader.ts the first time a chart is
 * drawn: the views without charts never load it.
 */
import "uplot/dist/uPlot.min.css";
import uPlot from "uplot";

export default uPlot;
