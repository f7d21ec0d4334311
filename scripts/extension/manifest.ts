/**
 * The root manifest.json is the one source; this is the only place that knows how Chrome's
 * and Firefox's manifests differ. Pure, so a unit test pins the differences.
 */
export type TargetBrowser = "chrome" | "firefox";
export const TARGET_BROWSERS: readonly TargetBrowser[] = ["chrome", "firefox"];

export type Manifest = Record<string, unknown> & { background?: { service_worker?: string } };

export const GECKO_ID = "celery-panel@celery-panel.dev";
/** data_collection_permissions is understood from Firefox 140 (desktop) and 142 (Android) on. */
export const GECKO_MIN_VERSION = "142.0";

export function manifestFor(browser: TargetBrowser, source: Manifest, version: string): Manifest {
  const manifest: Manifest = { ...structuredClone(source), version };
  if (browser === "chrome") return manifest;
  const script = source.background?.service_worker;
  if (!script) throw new Error("manifest.json: background.service_worker is missing");
  // Firefox runs MV3 backgrounds as event pages, not service workers.
  manifest.background = { scripts: [script] } as Manifest["background"];
  manifest.browser_specific_settings = {
    gecko: {
      id: GECKO_ID,
      strict_min_version: GECKO_MIN_VERSION,
      // The extension collects nothing: it only talks to the agents people add.
      data_collection_permissions: { required: ["none"] },
    },
  };
  return manifest;
}
