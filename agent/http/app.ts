/**
 * HTTP wiring only: routes onto the plain handler functions, security middleware, and errors as
 * `{error: {code, message}}`. No Celery knowledge lives here.
 */
import { Hono, type Context } from "hono";
import { API_PREFIX, endpointMethod, endpoints, streamEndpoint, type EndpointName, type EndpointResponse } from "../api/schema";
import { HttpError } from "../handlers/errors";
import { health } from "../handlers/health";
import { overview } from "../handlers/overview";
import { listWorkers, workerDetail } from "../handlers/workers";
import { getTask, listTasks } from "../handlers/tasks";
import { lookupTasks } from "../handlers/task-lookup";
import { listQueues, queueDetail } from "../handlers/queues";
import { getConfig } from "../handlers/config";
import { periodicFacts, periodicTasksView } from "../handlers/periodic";
import { listFindings, taskWhy } from "../handlers/findings";
import { listFailures, metricsQueues, metricsTasks, metricsWorkers } from "../handlers/metrics";
import { prometheusText } from "../handlers/prometheus";
import { BrokerUnavailable } from "../protocol/transport";
import type { Agent } from "../runtime/agent";
import { accessGuard, extensionCors, hostGuard, type AccessEnv } from "./security";
import { countHttpRejection } from "../handlers/rejections";
import { eventStream } from "./stream";
import { findWebBuild, mountWebPanel } from "./static";
import { log } from "../base/log";

const MAX_URL = 4096;
/** Prometheus' conventional scrape path (outside the API: scrapers expect it at the root). */
const PROMETHEUS_PATH = "/metrics";

type Handler<E extends EndpointName> = (c: Context<AccessEnv>) => EndpointResponse<E> | Promise<EndpointResponse<E>>;

/** The full paths of the endpoints that take query parameters (the table says which). */
const TAKES_QUERY = new Set(Object.values(endpoints).flatMap((e) => ("query" in e ? [`${API_PREFIX}/${e.path}`] : [])));

/** `webRoot`: the web panel's build (found beside the code by default; null serves a note instead). */
export function createApp(agent: Agent, webRoot: string | null = findWebBuild()): Hono {
  const app = new Hono();
  const api = new Hono<AccessEnv>();
  const o = agent.options;

  // First, so that every refusal below (403 host, 401 token, 414, 400, 404) is counted for `health`.
  app.use("*", async (c, next) => {
    await next();
    if (c.res.status >= 400 && c.res.status < 500) countHttpRejection(agent, c.res.status, await errorCode(c.res));
  });
  app.use("*", hostGuard(o.allowedHosts));
  app.use("*", async (c, next) => {
    if (c.req.url.length > MAX_URL) throw new HttpError(414, "uri_too_long", `request URL longer than ${MAX_URL} characters`);
    await next();
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Cache-Control", "no-store");
  });
  app.use(`${API_PREFIX}/*`, extensionCors());
  app.use(`${API_PREFIX}/*`, accessGuard(o));
  // Prometheus' scrape: the same token as the API (Prometheus sends it with `authorization` / bearer_token).
  app.use(PROMETHEUS_PATH, accessGuard(o));
  // Only the endpoints with a `query` in the table (tasks, findings) take query parameters: anything given to
  // another is a mistake worth saying.
  api.use("*", async (c, next) => {
    const params = Object.keys(c.req.query());
    if (params.length && !TAKES_QUERY.has(c.req.path.replace(/\/$/, ""))) {
      throw new HttpError(400, "bad_request", `unknown query parameter ${params.join(", ")} (${new URL(c.req.url).pathname} takes none)`);
    }
    await next();
  });

  // One handler per endpoint of the table, typed against its schema: a missing handler, or one
  // that drifts from the contract, does not compile. Each gets the caller's access (set by
  // accessGuard) and cuts what it shows to it.
  // The diagnostics read beat's entries as the periodic view does (their layer may not import handlers).
  agent.diagnostics.periodicSource = () => periodicFacts(agent);
  const handlers: { [E in EndpointName]: Handler<E> } = {
    health: (c) => health(agent, c.var.access),
    overview: (c) => overview(agent, c.var.access),
    workers: () => listWorkers(agent),
    worker: (c) => workerDetail(agent, c.req.param("name") ?? "", c.var.access),
    tasks: (c) => listTasks(agent, c.req.query(), c.var.access),
    taskLookup: async (c) => lookupTasks(agent, await jsonBodyText(c), c.var.access),
    task: (c) => getTask(agent, c.req.param("id") ?? "", c.var.access),
    taskWhy: (c) => taskWhy(agent, c.req.param("id") ?? "", c.var.access),
    queues: () => listQueues(agent),
    queue: (c) => queueDetail(agent, c.req.param("name") ?? "", c.var.access),
    config: (c) => getConfig(agent, c.var.access),
    periodicTasks: (c) => periodicTasksView(agent, c.var.access),
    findings: (c) => listFindings(agent, c.req.query(), c.var.access),
    metricsTasks: (c) => metricsTasks(agent, c.req.query()),
    metricsQueues: (c) => metricsQueues(agent, c.req.query()),
    metricsWorkers: (c) => metricsWorkers(agent, c.req.query()),
    failures: (c) => listFailures(agent, c.req.query(), c.var.access),
  };
  for (const name of Object.keys(endpoints) as EndpointName[]) {
    const handler: Handler<EndpointName> = handlers[name];
    api.on(endpointMethod(name), `/${endpoints[name].path}`, async (c) => c.json(await handler(c)));
  }
  api.get(`/${streamEndpoint.path}`, (c) => eventStream(c, agent, c.var.access));
  app.route(API_PREFIX, api);
  app.get(PROMETHEUS_PATH, async (c) => {
    if (Object.keys(c.req.query()).length) throw new HttpError(400, "bad_request", `${PROMETHEUS_PATH} takes no query parameters`);
    const { text, contentType } = await prometheusText(agent);
    return c.body(text, 200, { "Content-Type": contentType });
  });
  mountWebPanel(app, webRoot);

  app.notFound((c) => c.json({ error: { code: "not_found", message: `no such endpoint: ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404));
  app.onError((err, c) => {
    if (err instanceof HttpError) return c.json({ error: { code: err.code, message: err.message } }, err.status);
    if (err instanceof BrokerUnavailable) {
      return c.json({ error: { code: "broker_unavailable", message: `the broker is not reachable: ${err.message}` } }, 503);
    }
    log("http.error", `error serving ${c.req.path}: ${err.message}`, { path: c.req.path }, "error");
    return c.json({ error: { code: "internal", message: "the agent failed to answer this request; see its log" } }, 500);
  });
  return app;
}

/**
 * A POST's body as text, once it says it is JSON. Requiring the JSON content type keeps web pages
 * out: a page may send a "simple" cross-origin POST (text/plain) without asking CORS first, but not
 * this one, and the preflight answers only extension origins (security.ts).
 */
async function jsonBodyText(c: Context<AccessEnv>): Promise<string> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new HttpError(400, "bad_request", `send the body as JSON with Content-Type: application/json (got "${type.slice(0, 60) || "none"}")`);
  }
  return c.req.text();
}

/** The `code` of an `{error: {code}}` body, without consuming the response. */
async function errorCode(res: Response): Promise<string | null> {
  if (!res.headers.get("content-type")?.includes("application/json")) return null;
  try {
    const body = (await res.clone().json()) as { error?: { code?: unknown } };
    return typeof body.error?.code === "string" ? body.error.code : null;
  } catch {
    return null;
  }
}
