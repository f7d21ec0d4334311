/**
 * The agent's `events` stream as the pages follow it: every payload checked by the contract's
 * schemas (stream.ts does the following).
 */
import { StreamPayloadSchemas } from "../../agent/api/schema";
import type { ApiFailure } from "./result";
import type { AgentClient } from "./client";
import { decodeWith, followStream, type EventOf, type StreamHandlers } from "./stream";

export type { StreamStatus } from "./stream";

export type StreamEvent = EventOf<typeof StreamPayloadSchemas>;

/** Turns one SSE message into a typed event; unknown event names (a newer agent) yield null. */
export function decodeStreamMessage(event: string, data: string): StreamEvent | ApiFailure | null {
  return decodeWith(StreamPayloadSchemas, event, data);
}

/** Starts following; returns a function that stops for good. */
export function followEvents(client: AgentClient, handlers: StreamHandlers<StreamEvent>, delays?: readonly number[], silenceMs?: number): () => void {
  return followStream(client, StreamPayloadSchemas, handlers, delays, silenceMs);
}
