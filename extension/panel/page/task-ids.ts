/**
 * Task ids in a page's request, found without knowing the app: UUID-shaped strings in its JSON
 * response body (at any depth: the text is scanned, not parsed) and in its headers, plus every id a
 * `Celery-Task-Id` response header lists. Most UUIDs are not tasks: the agent's lookup keeps the
 * ones it knows. Pure, so the unit tests and the bench run it as the panel does.
 */

/** Bodies larger than this are not read (the scan is cheap, holding many large bodies is not). */
export const MAX_SCANNED_BODY = 2 * 1024 * 1024;
/** The response header an app sets to name the tasks a request started (see README, "This page"). */
export const TASK_ID_HEADER = "celery-task-id";
/** At most this many ids kept from one request (a listing of a thousand rows is not a request that started them). */
export const MAX_IDS_PER_REQUEST = 100;

/** What the agent accepts as a task id (the same as its TASK_ID): for ids the header names, which need not be UUIDs. */
const TASK_ID = /^[\w.:@-]{1,200}$/;
/** Headers that carry credentials: never scanned, so nothing of them leaves the panel. */
const SECRET_HEADERS = new Set(["cookie", "set-cookie", "authorization", "proxy-authorization"]);

export interface Header {
  name: string;
  value: string;
}

export interface RequestContent {
  requestHeaders: readonly Header[];
  responseHeaders: readonly Header[];
  /** The response body as devtools gives it (null when it could not be read). */
  body: string | null;
  /** devtools' `encoding` of the body: "base64" for binary content, which is not scanned. */
  encoding?: string | null;
  mimeType?: string | null;
}

/** 1 for the characters 0-9a-fA-F, by char code. */
const HEX = new Uint8Array(128);
for (const c of "0123456789abcdefABCDEF") HEX[c.charCodeAt(0)] = 1;
const isHex = (text: string, i: number) => i >= 0 && i < text.length && HEX[text.charCodeAt(i)] === 1;
const DASH = 45;

/** Whether text[start, start+36) is a UUID (8-4-4-4-12 hex digits) with no hex digit or dash touching it. */
function uuidAt(text: string, start: number): boolean {
  if (start < 0 || start + 36 > text.length) return false;
  for (let k = 0; k < 36; k++) {
    const isDashSlot = k === 8 || k === 13 || k === 18 || k === 23;
    if (isDashSlot ? text.charCodeAt(start + k) !== DASH : !isHex(text, start + k)) return false;
  }
  const before = text.charCodeAt(start - 1);
  const after = text.charCodeAt(start + 36);
  return !(isHex(text, start - 1) || before === DASH || isHex(text, start + 36) || after === DASH);
}

/**
 * The UUIDs in a text, lowercased (Celery writes them so), in order of first appearance, at most
 * `limit`. It hops from dash to dash (indexOf is fast, and dashes are rare in JSON) and checks the
 * UUID shape around a dash that has three more at the right distances: a regex took four times longer.
 */
export function uuidsIn(text: string, limit = Number.POSITIVE_INFINITY): string[] {
  const found = new Set<string>();
  let dash = text.indexOf("-");
  while (dash !== -1 && found.size < limit) {
    const start = dash - 8;
    if (text.charCodeAt(dash + 5) === DASH && text.charCodeAt(dash + 10) === DASH && text.charCodeAt(dash + 15) === DASH && uuidAt(text, start)) {
      found.add(text.slice(start, start + 36).toLowerCase());
      dash = text.indexOf("-", start + 37);
    } else dash = text.indexOf("-", dash + 1);
  }
  return [...found];
}

/** The ids a `Celery-Task-Id` value lists, separated by commas and/or spaces. */
export function idsInTaskIdHeader(value: string): string[] {
  return value.split(/[\s,]+/).filter((id) => TASK_ID.test(id));
}

/** JSON by its type, or by its first character when the server did not say (many APIs say text/plain). */
function looksLikeJson(body: string, mimeType: string | null | undefined): boolean {
  if (mimeType && /json/i.test(mimeType)) return true;
  if (mimeType && !/^text\/plain|^$/i.test(mimeType)) return false;
  const first = /\S/.exec(body.slice(0, 64))?.[0];
  return first === "{" || first === "[";
}

/** The ids worth asking the agent about: the header's first, then the headers' and the body's UUIDs. */
export function taskIdsOf(request: RequestContent): string[] {
  const ids = new Set<string>();
  for (const h of request.responseHeaders) {
    if (h.name.toLowerCase() === TASK_ID_HEADER) for (const id of idsInTaskIdHeader(h.value)) ids.add(id);
  }
  for (const h of [...request.requestHeaders, ...request.responseHeaders]) {
    if (!SECRET_HEADERS.has(h.name.toLowerCase())) for (const id of uuidsIn(h.value)) ids.add(id);
  }
  const { body } = request;
  if (body && request.encoding !== "base64" && body.length <= MAX_SCANNED_BODY && looksLikeJson(body, request.mimeType)) {
    for (const id of uuidsIn(body, MAX_IDS_PER_REQUEST)) ids.add(id);
  }
  return [...ids].slice(0, MAX_IDS_PER_REQUEST);
}
