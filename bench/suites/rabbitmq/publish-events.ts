/**
 * Plays many workers at once for the AMQP ingest figure: publishes `tasks` tasks' received, started
 * and succeeded events to the `celeryev` topic exchange of a private RabbitMQ node, batched as Celery's
 * workers batch task events (`task.multi`, a JSON array), as fast as the socket takes them.
 * Run in its own process so the agent's figure does not share a CPU with the publisher's loop:
 *   node --import tsx bench/suites/rabbitmq/publish-events.ts <amqp url> <tasks> <id prefix> <worker>
 * The events name a live worker of the deployment (`worker`), as real task events do: a name no worker
 * answers for would be a live worker that never replies, and every broadcast would wait it out.
 * Prints {"messages", "events", "ms"} when every message is written.
 */
import amqp from "amqplib";

const [url, tasksArg, prefix = "bench", worker = "w1@bench"] = process.argv.slice(2);
const tasks = Number(tasksArg ?? 10_000);
/** Events per task.multi message: a worker flushes its buffer of task events in batches like this. */
const BATCH = 30;

function taskEvents(i: number, t: number): object[] {
  const uuid = `${prefix.padEnd(8, "0").slice(0, 8)}-0000-4000-8000-${String(i).padStart(12, "0")}`;
  // No pid: the real worker's own events say it; another here would read as a restart.
  const base = { uuid, hostname: worker, clock: i * 3 };
  return [
    {
      ...base,
      type: "task-received",
      timestamp: t,
      name: "panel_fixture.add",
      args: "(1, 2)",
      kwargs: "{}",
      retries: 0,
      eta: null,
      expires: null,
      root_id: uuid,
      parent_id: null,
    },
    { ...base, type: "task-started", timestamp: t + 0.001 },
    { ...base, type: "task-succeeded", timestamp: t + 0.002, result: "3", runtime: 0.001 },
  ];
}

async function main(): Promise<void> {
  const connection = await amqp.connect(url!);
  const channel = await connection.createChannel();
  await channel.checkExchange("celeryev");
  const t0 = performance.now();
  const now = Date.now() / 1000;
  let batch: object[] = [];
  let messages = 0;
  let events = 0;
  const flush = async () => {
    if (!batch.length) return;
    const ok = channel.publish("celeryev", "task.multi", Buffer.from(JSON.stringify(batch)), { contentType: "application/json", contentEncoding: "utf-8" });
    messages++;
    events += batch.length;
    batch = [];
    if (!ok) await new Promise((r) => channel.once("drain", r));
  };
  for (let i = 0; i < tasks; i++) {
    batch.push(...taskEvents(i, now + i / 1000));
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  const ms = performance.now() - t0;
  await channel.close();
  await connection.close();
  process.stdout.write(JSON.stringify({ messages, events, ms }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
