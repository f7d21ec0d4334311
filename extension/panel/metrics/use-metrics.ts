/**
 * The metrics endpoints as view resources: refetched on task events at most every few seconds
 * (a busy deployment sends hundreds a second; a chart per minute need not follow each), and on a
 * slow timer besides, since queue depths and the last minute's bucket move without any event.
 */
import { useEffect } from "preact/hooks";
import type { EndpointResponse } from "../../../agent/api/schema";
import type { QueryValue } from "../../api/client";
import type { StreamEvent } from "../../api/events";
import { useResource, type ResourceState } from "../use-resource";

/** Least time between two refetches of a chart's data. */
export const CHART_REFRESH_MS = 5000;
/** A refetch with no event at all, so an idle queue's depth and the clock's minute still move. */
export const CHART_IDLE_REFRESH_MS = 15_000;

type MetricsEndpoint = "metricsTasks" | "metricsQueues" | "metricsWorkers" | "failures";

const onTaskEvents = (event: StreamEvent) => event.type === "task";

export function useMetrics<E extends MetricsEndpoint>(
  endpoint: E,
  query: Record<string, QueryValue> = {},
  refreshOn: (event: StreamEvent) => boolean = onTaskEvents,
): ResourceState<EndpointResponse<E>> {
  const key = JSON.stringify(query);
  const resource = useResource((client, signal) => client.get(endpoint, { query, signal }), [endpoint, key], {
    refreshOn,
    minIntervalMs: CHART_REFRESH_MS,
  });
  const { refresh } = resource;
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") refresh();
    }, CHART_IDLE_REFRESH_MS);
    return () => clearInterval(timer);
  }, [endpoint, key]);
  return resource;
}
