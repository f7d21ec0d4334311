/**
 * Loads one agent resource for a view and keeps it fresh: refetches (throttled) on the live
 * events the view names, and polls while the event stream is down. Keeps the last good data
 * when a refresh fails, so a hiccup shows an error above the data, not a blank view.
 */
import { useEffect, useReducer, useRef } from "preact/hooks";
import type { AgentClient } from "../api/client";
import type { ApiFailure, ApiResult } from "../api/result";
import type { StreamEvent } from "../api/events";
import { usePanel } from "./live";

export const POLL_FALLBACK_MS = 5000;

export interface LiveOptions {
  /** Which stream events make this view stale. */
  refreshOn: (event: StreamEvent) => boolean;
  /** Least time between two refetches caused by events. */
  minIntervalMs?: number;
}

export interface ResourceState<T> {
  /** The latest good data, possibly older than `failure`. */
  data: T | null;
  /** The latest attempt's failure; null after a success. */
  failure: ApiFailure | null;
  loading: boolean;
  loadedAt: number | null;
  refresh: () => void;
}

type Loader<T> = (client: AgentClient, signal: AbortSignal) => Promise<ApiResult<T>>;
type Snapshot<T> = Omit<ResourceState<T>, "refresh">;
const INITIAL: Snapshot<never> = { data: null, failure: null, loading: true, loadedAt: null };

export function useResource<T>(load: Loader<T>, deps: readonly unknown[], live?: LiveOptions): ResourceState<T> {
  const { client, live: feed } = usePanel();
  const [snapshot, setSnapshot] = useReducer(
    (state: Snapshot<T>, next: Partial<Snapshot<T>> | "reset") => (next === "reset" ? INITIAL : { ...state, ...next }),
    INITIAL,
  );
  // The latest closures, so the effect below depends only on what identifies the resource.
  const latest = useRef({ load, live });
  latest.current = { load, live };
  const refreshRef = useRef<() => void>(() => {});

  useEffect(() => {
    let controller: AbortController | null = null;
    let lastStart = 0;
    let throttle: ReturnType<typeof setTimeout> | undefined;
    setSnapshot("reset");

    const run = async () => {
      controller?.abort();
      const current = new AbortController();
      controller = current;
      lastStart = Date.now();
      setSnapshot({ loading: true });
      const result = await latest.current.load(client, current.signal);
      if (current.signal.aborted) return;
      controller = null;
      if (result.kind === "ok") setSnapshot({ data: result.data, failure: null, loading: false, loadedAt: Date.now() });
      else setSnapshot({ failure: result, loading: false });
    };
    const soon = () => {
      if (throttle !== undefined) return;
      const wait = Math.max(0, lastStart + (latest.current.live?.minIntervalMs ?? 1500) - Date.now());
      throttle = setTimeout(() => {
        throttle = undefined;
        void run();
      }, wait);
    };
    refreshRef.current = () => void run();
    void run();

    if (!latest.current.live) return () => controller?.abort();
    const offEvent = feed.onEvent((event) => {
      if (latest.current.live?.refreshOn(event)) soon();
    });
    // A drop: refetch at once, which tells whether the agent is gone (the view then shows its data
    // as last known) or only the stream. Back from a drop: events were missed meanwhile, so refetch once.
    let dropped = feed.status.kind === "down";
    const offStatus = feed.onStatus((status) => {
      if (status.kind === "down") {
        if (!dropped) soon();
        dropped = true;
      } else if (status.kind === "live" && dropped) {
        dropped = false;
        soon();
      }
    });
    const poller = setInterval(() => {
      if (feed.status.kind !== "live" && !controller) void run();
    }, POLL_FALLBACK_MS);
    return () => {
      controller?.abort();
      clearTimeout(throttle);
      clearInterval(poller);
      offEvent();
      offStatus();
    };
  }, [client, feed, Boolean(live), ...deps]);

  return { ...snapshot, refresh: () => refreshRef.current() };
}
