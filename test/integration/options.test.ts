/**
 * The command line as a user meets it: bad options stop the agent with one clear line, the
 * environment is read, and a broker that is not there leaves the agent up and saying so.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { after, describe, it } from "node:test";
import { join } from "node:path";
import { freePort, REPO_ROOT, startAgent, stopAll, eventually } from "../harness/deployment";

function runCli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(REPO_ROOT, "agent", "cli.ts"), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, CELERY_BROKER_URL: "", CELERY_RESULT_BACKEND: "", ...env },
    encoding: "utf8",
    timeout: 20_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

after(() => stopAll());

describe("bad options", () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [["--port", "http"], {}, /--port must be a whole number/],
    [["--port", "70000"], {}, /--port must be between 0 and 65535/],
    [["--broker", "kafka://guest@localhost//"], {}, /--broker: unsupported scheme kafka:/],
    [["--broker", "amqp://guest:hunter2@localhost//?ssl_cert_reqs=sometimes"], {}, /--broker: ssl_cert_reqs must be/],
    [["--result-backend", "cassandra://guest:hunter2@localhost/"], {}, /--result-backend: unsupported scheme cassandra:/],
    [["--broker", "redis://:hunter2@host/abc"], {}, /database number "abc"/],
    [["--frobnicate", "1"], {}, /unknown option --frobnicate/],
    [["--inspect-timeout", "5"], {}, /--inspect-timeout must be between 50/],
    [["--transport-options", "{nope"], {}, /--transport-options is not valid JSON/],
    [["--transport-options", '{"priority_steps": "0,3"}'], {}, /--transport-options: priority_steps/],
    [["--host", "0.0.0.0"], {}, /refusing to listen on 0\.0\.0\.0 without --token/],
    [["--token", "short"], {}, /--token must be at least 8/],
    [[], { CELERY_BROKER_URL: "mongodb://x" }, /--broker: unsupported scheme mongodb:/],
    [["--history", "mysql://panel:hunter2@db/ops"], {}, /--history must be sqlite or a postgres:\/\/ or postgresql:\/\/ URL/],
    [[], { CELERY_PANEL_HISTORY: "postgres://panel:hunter2@db" }, /--history: .* names no database/],
  ];
  for (const [args, env, message] of cases) {
    it(`refuses ${args.join(" ") || JSON.stringify(env)}`, () => {
      const r = runCli(args, env);
      assert.equal(r.status, 2);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
      assert.ok(!r.stderr.includes("hunter2"), "a password is never echoed");
    });
  }

  it("lists every option with its environment variable in --help", () => {
    const r = runCli(["--help"]);
    assert.equal(r.status, 0);
    for (const flag of ["broker", "result-backend", "host", "port", "token", "name", "transport-options", "inspect-timeout", "max-tasks"]) {
      assert.match(r.stdout, new RegExp(`--${flag}\\b`));
    }
    assert.match(r.stdout, /CELERY_BROKER_URL/);
    assert.match(r.stdout, /CELERY_RESULT_BACKEND/);
  });
});

describe("a port that is taken", () => {
  it("stops with status 2 and a line that names --port", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      // Asynchronously: this process must keep accepting on the taken port meanwhile.
      const child = spawn(
        process.execPath,
        ["--import", "tsx", join(REPO_ROOT, "agent", "cli.ts"), "--port", String(port), "--broker", `redis://127.0.0.1:${await freePort()}/0`],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, CELERY_BROKER_URL: "", CELERY_RESULT_BACKEND: "" },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const status = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      clearTimeout(timer);
      assert.equal(status, 2, stderr);
      assert.match(stderr, new RegExp(`port ${port} is in use \\(another agent\\?\\): choose another with --port N`));
    } finally {
      taken.close();
    }
  });
});

describe("a broker that is not there", () => {
  it("keeps the agent up and says the broker is unavailable", async () => {
    const port = await freePort();
    const agent = await startAgent([], { CELERY_BROKER_URL: `redis://127.0.0.1:${port}/0`, CELERY_PANEL_NAME: "from-env" });
    const h = await eventually(
      async () => {
        const r = await agent.get<any>("/api/v1/health");
        return r.body.broker.state === "unavailable" ? r.body : null;
      },
      10_000,
      "broker unavailable",
    );
    assert.equal(h.agent.name, "from-env", "options come from the environment");
    assert.match(h.broker.error, /ECONNREFUSED/);
    assert.equal(h.result_backend.state, "disabled");
    const queues = await agent.get<any>("/api/v1/queues");
    assert.equal(queues.status, 503);
    assert.equal(queues.body.error.code, "broker_unavailable");
    const workers = await agent.get<any>("/api/v1/workers");
    assert.equal(workers.status, 200, "what is known is still served");
    await agent.stop();
  });
});
