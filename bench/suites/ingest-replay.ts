/**
 * Replays recorded event messages through the agent's event path, in this process only:
 *   BodyDecoder.decode (decodeEnvelope for a new envelope layout) -> eventsFromBody ->
 *   WorkerRegistry.applyEvent + TaskStore.applyEvent
 * (what RedisBroker.onEventMessage and Agent.onEvent do for every PSUBSCRIBE message).
 * Run pinned to one core by the ingest suite:
 *   taskset -c 1 node --import tsx bench/suites/ingest-replay.ts <events.json> <target events> <runs>
 * The recording is copied until it holds the target number of events; each copy gets its own task
 * ids and a later time, so every copy is new tasks, as a longer recording would be.
 */
import { readFileSync } from "node:fs";
import { BodyDecoder, decodeEnvelope } from "../../agent/protocol/envelope";
import { eventsFromBody } from "../../agent/protocol/events";
import { TaskStore } from "../../agent/sources/tasks/store";
import { WorkerRegistry } from "../../agent/sources/workers/registry";

const [file, targetArg, runsArg, maxTasksArg] = process.argv.slice(2);
const recorded = JSON.parse(readFileSync(file!, "utf8")) as { channel: string; data: string }[];
const target = Number(targetArg ?? 200_000);
const runs = Number(runsArg ?? 5);
const maxTasks = Number(maxTasksArg ?? 100_000);

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const TIMESTAMP = /"timestamp": (\d+(?:\.\d+)?)/g;

/** Events in one recorded message (a task.multi body holds several). */
function countEvents(raw: Buffer): number {
  const d = decodeEnvelope(raw);
  return d.ok ? eventsFromBody(d.envelope.body, 0, () => undefined).length : 0;
}

const originals = recorded.map((m) => Buffer.from(m.data, "base64"));
const perCopy = originals.reduce((n, b) => n + countEvents(b), 0);
const copies = Math.max(1, Math.ceil(target / perCopy));

// Each copy: new ids (first 24 characters kept, the rest numbers the copy) and times shifted past the previous copy.
function bodyOf(raw: Buffer): { outer: string; body: string } | null {
  const outer = raw.toString("utf8");
  const env = JSON.parse(outer) as { body?: unknown };
  return typeof env.body === "string" ? { outer, body: env.body } : null;
}
const parsed = originals.map(bodyOf);
let span = 0;
{
  const ts: number[] = [];
  for (const p of parsed) if (p) for (const m of Buffer.from(p.body, "base64").toString("utf8").matchAll(TIMESTAMP)) ts.push(Number(m[1]));
  span = ts.length ? Math.max(...ts) - Math.min(...ts) + 1 : 1;
}
const corpus: Buffer[] = [];
let bytes = 0;
for (let k = 0; k < copies; k++) {
  const suffix = k.toString(16).padStart(12, "0");
  parsed.forEach((p, i) => {
    if (!p || k === 0) {
      corpus.push(originals[i]!);
      bytes += originals[i]!.length;
      return;
    }
    const text = Buffer.from(p.body, "base64")
      .toString("utf8")
      .replace(UUID, (u) => u.slice(0, 24) + suffix)
      .replace(TIMESTAMP, (_m, t: string) => `"timestamp": ${(Number(t) + k * span).toFixed(7)}`);
    const b = Buffer.from(p.outer.replace(p.body, Buffer.from(text, "utf8").toString("base64")), "utf8");
    corpus.push(b);
    bytes += b.length;
  });
}

const results: { events: number; ms: number; cpuMs: number; rate: number; tasks: number; rejected: number }[] = [];
for (let r = 0; r < runs + 1; r++) {
  const store = new TaskStore(maxTasks);
  const registry = new WorkerRegistry({ running: () => [] });
  const bodies = new BodyDecoder();
  let events = 0;
  let rejected = 0;
  const reject = () => void rejected++;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const raw of corpus) {
    const d = bodies.decode(raw);
    if (!d.ok) {
      rejected++;
      continue;
    }
    for (const e of eventsFromBody(d.body, Date.now(), reject)) {
      events++;
      registry.applyEvent(e);
      if (e.type.startsWith("task-")) store.applyEvent(e);
    }
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  if (r > 0) results.push({ events, ms, cpuMs: (cpu.user + cpu.system) / 1000, rate: events / (ms / 1000), tasks: store.size, rejected });
}
const mem = process.memoryUsage();
process.stdout.write(JSON.stringify({ messages: corpus.length, bytes, perCopy, copies, results, rssMb: mem.rss / 2 ** 20, recordedMessages: recorded.length }));
