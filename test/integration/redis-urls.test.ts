/**
 * Redis URLs as Celery reads them, for real: a broker behind Sentinel (sentinel:// with
 * master_name) and a TLS broker (rediss://), each with a worker the agent must see.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { CeleryWorker, eventually, freePort, RedisServer, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";

const dir = mkdtempSync(join(tmpdir(), "celery-panel-urls-"));
const children: ReturnType<typeof spawn>[] = [];

after(async () => {
  await stopAll();
  for (const c of children) c.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

async function waitForPort(port: number): Promise<void> {
  const { createConnection } = await import("node:net");
  await eventually(
    () =>
      new Promise<boolean>((resolve) => {
        const s = createConnection({ port, host: "127.0.0.1" }, () => {
          s.destroy();
          resolve(true);
        });
        s.on("error", () => resolve(false));
      }),
    10_000,
    `port ${port}`,
  );
}

async function seesWorkerAndTask(agent: AgentProcess, worker: string, taskId: string): Promise<void> {
  const w = await eventually(
    async () => {
      const r = await agent.get<any>("/api/v1/workers");
      return r.body.workers?.find((x: any) => x.name === worker && x.status === "online" && x.pool);
    },
    15_000,
    `${worker} online`,
  );
  assert.equal(w.pool, "prefork");
  const t = await eventually(
    async () => {
      const r = await agent.get<any>(`/api/v1/tasks/${taskId}`);
      return r.status === 200 && r.body.state === "SUCCESS" ? r.body : null;
    },
    15_000,
    "task seen",
  );
  assert.deepEqual(t.result_value, { format: "json", value: 5 });
}

it("follows a broker behind Redis Sentinel", async () => {
  const redis = await RedisServer.start();
  const sentinelPort = await freePort();
  const conf = join(dir, "sentinel.conf");
  writeFileSync(conf, [`port ${sentinelPort}`, "bind 127.0.0.1", `dir ${dir}`, `sentinel monitor panelmaster 127.0.0.1 ${redis.port} 1`, ""].join("\n"));
  const sentinel = spawn("redis-server", [conf, "--sentinel"], { stdio: "ignore" });
  children.push(sentinel);
  await waitForPort(sentinelPort);
  const broker = `sentinel://127.0.0.1:${sentinelPort}/0`;
  const env = { FIXTURE_TRANSPORT_OPTIONS: JSON.stringify({ master_name: "panelmaster" }) };
  await CeleryWorker.start({ name: "sw@panel", pool: "prefork", concurrency: 1, queues: ["celery"], broker, backend: redis.url(1), env });
  const agent = await startAgent(["--broker", broker, "--result-backend", redis.url(1), "--transport-options", JSON.stringify({ master_name: "panelmaster" })]);
  const id = (await runPython(`import panel_fixture as p; r = p.add.delay(2, 3); r.get(timeout=20); print(r.id)`, broker, redis.url(1), env)).trim();
  await seesWorkerAndTask(agent, "sw@panel", id);
  const h = (await agent.get<any>("/api/v1/health")).body;
  assert.equal(h.broker.url, broker);
  await agent.stop();
  await redis.destroy();
});

it("talks TLS to a rediss:// broker", async () => {
  // A throwaway CA and server certificate for 127.0.0.1.
  const ca = join(dir, "ca");
  const sh = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  sh(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=panel-test-ca", "-keyout", `${ca}.key`, "-out", `${ca}.crt`]);
  sh(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"]);
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
  sh([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    `${ca}.crt`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    "san.ext",
    "-out",
    "server.crt",
  ]);
  const port = await freePort();
  const server = spawn(
    "redis-server",
    [
      "--port",
      "0",
      "--tls-port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--tls-cert-file",
      join(dir, "server.crt"),
      "--tls-key-file",
      join(dir, "server.key"),
      "--tls-ca-cert-file",
      `${ca}.crt`,
      "--tls-auth-clients",
      "no",
    ],
    { stdio: "ignore" },
  );
  children.push(server);
  await waitForPort(port);
  // Celery and the agent both read ssl_cert_reqs from the URL; the test CA is not in the system store.
  const broker = `rediss://127.0.0.1:${port}/0?ssl_cert_reqs=none`;
  const backend = `rediss://127.0.0.1:${port}/1?ssl_cert_reqs=none`;
  await CeleryWorker.start({ name: "tw@panel", pool: "prefork", concurrency: 1, queues: ["celery"], broker, backend });
  const agent = await startAgent(["--broker", broker, "--result-backend", backend]);
  const id = (await runPython(`import panel_fixture as p; r = p.add.delay(2, 3); r.get(timeout=20); print(r.id)`, broker, backend)).trim();
  await seesWorkerAndTask(agent, "tw@panel", id);
  await agent.stop();
});
