// Fuzzing the broker decoder path with mutations of envelopes recorded from a real Celery 5.2
// worker (test/fixtures/recorded/envelopes.json): byte flips, truncation, nesting, wrong types,
// huge numbers, NaN. Every input must either decode or be rejected with a named reason, nothing may
// throw (not the decoder, not the event parser, not the stores the events go to), and each input
// must take bounded time. Seeded: FUZZ_SEED=<n> replays a run; a failure prints its seed and input.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { BodyDecoder, decodeEnvelope, type DecodeFailure } from "../../agent/protocol/envelope";
import { eventsFromBody, TASK_EVENTS, WORKER_EVENTS } from "../../agent/protocol/events";
import { readControlReply } from "../../agent/protocol/control";
import { TaskStore } from "../../agent/sources/tasks/store";
import { WorkerRegistry } from "../../agent/sources/workers/registry";
import { seededRandom } from "./helpers/random";

const recorded = JSON.parse(readFileSync(new URL("../fixtures/recorded/envelopes.json", import.meta.url), "utf8")) as {
  events: { channel: string; message: string }[];
  replies: string[];
};

const FAILURES = new Set<DecodeFailure>(["too_large", "not_json", "not_an_envelope", "bad_base64", "unsupported_content_type", "bad_body", "too_deep"]);
const EVENT_REJECTIONS = new Set(["event_not_object", "event_unknown_type", "event_missing_fields"]);
const INPUTS = Number(process.env.FUZZ_INPUTS ?? 300_000);
/** Per input: generous (the machine is shared, a GC pause lands on some input); a parser stalled by hostile input takes far longer. */
const MAX_INPUT_MS = 1000;
const LIMITS = { maxBytes: 256 * 1024, maxDepth: 64 };

const WEIRD_VALUES: unknown[] = [null, true, 0, -1, 1e308, -1e308, 2 ** 53 + 1, "", "x".repeat(300), [], {}, [[[]]], { a: { b: {} } }, "\u0000\ud800", "NaN"];
const WEIRD_LITERALS = ["NaN", "Infinity", "-Infinity", "1e309", "-1e400", "99999999999999999999999999", "1e-400", "-0", "0.0000001e-320"];

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, n: number) => Math.floor(r() * n);

/** The envelope's body as JSON text (base64-decoded), or null when it has another shape. */
function bodyOf(raw: string): { env: Record<string, unknown>; body: string } | null {
  const env = JSON.parse(raw) as Record<string, unknown>;
  return typeof env.body === "string" ? { env, body: Buffer.from(env.body, "base64").toString("utf8") } : null;
}

function withBody(env: Record<string, unknown>, body: string): string {
  return JSON.stringify({ ...env, body: Buffer.from(body, "utf8").toString("base64") });
}

/** Replaces one value somewhere in a JSON document with something of another type. */
function retype(r: Rand, v: unknown, depth = 0): unknown {
  if (Array.isArray(v) && v.length && depth < 6) {
    const i = int(r, v.length);
    const copy = [...v];
    copy[i] = r() < 0.5 ? retype(r, v[i], depth + 1) : pick(r, WEIRD_VALUES);
    return copy;
  }
  if (v && typeof v === "object" && depth < 6) {
    const keys = Object.keys(v);
    if (!keys.length) return pick(r, WEIRD_VALUES);
    const k = pick(r, keys);
    const o = v as Record<string, unknown>;
    return { ...o, [k]: r() < 0.5 ? retype(r, o[k], depth + 1) : pick(r, WEIRD_VALUES) };
  }
  return pick(r, WEIRD_VALUES);
}

/** One generated input: a mutation (or several) of a recorded envelope. */
function mutate(r: Rand, base: string): Buffer {
  try {
    return mutateParsed(r, base);
  } catch {
    // The base is already mangled past parsing (a second mutation): flip bytes instead.
    const b = Buffer.from(base, "latin1");
    if (b.length) b[int(r, b.length)] = int(r, 256);
    return b;
  }
}

function mutateParsed(r: Rand, base: string): Buffer {
  const parts = bodyOf(base);
  switch (int(r, 9)) {
    case 0: {
      // byte flips
      const b = Buffer.from(base, "utf8");
      for (let n = 1 + int(r, 8); n > 0; n--) b[int(r, b.length)] = int(r, 256);
      return b;
    }
    case 1:
      // truncation
      return Buffer.from(base, "utf8").subarray(0, int(r, base.length));
    case 2: {
      // nesting: the body (or the whole envelope) wrapped many levels deep
      const depth = 1 + int(r, 400);
      const inner = parts ? parts.body : base;
      const nested = (r() < 0.5 ? "[".repeat(depth) : '{"a":'.repeat(depth)) + inner + (r() < 0.5 ? "]".repeat(depth) : "}".repeat(depth));
      return Buffer.from(parts && r() < 0.7 ? withBody(parts.env, nested) : nested);
    }
    case 3: {
      // wrong types in the body (events, replies) or in the envelope itself
      if (parts && r() < 0.7) return Buffer.from(withBody(parts.env, JSON.stringify(retype(r, JSON.parse(parts.body)))));
      return Buffer.from(JSON.stringify(retype(r, JSON.parse(base))));
    }
    case 4: {
      // huge numbers, NaN, Infinity where numbers are
      if (!parts) return Buffer.from(base);
      const body = parts.body.replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/g, (m) => (r() < 0.3 ? pick(r, WEIRD_LITERALS) : m));
      return Buffer.from(withBody(parts.env, body));
    }
    case 5: {
      // another content type or encoding (never deserialized)
      const env = JSON.parse(base) as Record<string, unknown>;
      env["content-type"] = pick(r, ["application/x-python-serialize", "application/x-yaml", "application/x-msgpack", "text/plain", "", "APPLICATION/JSON"]);
      if (r() < 0.3) env.properties = { ...(env.properties as object), body_encoding: pick(r, ["base64", "utf-8", "rot13", 7, null]) };
      return Buffer.from(JSON.stringify(env));
    }
    case 6: {
      // bad base64 in the body
      if (!parts) return Buffer.from(base);
      const b64 = String(parts.env.body);
      const at = int(r, b64.length);
      return Buffer.from(JSON.stringify({ ...parts.env, body: b64.slice(0, at) + pick(r, ["!", "*", "=", "==a", "\u00e9", " ", "-_"]) + b64.slice(at + 1) }));
    }
    case 7: {
      // a body of random bytes, base64-encoded
      const env = parts?.env ?? (JSON.parse(base) as Record<string, unknown>);
      const junk = Buffer.alloc(int(r, 200));
      for (let i = 0; i < junk.length; i++) junk[i] = int(r, 256);
      return Buffer.from(JSON.stringify({ ...env, body: junk.toString("base64") }));
    }
    default: {
      // two mutations at once
      return mutate(r, mutate(r, base).toString("latin1"));
    }
  }
}

test(`decoder path: ${INPUTS} mutated real envelopes never throw, always decode or name a reason, in bounded time`, () => {
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
  const r = seededRandom(seed);
  const eventBases = recorded.events.map((e) => e.message);
  const replyBases = recorded.replies;
  const ticket = String((JSON.parse(replyBases[0]!) as { headers: { ticket: string } }).headers.ticket);
  const decoder = new BodyDecoder(LIMITS);
  const tasks = new TaskStore(5000);
  const workers = new WorkerRegistry({ running: () => [] });
  const outcomes = new Map<string, number>();
  const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
  let input: Buffer = Buffer.alloc(0);
  let slowest = 0;
  const started = performance.now();
  try {
    for (let i = 0; i < INPUTS; i++) {
      const reply = r() < 0.25;
      input = mutate(r, pick(r, reply ? replyBases : eventBases));
      if (r() < 0.002) input = Buffer.alloc(LIMITS.maxBytes + 1 + int(r, 1000), 0x5b); // too large
      const t0 = performance.now();
      if (reply) {
        const d = decodeEnvelope(input, LIMITS);
        if (!d.ok) {
          assert.ok(FAILURES.has(d.reason), `reason ${d.reason}`);
          count(`reply_${d.reason}`);
        } else {
          const entries = readControlReply(d.envelope, ticket);
          count(entries ? "reply_ok" : "reply_wrong_ticket");
          for (const [worker] of entries ?? []) assert.equal(typeof worker, "string");
        }
      } else {
        const d = decoder.decode(input);
        if (!d.ok) {
          assert.ok(FAILURES.has(d.reason), `reason ${d.reason}`);
          count(d.reason);
        } else {
          const events = eventsFromBody(d.body, Date.now(), (why) => {
            assert.ok(EVENT_REJECTIONS.has(why), `rejection ${why}`);
            count(why);
          });
          for (const e of events) {
            assert.ok(WORKER_EVENTS.has(e.type) || TASK_EVENTS.has(e.type));
            assert.ok(typeof e.hostname === "string" && e.hostname && Number.isFinite(e.timestamp));
            // What the agent does with an event must not throw either.
            workers.applyEvent(e);
            if (e.type.startsWith("task-")) tasks.applyEvent(e);
            count("event");
          }
        }
      }
      const took = performance.now() - t0;
      if (took > slowest) slowest = took;
      assert.ok(took < MAX_INPUT_MS, `input took ${took.toFixed(1)} ms`);
    }
  } catch (e) {
    const shown = input.toString("latin1").slice(0, 400);
    throw new Error(`FUZZ_SEED=${seed} failed on input ${JSON.stringify(shown)}: ${(e as Error).stack}`);
  }
  const seconds = (performance.now() - started) / 1000;
  // Every kind of outcome was reached: the mutations exercise the whole path, not one early exit.
  for (const k of [
    "event",
    "too_large",
    "not_json",
    "bad_base64",
    "unsupported_content_type",
    "bad_body",
    "too_deep",
    "event_missing_fields",
    "event_unknown_type",
    "reply_ok",
    "reply_wrong_ticket",
    "reply_not_json",
  ]) {
    assert.ok(outcomes.get(k), `FUZZ_SEED=${seed}: no input ended as ${k} (${JSON.stringify(Object.fromEntries(outcomes))})`);
  }
  assert.ok(tasks.size > 0 && workers.all().length > 0);
  console.log(
    `fuzz seed ${seed}: ${INPUTS} inputs in ${seconds.toFixed(1)} s, slowest ${slowest.toFixed(1)} ms; ${JSON.stringify(Object.fromEntries(outcomes))}`,
  );
});
