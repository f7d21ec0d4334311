/**
 * Hash routes, so each view has a URL (back/forward work, a view can be linked or reopened).
 * Pure parse/format; `useRoute` is the only part that touches `location`.
 */
import { useEffect, useState } from "preact/hooks";

/** The tasks list's filters, as the `tasks` endpoint takes them (see TaskQuerySchema). */
export interface TaskFilters {
  state?: string;
  name?: string;
  worker?: string;
  queue?: string;
  q?: string;
  sort?: "received" | "started" | "finished" | "runtime";
  order?: "desc" | "asc";
  cursor?: string;
}

export type Route =
  | { view: "overview" }
  | { view: "workers" }
  | { view: "worker"; name: string }
  | { view: "tasks"; filters: TaskFilters }
  | { view: "task"; id: string }
  | { view: "queues" }
  | { view: "queue"; name: string }
  | { view: "config" }
  | { view: "periodic" }
  | { view: "agents" };

export type ViewName = Route["view"];

const FILTER_KEYS = ["state", "name", "worker", "queue", "q", "sort", "order", "cursor"] as const;
const SORTS = ["received", "started", "finished", "runtime"];

export function parseFilters(search: URLSearchParams): TaskFilters {
  const filters: TaskFilters = {};
  for (const key of FILTER_KEYS) {
    const value = search.get(key);
    if (!value) continue;
    if (key === "sort") {
      if (SORTS.includes(value)) filters.sort = value as TaskFilters["sort"];
    } else if (key === "order") {
      if (value === "asc" || value === "desc") filters.order = value;
    } else filters[key] = value;
  }
  return filters;
}

export function parseRoute(hash: string): Route {
  const [pathPart = "", query = ""] = hash.replace(/^#/, "").split("?", 2);
  const [section = "", ...rest] = pathPart.split("/").filter(Boolean);
  const tail = rest.length ? decodeURIComponent(rest.join("/")) : null;
  switch (section) {
    case "workers":
      return tail ? { view: "worker", name: tail } : { view: "workers" };
    case "tasks":
      return tail ? { view: "task", id: tail } : { view: "tasks", filters: parseFilters(new URLSearchParams(query)) };
    case "queues":
      return tail ? { view: "queue", name: tail } : { view: "queues" };
    case "config":
    case "periodic":
    case "agents":
      return { view: section };
    default:
      return { view: "overview" };
  }
}

export function href(route: Route): string {
  switch (route.view) {
    case "worker":
      return `#/workers/${encodeURIComponent(route.name)}`;
    case "task":
      return `#/tasks/${encodeURIComponent(route.id)}`;
    case "queue":
      return `#/queues/${encodeURIComponent(route.name)}`;
    case "tasks": {
      const search = new URLSearchParams();
      for (const key of FILTER_KEYS) {
        const value = route.filters[key];
        if (value) search.set(key, value);
      }
      const qs = search.toString();
      return qs ? `#/tasks?${qs}` : "#/tasks";
    }
    default:
      return `#/${route.view}`;
  }
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
