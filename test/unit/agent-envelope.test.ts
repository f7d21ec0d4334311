// The kombu envelope: decodeEnvelope / encodeEnvelope / parseJson (agent/protocol/envelope.ts).
// Envelope shapes follow kombu 5.2 on Redis: JSON object, base64 body, properties.body_encoding "base64".

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { decodeEnvelope, defaultDecodeLimits, encodeEnvelope, parseJson, type DecodeResult } from "../../agent/protocol/envelope";
import { seededRandom } from "./helpers/random";

const b64 = (s: string | Buffer) => (typeof s === "string" ? Buffer.from(s, "utf8") : s).toString("base64");

/** An envelope as kombu writes it: the body is base64 of its JSON. */
function kombu(body: unknown, over: Record<string, unknown> = {}, props: Record<string, unknown> = {}): string {
  return JSON.stringify({
    body: b64(JSON.stringify(body)),
    "content-encoding": "utf-8",
    "content-type": "application/json",
    headers: { clock: 7, expires: 1795558021.5 },
    properties: {
      delivery_mode: 2,
      delivery_info: { exchange: "celery.pidbox", routing_key: "" },
      priority: 0,
      body_encoding: "base64",
      delivery_tag: "b0a1c2d3",
      ...props,
    },
    ...over,
  });
}

function okBody(r: DecodeResult): unknown {
  assert.equal(r.ok, true, `expected ok, got ${JSON.stringify(r)}`);
  return (r as Extract<DecodeResult, { ok: true }>).envelope.body;
}

function failure(r: DecodeResult): { reason: string; detail: string } {
  assert.equal(r.ok, false, `expected a failure, got ${JSON.stringify(r)}`);
  return r as Extract<DecodeResult, { ok: false }>;
}

const STATS_REQUEST = {
  method: "stats",
  arguments: {},
  destination: null,
  pattern: null,
  matcher: null,
  ticket: "4f0f6a8e-1b2c-4d3e-9f00-0a1b2c3d4e5f",
  reply_to: { exchange: "reply.celery.pidbox", routing_key: "a9b8c7d6-0000-4000-8000-000000000001" },
};

describe("decodeEnvelope: bodies that decode", () => {
  test("base64 JSON body (kombu default): body parsed, headers/properties/content type kept", () => {
    const r = decodeEnvelope(kombu(STATS_REQUEST));
    assert.equal(r.ok, true);
    const env = (r as Extract<DecodeResult, { ok: true }>).envelope;
    assert.deepEqual(env.body, STATS_REQUEST);
    assert.deepEqual(env.headers, { clock: 7, expires: 1795558021.5 });
    assert.equal(env.contentType, "application/json");
    assert.deepEqual(env.properties.delivery_info, { exchange: "celery.pidbox", routing_key: "" });
    assert.equal(env.properties.delivery_tag, "b0a1c2d3");
  });

  test("a task.multi body (JSON array of events) decodes to the array", () => {
    const events = [
      { type: "task-received", uuid: "u1", hostname: "w1@vm", timestamp: 1795558020.1 },
      { type: "task-started", uuid: "u1", hostname: "w1@vm", timestamp: 1795558020.2 },
    ];
    assert.deepEqual(okBody(decodeEnvelope(kombu(events))), events);
  });

  test("non-ASCII text in a base64 body survives (UTF-8)", () => {
    const body = { args: "('héllo ✓ 日本',)" };
    assert.deepEqual(okBody(decodeEnvelope(kombu(body))), body);
  });

  test("base64 with line breaks (MIME style) is accepted", () => {
    const encoded = b64(JSON.stringify(STATS_REQUEST)).replace(/(.{20})/g, "$1\n");
    const raw = JSON.stringify({ body: encoded, "content-type": "application/json", properties: { body_encoding: "base64" } });
    assert.deepEqual(okBody(decodeEnvelope(raw)), STATS_REQUEST);
  });

  test("inline JSON object body (no body_encoding) is taken as is", () => {
    const raw = JSON.stringify({ body: { hello: [1, 2] }, "content-type": "application/json", headers: {}, properties: {} });
    assert.deepEqual(okBody(decodeEnvelope(raw)), { hello: [1, 2] });
  });

  test("inline JSON text body (a string, no body_encoding) is parsed", () => {
    const raw = JSON.stringify({ body: '{"w1@vm": {"ok": "pong"}}', "content-type": "application/json", properties: {} });
    assert.deepEqual(okBody(decodeEnvelope(raw)), { "w1@vm": { ok: "pong" } });
  });

  test("missing content-type defaults to JSON; JSON types are matched case-insensitively", () => {
    const noType = JSON.stringify({ body: b64("[1]"), properties: { body_encoding: "base64" } });
    assert.deepEqual(okBody(decodeEnvelope(noType)), [1]);
    for (const ct of ["Application/JSON", "application/x-json", "text/json"]) {
      const r = decodeEnvelope(kombu({ a: 1 }, { "content-type": ct }));
      assert.deepEqual(okBody(r), { a: 1 }, ct);
      assert.equal((r as Extract<DecodeResult, { ok: true }>).envelope.contentType, ct);
    }
  });

  test("headers/properties that are not objects become {}", () => {
    const raw = JSON.stringify({ body: { x: 1 }, headers: "nope", properties: [1, 2] });
    const r = decodeEnvelope(raw);
    assert.equal(r.ok, true);
    const env = (r as Extract<DecodeResult, { ok: true }>).envelope;
    assert.deepEqual(env.headers, {});
    assert.deepEqual(env.properties, {});
    assert.deepEqual(env.body, { x: 1 });
  });

  test("Buffer and Uint8Array input decode like the string", () => {
    const raw = kombu(STATS_REQUEST);
    assert.deepEqual(okBody(decodeEnvelope(Buffer.from(raw, "utf8"))), STATS_REQUEST);
    assert.deepEqual(okBody(decodeEnvelope(new Uint8Array(Buffer.from(raw, "utf8")))), STATS_REQUEST);
  });
});

describe("decodeEnvelope: content types never parsed", () => {
  for (const ct of ["application/x-python-serialize", "application/x-yaml", "application/x-msgpack"]) {
    test(`${ct} -> unsupported_content_type, naming the type`, () => {
      // A body that would be valid JSON...
      const f = failure(decodeEnvelope(kombu({ a: 1 }, { "content-type": ct })));
      assert.equal(f.reason, "unsupported_content_type");
      assert.match(f.detail, new RegExp(ct.replace(/[.+-]/g, "\\$&")));
      // ...and a body that is not even base64: the content type is refused before the body is looked at.
      const raw = JSON.stringify({ body: "\x80\x03}q\x00(X\x05\x00\x00\x00", "content-type": ct, properties: { body_encoding: "base64" } });
      assert.equal(failure(decodeEnvelope(raw)).reason, "unsupported_content_type");
    });
  }

  test("a pickle body is reported, not decoded: the pickle opcodes are never returned", () => {
    const pickle = Buffer.from([0x80, 0x04, 0x95, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x8c, 0x02, 0x6f, 0x73, 0x94, 0x2e]);
    const raw = JSON.stringify({ body: pickle.toString("base64"), "content-type": "application/x-python-serialize", properties: { body_encoding: "base64" } });
    const r = decodeEnvelope(raw);
    assert.deepEqual(Object.keys(r).sort(), ["detail", "ok", "reason"]);
    assert.equal(failure(r).reason, "unsupported_content_type");
  });
});

describe("decodeEnvelope: failures", () => {
  const withBody = (body: unknown) => JSON.stringify({ body, "content-type": "application/json", properties: { body_encoding: "base64" } });

  test("bad base64: invalid characters", () => {
    for (const body of ["eyJ!ZSI6MX0=", "ab$d", "YQ==YQ==", "eyJhIjox fQ@@", "YWJj-_8=" /* URL-safe alphabet */]) {
      const f = failure(decodeEnvelope(withBody(body)));
      assert.equal(f.reason, "bad_base64", body);
    }
  });

  test("bad base64: impossible length (4n+1 characters)", () => {
    assert.equal(failure(decodeEnvelope(withBody("YWJjZ"))).reason, "bad_base64");
    assert.equal(failure(decodeEnvelope(withBody("Y"))).reason, "bad_base64");
  });

  test("bad base64: decodes to bytes that are not UTF-8", () => {
    const f = failure(decodeEnvelope(withBody(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString("base64"))));
    assert.equal(f.reason, "bad_base64");
  });

  test("bad base64: a base64-encoded body that is not a string", () => {
    assert.equal(failure(decodeEnvelope(withBody(12345))).reason, "bad_base64");
    assert.equal(failure(decodeEnvelope(withBody({ a: 1 }))).reason, "bad_base64");
  });

  test("the envelope is not JSON", () => {
    for (const raw of ["not json", "", "{body: 1}", "{'body': 'x'}"]) {
      const f = failure(decodeEnvelope(raw));
      assert.equal(f.reason, "not_json", JSON.stringify(raw));
      assert.match(f.detail, /^envelope: /);
    }
  });

  test("a truncated envelope is not JSON", () => {
    const raw = kombu(STATS_REQUEST);
    for (const cut of [1, 10, raw.length / 2, raw.length - 1]) {
      assert.equal(failure(decodeEnvelope(raw.slice(0, Math.floor(cut)))).reason, "not_json", `cut at ${cut}`);
    }
  });

  test("a base64 body whose JSON is truncated or invalid -> bad_body", () => {
    const truncated = withBody(b64('{"method": "ping", "arguments": {'));
    const f = failure(decodeEnvelope(truncated));
    assert.equal(f.reason, "bad_body");
    assert.match(f.detail, /^body: /);
    assert.equal(failure(decodeEnvelope(withBody(b64("hello")))).reason, "bad_body");
    assert.equal(failure(decodeEnvelope(JSON.stringify({ body: "not json text", properties: {} }))).reason, "bad_body");
  });

  test("JSON that is not an envelope (no body field, not an object)", () => {
    for (const raw of ['{"headers": {}, "properties": {}}', "[1, 2]", "null", "42", '"body"', '{"Body": "e30="}']) {
      assert.equal(failure(decodeEnvelope(raw)).reason, "not_an_envelope", raw);
    }
  });

  test("too large: over maxBytes refused unparsed; exactly maxBytes accepted", () => {
    const raw = kombu({ a: 1 });
    const limits = { maxBytes: raw.length, maxDepth: 64 };
    assert.equal(decodeEnvelope(raw, limits).ok, true);
    const f = failure(decodeEnvelope(`${raw} `, limits));
    assert.equal(f.reason, "too_large");
    assert.match(f.detail, new RegExp(`${raw.length + 1} bytes exceeds ${raw.length}`));
    // Size is checked before parsing: garbage that is too big is too_large, not not_json.
    assert.equal(failure(decodeEnvelope(Buffer.alloc(11, 0x7b), { maxBytes: 10, maxDepth: 64 })).reason, "too_large");
    assert.equal(defaultDecodeLimits.maxBytes, 8 * 1024 * 1024);
  });

  test("too large: a string of multi-byte characters is measured in bytes, not UTF-16 units", () => {
    const r = decodeEnvelope("€".repeat(10), { maxBytes: 10, maxDepth: 64 });
    assert.equal(failure(r).reason, "too_large");
  });
});

describe("decodeEnvelope / parseJson: nesting depth", () => {
  const nested = (n: number) => "[".repeat(n) + "]".repeat(n);

  test("10,000 nested arrays as the whole message -> too_deep, quickly", () => {
    const t0 = performance.now();
    const f = failure(decodeEnvelope(nested(10_000)));
    assert.equal(f.reason, "too_deep");
    assert.ok(performance.now() - t0 < 100, "the depth check should be a cheap scan");
  });

  test("10,000 nested arrays in a base64 body -> too_deep (not bad_body)", () => {
    const raw = JSON.stringify({ body: b64(nested(10_000)), "content-type": "application/json", properties: { body_encoding: "base64" } });
    const f = failure(decodeEnvelope(raw));
    assert.equal(f.reason, "too_deep");
    assert.match(f.detail, /^body: nesting deeper than 64/);
  });

  test("1,000,000 nested objects are refused without a stack overflow", () => {
    const s = `${'{"a":'.repeat(1_000_000)}1${"}".repeat(1_000_000)}`;
    assert.equal(failure(decodeEnvelope(s, { maxBytes: 64 * 1024 * 1024, maxDepth: 64 })).reason, "too_deep");
  });

  test("an inline body nested too deep -> too_deep", () => {
    const raw = `{"body": ${nested(100)}, "properties": {}}`;
    assert.equal(failure(decodeEnvelope(raw)).reason, "too_deep");
  });

  test("parseJson: exactly maxDepth accepted, one more refused", () => {
    assert.deepEqual(parseJson(nested(64), 64).ok, true);
    const r = parseJson(nested(65), 64);
    assert.deepEqual(r, { ok: false, reason: "too_deep", detail: "nesting deeper than 64" });
    assert.equal(parseJson('{"a":{"b":[1]}}', 3).ok, true);
    assert.equal(parseJson('{"a":{"b":[1]}}', 2).ok, false);
  });

  test("decodeEnvelope honours a custom maxDepth (envelope object counts as level 1)", () => {
    const raw = JSON.stringify({ body: { a: { b: 1 } }, properties: {} }); // depth 3
    assert.equal(decodeEnvelope(raw, { maxBytes: 1e6, maxDepth: 3 }).ok, true);
    assert.equal(failure(decodeEnvelope(raw, { maxBytes: 1e6, maxDepth: 2 })).reason, "too_deep");
  });

  test("brackets inside strings do not count", () => {
    const body = { args: "[".repeat(5000) + "{".repeat(5000), kwargs: { note: `]]]${"[".repeat(200)}` } };
    assert.deepEqual(okBody(decodeEnvelope(kombu(body))), body);
    const r = parseJson(JSON.stringify(["[[[[[[[[", "{{{{{{{{"]), 2);
    assert.deepEqual(r, { ok: true, value: ["[[[[[[[[", "{{{{{{{{"] });
  });

  test('escaped quotes do not end a string: brackets after \\" are still inside it', () => {
    const value = `he said \\"${"[".repeat(100)}"${"{".repeat(100)}`;
    assert.deepEqual(parseJson(JSON.stringify([value]), 2), { ok: true, value: [value] });
  });

  test("a string ending in an escaped backslash does end there: nesting after it is counted", () => {
    // ["\\", [[[ ... ]]]] : the \\ is an escaped backslash, the following quote closes the string.
    const text = `["\\\\", ${nested(70)}]`;
    assert.equal(JSON.parse(text)[0], "\\");
    assert.equal(parseJson(text, 64).ok, false);
    assert.equal((parseJson(text, 64) as { reason: string }).reason, "too_deep");
    assert.equal(parseJson(text, 71).ok, true);
  });
});

describe("parseJson: Python float tokens", () => {
  test("bare NaN / Infinity / -Infinity (Python json) are read as strings", () => {
    assert.deepEqual(parseJson('{"retries": Infinity, "x": [NaN, -Infinity, 1.5], "s": "NaN stays"}', 64), {
      ok: true,
      value: { retries: "Infinity", x: ["NaN", "-Infinity", 1.5], s: "NaN stays" },
    });
  });

  test("the tokens inside strings are left alone, escapes included", () => {
    assert.deepEqual(parseJson('["say \\"NaN\\" or Infinity", NaN]', 8), { ok: true, value: ['say "NaN" or Infinity', "NaN"] });
  });

  test("text that is not JSON even with the tokens quoted is still not_json", () => {
    const r = parseJson('{"a": NaN', 8);
    assert.equal(r.ok, false);
    assert.equal((r as { reason: string }).reason, "not_json");
    assert.equal(parseJson("Infinityx", 8).ok, false);
  });

  test("a body with Python floats decodes (Celery conf reply with result_backend_max_retries = inf)", () => {
    const raw = JSON.stringify({
      body: b64('{"w1@vm": {"result_backend_max_retries": Infinity}}'),
      "content-type": "application/json",
      properties: { body_encoding: "base64" },
    });
    assert.deepEqual(okBody(decodeEnvelope(raw)), { "w1@vm": { result_backend_max_retries: "Infinity" } });
  });
});

describe("encodeEnvelope", () => {
  test("round-trips through decodeEnvelope", () => {
    const headers = { clock: 3, expires: 1795558021.25 };
    const raw = encodeEnvelope(STATS_REQUEST, headers, { exchange: "celery.pidbox", routing_key: "" }, "tag-1");
    const r = decodeEnvelope(raw);
    assert.equal(r.ok, true);
    const env = (r as Extract<DecodeResult, { ok: true }>).envelope;
    assert.deepEqual(env.body, STATS_REQUEST);
    assert.deepEqual(env.headers, headers);
    assert.equal(env.contentType, "application/json");
    assert.deepEqual(env.properties, {
      delivery_mode: 2,
      delivery_info: { exchange: "celery.pidbox", routing_key: "" },
      priority: 0,
      body_encoding: "base64",
      delivery_tag: "tag-1",
    });
  });

  test("the wire form is kombu's: base64 body, utf-8 content-encoding", () => {
    const raw = JSON.parse(encodeEnvelope({ é: "✓" }, {}, { exchange: "x", routing_key: "y" }, "t"));
    assert.equal(raw["content-encoding"], "utf-8");
    assert.equal(raw["content-type"], "application/json");
    assert.equal(Buffer.from(raw.body, "base64").toString("utf8"), '{"é":"✓"}');
    assert.deepEqual(okBody(decodeEnvelope(JSON.stringify(raw))), { é: "✓" });
  });
});

describe("decodeEnvelope never throws (fuzz)", () => {
  const REASONS = new Set(["too_large", "not_json", "not_an_envelope", "bad_base64", "unsupported_content_type", "bad_body", "too_deep"]);
  const limits = { maxBytes: 4096, maxDepth: 16 };

  function check(input: string | Uint8Array, seen: Map<string, number>): void {
    let r: DecodeResult | undefined;
    try {
      r = decodeEnvelope(input, limits);
    } catch (e) {
      assert.fail(
        `decodeEnvelope threw ${(e as Error).message} on ${JSON.stringify(typeof input === "string" ? input : Buffer.from(input).toString("base64"))}`,
      );
    }
    assert.equal(typeof r, "object");
    if (r!.ok) {
      assert.equal(typeof r!.envelope.contentType, "string");
      seen.set("ok", (seen.get("ok") ?? 0) + 1);
    } else {
      assert.ok(REASONS.has(r!.reason), r!.reason);
      assert.equal(typeof r!.detail, "string");
      seen.set(r!.reason, (seen.get(r!.reason) ?? 0) + 1);
    }
  }

  test("3,000 random strings from a JSON-ish alphabet", () => {
    const rnd = seededRandom(1);
    const alphabet = '{}[]",:\\ bodyheaderspropertiescontent-type0123456789.eE+-truefalsenull=/abcXYZ\u00e9\u20ac\ud83d\ude00\ud800\n\t';
    const seen = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      let s = "";
      const n = Math.floor(rnd() * 200);
      for (let j = 0; j < n; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      if (rnd() < 0.3) s = `{"body": ${JSON.stringify(s)}, "properties": {"body_encoding": "base64"}}`;
      check(s, seen);
    }
    assert.ok((seen.get("not_json") ?? 0) > 0);
  });

  test("3,000 random byte buffers", () => {
    const rnd = seededRandom(2);
    const seen = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const buf = new Uint8Array(Math.floor(rnd() * 300));
      for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(rnd() * 256);
      check(buf, seen);
    }
    assert.ok((seen.get("not_json") ?? 0) > 2000);
  });

  test("3,000 random mutations of a valid envelope (outer text and inner base64)", () => {
    const rnd = seededRandom(3);
    const seen = new Map<string, number>();
    const base = kombu(STATS_REQUEST);
    const innerB64 = b64(JSON.stringify(STATS_REQUEST));
    const chars = '{}[]"\\:,=/+Aa0 \u00ff\ud800';
    const mutate = (s: string): string => {
      const k = 1 + Math.floor(rnd() * 4);
      for (let m = 0; m < k; m++) {
        const at = Math.floor(rnd() * (s.length + 1));
        const op = rnd();
        if (op < 0.3) s = s.slice(0, at) + s.slice(at + 1);
        else if (op < 0.6) s = s.slice(0, at) + chars[Math.floor(rnd() * chars.length)] + s.slice(at);
        else if (op < 0.85) s = s.slice(0, at) + chars[Math.floor(rnd() * chars.length)] + s.slice(at + 1);
        else s = s.slice(0, at);
      }
      return s;
    };
    for (let i = 0; i < 1500; i++) check(mutate(base), seen);
    for (let i = 0; i < 1500; i++) {
      const raw = base.replace(innerB64, mutate(innerB64));
      check(rnd() < 0.5 ? raw : Buffer.from(raw, "utf8"), seen);
    }
    // The fuzz reaches both outcomes and the body-level failures, not just outer not_json.
    assert.ok((seen.get("ok") ?? 0) > 0, JSON.stringify([...seen]));
    assert.ok((seen.get("bad_base64") ?? 0) + (seen.get("bad_body") ?? 0) > 0, JSON.stringify([...seen]));
  });
});
