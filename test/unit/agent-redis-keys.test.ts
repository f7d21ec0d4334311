// Where kombu's Redis transport keeps things: BrokerKeys (agent/protocol/redis/keys.ts).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { BrokerKeys, defaultTransportOptions, type TransportOptions } from "../../agent/protocol/redis/keys";

const SEP = "\x06\x16";
const keys = (over: Partial<TransportOptions> = {}, db = 0) => new BrokerKeys({ ...defaultTransportOptions, ...over }, db);

describe("stepFor (kombu: steps[bisect_right(steps, n) - 1])", () => {
  test("default steps [0, 3, 6, 9]", () => {
    const k = keys();
    const got = Array.from({ length: 11 }, (_, n) => k.stepFor(n));
    assert.deepEqual(got, [0, 0, 0, 3, 3, 3, 6, 6, 6, 9, 9]);
  });

  test("steps [0..9]: identity, 10 -> 9", () => {
    const k = keys({ priority_steps: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] });
    for (let n = 0; n <= 9; n++) assert.equal(k.stepFor(n), n);
    assert.equal(k.stepFor(10), 9);
  });

  test("unsorted steps are sorted first", () => {
    const k = keys({ priority_steps: [9, 0, 6, 3] });
    assert.deepEqual(k.steps, [0, 3, 6, 9]);
    assert.deepEqual(
      [2, 3, 8, 9].map((n) => k.stepFor(n)),
      [0, 3, 6, 9],
    );
  });

  test("below the first step wraps to the last, as Python index -1 does", () => {
    assert.equal(keys().stepFor(-1), 9);
    assert.equal(keys({ priority_steps: [2, 5] }).stepFor(1), 5);
  });

  test("the options object is not mutated by sorting", () => {
    const steps = [9, 0, 6, 3];
    keys({ priority_steps: steps });
    assert.deepEqual(steps, [9, 0, 6, 3]);
  });
});

describe("queue lists", () => {
  test("step 0 is the bare queue name; other steps append sep + step", () => {
    const k = keys();
    assert.equal(k.queueList("celery", 0), "celery");
    assert.equal(k.queueList("celery", 3), `celery${SEP}3`);
    assert.equal(k.queueList("celery", 9), `celery${SEP}9`);
  });

  test("priorityLists: every step, in serving order", () => {
    assert.deepEqual(keys().priorityLists("parked"), [
      { step: 0, key: "parked" },
      { step: 3, key: `parked${SEP}3` },
      { step: 6, key: `parked${SEP}6` },
      { step: 9, key: `parked${SEP}9` },
    ]);
  });

  test("custom sep and global_keyprefix", () => {
    const k = keys({ sep: ":", global_keyprefix: "acme:" });
    assert.equal(k.queueList("parked", 0), "acme:parked");
    assert.equal(k.queueList("parked", 3), "acme:parked:3");
    assert.deepEqual(
      k.priorityLists("parked").map((x) => x.key),
      ["acme:parked", "acme:parked:3", "acme:parked:6", "acme:parked:9"],
    );
    assert.equal(keys({ global_keyprefix: "acme:" }).queueList("parked", 3), `acme:parked${SEP}3`);
  });

  test("duplicate steps give each list once", () => {
    assert.deepEqual(keys({ priority_steps: [0, 5, 5, 0] }).priorityLists("q"), [
      { step: 0, key: "q" },
      { step: 5, key: `q${SEP}5` },
    ]);
  });

  test("unacked keys carry the prefix and custom names", () => {
    assert.equal(keys().unackedKey, "unacked");
    assert.equal(keys().unackedIndexKey, "unacked_index");
    const k = keys({ global_keyprefix: "acme:", unacked_key: "u", unacked_index_key: "ui" });
    assert.equal(k.unackedKey, "acme:u");
    assert.equal(k.unackedIndexKey, "acme:ui");
  });
});

describe("bindings", () => {
  test("binding set keys, scan pattern and exchange extraction, with and without prefix", () => {
    const k = keys();
    assert.equal(k.bindingKey("celery"), "_kombu.binding.celery");
    assert.equal(k.bindingScanPattern, "_kombu.binding.*");
    assert.equal(k.exchangeOfBindingKey("_kombu.binding.reply.celery.pidbox"), "reply.celery.pidbox");
    assert.equal(k.exchangeOfBindingKey("celery"), null);
    const p = keys({ global_keyprefix: "acme:" });
    assert.equal(p.bindingKey("celery.pidbox"), "acme:_kombu.binding.celery.pidbox");
    assert.equal(p.bindingScanPattern, "acme:_kombu.binding.*");
    assert.equal(p.exchangeOfBindingKey("acme:_kombu.binding.celery"), "celery");
    assert.equal(p.exchangeOfBindingKey("_kombu.binding.celery"), null);
  });

  test("member parse: task queue, topic pattern, worker pidbox binding", () => {
    const k = keys();
    assert.deepEqual(k.parseBindingMember(`celery${SEP}${SEP}celery`), { routingKey: "celery", pattern: "", queue: "celery" });
    assert.deepEqual(k.parseBindingMember(`orders.*${SEP}^orders\\..*?[^\\.]$${SEP}orders`), {
      routingKey: "orders.*",
      pattern: "^orders\\..*?[^\\.]$",
      queue: "orders",
    });
    assert.deepEqual(k.parseBindingMember(`${SEP}${SEP}w1@vm.celery.pidbox`), { routingKey: "", pattern: "", queue: "w1@vm.celery.pidbox" });
  });

  test("member parse refuses the wrong number of parts", () => {
    const k = keys();
    assert.equal(k.parseBindingMember("celery"), null);
    assert.equal(k.parseBindingMember(`a${SEP}b`), null);
    assert.equal(k.parseBindingMember(`a${SEP}b${SEP}c${SEP}d`), null);
  });

  test("format/parse round trip, default and custom sep", () => {
    for (const sep of [SEP, "|"]) {
      const k = keys({ sep });
      for (const b of [
        { routingKey: "celery", pattern: "", queue: "celery" },
        { routingKey: "R1", pattern: "", queue: "R1.reply.celery.pidbox" },
        { routingKey: "", pattern: "", queue: "" },
      ]) {
        const member = k.bindingMember(b);
        assert.equal(member, [b.routingKey, b.pattern, b.queue].join(sep));
        assert.deepEqual(k.parseBindingMember(member), b);
      }
    }
  });
});

describe("fanout channels", () => {
  test("defaults: /<db>.<exchange>[/<routing key>]", () => {
    assert.equal(keys({}, 0).eventPattern("celeryev"), "/0.celeryev/*");
    assert.equal(keys({}, 0).fanoutChannel("celeryev", "worker.heartbeat"), "/0.celeryev/worker.heartbeat");
    assert.equal(keys({}, 5).fanoutChannel("celery.pidbox", ""), "/5.celery.pidbox");
    assert.equal(keys({}, 5).fanoutChannel("celery.pidbox"), "/5.celery.pidbox");
  });

  test("fanout_prefix false: no prefix", () => {
    const k = keys({ fanout_prefix: false }, 3);
    assert.equal(k.eventPattern("celeryev"), "celeryev/*");
    assert.equal(k.fanoutChannel("celery.pidbox"), "celery.pidbox");
  });

  test("fanout_prefix as a string: used as the prefix", () => {
    const k = keys({ fanout_prefix: "pfx." }, 3);
    assert.equal(k.eventPattern("celeryev"), "pfx.celeryev/*");
    assert.equal(k.fanoutChannel("celery.pidbox"), "pfx.celery.pidbox");
  });

  test("fanout_prefix string with {db} is formatted with the db, as kombu does", () => {
    assert.equal(keys({ fanout_prefix: "/{db}." }, 2).eventPattern("celeryev"), "/2.celeryev/*");
  });

  test("fanout_patterns false: routing key not appended, pattern is the bare channel", () => {
    const k = keys({ fanout_patterns: false }, 0);
    assert.equal(k.eventPattern("celeryev"), "/0.celeryev");
    assert.equal(k.fanoutChannel("celeryev", "worker.heartbeat"), "/0.celeryev");
  });

  test("global_keyprefix applies to channels too", () => {
    const k = keys({ global_keyprefix: "acme:" }, 0);
    assert.equal(k.eventPattern("celeryev"), "acme:/0.celeryev/*");
    assert.equal(k.fanoutChannel("celery.pidbox"), "acme:/0.celery.pidbox");
    assert.equal(keys({ global_keyprefix: "acme:", fanout_prefix: false }).eventPattern("celeryev"), "acme:celeryev/*");
  });

  test("behind Sentinel, kombu 5.2 leaves {db} unformatted: both channels are used", () => {
    const k = new BrokerKeys(defaultTransportOptions, 2, { sentinel: true });
    assert.deepEqual(k.eventPatterns("celeryev"), ["/2.celeryev/*", "/{db}.celeryev/*"]);
    assert.deepEqual(k.fanoutChannels("celery.pidbox"), ["/2.celery.pidbox", "/{db}.celery.pidbox"]);
    assert.deepEqual(new BrokerKeys(defaultTransportOptions, 2).fanoutChannels("celery.pidbox"), ["/2.celery.pidbox"]);
    assert.deepEqual(new BrokerKeys({ ...defaultTransportOptions, fanout_prefix: false }, 2, { sentinel: true }).eventPatterns("celeryev"), ["celeryev/*"]);
  });
});
