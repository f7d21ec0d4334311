/**
 * The panel as a web page at the agent's root (`GET /` and its files), so someone can look before
 * installing the extension. It is the web build of the same panel the extension shows
 * (`dist/web`, written by `npm run build`) and talks to this same origin through the same client
 * and schema checks. The file list is read once at start: nothing from a request ever reaches
 * the file system as a path.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { Hono } from "hono";
import { API_PREFIX, endpoints } from "../api/schema";

/**
 * Two levels up from this code, then dist/web: from the sources (agent/http/static.ts) that is the
 * checkout's dist/web; from the bundle (dist/agent/cli.js, also inside an installed package) it is
 * the dist/web beside it.
 */
export function findWebBuild(from: string = import.meta.url): string | null {
  const dir = fileURLToPath(new URL("../../dist/web/", from));
  return existsSync(join(dir, "index.html")) ? dir : null;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

/** The page may load only its own files and talk only to this agent; no framing. */
const PAGE_HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
};

const HEALTH = `${API_PREFIX}/${endpoints.health.path}`;
const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Celery Panel agent</title></head>
<body><h1>Celery Panel agent</h1>
<p>The web panel is not built. Run <code>npm run build</code> in the Celery Panel checkout, then restart the agent.</p>
<p>The API answers meanwhile: <a href="${HEALTH}">${HEALTH}</a>.</p></body></html>
`;

/** URL path (`/panel.js`, `/icons/icon-32.png`) to file, for every servable file under `dir`. */
function servableFiles(dir: string, under = dir): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of readdirSync(under)) {
    const path = join(under, name);
    if (statSync(path).isDirectory()) for (const [url, file] of servableFiles(dir, path)) files.set(url, file);
    else if (CONTENT_TYPES[extname(name)]) files.set(`/${relative(dir, path).split("\\").join("/")}`, path);
  }
  return files;
}

/** Mounts the web panel on `app`, or a note saying how to build it when `dir` is null. */
export function mountWebPanel(app: Hono, dir: string | null): void {
  if (!dir) {
    app.get("/", (c) => c.html(NOT_BUILT, 404));
    return;
  }
  const files = servableFiles(dir);
  files.set("/", join(dir, "index.html"));
  for (const [url, file] of files) {
    const type = CONTENT_TYPES[extname(file)]!;
    const headers = type.startsWith("text/html") ? { "Content-Type": type, ...PAGE_HEADERS } : { "Content-Type": type };
    // Read on each request, so a rebuild (npm run build:watch) shows without restarting the agent.
    app.get(url, (c) => c.body(readFileSync(file), 200, headers));
  }
}
