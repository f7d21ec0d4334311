// --broker-api, --broker-api-insecure, --broker-api-ca, and rpc:// result backends (agent/options.ts).

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";

import { helpText, OptionError, readArgv, resolveOptions } from "../../agent/options";
import { privateResultBackend } from "../../agent/protocol/brokers";

const AMQP = "amqp://guest:guest@rabbit:5672/prod";
const resolve = (argv: Record<string, string> = {}, env: Record<string, string> = {}) => resolveOptions(argv, env);

function optionError(f: () => unknown): OptionError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof OptionError, `expected an OptionError, got ${(e as Error).message}`);
    return e;
  }
  assert.fail("expected an OptionError");
}

describe("--broker-api", () => {
  test("absent: null", () => {
    assert.equal(resolve({ broker: AMQP }).brokerApi, null);
  });

  test("from the flag or CELERY_PANEL_BROKER_API; TLS verified unless --broker-api-insecure", () => {
    assert.deepEqual(resolve({ broker: AMQP, "broker-api": "https://u:p@rabbit:15671" }).brokerApi, {
      url: "https://u:p@rabbit:15671",
      verifyTls: true,
      ca: null,
    });
    const env = resolve({}, { CELERY_BROKER_URL: AMQP, CELERY_PANEL_BROKER_API: "http://rabbit:15672", CELERY_PANEL_BROKER_API_INSECURE: "true" });
    assert.deepEqual(env.brokerApi, { url: "http://rabbit:15672", verifyTls: false, ca: null });
    assert.deepEqual(readArgv(["--broker-api", "http://h:15672", "--broker-api-insecure"]), { "broker-api": "http://h:15672", "broker-api-insecure": "true" });
  });

  test("only an http(s) URL, its password masked in the error", () => {
    assert.match(
      optionError(() => resolve({ broker: AMQP, "broker-api": "ftp://u:hunter2@rabbit" })).message,
      /^--broker-api must be an http:\/\/ or https:\/\/ URL .*ftp:\/\/u:\*{8}@rabbit/,
    );
    assert.match(optionError(() => resolve({ broker: AMQP, "broker-api": "not a url" })).message, /^--broker-api: not a URL/);
    assert.doesNotMatch(optionError(() => resolve({ broker: AMQP, "broker-api": "ftp://u:hunter2@rabbit" })).message, /hunter2/);
  });

  test("only beside an amqp broker: a clear error beside Redis, the broker's password masked", () => {
    const e = optionError(() => resolve({ broker: "redis://:s3cret@h:6379/0", "broker-api": "http://rabbit:15672" }));
    assert.match(e.message, /--broker-api is RabbitMQ's management API: it needs an amqp:\/\/ broker, not redis:\/\/:\*{8}@h:6379\/0/);
    assert.doesNotMatch(e.message, /s3cret/);
  });

  test("--broker-api-insecure or --broker-api-ca without --broker-api is refused", () => {
    assert.match(optionError(() => resolve({ broker: AMQP, "broker-api-insecure": "true" })).message, /need --broker-api/);
  });

  test("--broker-api-ca: a readable PEM file, read at start", () => {
    const dir = mkdtempSync(join(tmpdir(), "panel-ca-"));
    try {
      const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
      writeFileSync(join(dir, "ca.pem"), pem);
      writeFileSync(join(dir, "junk.txt"), "hello");
      const ok = resolve({ broker: AMQP, "broker-api": "https://rabbit:15671", "broker-api-ca": join(dir, "ca.pem") });
      assert.equal(ok.brokerApi?.ca, pem);
      assert.match(
        optionError(() => resolve({ broker: AMQP, "broker-api": "https://rabbit:15671", "broker-api-ca": join(dir, "missing.pem") })).message,
        /^--broker-api-ca: cannot read .*missing\.pem: ENOENT/,
      );
      assert.match(
        optionError(() => resolve({ broker: AMQP, "broker-api": "https://rabbit:15671", "broker-api-ca": join(dir, "junk.txt") })).message,
        /holds no PEM certificate/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("documented in --help with its environment variables", () => {
    const help = helpText();
    for (const s of ["--broker-api ", "CELERY_PANEL_BROKER_API", "--broker-api-insecure", "--broker-api-ca"]) assert.ok(help.includes(s), s);
  });
});

describe("rpc:// and amqp:// result backends", () => {
  test("accepted: the agent starts with no result backend to open, and knows why", () => {
    for (const url of ["rpc://", "rpc://guest:guest@rabbit//"]) {
      const o = resolve({ broker: AMQP, "result-backend": url });
      assert.equal(o.resultBackend, url);
      assert.equal(o.resultBackendTarget, null);
    }
    assert.match(privateResultBackend("rpc://")!, /reply queue of the client that sent the task: no third party can read it/);
    assert.match(privateResultBackend("amqp://guest@rabbit//")!, /no third party can read them/);
  });

  test("other backends keep working beside a RabbitMQ broker", () => {
    assert.equal(privateResultBackend("redis://h:6379/1"), null);
    assert.equal(resolve({ broker: AMQP, "result-backend": "redis://h:6379/1" }).resultBackendTarget?.kind, "tcp");
  });
});
