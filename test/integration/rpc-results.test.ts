/**
 * An rpc:// result backend: each result goes to the reply queue of the client that sent the task,
 * which no third party can read. The agent starts anyway, given rpc:// or finding it in the
 * workers' configuration, says so in health, the configuration and the Tasks view's source line,
 * and shows the tasks from the workers' events. (On a Redis broker here: rpc:// works on any broker,
 * and the agent's handling does not depend on it.)
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { EndpointName } from "../../agent/api/schema";
import { contractGet } from "../harness/contract";
import { CeleryWorker, RedisServer, eventually, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";

const RPC = "rpc://";
let redis: RedisServer;
let given: AgentProcess;
let discovered: AgentProcess;
let taskId: string;

const get = <T = any>(agent: AgentProcess, name: EndpointName, path: string): Promise<T> => contractGet<T>(agent, name, path);

before(async () => {
  redis = await RedisServer.start();
  const broker = redis.url(0);
  await CeleryWorker.start({ name: "rpc@panel", pool: "solo", broker, backend: RPC });
  [given, discovered] = await Promise.all([startAgent(["--broker", broker, "--result-backend", RPC]), startAgent(["--broker", broker])]);
  // The caller waits for its own result on its reply queue, as rpc:// works.
  const out = await runPython("import panel_fixture as p; r = p.add.delay(20, 22); print(r.id); print(r.get(timeout=30))", broker, RPC);
  const [id, value] = out.trim().split("\n");
  assert.equal(value, "42", "the caller read its own result");
  taskId = id!;
});

after(async () => {
  await Promise.allSettled([given?.stop(), discovered?.stop()]);
  await stopAll();
  await redis?.destroy();
});

describe("rpc:// results", () => {
  it("given as --result-backend: health says no result can be read and why; the task comes from events", async () => {
    const h = await get(given, "health", "health");
    assert.equal(h.result_backend.state, "disabled");
    assert.equal(h.result_backend.url, RPC);
    assert.match(h.result_backend.error, /no third party can read it/);
    const task = await eventually(
      async () => {
        const t = await get(given, "task", `tasks/${taskId}`);
        return t.state === "SUCCESS" ? t : null;
      },
      20_000,
      "the task's success from events",
    );
    assert.deepEqual(task.sources, ["events"]);
    const list = await get(given, "tasks", "tasks");
    assert.match(list.source, /^events only on Redis redis:\/\/.*\(result backend rpc:\/\/: .*no third party can read it/);
  });

  it("found in the workers' configuration: the same, once the workers have said it", async () => {
    const h = await eventually(
      async () => {
        const b = await get(discovered, "health", "health");
        // Celery reports it as "rpc:///".
        return b.result_backend.url?.startsWith(RPC) ? b : null;
      },
      20_000,
      "rpc:// found in the workers' conf",
    );
    assert.equal(h.result_backend.state, "disabled");
    assert.match(h.result_backend.error, /reply queue of the client that sent the task/);
    const c = await get(discovered, "config", "config");
    assert.match(c.agent.result_backend, /^rpc:\/\/\/? \(not read: /);
    assert.match(discovered.output(), /result backend rpc:\/\/\/?: rpc:\/\/ sends each result/);
  });
});
