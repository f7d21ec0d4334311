/** Where charts.js (uplot-entry.ts) leaves uPlot for the panel (uplot-loader.ts). */
export const UPLOT_GLOBAL = "celeryPanelUplot";
