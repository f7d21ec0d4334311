/**
 * Follows the agent's `events` stream: opens it through the requester (auth, timeout), parses SSE,
 * validates each payload with the schemas it is given (one per event name) and reconnects with a
 * growing delay. events.ts gives it the contract's schemas (the pages); the background its own.
 * Pure: runs in unit tests with a fake fetch.
 */
import { ENDPOINT_PATHS } from "../../agent/api/schema/paths";
import { apiPath, validate, type Parsed, type Requester, type Validator } from "./request";
import { describeFailure, type ApiFailure } from "./result";
import { SseParser } from "./sse";

/** A schema per SSE event name. */
export type PayloadSchemas = Record<string, Validator>;
/** An event of one of those names, with its payload as its schema parsed it. */
export type EventOf<P extends PayloadSchemas> = { [K in keyof P & string]: { type: K; data: Parsed<P[K]> } }[keyof P & string];

export type StreamStatus =
  | { kind: "connecting" }
  | { kind: "live"; since: number }
  /** Dropped or refused; the next attempt is at `retryAt` (ms since epoch). */
  | { kind: "down"; reason: string; retryAt: number };

export interface StreamHandlers<E> {
  onEvent(event: E): void;
  onStatus(status: StreamStatus): void;
  /** A payload that failed the schema: skipped, the stream goes on. */
  onInvalid?(failure: ApiFailure): void;
  /** Anything arrived (an event or the agent's keepalive comment): the agent is there. */
  onActivity?(): void;
}

/**
 * The agent writes at least a keepalive comment every 15 s: a stream silent for much longer than
 * that has lost its agent (a frozen process, a dropped network) without a TCP reset to say so.
 */
export const STREAM_SILENCE_MS = 40_000;

const RETRY_DELAYS_MS = [1000, 2000, 5000, 10_000, 30_000];

/** Turns one SSE message into a typed event; unknown event names (a newer agent) yield null. */
export function decodeWith<P extends PayloadSchemas>(schemas: P, event: string, data: string): EventOf<P> | ApiFailure | null {
  if (!Object.hasOwn(schemas, event)) return null;
  const endpoint = `${apiPath(ENDPOINT_PATHS.events)} (${event} event)`;
  let body: unknown;
  try {
    body = JSON.parse(data);
  } catch {
    return { kind: "invalid", endpoint, path: "(data)", message: "not JSON", otherIssues: 0 };
  }
  const result = validate(schemas[event]!, body, endpoint);
  return result.kind === "ok" ? ({ type: event, data: result.data } as EventOf<P>) : result;
}

/** Starts following; returns a function that stops for good. */
export function followStream<P extends PayloadSchemas>(
  client: Pick<Requester, "openEvents">,
  schemas: P,
  handlers: StreamHandlers<EventOf<P>>,
  delays: readonly number[] = RETRY_DELAYS_MS,
  silenceMs = STREAM_SILENCE_MS,
): () => void {
  const controller = new AbortController();
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function readOnce(): Promise<string> {
    handlers.onStatus({ kind: "connecting" });
    const opened = await client.openEvents(controller.signal);
    if (opened.kind !== "ok") return describeFailure(opened);
    const body = opened.response.body;
    if (!body) return "the agent sent an empty stream";
    failures = 0;
    handlers.onStatus({ kind: "live", since: Date.now() });
    const reader = body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    let silent = false;
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const heard = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        silent = true;
        void reader.cancel().catch(() => undefined);
      }, silenceMs);
    };
    try {
      for (heard(); ; heard()) {
        const { done, value } = await reader.read();
        if (silent) throw new Error("silent");
        if (done) return "the agent closed the event stream";
        handlers.onActivity?.();
        for (const message of parser.push(decoder.decode(value, { stream: true }))) {
          const decoded = decodeWith(schemas, message.event, message.data);
          if (!decoded) continue;
          if ("type" in decoded) handlers.onEvent(decoded);
          else handlers.onInvalid?.(decoded);
        }
      }
    } catch (error) {
      if (silent) return `the agent sent nothing for ${Math.round(silenceMs / 1000)} s`;
      return `the event stream dropped (${error instanceof Error ? error.message : String(error)})`;
    } finally {
      clearTimeout(watchdog);
    }
  }

  async function loop(): Promise<void> {
    const reason = await readOnce();
    if (controller.signal.aborted) return;
    const delay = delays[Math.min(failures, delays.length - 1)] ?? 30_000;
    failures++;
    handlers.onStatus({ kind: "down", reason, retryAt: Date.now() + delay });
    timer = setTimeout(() => void loop(), delay);
  }

  void loop();
  return () => {
    controller.abort();
    clearTimeout(timer);
  };
}
