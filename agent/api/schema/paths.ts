/**
 * Where the API lives and how a route's path is filled in. No zod here: the extension's pages that
 * only need the prefix (what an agent URL is) do not take the schemas into their bundles with it.
 */

export const API_PREFIX = "/api/v1";

/**
 * Each route's path under API_PREFIX (`:name` marks a part taken from the URL), spelled once: the
 * endpoint table (endpoints.ts) pairs them with their schemas; the extension's background reads
 * three of them with schemas of its own, without the table's.
 */
export const ENDPOINT_PATHS = {
  health: "health",
  overview: "overview",
  workers: "workers",
  worker: "workers/:name",
  tasks: "tasks",
  taskLookup: "tasks/lookup",
  task: "tasks/:id",
  taskWhy: "tasks/:id/why",
  queues: "queues",
  queue: "queues/:name",
  config: "config",
  periodicTasks: "periodic-tasks",
  findings: "findings",
  metricsTasks: "metrics/tasks",
  metricsQueues: "metrics/queues",
  metricsWorkers: "metrics/workers",
  failures: "failures",
  /** The Server-Sent Events stream. */
  events: "events",
} as const;

/** A path with its `:name` parts filled in from `params`, each URL-encoded (a missing one is empty). */
export function fillPath(path: string, params: { readonly [key: string]: unknown } = {}): string {
  return path.replace(/:([a-z_]+)/g, (_, key: string) => encodeURIComponent(String(params[key] ?? "")));
}
