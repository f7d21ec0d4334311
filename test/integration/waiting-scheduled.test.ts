/**
 * Messages waiting in a queue nobody consumes are tasks (PENDING, with their queue, position and
 * priority), read from the broker without taking any; tasks sent with a countdown are SCHEDULED
 * until their worker starts them. Real workers, a real redis-server, the agent as its own process.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { CeleryWorker, eventually, RedisServer, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { contractGet } from "../harness/contract";
import type { EndpointName } from "../../agent/api/schema";

let redis: RedisServer;
let agent: AgentProcess;
let client: Redis;
let broker: string;
let backend: string;
/** The parked messages by priority, in the order they were sent. */
let parked: { id: string; priority: number }[];

const api = <T = any>(name: EndpointName, path: string): Promise<T> => contractGet<T>(agent, name, path);
const SEP = "\x06\x16";
const LISTS = ["nobody", `nobody${SEP}3`, `nobody${SEP}6`, `nobody${SEP}9`];
const PICKLED = {
  body: "gASVAAAAAAAAAAA=",
  "content-type": "application/x-python-serialize",
  "content-encoding": "binary",
  headers: {},
  properties: { body_encoding: "base64" },
};
const JUNK = ["not a message at all", JSON.stringify(PICKLED)];
const py = (code: string) => runPython(`import json, panel_fixture as p\n${code}`, broker, backend);

/** Every message of the nobody queue's lists, as stored. */
async function listContents(): Promise<string[][]> {
  return Promise.all(LISTS.map((k) => client.lrange(k, 0, -1)));
}

before(async () => {
  redis = await RedisServer.start();
  broker = redis.url(0);
  backend = redis.url(1);
  client = new Redis(broker);
  await CeleryWorker.start({ broker, backend, name: "w1@waiting", pool: "prefork", concurrency: 2, queues: ["celery"] });
  // Sent before the agent starts: it sees no task-sent event of them, only the queue.
  const out = await py(`
sent = [(p.add.apply_async((i, i), queue="nobody", priority=pr).id, pr) for i, pr in enumerate([6, 0, 9, 3, 6])]
print(json.dumps([{"id": i, "priority": pr} for i, pr in sent]))
`);
  parked = JSON.parse(out.trim().split("\n").pop()!);
  // Behind them in line, two messages no one can read as a task: not JSON, and a pickle body.
  await client.lpush(`nobody${SEP}9`, ...JUNK);
  agent = await startAgent(["--broker", broker, "--result-backend", backend, "--name", "waiting-agent"]);
});

after(async () => {
  client?.disconnect();
  await stopAll();
  await redis?.destroy();
});

describe("messages waiting in a queue", () => {
  it("are listed as PENDING tasks with their queue, position and priority, read without taking any", async () => {
    const before = await listContents();
    assert.deepEqual(
      before.map((l) => l.length),
      [1, 1, 2, 3],
    );
    const list = await eventually(
      async () => {
        const l = await api("tasks", "tasks?queue=nobody");
        return l.tasks.length === 5 && l;
      },
      15_000,
      "the five waiting messages listed",
    );
    assert.equal(list.total, 5);
    assert.deepEqual(list.waiting && { read: list.waiting.read, truncated: list.waiting.truncated, rejected: list.waiting.rejected }, {
      read: 7,
      truncated: false,
      rejected: 2,
    });
    const health = await api("health", "health");
    assert.deepEqual([health.rejected.waiting_not_json, health.rejected.waiting_unsupported_content_type], [1, 1], "each counted once");
    const byId = new Map<string, any>(list.tasks.map((t: any) => [t.id, t]));
    // Workers take priority 0 first, then 3, 6, 9; within a list, the first sent first.
    const expected = [parked[1]!, parked[3]!, parked[0]!, parked[4]!, parked[2]!];
    expected.forEach((m, i) => {
      const t = byId.get(m.id);
      assert.equal(t.state, "PENDING");
      assert.equal(t.name, "panel_fixture.add");
      assert.equal(t.queue, "nobody");
      assert.deepEqual(
        { queue: t.waiting.queue, position: t.waiting.position, priority: t.waiting.priority },
        { queue: "nobody", position: i + 1, priority: m.priority },
      );
    });
    const six = await api("task", `tasks/${parked[0]!.id}`);
    assert.equal(six.priority, 6);
    assert.deepEqual(six.sources, ["broker"]);
    assert.deepEqual(six.args_value, { format: "json", value: [0, 0] });
    const pending = await api("tasks", "tasks?state=PENDING&queue=nobody");
    assert.equal(pending.total, 5);
    const queue = await api("queue", "queues/nobody");
    assert.deepEqual(
      queue.waiting_tasks.map((t: any) => t.id),
      expected.map((m) => m.id),
    );
    assert.equal(queue.recent_tasks.length, 0, "waiting messages are listed apart from the tasks that went through");
    // Read-only: every list holds exactly the same messages, in the same order.
    assert.deepEqual(await listContents(), before);
    assert.equal((await api("health", "health")).rejected.waiting_not_json, 1, "read again, not counted again");
  });

  it("stop waiting once their message leaves the queue", async () => {
    // Taken by hand, with no event or result to tell: it is no longer listed at all.
    const taken = await client.rpop("nobody");
    assert.ok(taken?.includes(parked[1]!.id));
    await eventually(
      async () => {
        const l = await api("tasks", "tasks?queue=nobody");
        return l.total === 4 && !l.tasks.some((t: any) => t.id === parked[1]!.id) && l;
      },
      15_000,
      "the taken message gone from the list",
    );
    const left = await api("tasks", "tasks?queue=nobody");
    assert.deepEqual(left.tasks.map((t: any) => t.waiting.position).sort(), [1, 2, 3, 4], "positions move up");
    // (The junk goes first: it is no worker's business.)
    for (const j of JUNK) await client.lrem(`nobody${SEP}9`, 0, j);
    // A worker consumes the queue: each becomes what the worker did, none stays waiting.
    await CeleryWorker.start({ broker, backend, name: "w2@waiting", pool: "solo", queues: ["nobody"] });
    const done = await eventually(
      async () => {
        const l = await api("tasks", "tasks?queue=nobody");
        return l.tasks.length === 4 && l.tasks.every((t: any) => t.state === "SUCCESS" && !t.waiting) && l;
      },
      30_000,
      "the consumed messages SUCCESS and no longer waiting",
    );
    assert.equal(done.total, 4);
    const queue = await api("queue", "queues/nobody");
    assert.deepEqual(queue.waiting_tasks, []);
    assert.equal(queue.recent_tasks.length, 4);
  });
});

describe("tasks sent with a countdown", () => {
  it("are SCHEDULED with their ETA, counted in the overview, and run when due", async () => {
    const out = await py(`
later = [p.add.apply_async((i, 10), countdown=60).id for i in range(2)]
soon = p.add.apply_async((3, 10), countdown=3).id
print(json.dumps({"later": later, "soon": soon}))
`);
    const ids: { later: string[]; soon: string } = JSON.parse(out.trim().split("\n").pop()!);
    const sentAt = Date.now();
    const scheduled = await eventually(
      async () => {
        const l = await api("tasks", "tasks?state=SCHEDULED");
        return ids.later.every((id) => l.tasks.some((t: any) => t.id === id)) && l;
      },
      15_000,
      "the countdown=60 tasks SCHEDULED",
    );
    for (const id of ids.later) {
      const t = scheduled.tasks.find((x: any) => x.id === id);
      assert.equal(t.worker, "w1@waiting");
      const due = Date.parse(t.eta);
      assert.ok(due > sentAt + 30_000 && due < sentAt + 90_000, `eta ${t.eta} about a minute ahead`);
      const detail = await api("task", `tasks/${id}`);
      assert.equal(detail.state, "SCHEDULED");
      assert.equal(detail.eta, t.eta);
    }
    await eventually(
      async () => {
        const o = await api("overview", "overview");
        return (o.tasks.scheduled ?? 0) >= 2;
      },
      15_000,
      "the overview counting the scheduled tasks",
    );
    const soon = await eventually(
      async () => {
        const t = await api("task", `tasks/${ids.soon}`);
        return t.state === "SUCCESS" && t;
      },
      30_000,
      "the countdown=3 task run",
    );
    assert.ok(soon.timeline.some((e: any) => e.type === "task-started"));
    assert.equal(soon.result_value.value, 13);
  });
});
