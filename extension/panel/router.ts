/**
 * Hash routes, so each view has a URL (back/forward work, a view can be linked or reopened).
 * Pure parse/format; `useRoute` is the only part that touches `location`.
 */
import { useEffect, useState } from "preact/hooks";
import { FOCUS_PARAM } from "../shared/problem-link";
import { endpoints, fillPath, SORT_ORDERS, TASK_SORT_KEYS, type SortOrder, type TaskQuery, type TaskSortKey } from "../../agent/api/schema";

/** The tasks list's filters, as the `tasks` endpoint takes them (see TaskQuerySchema), text as in the URL. */
export interface TaskFilters {
  state?: string;
  name?: string;
  worker?: string;
  queue?: string;
  q?: string;
  /** Received at or after / before: ISO 8601, or an age before now ("-1h") that stays relative. */
  since?: string;
  until?: string;
  sort?: TaskSortKey;
  order?: SortOrder;
  cursor?: string;
}

export type Route =
  | { view: "overview" }
  | { view: "workers" }
  | { view: "worker"; name: string }
  | { view: "tasks"; filters: TaskFilters }
  | { view: "task"; id: string }
  | { view: "taskNames" }
  | { view: "taskName"; name: string }
  | { view: "failures" }
  | { view: "queues" }
  | { view: "queue"; name: string }
  | { view: "config" }
  | { view: "periodic" }
  /** `finding`: the finding to bring into view (a popup's or a notification's link). */
  | { view: "problems"; finding?: string }
  | { view: "agents" }
  /** The tasks the inspected page's requests started (devtools only). */
  | { view: "page" };

export type ViewName = Route["view"];

/**
 * Each view's path after `#/`: the path of the endpoint it shows (its `:name` part is the route's
 * field of that name), or the panel's own for the two views that have none of their own.
 */
const VIEW_PATHS: Record<ViewName, string> = {
  overview: endpoints.overview.path,
  workers: endpoints.workers.path,
  worker: endpoints.worker.path,
  tasks: endpoints.tasks.path,
  task: endpoints.task.path,
  // The tasks' figures per name (metrics/tasks, whose name is a query parameter): a path of the panel's own.
  taskNames: "task-names",
  taskName: "task-names/:name",
  failures: endpoints.failures.path,
  queues: endpoints.queues.path,
  queue: endpoints.queue.path,
  config: endpoints.config.path,
  // The periodic-tasks endpoint's view; the shorter path is the one links were made with.
  periodic: "periodic",
  problems: endpoints.findings.path,
  // The extension's list of agents: no endpoint.
  agents: "agents",
  // The inspected page's tasks: no endpoint of its own.
  page: "page",
};

/** The first part of a hash path -> the view it lists, and the view of one item under it (`workers/:name`). */
const SECTIONS = new Map<string, { list?: ViewName; item?: { view: ViewName; field: string } }>();
for (const [view, path] of Object.entries(VIEW_PATHS) as [ViewName, string][]) {
  const [first = "", param] = path.split("/");
  const section = SECTIONS.get(first) ?? {};
  if (param?.startsWith(":")) section.item = { view, field: param.slice(1) };
  else section.list = view;
  SECTIONS.set(first, section);
}

/** The query parameters of `tasks` the panel keeps in its URL. */
const FILTER_KEYS = ["state", "name", "worker", "queue", "q", "since", "until", "sort", "order", "cursor"] as const satisfies readonly (keyof TaskQuery)[];

const oneOf = <T extends string>(values: readonly T[], value: string): value is T => (values as readonly string[]).includes(value);

export function parseFilters(search: URLSearchParams): TaskFilters {
  const filters: TaskFilters = {};
  for (const key of FILTER_KEYS) {
    const value = search.get(key);
    if (!value) continue;
    if (key === "sort") {
      if (oneOf(TASK_SORT_KEYS, value)) filters.sort = value;
    } else if (key === "order") {
      if (oneOf(SORT_ORDERS, value)) filters.order = value;
    } else filters[key] = value;
  }
  return filters;
}

export function parseRoute(hash: string): Route {
  const [pathPart = "", query = ""] = hash.replace(/^#/, "").split("?", 2);
  const [first = "", ...rest] = pathPart.split("/").filter(Boolean);
  const tail = rest.length ? decodeURIComponent(rest.join("/")) : null;
  const section = SECTIONS.get(first);
  // The field is the one the Route of that view has (worker: name, task: id...): the unit test walks every view.
  if (section?.item && tail !== null) return { view: section.item.view, [section.item.field]: tail } as Route;
  if (section?.list === "tasks") return { view: "tasks", filters: parseFilters(new URLSearchParams(query)) };
  if (section?.list === "problems") {
    const finding = new URLSearchParams(query).get(FOCUS_PARAM);
    return finding ? { view: "problems", finding } : { view: "problems" };
  }
  return section?.list ? ({ view: section.list } as Route) : { view: "overview" };
}

export function href(route: Route): string {
  const path = `#/${fillPath(VIEW_PATHS[route.view], route)}`;
  if (route.view === "problems" && route.finding) return `${path}?${new URLSearchParams({ [FOCUS_PARAM]: route.finding })}`;
  if (route.view !== "tasks") return path;
  const search = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = route.filters[key];
    if (value) search.set(key, value);
  }
  const qs = search.toString();
  return qs ? `${path}?${qs}` : path;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return route;
}

export function navigate(route: Route): void {
  location.hash = href(route);
}
