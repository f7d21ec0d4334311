/**
 * What the workers' conf reply cannot tell, learnt from the events that arrive: `-E` on a worker's
 * command line turns task events on without touching `worker_send_task_events`, so the events
 * themselves say whether a worker sends them; task-sent events say which clients send those, and
 * which routing keys tasks really went out with (Celery's conf reply hides every routing_key).
 */
import type { CeleryEvent } from "../protocol/events";
import { str } from "../protocol/events";

export interface Seen {
  count: number;
  /** On the agent's clock. */
  last: number;
}

export interface SentRouting {
  queue: string | null;
  exchange: string | null;
  routingKey: string;
  count: number;
}

/** Hostile or huge deployments cannot grow these maps without bound. */
const MAX_HOSTS = 2000;
const MAX_TASK_NAMES = 2000;
const MAX_ROUTINGS_PER_NAME = 8;

function bump(map: Map<string, Seen>, key: string, at: number): void {
  const s = map.get(key);
  if (s) {
    s.count++;
    s.last = at;
  } else if (map.size < MAX_HOSTS) {
    map.set(key, { count: 1, last: at });
  }
}

export class EventsObserved {
  /** Task events other than task-sent, per worker: it runs with task events on. */
  readonly taskEventsFrom = new Map<string, Seen>();
  /** task-sent events per sender (a web process, beat, a worker sending subtasks). */
  readonly taskSentFrom = new Map<string, Seen>();
  /** task-received events, from any worker: tasks were sent, whether or not their senders said so. */
  readonly taskReceived: Seen = { count: 0, last: 0 };
  /** How each task name was routed, from its task-sent events. */
  readonly sentRouting = new Map<string, SentRouting[]>();

  apply(e: CeleryEvent): void {
    // A new process under that name: whether it sends task events is to be seen again (-E may be gone).
    if (e.type === "worker-online") this.taskEventsFrom.delete(e.hostname);
    if (!e.type.startsWith("task-")) return;
    if (e.type !== "task-sent") {
      bump(this.taskEventsFrom, e.hostname, e.receivedAt);
      if (e.type === "task-received") {
        this.taskReceived.count++;
        this.taskReceived.last = e.receivedAt;
      }
      return;
    }
    bump(this.taskSentFrom, e.hostname, e.receivedAt);
    const name = str(e.fields.name);
    const routingKey = str(e.fields.routing_key);
    if (name === null || routingKey === null) return;
    let list = this.sentRouting.get(name);
    if (!list) {
      if (this.sentRouting.size >= MAX_TASK_NAMES) return;
      list = [];
      this.sentRouting.set(name, list);
    }
    const queue = str(e.fields.queue);
    const exchange = str(e.fields.exchange);
    const same = list.find((r) => r.routingKey === routingKey && r.queue === queue && r.exchange === exchange);
    if (same) same.count++;
    else if (list.length < MAX_ROUTINGS_PER_NAME) list.push({ queue, exchange, routingKey, count: 1 });
  }
}

/** What the agent saw about a setting, beside what the workers' conf reply says. */
export type Observation = {
  /** true / false / null (not known yet), or the routing seen per task name. */
  value: unknown;
  detail: string;
  /** Per worker, when workers differ. */
  workers?: Record<string, boolean | null>;
};

const listed = (names: string[]) => names.join(", ");

/** Whether each worker sends task events, from the task events that arrived from it. */
export function observeTaskEvents(obs: EventsObserved, workers: string[]): Observation {
  const sending = workers.filter((w) => obs.taskEventsFrom.has(w));
  const silent = workers.filter((w) => !obs.taskEventsFrom.has(w));
  const why = "no task ran there since the agent started, or task events are off";
  if (workers.length && !silent.length) {
    return {
      value: true,
      detail: `${sending.length === 1 ? "the worker sends" : `all ${sending.length} workers send`} task events (seen arriving: started with -E, or switched on by enable_events), whatever this setting says`,
    };
  }
  if (!sending.length) return { value: null, detail: `no task event seen yet from ${workers.length === 1 ? "the worker" : "any worker"} (${why})` };
  const perWorker = Object.fromEntries(workers.map((w) => [w, obs.taskEventsFrom.has(w) ? true : null]));
  return { value: null, workers: perWorker, detail: `task events arrive from ${listed(sending)}; none seen yet from ${listed(silent)} (${why})` };
}

/** task_send_sent_event is read by whoever sends tasks: the events say which senders have it on. */
export function observeSentEvents(obs: EventsObserved): Observation {
  const senders = [...obs.taskSentFrom.keys()].sort();
  if (!senders.length) return { value: null, detail: "no task-sent event seen since the agent started (no task sent, or the senders have it off)" };
  const shown = senders.slice(0, 5);
  return {
    value: true,
    detail: `task-sent events arrive from ${listed(shown)}${senders.length > shown.length ? ` and ${senders.length - shown.length} more` : ""}`,
  };
}

/** Celery's route patterns: a task name or a glob (fnmatch). */
function globMatches(pattern: string, name: string): boolean {
  if (pattern === name) return true;
  if (!/[*?[]/.test(pattern)) return false;
  const re = pattern
    .replace(/[.+^${}()|\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  try {
    return new RegExp(`^${re}$`).test(name);
  } catch {
    return false;
  }
}

function routePatterns(taskRoutes: unknown): string[] {
  const maps = Array.isArray(taskRoutes) ? taskRoutes : [taskRoutes];
  return maps.flatMap((m) => (m && typeof m === "object" && !Array.isArray(m) ? Object.keys(m) : []));
}

const describeRouting = (r: SentRouting) =>
  `${r.routingKey} (${r.exchange ? `exchange ${r.exchange}` : "default exchange"}${r.queue ? `, queue ${r.queue}` : ""})`;

/** The routing keys tasks matching task_routes really went out with (conf hides routing_key). */
export function observeRoutes(obs: EventsObserved, taskRoutes: unknown): Observation | undefined {
  const patterns = routePatterns(taskRoutes);
  const seen: Record<string, { queue: string | null; exchange: string | null; routing_key: string }[]> = {};
  for (const [name, routings] of obs.sentRouting) {
    if (patterns.some((p) => globMatches(p, name))) seen[name] = routings.map((r) => ({ queue: r.queue, exchange: r.exchange, routing_key: r.routingKey }));
  }
  const names = Object.keys(seen).sort();
  if (!names.length) return patterns.length ? { value: null, detail: "no routed task seen sent yet (task-sent events carry the routing key)" } : undefined;
  return {
    value: seen,
    detail: `routing keys on sent tasks: ${names.map((n) => `${n} → ${obs.sentRouting.get(n)!.map(describeRouting).join(" / ")}`).join("; ")}`,
  };
}

/** The routing keys of tasks sent to the default queue. */
export function observeDefaultRoutingKey(obs: EventsObserved, defaultQueue: unknown): Observation | undefined {
  if (typeof defaultQueue !== "string") return undefined;
  const keys = new Set<string>();
  for (const routings of obs.sentRouting.values()) for (const r of routings) if (r.queue === defaultQueue) keys.add(r.routingKey);
  if (!keys.size) return undefined;
  return { value: [...keys].sort(), detail: `tasks sent to the default queue ${defaultQueue} went out with routing key ${[...keys].sort().join(", ")}` };
}
