// Command line and environment: readArgv, resolveOptions, helpText, isLoopback (agent/options.ts).

import assert from "node:assert/strict";
import { hostname } from "node:os";
import { describe, test } from "node:test";

import { defaultName, helpText, isLoopback, OPTION_SPECS, OptionError, readArgv, resolveOptions } from "../../agent/options";
import { defaultTransportOptions } from "../../agent/protocol/redis/keys";
import { parseRedisUrl } from "../../agent/protocol/redis/url";

function optionError(f: () => unknown): OptionError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof OptionError, `expected an OptionError, got ${(e as Error).constructor.name}: ${(e as Error).message}`);
    return e;
  }
  assert.fail("expected an OptionError");
}

const resolve = (argv: Record<string, string> = {}, env: Record<string, string> = {}) => resolveOptions(argv, env);

describe("readArgv", () => {
  test("--flag=value and --flag value", () => {
    assert.deepEqual(readArgv(["--broker=redis://h:6380/1", "--port", "6000", "--token", "abcdefgh12"]), {
      broker: "redis://h:6380/1",
      port: "6000",
      token: "abcdefgh12",
    });
  });

  test('only the first "=" splits; an empty value after "=" is a value', () => {
    assert.deepEqual(readArgv(['--transport-options={"sep":"="}', "--name="]), { "transport-options": '{"sep":"="}', name: "" });
  });

  test("no arguments -> {}; a repeated flag keeps the last", () => {
    assert.deepEqual(readArgv([]), {});
    assert.deepEqual(readArgv(["--port=1", "--port=2"]), { port: "2" });
  });

  test("--help, -h and --version win wherever they are", () => {
    assert.equal(readArgv(["--help"]), "help");
    assert.equal(readArgv(["--port", "1", "-h"]), "help");
    assert.equal(readArgv(["--version"]), "version");
  });

  test("unknown option", () => {
    assert.match(optionError(() => readArgv(["--brokr", "x"])).message, /unknown option --brokr/);
    assert.match(optionError(() => readArgv(["--brokr=x"])).message, /unknown option --brokr \(see --help\)/);
  });

  test('a switch (--json) takes no value unless given with "="', () => {
    assert.deepEqual(readArgv(["--json", "--port", "1"]), { json: "true", port: "1" });
    assert.equal(resolve(readArgv(["--json"]) as Record<string, string>).jsonLogs, true);
    assert.equal(resolve(readArgv(["--json=false"]) as Record<string, string>).jsonLogs, false);
    assert.match(optionError(() => resolve({ json: "maybe" })).message, /^--json is a switch: true or false, not "maybe"$/);
  });

  test("missing value", () => {
    assert.match(optionError(() => readArgv(["--port"])).message, /^--port needs a value$/);
    assert.match(optionError(() => readArgv(["--host", "0.0.0.0", "--token"])).message, /^--token needs a value$/);
  });

  test("a bare argument is refused", () => {
    assert.match(optionError(() => readArgv(["redis://h"])).message, /unexpected argument "redis:\/\/h"/);
    assert.match(optionError(() => readArgv(["-p", "1"])).message, /unexpected argument "-p"/);
  });
});

describe("resolveOptions: defaults, environment, precedence", () => {
  test("defaults", () => {
    const o = resolve();
    assert.equal(o.broker, "redis://127.0.0.1:6379/0");
    assert.deepEqual(o.brokerTarget.endpoints, [{ host: "127.0.0.1", port: 6379 }]);
    assert.equal("db" in o.brokerTarget && o.brokerTarget.db, 0);
    assert.equal(o.resultBackend, null);
    assert.equal(o.resultBackendTarget, null);
    assert.equal(o.host, "127.0.0.1");
    assert.equal(o.port, 5580);
    assert.equal(o.token, null);
    assert.equal(o.name, hostname(), "a loopback broker names nothing: the machine does");
    assert.deepEqual(o.transportOptions, defaultTransportOptions);
    assert.equal(o.inspectTimeoutMs, 1000);
    assert.deepEqual([o.stuckAfterMs, o.trendWindowMs], [60_000, 60_000]);
    assert.equal(o.maxTasks, 100000);
    assert.deepEqual(o.allowedHosts, []);
    assert.equal(o.jsonLogs, false);
  });

  test("every option from its environment variable when the flag is absent", () => {
    const o = resolve(
      {},
      {
        CELERY_BROKER_URL: "redis://:pw@broker:6380/2",
        CELERY_RESULT_BACKEND: "redis://results:6379/3",
        CELERY_PANEL_HOST: "0.0.0.0",
        CELERY_PANEL_PORT: "7000",
        CELERY_PANEL_TOKEN: "tok-123456789",
        CELERY_PANEL_NAME: "prod",
        CELERY_PANEL_TRANSPORT_OPTIONS: '{"global_keyprefix": "acme:"}',
        CELERY_PANEL_INSPECT_TIMEOUT: "250",
        CELERY_PANEL_MAX_TASKS: "5000",
        CELERY_PANEL_ALLOWED_HOSTS: "panel.example.com, Other.Example ",
        CELERY_PANEL_JSON_LOGS: "true",
      },
    );
    assert.equal(o.broker, "redis://:pw@broker:6380/2");
    assert.equal(o.brokerTarget.password, "pw");
    assert.equal("db" in o.brokerTarget && o.brokerTarget.db, 2);
    assert.equal(o.resultBackend, "redis://results:6379/3");
    assert.equal("db" in o.resultBackendTarget! && o.resultBackendTarget.db, 3);
    assert.equal(o.host, "0.0.0.0");
    assert.equal(o.port, 7000);
    assert.equal(o.token, "tok-123456789");
    assert.equal(o.name, "prod");
    assert.equal(o.transportOptions.global_keyprefix, "acme:");
    assert.equal(o.inspectTimeoutMs, 250);
    assert.equal(o.maxTasks, 5000);
    assert.deepEqual(o.allowedHosts, ["panel.example.com", "other.example"]);
    assert.equal(o.jsonLogs, true);
  });

  test("flags beat environment variables", () => {
    const o = resolve(
      { broker: "redis://flag:6379/1", port: "6001", name: "from-flag" },
      { CELERY_BROKER_URL: "redis://env:6379/2", CELERY_PANEL_PORT: "6002", CELERY_PANEL_NAME: "from-env" },
    );
    assert.equal(o.broker, "redis://flag:6379/1");
    assert.equal(o.port, 6001);
    assert.equal(o.name, "from-flag");
  });

  test("an empty environment variable counts as unset", () => {
    const o = resolve({}, { CELERY_BROKER_URL: "", CELERY_PANEL_PORT: "", CELERY_PANEL_TOKEN: "" });
    assert.equal(o.broker, "redis://127.0.0.1:6379/0");
    assert.equal(o.port, 5580);
    assert.equal(o.token, null);
  });

  test('default name: the broker host name, else this machine\'s host name, else "local"', () => {
    assert.equal(resolve({ broker: "redis://cache.internal:6379/0" }).name, "cache.internal");
    assert.equal(resolve({ broker: "sentinel://s1:26379;sentinel://s2:26379" }).name, "s1");
    // An IP address, loopback or a socket path says nothing about the deployment: the machine's name does.
    for (const broker of [
      "redis://10.0.3.7:6379/0",
      "redis://[fd00::7]:6379/0",
      "redis://localhost:6379/0",
      "redis://127.0.0.1:6379/0",
      "redis+socket:///run/redis.sock",
    ]) {
      assert.equal(resolve({ broker }).name, hostname(), broker);
      assert.equal(defaultName(parseRedisUrl(broker), "worker-host-3"), "worker-host-3", broker);
      assert.equal(defaultName(parseRedisUrl(broker), ""), "local", broker);
    }
    assert.equal(defaultName(parseRedisUrl("redis://cache.internal:6379/0"), "worker-host-3"), "cache.internal");
  });

  test("transport options: known keys used, other Celery options accepted and dropped", () => {
    const o = resolve({
      "transport-options": JSON.stringify({
        global_keyprefix: "acme:",
        priority_steps: [0, 5],
        sep: ":",
        fanout_prefix: false,
        fanout_patterns: false,
        master_name: "mymaster",
        visibility_timeout: 43200,
        socket_timeout: 5,
        retry_policy: { max_retries: 3 },
      }),
    });
    assert.deepEqual(o.transportOptions, {
      ...defaultTransportOptions,
      global_keyprefix: "acme:",
      priority_steps: [0, 5],
      sep: ":",
      fanout_prefix: false,
      fanout_patterns: false,
      master_name: "mymaster",
      visibility_timeout: 43200,
    });
  });
});

describe("resolveOptions: errors", () => {
  test("port: not a number, negative, out of range", () => {
    assert.match(optionError(() => resolve({ port: "http" })).message, /^--port must be a whole number, not "http"$/);
    assert.match(optionError(() => resolve({ port: "-1" })).message, /--port must be a whole number/);
    assert.match(optionError(() => resolve({ port: "80.5" })).message, /--port must be a whole number/);
    assert.match(optionError(() => resolve({ port: "65536" })).message, /^--port must be between 0 and 65535, not 65536$/);
    assert.equal(resolve({ port: "65535" }).port, 65535);
    assert.equal(resolve({ port: "0" }).port, 0);
  });

  test("inspect timeout: 50..60000 ms", () => {
    assert.match(optionError(() => resolve({ "inspect-timeout": "1s" })).message, /--inspect-timeout must be a whole number/);
    assert.match(optionError(() => resolve({ "inspect-timeout": "49" })).message, /--inspect-timeout must be between 50 and 60000, not 49/);
    assert.match(optionError(() => resolve({ "inspect-timeout": "60001" })).message, /between 50 and 60000/);
    assert.equal(resolve({ "inspect-timeout": "50" }).inspectTimeoutMs, 50);
  });

  test("the diagnostics' thresholds: --stuck-after and --trend-window in seconds", () => {
    assert.deepEqual([resolve({ "stuck-after": "5" }).stuckAfterMs, resolve({ "trend-window": "15" }).trendWindowMs], [5000, 15_000]);
    assert.match(optionError(() => resolve({ "stuck-after": "0" })).message, /--stuck-after must be between 1 and 86400, not 0/);
    assert.match(optionError(() => resolve({ "stuck-after": "2m" })).message, /--stuck-after must be a whole number/);
    assert.match(optionError(() => resolve({ "trend-window": "9" })).message, /--trend-window must be between 10 and 600, not 9/);
  });

  test("max tasks: 100..50,000,000, whole numbers only", () => {
    assert.match(optionError(() => resolve({ "max-tasks": "99" })).message, /--max-tasks must be between 100 and 50000000, not 99/);
    assert.match(optionError(() => resolve({ "max-tasks": "1e6" })).message, /--max-tasks must be a whole number, not "1e6"/);
    assert.match(optionError(() => resolve({ "max-tasks": "" })).message, /--max-tasks must be a whole number/);
    assert.equal(resolve({ "max-tasks": "100" }).maxTasks, 100);
  });

  test("bad broker / result backend URL names the option", () => {
    assert.match(optionError(() => resolve({ broker: "kafka://guest@rabbit//" })).message, /^--broker: unsupported scheme kafka:/);
    assert.match(optionError(() => resolve({ broker: "amqp://guest@rabbit:x//" })).message, /^--broker: port "x" is not a number/);
    assert.match(optionError(() => resolve({}, { CELERY_BROKER_URL: "redis://h/x" })).message, /^--broker: database number "x"/);
    assert.match(optionError(() => resolve({ "result-backend": "db+mysql://u:p@h/db" })).message, /^--result-backend: .*SQLite and PostgreSQL only/);
    assert.match(optionError(() => resolve({ "result-backend": "mongodb://h/db" })).message, /^--result-backend: unsupported scheme/);
    assert.equal(resolve({ "result-backend": "db+postgresql://u:p@h/db" }).resultBackendTarget?.kind, "database");
  });

  test("transport options: invalid JSON", () => {
    assert.match(optionError(() => resolve({ "transport-options": "{'global_keyprefix': 'x'}" })).message, /^--transport-options is not valid JSON$/);
  });

  test("transport options: a wrong type names the key", () => {
    const cases: [unknown, RegExp][] = [
      [{ priority_steps: "x" }, /^--transport-options: priority_steps: /],
      [{ priority_steps: [0, 3.5] }, /^--transport-options: priority_steps\.1: /],
      [{ priority_steps: [] }, /^--transport-options: priority_steps: /],
      [{ fanout_patterns: "yes" }, /^--transport-options: fanout_patterns: /],
      [{ fanout_prefix: 1 }, /^--transport-options: fanout_prefix: /],
      [{ sep: "" }, /^--transport-options: sep: /],
      [{ global_keyprefix: 5 }, /^--transport-options: global_keyprefix: /],
      [{ visibility_timeout: -1 }, /^--transport-options: visibility_timeout: /],
      [[1, 2], /^--transport-options: value: /],
      [null, /^--transport-options: value: /],
    ];
    for (const [v, re] of cases) assert.match(optionError(() => resolve({ "transport-options": JSON.stringify(v) })).message, re, JSON.stringify(v));
  });

  test("a token shorter than 8 characters", () => {
    assert.match(optionError(() => resolve({ token: "short" })).message, /^--token must be at least 8 characters$/);
    assert.match(optionError(() => resolve({ token: "" })).message, /at least 8/);
    assert.equal(resolve({ token: "12345678" }).token, "12345678");
  });

  test("a non-loopback host without a token is refused; with one it is accepted", () => {
    for (const host of ["0.0.0.0", "192.168.1.10", "::", "panel.example.com", "127.0.0.1.nip.io"]) {
      assert.match(optionError(() => resolve({ host })).message, new RegExp(`^refusing to listen on ${host.replace(/\./g, "\\.")} without --token`), host);
      assert.equal(resolve({ host, token: "a-long-token" }).host, host);
    }
  });

  test("limited tokens: repeatable, from a comma-separated environment variable, each 8 characters or more", () => {
    assert.deepEqual(readArgv(["--limited-token", "limited-one", "--limited-token=limited-two"]), { "limited-token": "limited-one,limited-two" });
    assert.deepEqual(resolve({ "limited-token": "limited-one,limited-two" }).limitedTokens, ["limited-one", "limited-two"]);
    assert.deepEqual(resolve({}, { CELERY_PANEL_LIMITED_TOKENS: " limited-one , limited-two," }).limitedTokens, ["limited-one", "limited-two"]);
    assert.deepEqual(resolve().limitedTokens, []);
    assert.match(optionError(() => resolve({ "limited-token": "limited-one,short" })).message, /--limited-token: each token must be at least 8/);
    assert.match(optionError(() => resolve({ token: "same-token-1", "limited-token": "same-token-1" })).message, /cannot also be the full --token/);
    // A limited token alone keeps strangers out as well as a full one does.
    assert.equal(resolve({ host: "0.0.0.0", "limited-token": "limited-one" }).host, "0.0.0.0");
  });

  test("--redact is a switch, off by default", () => {
    assert.equal(resolve().redact, false);
    assert.equal(resolve({ redact: "true" }).redact, true);
    assert.equal(resolve({}, { CELERY_PANEL_REDACT: "yes" }).redact, true);
    assert.deepEqual(readArgv(["--redact"]), { redact: "true" });
  });

  test("loopback hosts need no token", () => {
    for (const host of ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST"]) assert.equal(resolve({ host }).host, host);
  });

  test("a host that is not an address", () => {
    assert.match(optionError(() => resolve({ host: "a b" })).message, /--host "a b" is not an address/);
    assert.match(optionError(() => resolve({ host: "h/x" })).message, /is not an address/);
  });

  test("error messages never echo a password from a URL", () => {
    const pw = "Pr0dSecret";
    const bad: Record<string, string>[] = [
      { broker: `redis://:${pw}@h/x` },
      { broker: `amqp://user:${pw}@rabbit:x//` },
      { broker: `amqp://user:${pw}@rabbit//?ssl_cert_reqs=sometimes` },
      { broker: `kafka://user:${pw}@rabbit//` },
      { broker: `redis://:${pw}@h:99999/0` },
      { broker: `rediss://:${pw}@h/0?ssl_cert_reqs=sometimes` },
      { "result-backend": `redis://u:${pw}@h/nope` },
      { broker: `sentinel://:${pw}@a;redis://:${pw}@b` },
    ];
    for (const argv of bad) assert.ok(!optionError(() => resolve(argv)).message.includes(pw), JSON.stringify(argv));
  });

  test('error messages never echo a password holding a raw "@"', () => {
    const msg = optionError(() => resolve({ broker: "redis://:Top@Secret@h/x" })).message;
    assert.ok(!msg.includes("Secret"), msg);
  });

  test('a "%" not followed by hex in a URL password gives an OptionError, not a crash', () => {
    let err: unknown = null;
    try {
      resolve({ broker: "redis://:50%off@h/0" });
    } catch (e) {
      err = e;
    }
    assert.ok(err === null || err instanceof OptionError, `threw ${(err as Error)?.constructor.name}: ${(err as Error)?.message}`);
  });
});

describe("isLoopback", () => {
  test("loopback forms", () => {
    for (const h of ["127.0.0.1", "127.255.255.254", "::1", "[::1]", "localhost", "LocalHost"]) assert.equal(isLoopback(h), true, h);
  });
  test("everything else", () => {
    for (const h of ["0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "127.0.0.1.evil.com", "localhost.evil.com", "127.1", "::ffff:10.0.0.1", ""])
      assert.equal(isLoopback(h), false, h);
  });
});

describe("helpText", () => {
  test("mentions every option, its environment variable and its default", () => {
    const text = helpText();
    assert.equal(OPTION_SPECS.length, 26);
    for (const o of OPTION_SPECS) {
      assert.match(text, new RegExp(`--${o.flag}\\s`), o.flag);
      assert.ok(text.includes(`env ${o.env}`), o.env);
      if (o.default) assert.ok(text.includes(`(default ${o.default})`), `${o.flag} default`);
    }
    assert.match(text, /--help\s/);
    assert.match(text, /--version\s/);
    assert.match(text, /^Usage: celery-panel-agent \[options\]/);
  });

  test("the documented flags are exactly the ones readArgv accepts", () => {
    const documented = [...helpText().matchAll(/^ {2}--([a-z-]+)/gm)].map((m) => m[1]!);
    for (const flag of documented) {
      if (flag === "help" || flag === "version") continue;
      assert.doesNotThrow(() => readArgv([`--${flag}=x`]), flag);
    }
    assert.deepEqual(documented.filter((f) => f !== "help" && f !== "version").sort(), OPTION_SPECS.map((o) => o.flag).sort());
  });
});

describe("--history", () => {
  test("postgres:// and postgresql:// select PostgreSQL; the path shown is masked; sqlite and no value keep the file", () => {
    for (const scheme of ["postgres", "postgresql"]) {
      const h = resolve({ history: `${scheme}://app:Sup3r-Secret@db.internal:5432/panel` }).history!;
      assert.equal(h.postgres?.kind, "postgres");
      assert.equal(h.postgres?.url, `${scheme}://app:Sup3r-Secret@db.internal:5432/panel`);
      assert.doesNotMatch(h.path, /Sup3r-Secret/);
      assert.match(h.path, /db\.internal:5432\/panel/);
    }
    const env = resolve({}, { CELERY_PANEL_HISTORY: "postgres://u:pw@h/db" }).history!;
    assert.equal(env.postgres?.kind, "postgres");
    for (const argv of [{}, { history: "sqlite" }] as Record<string, string>[]) {
      const h = resolve(argv).history!;
      assert.equal(h.postgres, null);
      assert.match(h.path, /\.sqlite$/);
    }
    assert.equal(resolve({ history: "postgres://u:pw@h/db", "no-history": "true" }).history, null);
  });

  test("an unknown scheme or a bad URL is an option error, its password masked", () => {
    for (const bad of ["mysql://u:Sup3r-Secret@h/db", "redis://h", "postgres://u:Sup3r-Secret@h", "postgres://u:Sup3r-Secret@/db", "/var/lib/h.sqlite"]) {
      const e = optionError(() => resolve({ history: bad }));
      assert.match(e.message, /--history/, bad);
      assert.doesNotMatch(e.message, /Sup3r-Secret/, bad);
    }
  });
});
