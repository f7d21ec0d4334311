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

/** The inspected page's network, or null outside devtools (the web panel, a plain tab). */
export function pageNetwork(): PageNetwork | null {
  const scope = globalThis as { chrome?: { devtools?: { network?: PageNetwork } }; browser?: { devtools?: { network?: PageNetwork } } };
  return scope.chrome?.devtools?.network ?? scope.browser?.devtools?.network ?? null;
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
