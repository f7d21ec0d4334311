/**
 * amqps:// against a real TLS listener: a private RabbitMQ node presenting a certificate for
 * 127.0.0.1 from a CA made for this run (and asking clients for theirs: verify_peer, none
 * required). The transport trusts it through ssl_ca_certs, refuses a certificate its CA did not
 * sign (said as such, the password masked, the agent serving on), skips the check on
 * ssl_cert_reqs=CERT_NONE, and says when the scheme does not match the port; a real Celery worker over TLS is seen online by the agent over TLS.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openBroker } from "../../agent/protocol/brokers";
import type { BrokerTransport } from "../../agent/protocol/transport";
import { CeleryWorker, eventually, healthWithBrokerError, RedisServer, startAgent, stopAll } from "../harness/deployment";
import { RabbitMQNode } from "../harness/rabbitmq";
import { makeCa } from "../harness/tls-certs";

const VHOST = "secure";
const USER = "panel";
const PASSWORD = "tls-p@ss:w0rd";
const WORKER = "tls@panel";
/** Python's ssl.CERT_REQUIRED (broker_use_ssl reaches the fixture as JSON). */
const PY_CERT_REQUIRED = 2;

after(() => stopAll());

describe("amqps:// on a private RabbitMQ node's TLS listener", () => {
  let node: RabbitMQNode;
  let redis: RedisServer;
  /** A CA that signed nothing the broker presents. */
  let otherCaDir: string;
  let otherCa: string;
  const opened: BrokerTransport[] = [];
  const open = async (query: string) => {
    const b = openBroker(node.url({ tls: true, vhost: VHOST, user: USER, password: PASSWORD, query }));
    opened.push(b);
    await b.start();
    return b;
  };
  /** The TLS connections the node holds, by user ("ssl" as RabbitMQ reports it). */
  const tlsConnections = async () =>
    (await node.ctl("list_connections", "--no-table-headers", "user", "ssl"))
      .split("\n")
      .filter((l) => l.endsWith("\ttrue"))
      .map((l) => l.split("\t")[0]);
  /** Closes `b` and waits until the node no longer lists a TLS connection of the user (so the next test counts its own). */
  const closeTls = async (b: BrokerTransport) => {
    await b.close();
    await eventually(async () => !(await tlsConnections()).includes(USER), 15_000, "the TLS connection gone");
  };

  before(async () => {
    otherCaDir = mkdtempSync(join(tmpdir(), "celery-panel-other-ca-"));
    [node, redis, { certFile: otherCa }] = await Promise.all([
      RabbitMQNode.start({ tls: { verify: "verify_peer" } }),
      RedisServer.start(),
      makeCa(otherCaDir, "other-ca"),
    ]);
    await node.addVhostAndUser(VHOST, USER, PASSWORD);
  });

  after(async () => {
    await Promise.allSettled(opened.map((b) => b.close()));
    await Promise.allSettled([node?.destroy(), redis?.destroy()]);
    rmSync(otherCaDir, { recursive: true, force: true });
  });

  it("connects with ssl_ca_certs=<the broker's CA>&ssl_cert_reqs=CERT_REQUIRED, over TLS", async () => {
    const b = await open(`ssl_ca_certs=${encodeURIComponent(node.tls!.caFile)}&ssl_cert_reqs=CERT_REQUIRED`);
    await eventually(async () => b.status().state === "connected", 10_000, `connected (status: ${JSON.stringify(b.status())})`);
    assert.ok((await tlsConnections()).includes(USER), "the broker holds a TLS connection of the user");
    await closeTls(b);
  });

  it("a certificate from another CA is refused: unavailable, saying it was not trusted, the password masked", async () => {
    const b = await open(`ssl_ca_certs=${encodeURIComponent(otherCa)}&ssl_cert_reqs=CERT_REQUIRED`);
    const s = await eventually(async () => (b.status().state === "unavailable" && b.status().error ? b.status() : null), 10_000, "unavailable with a reason");
    assert.match(s.error!, /certificate was not trusted/);
    assert.ok(s.error!.includes(otherCa), `names the CA file it trusted: ${s.error}`);
    assert.match(s.error!, /ssl_cert_reqs=CERT_NONE/, "says how to skip the check");
    assert.ok(s.error!.includes(`user "${USER}"`), s.error!);
    assert.ok(!s.error!.includes(PASSWORD) && !b.description.includes(PASSWORD) && !b.description.includes(encodeURIComponent(PASSWORD)), "password masked");
    await b.close();
  });

  it("ssl_cert_reqs=CERT_NONE connects over TLS without the CA", async () => {
    const b = await open("ssl_cert_reqs=CERT_NONE");
    await eventually(async () => b.status().state === "connected", 10_000, `connected (status: ${JSON.stringify(b.status())})`);
    assert.ok((await tlsConnections()).includes(USER), "the broker holds a TLS connection of the user");
    await closeTls(b);
  });

  it("a scheme that does not match the port is said: amqps:// to the plain port, amqp:// to the TLS port", async () => {
    const plainPortUrl = node.url({ vhost: VHOST, user: USER, password: PASSWORD, query: "ssl_cert_reqs=CERT_NONE" }).replace(/^amqp:/, "amqps:");
    const tlsPortUrl = node.url({ tls: true, vhost: VHOST, user: USER, password: PASSWORD }).replace(/^amqps:/, "amqp:");
    for (const [url, said] of [
      [plainPortUrl, /no TLS handshake on this port .*amqps:\/\/ needs the broker's TLS listener/],
      [tlsPortUrl, /if this port is the broker's TLS listener, use amqps:\/\//],
    ] as const) {
      const b = openBroker(url);
      opened.push(b);
      await b.start();
      const s = await eventually(async () => (b.status().state === "unavailable" && b.status().error ? b.status() : null), 10_000, "unavailable with a reason");
      assert.match(s.error!, said);
      assert.ok(!s.error!.includes(PASSWORD), "password masked");
      await b.close();
    }
  });

  it("the agent on a certificate it does not trust keeps serving and says why in /health", async () => {
    const url = node.url({ tls: true, vhost: VHOST, user: USER, password: PASSWORD, query: `ssl_ca_certs=${encodeURIComponent(otherCa)}` });
    const agent = await startAgent(["--broker", url, "--result-backend", redis.url(1)]);
    try {
      const health = { body: await healthWithBrokerError(agent) };
      assert.equal(health.body.broker.state, "unavailable");
      assert.match(health.body.broker.error!, /certificate was not trusted/);
      assert.equal((await agent.get("/api/v1/workers")).status, 200, "still serving");
      assert.ok(!JSON.stringify(health.body).includes(PASSWORD), "password masked");
      assert.ok(!agent.output().includes(PASSWORD), "nor in the log");
    } finally {
      await agent.stop();
    }
  });

  it("a Celery worker over TLS (broker_use_ssl) is seen online by the agent over TLS", async () => {
    const caQuery = `ssl_ca_certs=${encodeURIComponent(node.tls!.caFile)}&ssl_cert_reqs=CERT_REQUIRED`;
    // py-amqp refuses ssl_* in the URL (a TypeError in its SSLTransport): Celery on RabbitMQ takes them from broker_use_ssl.
    const brokerUseSsl = { ca_certs: node.tls!.caFile, cert_reqs: PY_CERT_REQUIRED };
    const worker = await CeleryWorker.start({
      name: WORKER,
      pool: "solo",
      queues: ["tls"],
      broker: node.url({ tls: true, vhost: VHOST, user: USER, password: PASSWORD }),
      backend: redis.url(1),
      env: { FIXTURE_EXTRA_SETTINGS: JSON.stringify({ broker_use_ssl: brokerUseSsl }) },
    });
    const agent = await startAgent([
      "--broker",
      node.url({ tls: true, vhost: VHOST, user: USER, password: PASSWORD, query: caQuery }),
      "--result-backend",
      redis.url(1),
    ]);
    try {
      await eventually(
        async () => (await agent.get<any>("/api/v1/workers")).body.workers?.some((w: any) => w.name === WORKER && w.status === "online"),
        30_000,
        "the worker online in /api/v1/workers",
      );
      const tls = await tlsConnections();
      assert.ok(tls.filter((u) => u === USER).length >= 2, `the worker's and the agent's connections are TLS: ${tls.join(", ")}`);
    } finally {
      await Promise.allSettled([agent.stop(), worker.stop()]);
    }
  });
});
