/**
 * The fetching half of the one agent client: auth header, timeout, zod validation against a schema
 * the caller names. client.ts binds it to the endpoint table for the pages; the background reads
 * with schemas of its own through it, so its bundle carries none of the table's.
 * Every call resolves (never throws) to a typed result, so views can show each failure as it is.
 * Pure: no browser-extension API, so it runs in unit tests with a fake fetch.
 */
import { ErrorSchema } from "../../agent/api/schema/common";
import { API_PREFIX, ENDPOINT_PATHS, fillPath } from "../../agent/api/schema/paths";
import type { ApiFailure, ApiResult } from "./result";

export interface AgentTarget {
  /** Base URL of the agent, without the /api/v1 prefix (see agents/agent-url.ts). */
  url: string;
  token?: string | null;
}

export type QueryValue = string | number | undefined | null;

export interface ClientOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 8000;

/** A path under API_PREFIX with its `:name` parts filled in, e.g. `/api/v1/workers/celery%40host`: what errors name. */
export function apiPath(template: string, params: Record<string, string> = {}): string {
  return `${API_PREFIX}/${fillPath(template, params)}`;
}

export function withQuery(path: string, query: Record<string, QueryValue> = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const qs = search.toString();
  return qs ? `${path}?${qs}` : path;
}

/** A zod issue path as people read it: `workers[0].status`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(response body)";
  return path.map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join("");
}

/** What validation needs of a schema: zod's safeParse (classic or mini alike). */
export interface Validator {
  safeParse(
    data: unknown,
  ): { success: true; data: unknown } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}
export type Parsed<S extends Validator> = Extract<ReturnType<S["safeParse"]>, { success: true }>["data"];

/** Checks a parsed body against a schema; the first issue names the field. */
export function validate<S extends Validator>(schema: S, body: unknown, endpoint: string): ApiResult<Parsed<S>> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return { kind: "ok", data: parsed.data as Parsed<S> };
  const [first, ...rest] = parsed.error.issues;
  return {
    kind: "invalid",
    endpoint,
    path: formatIssuePath(first?.path ?? []),
    message: first?.message ?? "does not match the schema",
    otherIssues: rest.length,
  };
}

/** Maps a non-2xx response to a failure, using the agent's `{error: {code, message}}` body when present. */
async function failureFromStatus(res: Response, endpoint: string): Promise<ApiFailure> {
  let code: string | null = null;
  let message = res.statusText || `HTTP ${res.status}`;
  try {
    const body = ErrorSchema.safeParse(await res.json());
    if (body.success) ({ code, message } = body.data.error);
  } catch {
    /* not JSON: the status line is all we have */
  }
  if (res.status === 401) return { kind: "unauthorized", endpoint, message };
  return { kind: "http-error", endpoint, status: res.status, code, message };
}

function unreachableReason(error: unknown, timedOut: boolean, timeoutMs: number, origin: string): string {
  if (timedOut) return `no answer from ${origin} within ${Math.round(timeoutMs / 100) / 10} s`;
  const detail = error instanceof Error ? error.message : String(error);
  // Browsers say only "Failed to fetch" / "NetworkError": add what the person can check.
  return `cannot connect to ${origin} (${detail}): is the agent running there?`;
}

export type OpenResult =
  | {
      kind: "ok";
      response: Response;
      /** Stops the timeout; the caller's signal can still abort (and so close a stream). */
      done: () => void;
      /** Why reading the body failed, in the same words as a failed request. */
      unreachable: (error: unknown) => ApiFailure;
    }
  | ApiFailure;

export function createRequester(target: AgentTarget, options: ClientOptions = {}) {
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const base = target.url.replace(/\/+$/, "");
  const origin = (() => {
    try {
      return new URL(base).origin;
    } catch {
      return base;
    }
  })();

  /**
   * Sends the request with the auth header and a timeout that runs until `done()` is called
   * (after the body for JSON; after the headers for the event stream).
   */
  async function open(path: string, accept: string, signal?: AbortSignal, body?: unknown): Promise<OpenResult> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    signal?.addEventListener("abort", () => controller.abort(), { once: true });
    const done = () => clearTimeout(timer);
    const endpoint = path.split("?")[0] ?? path;
    const unreachable = (error: unknown): ApiFailure => {
      done();
      const reason = signal?.aborted ? "cancelled" : unreachableReason(error, timedOut, timeoutMs, origin);
      return { kind: "unreachable", endpoint, reason };
    };
    if (signal?.aborted) controller.abort();
    const headers: Record<string, string> = { Accept: accept };
    if (target.token) headers.Authorization = `Bearer ${target.token}`;
    const sends = body === undefined ? {} : { method: "POST", body: JSON.stringify(body) };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    try {
      const response = await doFetch(base + path, { ...sends, headers, signal: controller.signal, credentials: "omit", cache: "no-store" });
      if (!response.ok) {
        const failure = await failureFromStatus(response, endpoint);
        done();
        return failure;
      }
      return { kind: "ok", response, done, unreachable };
    } catch (error) {
      return unreachable(error);
    }
  }

  /** GETs `path` (under API_PREFIX, query included), or POSTs `body` as JSON, and checks the answer against `schema`. */
  async function read<S extends Validator>(path: string, schema: S, signal?: AbortSignal, postBody?: unknown): Promise<ApiResult<Parsed<S>>> {
    const opened = await open(path, "application/json", signal, postBody);
    if (opened.kind !== "ok") return opened;
    let text: string;
    try {
      text = await opened.response.text();
    } catch (error) {
      return opened.unreachable(error);
    }
    opened.done();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { kind: "invalid", endpoint: path.split("?")[0] ?? path, path: "(response body)", message: "not JSON", otherIssues: 0 };
    }
    return validate(schema, body, path.split("?")[0] ?? path);
  }

  /** Opens the `events` stream; the timeout covers only the wait for its headers. */
  async function openEvents(signal?: AbortSignal): Promise<OpenResult> {
    const path = apiPath(ENDPOINT_PATHS.events);
    const opened = await open(path, "text/event-stream", signal);
    if (opened.kind !== "ok") return opened;
    opened.done();
    const type = opened.response.headers.get("content-type") ?? "";
    if (!type.startsWith("text/event-stream")) {
      void opened.response.body?.cancel();
      return { kind: "invalid", endpoint: path, path: "(content-type)", message: `expected text/event-stream, got "${type}"`, otherIssues: 0 };
    }
    return opened;
  }

  return { read, openEvents, target };
}

export type Requester = ReturnType<typeof createRequester>;
