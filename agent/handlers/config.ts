import type { Config } from "../api/schema";
import { isRecord } from "../protocol/envelope";
import { configDifferences, groupConfig } from "../sources/config";
import { maskSecrets } from "../sources/mask";
import { VERSION } from "../version";
import { CONFIG_FORBIDDEN, type Access } from "./access";
import { periodicSource } from "./periodic";
import { sourceOfTasks, sourceOfWorkers, workerConf, type Ctx } from "./context";
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
  return {
    groups: groupConfig(all, isRecord(fullConf) ? nonDefault : null),
    reported_by: [...perWorker.keys()].sort(),
    differences: configDifferences(perWorker),
    agent: {
      name: o.name,
      version: VERSION,
      broker: ctx.brokerDescription(),
      result_backend: backend ? `${backend}${ctx.backendOrigin === "workers" ? " (the workers' result_backend)" : ""}` : null,
      listen: `${o.host}:${o.port}`,
      token_required: o.token !== null || o.limitedTokens.length > 0,
      transport_options: maskSecrets(o.transportOptions) as Record<string, unknown>,
      inspect_timeout_ms: o.inspectTimeoutMs,
      max_tasks: o.maxTasks,
      tasks_db: o.tasksDb?.description ?? null,
      beat_db: o.beatDb?.description ?? null,
      sources: [
        { view: "overview", source: "worker events + inspect + task store + broker lists" },
        { view: "workers", source: sourceOfWorkers(ctx) },
        { view: "tasks", source: sourceOfTasks(ctx) },
        { view: "queues", source: `broker bindings and lists on ${ctx.brokerDescription()} + active_queues + task_queues` },
        { view: "config", source: "inspect conf" },
        { view: "periodic-tasks", source: periodicSource(ctx) },
      ],
    },
    source: perWorker.size ? `inspect conf from ${perWorker.size} worker${perWorker.size > 1 ? "s" : ""}` : "no worker answered inspect conf",
  };
}
