/** The "This page" view's id extraction: UUIDs in JSON bodies and headers, the Celery-Task-Id header, what is skipped. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { idsInTaskIdHeader, MAX_IDS_PER_REQUEST, MAX_SCANNED_BODY, taskIdsOf, uuidsIn, type RequestContent } from "../../extension/panel/page/task-ids";

const A = "0b6c5f0e-5f7e-4b43-9d7c-2a1f3e4d5c6b";
const B = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
const C = "12345678-1234-4234-8234-123456789abc";

const request = (over: Partial<RequestContent>): RequestContent => ({
  requestHeaders: [],
  responseHeaders: [],
  body: null,
  mimeType: "application/json",
  ...over,
});

describe("uuidsIn", () => {
  it("finds UUIDs at any depth of a JSON text, once each, lowercased, in order", () => {
    const body = JSON.stringify({ task: A, nested: { list: [{ id: B.toUpperCase() }, { deeper: [[A]] }] }, text: `started ${C}.` });
    assert.deepEqual(uuidsIn(body), [A, B, C]);
  });

  it("does not cut a UUID out of a longer hex run or a longer dashed string", () => {
    assert.deepEqual(uuidsIn(`"${A}0"`), []);
    assert.deepEqual(uuidsIn(`"f${A}"`), []);
    assert.deepEqual(uuidsIn(`"${A}-1"`), []);
    assert.deepEqual(uuidsIn(`"x${A}y"`), [A]);
  });
});

describe("idsInTaskIdHeader", () => {
  it("splits on commas and spaces, and keeps ids that are not UUIDs but are task ids", () => {
    assert.deepEqual(idsInTaskIdHeader(`${A}, ${B}  report-2026-12:1,,`), [A, B, "report-2026-12:1"]);
  });

  it("drops what the agent would refuse as a task id", () => {
    assert.deepEqual(idsInTaskIdHeader("a/b <script> ok"), ["ok"]);
  });
});

describe("taskIdsOf", () => {
  it("puts the Celery-Task-Id header's ids first, then the headers' and the body's UUIDs", () => {
    const ids = taskIdsOf(
      request({
        requestHeaders: [{ name: "X-Request-Id", value: C }],
        responseHeaders: [{ name: "Celery-Task-Id", value: "custom-id-1" }],
        body: JSON.stringify({ data: { jobs: [{ task_id: A }] } }),
      }),
    );
    assert.deepEqual(ids, ["custom-id-1", C, A]);
  });

  it("reads the header whatever its case", () => {
    assert.deepEqual(taskIdsOf(request({ responseHeaders: [{ name: "celery-task-id", value: B }] })), [B]);
  });

  it("never scans credentials: cookies and authorization headers", () => {
    const ids = taskIdsOf(
      request({
        requestHeaders: [
          { name: "Cookie", value: `session=${A}` },
          { name: "Authorization", value: `Bearer ${B}` },
        ],
        responseHeaders: [{ name: "Set-Cookie", value: `s=${C}` }],
      }),
    );
    assert.deepEqual(ids, []);
  });

  it("scans a JSON body served as text/plain, or with no type, when it starts like JSON", () => {
    assert.deepEqual(taskIdsOf(request({ mimeType: "text/plain", body: `  [{"id":"${A}"}]` })), [A]);
    assert.deepEqual(taskIdsOf(request({ mimeType: null, body: `{"id":"${A}"}` })), [A]);
  });

  it("skips bodies that are not JSON: HTML, scripts, plain text that is not JSON, binary content", () => {
    assert.deepEqual(taskIdsOf(request({ mimeType: "text/html", body: `<div data-id="${A}"></div>` })), []);
    assert.deepEqual(taskIdsOf(request({ mimeType: "application/javascript", body: `const id = "${A}"` })), []);
    assert.deepEqual(taskIdsOf(request({ mimeType: "text/plain", body: `task ${A}` })), []);
    assert.deepEqual(taskIdsOf(request({ body: `{"id":"${A}"}`, encoding: "base64" })), []);
  });

  it("skips a body above the size limit, and still reads the headers", () => {
    const big = `{"id":"${A}","pad":"${"x".repeat(MAX_SCANNED_BODY)}"}`;
    assert.deepEqual(taskIdsOf(request({ body: big, responseHeaders: [{ name: "Celery-Task-Id", value: B }] })), [B]);
  });

  it("keeps at most a bounded number of ids from one request", () => {
    const many = Array.from({ length: MAX_IDS_PER_REQUEST + 50 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    assert.equal(taskIdsOf(request({ body: JSON.stringify(many) })).length, MAX_IDS_PER_REQUEST);
  });

  it("passes non-task UUIDs on: the agent's lookup is what filters them", () => {
    // A user id and an order id look like task ids: only the agent knows which are tasks.
    assert.deepEqual(taskIdsOf(request({ body: JSON.stringify({ user: { id: A }, order: B }) })), [A, B]);
  });
});
