/** AMQP URLs as Celery and kombu read them (agent/protocol/amqp/url.ts), through the factory. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BrokerUrlError, parseBrokerUrl } from "../../agent/protocol/brokers";
import type { AmqpTarget } from "../../agent/protocol/amqp/url";

const parse = (url: string) => parseBrokerUrl(url) as AmqpTarget;

describe("AMQP URLs", () => {
  test("vhost: empty, '/', '//' and '%2F' all mean '/'; others are URL-decoded", () => {
    for (const url of ["amqp://h", "amqp://h/", "amqp://h//", "amqp://h/%2F", "amqp://h:5672/%2f"]) assert.equal(parse(url).vhost, "/", url);
    assert.equal(parse("amqp://h/prod%2Feu").vhost, "prod/eu");
    assert.equal(parse("amqp://h/myapp").vhost, "myapp");
  });

  test("user and password URL-decoded, any character; guest by default", () => {
    const t = parse(`amqp://panel:${encodeURIComponent("p@ss:w/rd%")}@rabbit.internal:5673/x`);
    assert.deepEqual([t.username, t.password, t.endpoints], ["panel", "p@ss:w/rd%", [{ host: "rabbit.internal", port: 5673 }]]);
    // A raw '@' in the password: the host starts after the last '@', as Python's urlsplit reads it.
    assert.deepEqual([parse("amqp://u:a@b@h//").password, parse("amqp://u:a@b@h//").endpoints[0]!.host], ["a@b", "h"]);
    assert.deepEqual([parse("amqp://h").username, parse("amqp://h").password], ["guest", "guest"]);
  });

  test("schemes and ports: amqp 5672, amqps 5671 with TLS, pyamqp and librabbitmq aliases", () => {
    assert.deepEqual([parse("amqp://h").endpoints[0]!.port, parse("amqp://h").tls], [5672, false]);
    assert.deepEqual([parse("amqps://h").endpoints[0]!.port, parse("amqps://h").tls], [5671, true]);
    assert.equal(parse("pyamqp://h").kind, "amqp");
    assert.equal(parse("librabbitmq://h").kind, "amqp");
    assert.equal(parse("amqp://[::1]:5680//").endpoints[0]!.host, "::1");
  });

  test("query options kombu takes: heartbeat, connect_timeout, ssl_*", () => {
    const t = parse("amqps://h//?heartbeat=15&connect_timeout=2.5&ssl_cert_reqs=CERT_NONE&ssl_ca_certs=/etc/ca.pem&ssl_certfile=/c.pem&ssl_keyfile=/k.pem");
    assert.deepEqual(
      [t.heartbeatSeconds, t.connectTimeoutMs, t.tlsVerify, t.caFile, t.certFile, t.keyFile],
      [15, 2500, "none", "/etc/ca.pem", "/c.pem", "/k.pem"],
    );
    assert.equal(parse("amqps://h//?ssl_cert_reqs=CERT_OPTIONAL").tlsVerify, "optional");
    assert.equal(parse("amqps://h").tlsVerify, "required");
  });

  test("wrong input: a clear error that never names the password", () => {
    for (const [url, says] of [
      ["amqp://u:s3cret@h:notaport//", /port "notaport"/],
      ["amqp://u:s3cret@h//?ssl_cert_reqs=maybe", /ssl_cert_reqs/],
      ["amqp://u:s3cret@h//?heartbeat=-1", /heartbeat/],
      ["amqp://u:s3cret@h//?frobnicate=1", /unknown option "frobnicate"/],
    ] as const) {
      assert.throws(
        () => parse(url),
        (e: unknown) => e instanceof BrokerUrlError && says.test(e.message) && !e.message.includes("s3cret"),
        url,
      );
    }
  });
});
