/**
 * Celery's database result backend, the parts that need no database: the plain-data pickle reader
 * (fixtures pickled by CPython), db+ URLs, table names from the workers' conf, and a
 * celery_taskmeta row as a TaskMeta.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readPickledData } from "../../agent/protocol/database/pickle-data";
import { metaFromRow } from "../../agent/protocol/database/rows";
import { parseDatabaseBackendUrl, quotedTable, tablesFromConf } from "../../agent/protocol/database/url";
import { BrokerUrlError, parseResultBackendUrl } from "../../agent/protocol/brokers";

const b64 = (s: string) => Buffer.from(s, "base64");
/** pickle.dumps(..., protocol=4) of an exception as Celery prepares it for JSON. */
const EXC = "gASVTgAAAAAAAAB9lCiMCGV4Y190eXBllIwKVmFsdWVFcnJvcpSMC2V4Y19tZXNzYWdllIwGa2Fib29tlIWUjApleGNfbW9kdWxllIwIYnVpbHRpbnOUdS4=";
/** [1, 2.5, None, True, False, 2**70, -3, -70000, b'ab', {'a': [1, {'b': 'c'}]}, 'é'] */
const MIXED = "gASVSgAAAAAAAABdlChLAUdABAAAAAAAAE6IiYoJAAAAAAAAAABASv3///9KkO7+/0MCYWKUfZSMAWGUXZQoSwF9lIwBYpSMAWOUc2VzjALDqZRlLg==";
/** ValueError('x'): a Python object. */
const OBJECT = "gASVIwAAAAAAAACMCGJ1aWx0aW5zlIwKVmFsdWVFcnJvcpSTlIwBeJSFlFKULg==";
/** [[1, 2]] * 2 at protocol 2: the second item a memo reference to the first. */
const MEMO = "gAJdcQAoXXEBKEsBSwJlaAFlLg==";

describe("pickled plain data", () => {
  it("reads what json-serializable results pickle to", () => {
    assert.deepEqual(readPickledData(b64(EXC)), { ok: true, value: { exc_type: "ValueError", exc_message: ["kaboom"], exc_module: "builtins" } });
    assert.deepEqual(readPickledData(b64(MIXED)), {
      ok: true,
      value: [1, 2.5, null, true, false, "1180591620717411303424", -3, -70000, { bytes_base64: "YWI=" }, { a: [1, { b: "c" }] }, "é"],
    });
    assert.deepEqual(readPickledData(b64(MEMO)), {
      ok: true,
      value: [
        [1, 2],
        [1, 2],
      ],
    });
  });

  it("refuses anything that names a Python global, and broken input, without throwing", () => {
    const r = readPickledData(b64(OBJECT));
    assert.equal(r.ok, false);
    assert.match((r as { reason: string }).reason, /opcode 0x93/);
    assert.equal(readPickledData(b64(EXC).subarray(0, 20)).ok, false);
    assert.equal(readPickledData(Buffer.from([0x80, 0x04, 0x61, 0x2e])).ok, false, "APPEND with nothing on the stack");
  });
});

describe("db+ URLs", () => {
  it("reads SQLAlchemy's sqlite paths: four slashes absolute, three relative", () => {
    assert.equal(parseDatabaseBackendUrl("db+sqlite:////var/lib/results.db").db.path, "/var/lib/results.db");
    const rel = parseDatabaseBackendUrl("db+sqlite:///results.db", "/srv/app");
    assert.equal(rel.db.path, "/srv/app/results.db");
    assert.match(rel.note!, /relative/);
  });

  it("reads postgresql with or without a driver, masking the password", () => {
    const t = parseDatabaseBackendUrl("db+postgresql+psycopg2://celery:s3cret-pw@db.internal:5433/results");
    assert.equal(t.db.kind, "postgres");
    assert.equal(t.db.url, "postgresql://celery:s3cret-pw@db.internal:5433/results");
    assert.ok(!t.db.description.includes("s3cret-pw"));
    assert.equal(parseResultBackendUrl("db+postgresql://u:p@h/d").kind, "database");
  });

  it("says which databases it reads", () => {
    assert.throws(
      () => parseResultBackendUrl("db+mysql://u:pw-hidden@h/d"),
      (e: Error) => e instanceof BrokerUrlError && /SQLite and PostgreSQL/.test(e.message) && !e.message.includes("pw-hidden"),
    );
    assert.throws(() => parseResultBackendUrl("db+sqlite://"), BrokerUrlError);
    assert.throws(() => parseResultBackendUrl("db+postgresql://u:p@h/"), /names no database/);
  });

  it("takes table names from the workers' conf, quoted, and refuses anything but identifiers", () => {
    const t = tablesFromConf({ database_table_names: { task: "my_tasks" }, database_table_schemas: { task: "celery" } });
    assert.deepEqual(t, { task: "my_tasks", group: "celery_tasksetmeta", taskSchema: "celery", groupSchema: null });
    assert.equal(quotedTable(t.task, t.taskSchema), '"celery"."my_tasks"');
    assert.throws(() => quotedTable('x"; DROP TABLE y; --', null), /not a plain SQL identifier/);
  });
});

describe("celery_taskmeta rows", () => {
  it("reads a failure with result_extended; finish time only once ready", () => {
    const row = {
      id: 7,
      task_id: "t-1",
      status: "FAILURE",
      result: b64(EXC),
      done_text: "2026-12-02 02:19:00.346223",
      traceback: "Traceback...\nValueError: kaboom\n",
      name: "panel_fixture.fail",
      args: Buffer.from('["kaboom"]'),
      kwargs: Buffer.from("{}"),
      worker: "w1@x",
      retries: 0,
      queue: "celery",
    };
    const m = metaFromRow(row, 0)!;
    assert.equal(m.dateDone, Date.UTC(2026, 11, 2, 2, 19, 0, 346));
    assert.deepEqual(m.result, { exc_type: "ValueError", exc_message: ["kaboom"], exc_module: "builtins" });
    assert.deepEqual([m.name, m.args, m.kwargs, m.worker, m.retries, m.queue], ["panel_fixture.fail", ["kaboom"], {}, "w1@x", 0, "celery"]);
    const started = metaFromRow({ ...row, status: "STARTED", result: b64(OBJECT) }, 0)!;
    assert.equal(started.dateDone, null);
    assert.equal(started.result, "pickled, 46 bytes (Python objects: not decoded)");
  });

  it("reads a row without result_extended", () => {
    const m = metaFromRow(
      { id: 1, task_id: "t-2", status: "SUCCESS", result: Buffer.from([0x80, 0x05, 0x4b, 0x05, 0x2e]), done_text: "2026-12-02 02:18:59", traceback: null },
      0,
    )!;
    assert.equal(m.result, 5);
    assert.equal(m.name, null);
    assert.equal(m.args, null);
  });
});
