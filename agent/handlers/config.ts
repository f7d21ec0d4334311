import type { Config } from "../api/schema";
import { isRecord } from "../protocol/envelope";
import { configDifferences } from "../sources/config";
import { observeDefaultRoutingKey, observeRoutes, observeSentEvents, observeTaskEvents, type Observation } from "../sources/config-observed";
import { maskSecrets } from "../base/mask";
import { VERSION } from "../version";
import { CONFIG_FORBIDDEN, type Access } from "./access";
import { groupConfig } from "./present/config";
import { periodicSource } from "./periodic";
import { sourceOfConfig, sourceOfOverview, sourceOfQueues, sourceOfTasks, sourceOfWorkers, workerConf, type Ctx } from "./context";
import { HttpError } from "./errors";

export async function getConfig(ctx: Ctx, access: Access): Promise<Config> {
  if (!access.scopes.includes("config")) throw new HttpError(403, "forbidden_scope", CONFIG_FORBIDDEN);
  // Both reads: with defaults for the full picture, without to mark what was set on purpose.
  const [full, { conf: nonDefault, perWorker }] = await Promise.all([ctx.inspector.read("conf", { args: { with_defaults: true } }), workerConf(ctx)]);
  const first = [...full.replies.keys()].sort()[0];
  const fullConf = first ? full.replies.get(first)!.value : null;
  const all = isRecord(fullConf) ? fullConf : (nonDefault ?? {});
  const o = ctx.options;
  const backend = ctx.backendDescription();
  const workers = [...perWorker.keys()].sort();
  const observed: Record<string, Observation> = {
    worker_send_task_events: observeTaskEvents(ctx.observed, workers),
    task_send_sent_event: observeSentEvents(ctx.observed),
  };
  const routes = observeRoutes(ctx.observed, all.task_routes);
  if (routes) observed.task_routes = routes;
  const defaultRoutingKey = observeDefaultRoutingKey(ctx.observed, all.task_default_queue);
  if (defaultRoutingKey) observed.task_default_routing_key = defaultRoutingKey;
  return {
    groups: groupConfig(all, isRecord(fullConf) ? nonDefault : null, observed),
    reported_by: workers,
    differences: configDifferences(perWorker),
    agent: {
      name: o.name,
      version: VERSION,
      broker: ctx.brokerDescription(),
      broker_kind: ctx.brokerKindName(),
      broker_api: ctx.brokerApiDescription(),
      result_backend: backend
        ? `${backend}${ctx.backendOrigin === "workers" ? " (the workers' result_backend)" : ""}`
        : ctx.unreadableBackend
          ? `${ctx.unreadableBackend.url} (not read: ${ctx.unreadableBackend.reason})`
          : null,
      listen: `${o.host}:${o.port}`,
      token_required: o.token !== null || o.limitedTokens.length > 0,
      transport_options: maskSecrets(o.transportOptions) as Record<string, unknown>,
      inspect_timeout_ms: o.inspectTimeoutMs,
      max_tasks: o.maxTasks,
      tasks_db: o.tasksDb?.description ?? null,
      beat_db: o.beatDb?.description ?? null,
      sources: [
        { view: "overview", source: sourceOfOverview(ctx) },
        { view: "workers", source: sourceOfWorkers(ctx) },
        { view: "tasks", source: sourceOfTasks(ctx) },
        { view: "queues", source: sourceOfQueues(ctx) },
        { view: "config", source: sourceOfConfig(ctx, perWorker.size) },
        { view: "periodic-tasks", source: periodicSource(ctx) },
      ],
    },
    source: sourceOfConfig(ctx, perWorker.size),
  };
}
