/** The SSE parser, event decoding against the shared schemas, and the stream follower. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createAgentClient } from "../../extension/api/client";
import { decodeStreamMessage, followEvents, type StreamEvent, type StreamStatus } from "../../extension/api/events";
import { SseParser, type SseMessage } from "../../extension/api/sse";

const TASK = {
  id: "t1",
  name: "app.add",
  state: "SUCCESS",
  args: "[1, 2]",
  kwargs: "{}",
  result: "3",
  exception: null,
  sent: null,
  received: "2026-01-01T00:00:00Z",
  started: null,
  finished: null,
  runtime: 0.01,
  worker: "w1@h",
  queue: "celery",
  retries: 0,
  root_id: "t1",
  parent_id: null,
};

function feed(chunks: readonly string[]): SseMessage[] {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => parser.push(chunk));
}

describe("SSE parser", () => {
  it("reads named events with multi-line data, ignoring ids", () => {
    const messages = feed(["event: task\nid: 7\ndata: line one\ndata: line two\n\n", "data: plain\n\n"]);
    assert.deepEqual(messages, [
      { event: "task", data: "line one\nline two" },
      { event: "message", data: "plain" },
    ]);
  });

  it("joins lines split anywhere across chunks, including a CRLF split in two", () => {
    const messages = feed(["ev", "ent: wor", "ker\r", '\ndata: {"a":', "1}\r", "\n\r\n"]);
    assert.deepEqual(messages, [{ event: "worker", data: '{"a":1}' }]);
  });

  it("accepts lone CR line endings, skips comments, a leading BOM and data-less events", () => {
    // A final lone CR may be half of a CRLF: it counts once the next byte shows it is not.
    const messages = feed(["\ufeff: keep-alive\r\revent: health\r\r", "data:no-space\r\r", ": ping\n"]);
    assert.deepEqual(messages, [{ event: "message", data: "no-space" }]);
  });

  it("ignores retry fields (the follower keeps its own delays)", () => {
    assert.deepEqual(feed(["retry: 2500\n\nretry: soon\ndata: x\n\n"]), [{ event: "message", data: "x" }]);
  });

  it("dispatches nothing until the blank line arrives", () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push("event: task\ndata: x\n"), []);
    assert.equal(parser.push("\n").length, 1);
  });
});

describe("stream messages", () => {
  it("decodes a payload the schema accepts into a typed event", () => {
    const decoded = decodeStreamMessage("task", JSON.stringify({ ...TASK, new_field: 1 }));
    assert.ok(decoded && "type" in decoded);
    assert.equal(decoded.type, "task");
  });

  it("names the event and field of a payload the schema refuses", () => {
    const decoded = decodeStreamMessage("task", JSON.stringify({ ...TASK, state: "EXPLODED" }));
    assert.ok(decoded && !("type" in decoded));
    assert.equal(decoded.kind, "invalid");
    assert.equal(decoded.kind === "invalid" && decoded.path, "state");
    assert.equal(decoded.endpoint, "/api/v1/events (task event)");
  });

  it("ignores event names it does not know (a newer agent)", () => {
    assert.equal(decodeStreamMessage("beat", "{}"), null);
  });
});

describe("followEvents", () => {
  it("goes live, delivers valid events, reports invalid ones, then says the stream dropped", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const encoder = new TextEncoder();
        controller.enqueue(encoder.encode(`event: task\ndata: ${JSON.stringify(TASK)}\n\n`));
        controller.enqueue(encoder.encode(`event: task\ndata: {"id": 1}\n\n`));
        controller.close();
      },
    });
    const fetch = (async () => new Response(body, { headers: { "content-type": "text/event-stream" } })) as typeof globalThis.fetch;
    const events: StreamEvent[] = [];
    const statuses: StreamStatus["kind"][] = [];
    const invalid: string[] = [];
    let stop = () => {};
    const dropped = new Promise<void>((resolve) => {
      stop = followEvents(createAgentClient({ url: "http://h" }, { fetch }), {
        onEvent: (e) => events.push(e),
        onStatus: (s) => {
          statuses.push(s.kind);
          if (s.kind === "down") {
            assert.equal(s.reason, "the agent closed the event stream");
            resolve();
          }
        },
        onInvalid: (f) => invalid.push(f.kind === "invalid" ? f.path : f.kind),
      });
    });
    await dropped;
    stop();
    assert.deepEqual(statuses, ["connecting", "live", "down"]);
    assert.deepEqual(
      events.map((e) => e.type === "task" && e.data.id),
      ["t1"],
    );
    assert.deepEqual(invalid, ["id"]);
  });

  it("reports a refused stream as down with the reason", async () => {
    const fetch = (async () => new Response('{"error":{"code":"unauthorized","message":"token required"}}', { status: 401 })) as typeof globalThis.fetch;
    const reason = await new Promise<string>((resolve) => {
      const stop = followEvents(createAgentClient({ url: "http://h" }, { fetch }), {
        onEvent: () => {},
        onStatus: (s) => {
          if (s.kind === "down") {
            stop();
            resolve(s.reason);
          }
        },
      });
    });
    assert.equal(reason, "Unauthorized: token required");
  });
});

describe("stopping", () => {
  it("closes the open stream when stopped", async () => {
    let aborted = false;
    const fetch = (async (_: unknown, init?: RequestInit) => {
      init?.signal?.addEventListener("abort", () => (aborted = true));
      return new Response(new ReadableStream({ start() {} }), { headers: { "content-type": "text/event-stream" } });
    }) as typeof globalThis.fetch;
    await new Promise<void>((resolve) => {
      const stop = followEvents(createAgentClient({ url: "http://h" }, { fetch }), {
        onEvent: () => {},
        onStatus: (s) => {
          if (s.kind === "live") {
            stop();
            resolve();
          }
        },
      });
    });
    assert.equal(aborted, true);
  });
});

describe("a silent stream", () => {
  it("counts as dropped when nothing, not even a keepalive, comes for the silence limit; anything that comes is activity", async () => {
    const encoder = new TextEncoder();
    const fetch = (async () =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(encoder.encode(": keepalive\n\n"));
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      )) as typeof globalThis.fetch;
    let activity = 0;
    const reason = await new Promise<string>((resolve) => {
      const stop = followEvents(
        createAgentClient({ url: "http://h" }, { fetch }),
        {
          onEvent: () => {},
          onActivity: () => activity++,
          onStatus: (s) => {
            if (s.kind === "down") {
              stop();
              resolve(s.reason);
            }
          },
        },
        [10_000],
        50,
      );
    });
    assert.equal(reason, "the agent sent nothing for 0 s");
    assert.equal(activity, 1);
  });
});
