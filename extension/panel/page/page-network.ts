/**
 * What the "This page" view takes from devtools: the inspected page's finished requests and its
 * navigations (`devtools.network`, reachable from the panel page itself in Chrome and Firefox), and
 * whether the panel is shown (devtools.ts tells the panel page). Opened as a normal tab there is no
 * `devtools`: the end-to-end test puts an object with the same interface at `chrome.devtools.network`
 * before the page loads and feeds it requests.
 */
import type { Header } from "./task-ids";

/** The part of a HAR entry (as onRequestFinished gives it) the view reads. */
export interface FinishedRequest {
  startedDateTime: string;
  /** Milliseconds the request took. */
  time: number;
  request: { method: string; url: string; headers: Header[] };
  response: { status: number; headers: Header[]; content: { size: number; mimeType?: string } };
  getContent(callback: (content: string | null, encoding: string) => void): void;
}

interface DevtoolsEvent<L> {
  addListener(listener: L): void;
  removeListener(listener: L): void;
}

export interface PageNetwork {
  onRequestFinished: DevtoolsEvent<(request: FinishedRequest) => void>;
  onNavigated: DevtoolsEvent<(url: string) => void>;
}

interface InspectedWindow {
  eval(expression: string, callback: (result: unknown, exception?: unknown) => void): void;
}

interface Panels {
  /** Chrome reveals a URL the Network panel logged there (after the Sources panel's files); else it answers an error. */
  openResource?(url: string, lineNumber: number, columnNumber?: number, callback?: (result?: { isError?: boolean }) => void): void;
}

interface Devtools {
  network?: PageNetwork;
  inspectedWindow?: InspectedWindow;
  panels?: Panels;
}

/** `chrome.devtools` first: its callback-style API is there in Chrome and Firefox alike. */
function devtools(): Devtools | null {
  const scope = globalThis as { chrome?: { devtools?: Devtools }; browser?: { devtools?: Devtools } };
  return scope.chrome?.devtools ?? scope.browser?.devtools ?? null;
}

/** The inspected page's network, or null outside devtools (the web panel, a plain tab). */
export function pageNetwork(): PageNetwork | null {
  return devtools()?.network ?? null;
}

/** Asks for the inspected page's origin (`https://shop.test`); null when devtools cannot say. */
export function inspectedOrigin(callback: (origin: string | null) => void): void {
  const win = devtools()?.inspectedWindow;
  if (!win) callback(null);
  else win.eval("location.origin", (result, exception) => callback(!exception && typeof result === "string" && result !== "null" ? result : null));
}

/** The origin of a URL, or null (about:blank, a data: URL...). */
export function originOf(url: string): string | null {
  try {
    const { origin } = new URL(url);
    return origin === "null" ? null : origin;
  } catch {
    return null;
  }
}

/**
 * Shows a request of the page in devtools where the browser can (Chrome's openResource reveals a
 * logged request in the Network panel); otherwise, for a GET, opens its URL in a tab. A POST is not
 * replayed as a GET: with no devtools to reveal it, nothing happens and false is returned.
 */
export function revealRequest(url: string, method: string): Promise<boolean> {
  const fallback = () => {
    if (method !== "GET") return false;
    open(url, "_blank", "noopener");
    return true;
  };
  const openResource = devtools()?.panels?.openResource;
  if (!openResource) return Promise.resolve(fallback());
  return new Promise((resolve) => openResource(url, 0, undefined, (result) => resolve(result?.isError ? fallback() : true)));
}

/** The event devtools.ts dispatches on the panel's window when the panel is shown (`detail: true`) or hidden. */
export const PANEL_SHOWN_EVENT = "celery-panel-shown";

/** Calls `listener` now and whenever the panel is shown or hidden; a plain tab counts as shown. */
export function onPanelShown(listener: (shown: boolean) => void): () => void {
  const handle = (event: Event) => listener((event as CustomEvent<boolean>).detail);
  addEventListener(PANEL_SHOWN_EVENT, handle);
  listener(true);
  return () => removeEventListener(PANEL_SHOWN_EVENT, handle);
}
