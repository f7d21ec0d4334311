// Redis URLs as Celery/kombu read them: parseRedisUrl and maskUrl (agent/protocol/redis/url.ts).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { parseRedisUrl, RedisUrlError } from "../../agent/protocol/redis/url";
import { maskUrl } from "../../agent/base/mask";

function parseError(url: string): RedisUrlError {
  try {
    parseRedisUrl(url);
  } catch (e) {
    assert.ok(e instanceof RedisUrlError, `expected a RedisUrlError, got ${(e as Error).constructor.name}: ${(e as Error).message}`);
    return e;
  }
  assert.fail(`expected ${url} to be refused`);
}

describe("parseRedisUrl: tcp", () => {
  test("redis://host: default port 6379 and db 0, no credentials, no TLS", () => {
    assert.deepEqual(parseRedisUrl("redis://broker.internal"), {
      kind: "tcp",
      endpoints: [{ host: "broker.internal", port: 6379 }],
      username: undefined,
      password: undefined,
      db: 0,
      tls: false,
      tlsVerify: "required",
    });
    assert.equal(parseRedisUrl("redis://h/").db, 0);
  });

  test("port and db from the URL; db also from ?db=", () => {
    const t = parseRedisUrl("redis://h:6380/7");
    assert.deepEqual(t.endpoints, [{ host: "h", port: 6380 }]);
    assert.equal(t.db, 7);
    assert.equal(parseRedisUrl("redis://h:6380?db=4").db, 4);
  });

  test("percent-encoded password is decoded: redis://:pa%40ss@h:6380/3", () => {
    const t = parseRedisUrl("redis://:pa%40ss@h:6380/3");
    assert.equal(t.password, "pa@ss");
    assert.equal(t.username, undefined);
    assert.deepEqual(t.endpoints, [{ host: "h", port: 6380 }]);
    assert.equal(t.db, 3);
  });

  test("username and password (Redis 6 ACL)", () => {
    const t = parseRedisUrl("redis://celery%2Dapp:s3cr%3At@h/1");
    assert.equal(t.username, "celery-app");
    assert.equal(t.password, "s3cr:t");
    assert.equal(t.db, 1);
  });

  test("IPv6 host: brackets stripped", () => {
    assert.deepEqual(parseRedisUrl("redis://[::1]:6380/2").endpoints, [{ host: "::1", port: 6380 }]);
    assert.deepEqual(parseRedisUrl("redis://:pw@[fd00::2]/0").endpoints, [{ host: "fd00::2", port: 6379 }]);
  });

  test("several redis:// URLs (failover alternates): the first is used", () => {
    const t = parseRedisUrl("redis://a:6379/1;redis://b:6380/2");
    assert.equal(t.kind, "tcp");
    assert.deepEqual(t.endpoints, [{ host: "a", port: 6379 }]);
    assert.equal(t.db, 1);
  });
});

describe("parseRedisUrl: TLS", () => {
  test("rediss:// is TLS, verification required by default", () => {
    const t = parseRedisUrl("rediss://:pw@h:6380/0");
    assert.equal(t.tls, true);
    assert.equal(t.tlsVerify, "required");
  });

  test("ssl_cert_reqs variants (kombu accepts CERT_* names and lower case)", () => {
    const cases: [string, string][] = [
      ["CERT_REQUIRED", "required"],
      ["required", "required"],
      ["CERT_OPTIONAL", "optional"],
      ["optional", "optional"],
      ["CERT_NONE", "none"],
      ["none", "none"],
      ["cert_none", "none"],
    ];
    for (const [v, want] of cases) assert.equal(parseRedisUrl(`rediss://h:6380/0?ssl_cert_reqs=${v}`).tlsVerify, want, v);
  });

  test("an invalid ssl_cert_reqs is an error naming the value", () => {
    assert.match(parseError("rediss://h/0?ssl_cert_reqs=maybe").message, /ssl_cert_reqs must be required, optional or none, not "maybe"/);
  });
});

describe("parseRedisUrl: sockets and sentinels", () => {
  test("redis+socket:///tmp/r.sock?virtual_host=2", () => {
    assert.deepEqual(parseRedisUrl("redis+socket:///tmp/r.sock?virtual_host=2"), {
      kind: "socket",
      endpoints: [],
      socketPath: "/tmp/r.sock",
      username: undefined,
      password: undefined,
      db: 2,
      tls: false,
      tlsVerify: "required",
    });
  });

  test("unix:// and socket:// with ?db= or no db", () => {
    const u = parseRedisUrl("unix:///var/run/redis/redis.sock");
    assert.equal(u.kind, "socket");
    assert.equal(u.socketPath, "/var/run/redis/redis.sock");
    assert.equal(u.db, 0);
    assert.equal(parseRedisUrl("unix:///tmp/r.sock?db=5").db, 5);
    assert.equal(parseRedisUrl("socket:///tmp/r.sock?virtual_host=3").db, 3);
  });

  test("a socket URL with a non-numeric db is an error", () => {
    assert.match(parseError("redis+socket:///tmp/r.sock?virtual_host=abc").message, /database number "abc" is not a whole number/);
  });

  test("sentinel://a:26379;sentinel://b:26380/1: endpoints merged, db and credentials from the first", () => {
    const t = parseRedisUrl("sentinel://:pw@a:26379;sentinel://b:26380/1");
    assert.equal(t.kind, "sentinel");
    assert.deepEqual(t.endpoints, [
      { host: "a", port: 26379 },
      { host: "b", port: 26380 },
    ]);
    assert.equal(t.db, 0);
    assert.equal(t.password, "pw");
  });

  test("sentinel default port is 26379; spaces around ; are tolerated", () => {
    const t = parseRedisUrl("sentinel://a/2 ; sentinel://b ;");
    assert.deepEqual(t.endpoints, [
      { host: "a", port: 26379 },
      { host: "b", port: 26379 },
    ]);
    assert.equal(t.db, 2);
  });

  test("mixing sentinel:// with redis:// is an error", () => {
    assert.match(parseError("sentinel://a:26379;redis://b:6379").message, /cannot mix sentinel:\/\/ with redis:\/\//);
  });
});

describe("parseRedisUrl: errors", () => {
  test("bad scheme", () => {
    const e = parseError("amqp://guest:guest@rabbit:5672//");
    assert.match(e.message, /unsupported scheme amqp:\/\//);
    assert.match(parseError("http://h/0").message, /unsupported scheme http:/);
  });

  test("not a URL at all, empty", () => {
    assert.match(parseError("localhost:6379").message, /unsupported scheme|not a URL/);
    assert.match(parseError("just words").message, /not a URL/);
    assert.match(parseError("").message, /empty Redis URL/);
    assert.match(parseError(" ; ").message, /empty Redis URL/);
  });

  test("non-numeric or negative db", () => {
    assert.match(parseError("redis://h/abc").message, /database number "abc" is not a whole number/);
    assert.match(parseError("redis://h/-1").message, /database number "-1"/);
    assert.match(parseError("redis://h/1.5").message, /database number "1.5"/);
    assert.match(parseError("redis://h?db=x").message, /database number "x"/);
  });

  test("a port out of range is refused", () => {
    assert.match(parseError("redis://h:99999/0").message, /not a URL/);
  });

  test("error messages never contain the password", () => {
    const pw = "Sup3rS3cret";
    const bad = [
      `amqp://user:${pw}@h/0`,
      `redis://:${pw}@h/abc`,
      `redis://user:${pw}@h:99999/0`,
      `redis://:${pw}@/0`,
      `rediss://:${pw}@h/0?ssl_cert_reqs=maybe`,
      `sentinel://:${pw}@a;redis://:${pw}@b`,
      `redis+socket://:${pw}@/tmp/r.sock?virtual_host=nope`,
    ];
    for (const url of bad) {
      const e = parseError(url);
      assert.ok(!e.message.includes(pw), `leaked in: ${e.message}`);
    }
  });

  test('a literal "%" in a password (kombu unquotes leniently) does not escape as a URIError', () => {
    let t: ReturnType<typeof parseRedisUrl>;
    try {
      t = parseRedisUrl("redis://:50%off@h/0");
    } catch (e) {
      assert.ok(e instanceof RedisUrlError, `threw ${(e as Error).constructor.name}: ${(e as Error).message}`);
      return;
    }
    assert.equal(t.password, "50%off");
  });
});

describe("maskUrl", () => {
  test("masks the password, keeps user, host, port, db", () => {
    assert.equal(maskUrl("redis://:s3cret@h:6379/0"), "redis://:********@h:6379/0");
    assert.equal(maskUrl("rediss://celery:s3cret@h:6380/1?ssl_cert_reqs=none"), "rediss://celery:********@h:6380/1?ssl_cert_reqs=none");
    assert.equal(maskUrl("redis://:pa%40ss@h:6380/3"), "redis://:********@h:6380/3");
  });

  test("several URLs in one string (sentinel lists, prose)", () => {
    assert.equal(maskUrl("sentinel://:p1@a:26379;sentinel://:p2@b:26380/1"), "sentinel://:********@a:26379;sentinel://:********@b:26380/1");
    assert.equal(
      maskUrl("broker redis://:one@a/0 and backend rediss://u:two@b/1 (amqp://g:three@c//)"),
      "broker redis://:********@a/0 and backend rediss://u:********@b/1 (amqp://g:********@c//)",
    );
  });

  test("URLs without a password are left alone", () => {
    for (const s of [
      "redis://h:6379/0",
      "redis://user@h/0",
      "redis+socket:///tmp/r.sock?virtual_host=2",
      "sentinel://a:26379;sentinel://b:26380",
      "plain text: 10:30 @ noon",
    ]) {
      assert.equal(maskUrl(s), s);
    }
  });

  test('an "@" after the host (path or query) in a URL with no password leaves it alone', () => {
    assert.equal(maskUrl("redis://h:6379/0?client_name=w1@vm"), "redis://h:6379/0?client_name=w1@vm");
  });

  test("idempotent on an already-masked URL", () => {
    const once = maskUrl("redis://u:s3cret@h/0;redis://:x@y/1");
    assert.equal(once, "redis://u:********@h/0;redis://:********@y/1");
    assert.equal(maskUrl(once), once);
    assert.equal(maskUrl("redis://:********@h/0"), "redis://:********@h/0");
  });

  test('a password holding a raw "@" is masked whole (the URL parser takes the last "@")', () => {
    assert.equal(parseRedisUrl("redis://:p@ss@h:6379/0").password, "p@ss");
    assert.equal(maskUrl("redis://:p@ss@h:6379/0"), "redis://:********@h:6379/0");
  });
});
