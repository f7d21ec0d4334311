/**
 * HTTP wiring only: routes onto the plain handler functions, security middleware, and errors as
 * `{error: {code, message}}`. No Celery knowledge lives here.
 */
import { Hono, type Context } from "hono";
import { API_PREFIX, type EndpointName, type EndpointResponse } from "../api/schema";
import { HttpError } from "../handlers/errors";
import { health } from "../handlers/health";
import { overview } from "../handlers/overview";
import { listWorkers, workerDetail } from "../handlers/workers";
import { getTask, listTasks } from "../handlers/tasks";
import { listQueues, queueDetail } from "../handlers/queues";
import { getConfig } from "../handlers/config";
import { listPeriodicTasks } from "../handlers/periodic";
import { BrokerUnavailable } from "../protocol/redis/broker";
import type { Agent } from "../runtime";
import { extensionCors, hostGuard, tokenGuard } from "./security";
import { eventStream } from "./stream";
import { findWebBuild, mountWebPanel } from "./static";
import { log } from "../log";

const MAX_URL = 4096;

type Handler<E extends EndpointName> = (c: Context) => EndpointResponse<E> | Promise<EndpointResponse<E>>;

/** `webRoot`: the web panel's build (found beside the code by default; null serves a note instead). */
export function createApp(agent: Agent, webRoot: string | null = findWebBuild()): Hono {
  const app = new Hono();
  const api = new Hono();
  const o = agent.options;

  app.use("*", hostGuard(o.allowedHosts));
  app.use("*", async (c, next) => {
    if (c.req.url.length > MAX_URL) throw new HttpError(414, "uri_too_long", `request URL longer than ${MAX_URL} characters`);
    await next();
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Cache-Control", "no-store");
  });
  app.use(`${API_PREFIX}/*`, extensionCors());
  app.use(`${API_PREFIX}/*`, tokenGuard(o.token));

  // Typed against the contract: a handler that drifts from the schema does not compile.
  const get = <E extends EndpointName>(_name: E, path: string, handler: Handler<E>) =>
    api.get(path, async (c) => c.json(await handler(c)));

  get("health", "/health", () => health(agent));
  get("overview", "/overview", () => overview(agent));
  get("workers", "/workers", () => listWorkers(agent));
  get("worker", "/workers/:name", (c) => workerDetail(agent, c.req.param("name") ?? ""));
  get("tasks", "/tasks", (c) => listTasks(agent, c.req.query()));
  get("task", "/tasks/:id", (c) => getTask(agent, c.req.param("id") ?? ""));
  get("queues", "/queues", () => listQueues(agent));
  get("queue", "/queues/:name", (c) => queueDetail(agent, c.req.param("name") ?? ""));
  get("config", "/config", () => getConfig(agent));
  get("periodicTasks", "/periodic-tasks", () => listPeriodicTasks(agent));
  api.get("/events", (c) => eventStream(c, agent));
  app.route(API_PREFIX, api);
  mountWebPanel(app, webRoot);

  app.notFound((c) => c.json({ error: { code: "not_found", message: `no such endpoint: ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404));
  app.onError((err, c) => {
    if (err instanceof HttpError) return c.json({ error: { code: err.code, message: err.message } }, err.status);
    if (err instanceof BrokerUnavailable || /ECONNREFUSED|Connection is closed|Stream isn't writeable/i.test(err.message)) {
      return c.json({ error: { code: "broker_unavailable", message: `the broker is not reachable: ${err.message}` } }, 503);
    }
    log("http.error", `error serving ${c.req.path}: ${err.message}`, { path: c.req.path }, "error");
    return c.json({ error: { code: "internal", message: "the agent failed to answer this request; see its log" } }, 500);
  });
  return app;
}
