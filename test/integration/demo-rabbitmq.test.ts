/**
 * `npm run demo -- --broker rabbitmq`: the demo on a private RabbitMQ node. The agent serves both
 * workers over AMQP, the queues from the node's management API (the queue nobody consumes holding
 * the load generator's parked tasks), every URL masked; Ctrl-C stops the node with the rest.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { runDemo, type RunningDemo } from "../../scripts/demo/run-demo";
import { eventually, freePort } from "../harness/deployment";

/** Processes whose environment holds `mark` (rabbitmq-server's node is told its port there). */
function processesWithEnv(mark: string): string[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(mark);
      } catch {
        return false;
      }
    });
}

describe("npm run demo -- --broker rabbitmq", () => {
  let demo: RunningDemo;
  let port: string;

  before(async () => {
    demo = await runDemo(await freePort(), 180_000, ["--broker", "rabbitmq"]);
    port = /broker:\s+amqp:\/\/[^@]+@127\.0\.0\.1:(\d+)\//.exec(demo.output())?.[1] ?? "";
  });

  after(() => demo?.interrupt());

  it("says its broker is a private RabbitMQ node", () => {
    assert.ok(port, `no amqp:// broker line in:\n${demo.output().slice(-2000)}`);
    assert.match(demo.output(), /a private RabbitMQ node; results in a private redis-server/);
  });

  it("serves both workers over AMQP and every queue from the management API", async () => {
    await eventually(
      async () => {
        const body = (await (await fetch(`${demo.agentUrl}/api/v1/workers`)).json()) as { workers: { name: string; status: string }[]; source: string };
        return body.workers.filter((w) => w.status === "online").length === 2 && /on RabbitMQ amqp:\/\//.test(body.source);
      },
      60_000,
      "both demo workers online on RabbitMQ",
    );
    const queues = await eventually(
      async () => {
        const body = (await (await fetch(`${demo.agentUrl}/api/v1/queues`)).json()) as { queues: { name: string; messages: number | null }[]; source: string };
        return body.queues.find((q) => q.name === "parked")?.messages ? body : null;
      },
      60_000,
      "parked tasks counted",
    );
    assert.match(queues.source, /^RabbitMQ management API http:\/\/guest:\*{8}@127\.0\.0\.1:\d+ /);
  });

  it("stops the RabbitMQ node on Ctrl-C with everything else", async () => {
    const mark = `RABBITMQ_NODE_PORT=${port}`;
    assert.notDeepEqual(processesWithEnv(mark), [], "the node is found by its port while the demo runs");
    const { code, signal } = await demo.interrupt();
    // npm re-raises the SIGINT it got once its script has finished; the demo itself exits 0.
    assert.ok(code === 0 || signal === "SIGINT", `npm run demo ended with ${code ?? signal}`);
    assert.match(demo.output(), /stopped rabbitmq-server\s+pid \d+/);
    assert.match(demo.output(), /Everything the demo started is stopped\./);
    assert.deepEqual(processesWithEnv(mark), [], "no process of the demo's RabbitMQ node is left");
  });
});
