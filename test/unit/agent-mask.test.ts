// Secrets masking: maskSecrets / maskString / isSecretKey (agent/base/mask.ts).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { isSecretKey, MASK, maskSecrets, maskString } from "../../agent/base/mask";

describe("isSecretKey", () => {
  // What is masked: names that say "credential".
  const SECRET = [
    "API_KEY",
    "api_key",
    "apiKey",
    "api_keys",
    "payment_api_key",
    "auth_token",
    "Token",
    "secret_key",
    "SECRET",
    "SECRET_KEY",
    "password",
    "broker_password",
    "redis_password",
    "db_pass",
    "pin_pass",
    "PASSPHRASE",
    "passwd",
    "signature",
    "request_signature",
    "aws_access_key_id",
    "s3_access_key_id",
    "s3_secret_access_key",
    "aws_secret_access_key",
    "security_key",
    "private_key",
    "stripe_key",
    "key",
    "sig",
    "client_secret",
    "credentials",
    "sentry_dsn",
    "http_auth",
    "auth",
    "session_cookie",
  ];
  // What is not: configuration that merely has such a word in its name (values with a URL still lose its password).
  const NOT_SECRET = [
    "broker_url",
    "result_backend",
    "timezone",
    "worker_concurrency",
    "routing_key",
    "ROUTING_KEY",
    "task_default_routing_key",
    "binding_key",
    "global_keyprefix",
    "keyprefix_queue",
    "redbeat_key_prefix",
    "unacked_key",
    "unacked_index_key",
    "unacked_mutex_key",
    "redbeat_redis_url",
    "database_table_names",
    "database_table_schemas",
    "database_engine_options",
    "database_short_lived_sessions",
    "database_url",
    "database",
    "DATABASE_URL",
    "cassandra_keyspace",
    "cosmosdbsql_database_name",
    "cassandra_auth_provider",
    "cassandra_auth_kwargs",
    "apiUrl",
    "security_cert_store",
    "security_certificate",
    "keyspace",
  ];
  test("credentials are secret", () => {
    for (const k of SECRET) assert.equal(isSecretKey(k), true, k);
  });
  test("names, routing keys, key prefixes, keyspaces and database settings are not", () => {
    for (const k of NOT_SECRET) assert.equal(isSecretKey(k), false, k);
  });
});

describe("maskSecrets", () => {
  test("values under secret keys are masked, innocent ones kept", () => {
    const conf = {
      SECRET_KEY: "django-insecure-abc",
      aws_secret_access_key: "wJalrXUtnFEMI",
      sentry_api_token: "sntrys_123",
      database_password: "pg",
      broker_pool_limit: 10,
      timezone: "Europe/Berlin",
      worker_concurrency: 4,
    };
    assert.deepEqual(maskSecrets(conf), {
      SECRET_KEY: MASK,
      aws_secret_access_key: MASK,
      sentry_api_token: MASK,
      database_password: MASK,
      broker_pool_limit: 10,
      timezone: "Europe/Berlin",
      worker_concurrency: 4,
    });
  });

  test("numbers, lists and dicts under a secret key are masked whole", () => {
    assert.deepEqual(maskSecrets({ pin_pass: 1234, api_keys: ["k1", "k2"], credentials: { user: "u", pw: "x" } }), {
      pin_pass: MASK,
      api_keys: MASK,
      credentials: MASK,
    });
  });

  test("a database dict is walked: its PASSWORD masked, its names kept", () => {
    assert.deepEqual(maskSecrets({ database: { NAME: "app", HOST: "h", PASSWORD: "pg" } }), { database: { NAME: "app", HOST: "h", PASSWORD: MASK } });
  });

  test("nested dicts are walked", () => {
    const v = { broker_transport_options: { master_name: "mymaster", sentinel_kwargs: { password: "sentinel-pw", socket_timeout: 0.5 } } };
    assert.deepEqual(maskSecrets(v), { broker_transport_options: { master_name: "mymaster", sentinel_kwargs: { password: MASK, socket_timeout: 0.5 } } });
  });

  test("URL passwords under innocent keys (Celery leaves redbeat_redis_url alone)", () => {
    assert.deepEqual(maskSecrets({ redbeat_redis_url: "redis://:beatpw@redis:6379/2" }), { redbeat_redis_url: "redis://:********@redis:6379/2" });
    assert.deepEqual(maskSecrets({ broker_url: "redis://user:brokerpw@h/0" }), { broker_url: "redis://user:********@h/0" });
  });

  test("URL passwords inside lists (a failover list of broker URLs), nested lists too", () => {
    const v = { broker_url: ["redis://:pw1@a:6379/0", "redis://:pw2@b:6379/0", "redis://c:6379/0"], other: [["sentinel://:pw3@s:26379"]] };
    assert.deepEqual(maskSecrets(v), {
      broker_url: ["redis://:********@a:6379/0", "redis://:********@b:6379/0", "redis://c:6379/0"],
      other: [["sentinel://:********@s:26379"]],
    });
    assert.deepEqual(maskSecrets(["redis://:top@h"]), ["redis://:********@h"]);
    assert.equal(maskSecrets("redis://:top@h"), "redis://:********@h");
  });

  test("?password= and other secret query parameters are masked, others kept", () => {
    assert.equal(
      maskSecrets("redis://h:6379/0?password=pw&ssl_cert_reqs=none&token=tk&db=1"),
      "redis://h:6379/0?password=********&ssl_cert_reqs=none&token=********&db=1",
    );
    assert.equal(maskString("azureblockblob://acct/c?sv=2022&sig=abc123"), "azureblockblob://acct/c?sv=2022&sig=********");
    assert.deepEqual(maskSecrets({ result_backend: "rediss://h/1?ssl_cert_reqs=required&access_key=AKIA#frag" }), {
      result_backend: "rediss://h/1?ssl_cert_reqs=required&access_key=********#frag",
    });
  });

  test("maskString leaves empty or already-masked query values and plain text alone", () => {
    assert.equal(maskString("redis://h/0?password=&db=1"), "redis://h/0?password=&db=1");
    assert.equal(maskString("redis://h/0?password=********"), "redis://h/0?password=********");
    assert.equal(maskString("what? a password=x here"), "what? a password=x here");
    assert.equal(maskString("no secrets here"), "no secrets here");
  });

  test("routing keys, key prefixes, table names, keyspaces and database names are not masked", () => {
    const v = {
      task_default_routing_key: "celery",
      task_queues: [{ name: "high", routing_key: "high.#" }],
      broker_transport_options: { global_keyprefix: "acme:", keyprefix_queue: "_kombu.binding.%s" },
      task_routes: [{ "proj.*": { queue: "high", routing_key: "high.work" } }],
      database_table_names: { task: "celery_taskmeta", group: "celery_groupmeta" },
      cassandra_keyspace: "celery",
      cosmosdbsql_database_name: "celerydb",
    };
    assert.deepEqual(maskSecrets(v), v);
  });

  test("null, booleans and empty strings under secret keys are kept (they reveal nothing)", () => {
    assert.deepEqual(maskSecrets({ password: null, use_token: true, require_signature: false, api_key: "", secret: undefined }), {
      password: null,
      use_token: true,
      require_signature: false,
      api_key: "",
      secret: undefined,
    });
  });

  test("the input is not modified", () => {
    const v = { password: "x", nested: { url: "redis://:pw@h" } };
    const copy = structuredClone(v);
    maskSecrets(v);
    assert.deepEqual(v, copy);
  });

  test("deep input is cut, not followed (no stack overflow)", () => {
    let obj: unknown = "redis://:leaf@h";
    for (let i = 0; i < 100_000; i++) obj = i % 2 ? { k: obj } : [obj];
    const out = maskSecrets(obj);
    let cur: unknown = out;
    let depth = 0;
    while (typeof cur === "object" && cur !== null) {
      cur = Array.isArray(cur) ? cur[0] : (cur as { k: unknown }).k;
      depth++;
    }
    assert.equal(cur, "[too deep]");
    assert.equal(depth, 33);
  });

  test("a cyclic object ends at the depth limit too", () => {
    const a: Record<string, unknown> = { name: "a" };
    a.self = a;
    assert.doesNotThrow(() => maskSecrets(a));
  });
});
