// decodeEnvelope on the bytes the broker hands over: kombu's envelopes (body first) take a path that
// cuts the body out of the bytes instead of parsing it as part of the envelope. Whatever the shape,
// the result must be exactly what decoding the same message as text gives.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { BodyDecoder, decodeEnvelope } from "../../agent/protocol/envelope";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** kombu's layout, with Python's json.dumps spacing. */
function kombu(body: string, extra = "", encoding = "base64", contentType = "application/json"): string {
  return `{"body": "${body}", "content-encoding": "utf-8", "content-type": "${contentType}", "headers": {"hostname": "w1@host"}, "properties": {"delivery_info": {"exchange": "celeryev", "routing_key": "task.multi"}, "body_encoding": "${encoding}", "delivery_tag": "1c6b2b1e"}${extra}}`;
}

function same(message: string, what: string): void {
  const fromBytes = decodeEnvelope(Buffer.from(message, "utf8"));
  const fromText = decodeEnvelope(message);
  const strip = (r: ReturnType<typeof decodeEnvelope>) => (r.ok ? r : { ok: false, reason: r.reason });
  assert.deepEqual(strip(fromBytes), strip(fromText), what);
}

describe("decodeEnvelope from bytes agrees with decoding the text", () => {
  const event = JSON.stringify([
    { type: "task-received", hostname: "w1@host", timestamp: 1795561437.7358272, uuid: "fc29855b-753c-4809-a8a1-f4546a3221cd", args: "('é', 'ü')" },
  ]);

  test("kombu envelopes: base64 body, padded or not, with line breaks", () => {
    same(kombu(b64(event)), "plain");
    same(kombu(b64("[1]")), "short");
    same(kombu(b64('{"a": 1}').replace(/=+$/, "")), "unpadded");
    same(kombu(b64(event).replace(/(.{60})/g, "$1\\n")), "MIME line breaks (escaped in JSON)");
    const r = decodeEnvelope(Buffer.from(kombu(b64(event))));
    assert.ok(r.ok);
    assert.deepEqual(r.envelope.body, JSON.parse(event));
    assert.equal(r.envelope.headers.hostname, "w1@host");
  });

  test("bodies that are not base64, not UTF-8, not JSON", () => {
    same(kombu("QUJD-_=="), "URL-safe alphabet");
    same(kombu("Y"), "4n+1 characters");
    same(kombu("QU=JDRA="), "padding inside");
    same(kombu(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString("base64")), "not UTF-8");
    same(kombu(b64('{"a": ')), "truncated JSON");
    same(kombu("ÄÖÜ"), "non-ASCII where base64 should be");
    same(kombu(b64("[".repeat(100) + "]".repeat(100))), "too deep");
  });

  test("shapes the shortcut must leave to the plain path", () => {
    same(kombu(b64("[1]"), ', "body": "WzJd"'), "a second body key: the last one wins");
    same(kombu('a\\"b', "", "utf-8"), "an escaped quote in an inline body");
    same(kombu('[1, \\"é\\"]', "", "utf-8"), "an inline (not base64) JSON string body with non-ASCII");
    same(`{"body": {"inline": true}, "content-type": "application/json"}`, "an object body");
    same(`{"content-type": "application/json", "body": "${b64("[1]")}", "properties": {"body_encoding": "base64"}}`, "body not first");
    same(kombu(b64("[1]"), "", "base64", "application/x-python-serialize"), "pickle refused");
    same(`{"body": "${b64("[1]")}"`, "truncated envelope");
    same(`{"body": "`, "nothing after the body key");
    same(kombu(b64("[NaN, Infinity]")), "Python's bare floats");
  });
});

describe("BodyDecoder (the event stream): bodies as decodeEnvelope gives them, the envelope learned once", () => {
  const withTag = (body: string, tag: string, extra = "", encoding = "base64", contentType = "application/json") =>
    `{"body": "${body}", "content-encoding": "utf-8", "content-type": "${contentType}", "headers": {"hostname": "w1@host"}, "properties": {"delivery_info": {"exchange": "celeryev", "routing_key": "task.multi"}, "body_encoding": "${encoding}", "delivery_tag": "${tag}"}${extra}}`;

  function agrees(d: BodyDecoder, message: string, what: string): void {
    const got = d.decode(Buffer.from(message, "utf8"));
    const want = decodeEnvelope(message);
    assert.deepEqual(
      got.ok ? { ok: true, body: got.body } : { ok: false, reason: got.reason },
      want.ok ? { ok: true, body: want.envelope.body } : { ok: false, reason: want.reason },
      what,
    );
  }

  test("a stream of one worker's envelopes, then envelopes that only look alike", () => {
    const d = new BodyDecoder();
    for (let i = 0; i < 50; i++) agrees(d, withTag(b64(`[{"type": "task-received", "n": ${i}}]`), `tag-${i}-${"x".repeat(i % 7)}`), `event ${i}`);
    agrees(d, withTag(b64("[1]"), "tag-a", "", "base64", "application/x-python-serialize"), "pickle with the same layout");
    agrees(d, withTag(b64("[1]"), "tag-b", "", "utf-8"), "another body encoding");
    agrees(d, withTag("[1, 2]", "tag-c", "", "plain"), "not base64");
    agrees(d, withTag(b64("[1]"), 'tag\\"d'), "an escaped tag");
    agrees(d, withTag(b64("[1]"), "tag-e", ', "body": "WzJd"'), "a second body key");
    agrees(d, withTag("not base64!", "tag-f"), "a body that is not base64, same layout");
    agrees(d, withTag(b64('{"a": '), "tag-g"), "a body that is not JSON");
    agrees(d, withTag(b64("[".repeat(80) + "]".repeat(80)), "tag-h"), "too deep");
    agrees(d, withTag(Buffer.from([0x5b, 0xff, 0x5d]).toString("base64"), "tag-i"), "not UTF-8");
    agrees(d, withTag(b64('["é"]'), "tag-j"), "UTF-8 inside base64");
    for (let i = 0; i < 40; i++) agrees(d, withTag(b64(`[${i}]`), `t${i}`).replace("w1@host", `w${i}@host`), `host ${i}: a new layout each time`);
  });

  test("size limit", () => {
    const d = new BodyDecoder({ maxBytes: 400, maxDepth: 64 });
    const small = withTag(b64("[1]"), "t1");
    assert.ok(d.decode(Buffer.from(small)).ok);
    const big = withTag(b64(`["${"x".repeat(300)}"]`), "t2");
    const r = d.decode(Buffer.from(big));
    assert.equal(r.ok ? "ok" : r.reason, "too_large");
  });
});
