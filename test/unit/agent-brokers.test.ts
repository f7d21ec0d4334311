// The transport factory (agent/protocol/brokers.ts): the URL's scheme picks the transport; an
// unknown one is refused naming every supported scheme, and no password is echoed.

import assert from "node:assert/strict";
import { test } from "node:test";

import { brokerSchemes, BrokerUrlError, openBroker, openResultBackend, parseBrokerUrl, parseResultBackendUrl } from "../../agent/protocol/brokers";

test("every Redis scheme opens the Redis transport, not connected until started", async () => {
  for (const url of ["redis://h:6379/0", "rediss://h:6380/1", "redis+socket:///run/redis.sock", "sentinel://s1:26379;sentinel://s2:26379"]) {
    const broker = openBroker(url);
    assert.equal(broker.kind, "redis", url);
    assert.equal(broker.status().state, "connecting", url);
    assert.ok(broker.queues, "Redis lists its queues");
    await broker.close();
  }
  const backend = openResultBackend("redis://:pw@h:6379/1");
  assert.equal(backend.description, "redis://:********@h:6379/1");
  await backend.close();
  assert.deepEqual(brokerSchemes(), ["redis://", "rediss://", "redis+socket://", "sentinel://", "amqp://", "amqps://"]);
});

test("amqp://, amqps:// and the pyamqp:// alias open the RabbitMQ transport; RabbitMQ is no result backend", async () => {
  for (const url of ["amqp://u:pw@rabbit//", "amqps://u:pw@rabbit/prod", "pyamqp://rabbit"]) {
    const broker = openBroker(url);
    assert.equal(broker.kind, "amqp", url);
    assert.equal(broker.status().state, "connecting", url);
    assert.equal(broker.queues?.messagePeek, null, "RabbitMQ cannot read waiting messages in place");
    assert.ok(!broker.description.includes(":pw@"), broker.description);
    await broker.close();
  }
  for (const f of [parseResultBackendUrl, openResultBackend]) {
    assert.throws(
      () => f("amqp://guest:Pr0dSecret@rabbit//"),
      (e: Error) => e instanceof BrokerUrlError && /RabbitMQ is not a result backend/.test(e.message) && !e.message.includes("Pr0dSecret"),
    );
  }
});

test("an unknown scheme is refused, naming the supported ones and no secret", () => {
  for (const parse of [parseBrokerUrl, parseResultBackendUrl, openBroker, openResultBackend]) {
    const err = (() => {
      try {
        parse("kafka://guest:Pr0dSecret@rabbit//");
      } catch (e) {
        return e as Error;
      }
      assert.fail("accepted kafka://");
    })();
    assert.ok(err instanceof BrokerUrlError);
    assert.equal(
      err.message,
      "unsupported scheme kafka:// in kafka://guest:********@rabbit// (expected redis://, rediss://, redis+socket://, sentinel://, amqp:// or amqps://)",
    );
  }
  assert.throws(
    () => parseBrokerUrl("not a url"),
    (e: Error) => e instanceof BrokerUrlError && /not a URL/.test(e.message),
  );
  assert.throws(
    () => parseBrokerUrl("redis://h/x"),
    (e: Error) => e instanceof BrokerUrlError && /database number "x"/.test(e.message),
  );
});
