/**
 * The README's Django middleware for the `Celery-Task-Id` header (test/fixtures/django_project/
 * djproj/celery_task_ids.py), run for real: Django handles requests whose views send tasks to a
 * real redis-server; the header names exactly the tasks each request sent, the ones the broker got,
 * and a request that sends none gets no header.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { RedisServer, stopAll } from "../harness/deployment";
import { runDjango } from "../harness/django";

let redis: RedisServer;
let dir: string;

const REQUESTS = `
import json
from django.conf import settings
settings.ALLOWED_HOSTS = ["testserver"]
from django.http import JsonResponse
from django.test import RequestFactory
from djproj.celery import app
from djproj.celery_task_ids import CeleryTaskIdMiddleware
from djproj.tasks import add

sent = {}
def two_tasks(request):
    sent["two"] = [add.delay(1, 2).id, app.send_task("djproj.tasks.add", (3, 4)).id]
    return JsonResponse({"ok": True})
def no_task(request):
    return JsonResponse({"ok": True})

rf = RequestFactory()
with_tasks = CeleryTaskIdMiddleware(two_tasks)(rf.post("/orders"))
without = CeleryTaskIdMiddleware(no_task)(rf.get("/"))
# Outside a request (as in a worker or a shell) nothing is collected and nothing fails.
outside = add.delay(5, 6).id
client = app.connection().default_channel.client
queued = [json.loads(m)["headers"]["id"] for m in client.lrange("celery", 0, -1)]
print(json.dumps({"header": with_tasks.get("Celery-Task-Id"), "none": without.has_header("Celery-Task-Id"), "sent": sent["two"], "queued": queued, "outside": outside}))
`;

before(async () => {
  redis = await RedisServer.start();
  dir = mkdtempSync(join(tmpdir(), "celery-panel-django-header-"));
});

after(async () => {
  await stopAll();
  await redis?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe("the Django middleware for Celery-Task-Id", () => {
  it("names exactly the tasks a request sent, which the broker received, and nothing for a request that sent none", () => {
    const out = JSON.parse(
      runDjango(REQUESTS, `sqlite:///${join(dir, "db.sqlite3")}`, redis.url(0))
        .trim()
        .split("\n")
        .pop()!,
    );
    assert.equal(out.sent.length, 2);
    assert.equal(out.header, out.sent.join(", "));
    assert.equal(out.none, false);
    assert.deepEqual([...out.queued].sort(), [...out.sent, out.outside].sort(), "the ids are those of the messages the broker holds");
  });
});
