/**
 * The tasks the inspected page's requests started: each finished request's ids (task-ids.ts) asked
 * of the agent in batches, the known ones kept with their request, their descendants looked up too,
 * and every one kept live from the event stream. Ids the agent does not know yet are asked again a
 * few times over ~10 s (the response can come before the task-sent event). Reads the page only while
 * the panel is shown; keeps the last MAX_REQUESTS requests with tasks. It lives as long as the panel
 * page: the agent it asks (per the page's origin, page-agent.ts) is given with connect(), and a new
 * agent is asked about every id kept so far.
 */
import type { LookedUpTask, TaskRow } from "../../../agent/api/schema";
import type { AgentClient } from "../../api/client";
import type { LiveFeed } from "../live";
import { inspectedOrigin, onPanelShown, originOf, pageNetwork, type FinishedRequest, type PageNetwork } from "./page-network";
import { MAX_SCANNED_BODY, taskIdsOf } from "./task-ids";

export const MAX_REQUESTS = 50;
/** Delays before asking again about an id the agent did not know: ~10 s in all. */
const RETRY_DELAYS_MS = [500, 1000, 2000, 3000, 4000];
const BATCH_DELAY_MS = 100;
const MAX_BATCH = 500;

export interface PageRequest {
  key: number;
  method: string;
  url: string;
  status: number;
  startedAt: string;
  durationMs: number;
  /** The ids found in it, in order; the view shows those that are tasks. */
  ids: string[];
}

export type PageTask = LookedUpTask;

export class PageTasks {
  requests: PageRequest[] = [];
  /** The inspected page's origin (null until devtools says, and outside devtools). */
  origin: string | null = null;
  /** The id of the agent asked (null before connect()). */
  agentId: string | null = null;
  readonly tasks = new Map<string, PageTask>();
  preserveLog = false;
  private readonly listeners = new Set<() => void>();
  private readonly asked = new Map<string, number>();
  private queue = new Set<string>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private nextKey = 1;
  private readonly stops: (() => void)[] = [];
  private client: AgentClient | null = null;
  private stopEvents: () => void = () => undefined;
  /** Bumped on each connect(): answers from the agent before are dropped. */
  private generation = 0;

  constructor(network: PageNetwork | null = pageNetwork(), askOrigin: (callback: (origin: string | null) => void) => void = inspectedOrigin) {
    if (!network) return;
    const finished = (r: FinishedRequest) => this.onRequestFinished(r);
    const navigated = (url: string) => {
      this.setOrigin(originOf(url));
      if (!this.preserveLog) this.clear();
    };
    let listening = false;
    const listen = (on: boolean) => {
      if (on === listening) return;
      listening = on;
      const how = on ? "addListener" : "removeListener";
      network.onRequestFinished[how](finished);
      network.onNavigated[how](navigated);
      // The page may have gone elsewhere while the panel was hidden.
      if (on) askOrigin((origin) => this.setOrigin(origin));
    };
    this.stops.push(onPanelShown(listen), () => listen(false));
  }

  /**
   * Asks `client` (agent `agentId`) from now on, following `live`. Another agent than before: what
   * the last one said is dropped and every kept request's ids are asked again.
   */
  connect(agentId: string, client: AgentClient, live: LiveFeed): void {
    const otherAgent = agentId !== this.agentId;
    this.stopEvents();
    this.generation++;
    this.agentId = agentId;
    this.client = client;
    this.stopEvents = live.onEvent((e) => e.type === "task" && this.onTaskEvent(e.data));
    if (otherAgent) {
      this.tasks.clear();
      this.asked.clear();
      this.queue.clear();
      this.changed();
    }
    // The same agent through another stream: events may have been missed in between.
    this.queue = new Set([...this.requests.flatMap((r) => r.ids), ...this.tasks.keys()]);
    this.scheduleFlush();
  }

  /** Whether any request of the page started a task the agent knows (the tab then comes first). */
  get hasTasks(): boolean {
    return this.requests.some((r) => r.ids.some((id) => this.tasks.has(id)));
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setPreserveLog(on: boolean): void {
    this.preserveLog = on;
    this.changed();
  }

  clear(): void {
    this.requests = [];
    this.tasks.clear();
    this.asked.clear();
    this.queue.clear();
    this.changed();
  }

  close(): void {
    for (const stop of this.stops) stop();
    this.stopEvents();
    // Pending retries find nothing to ask.
    this.asked.clear();
    this.queue.clear();
    clearTimeout(this.flushTimer);
    this.listeners.clear();
  }

  private setOrigin(origin: string | null): void {
    if (origin === this.origin) return;
    this.origin = origin;
    this.changed();
  }

  private onRequestFinished(r: FinishedRequest): void {
    const base = { requestHeaders: r.request.headers, responseHeaders: r.response.headers, mimeType: r.response.content.mimeType };
    const keep = (body: string | null, encoding: string | null) => {
      const ids = taskIdsOf({ ...base, body, encoding });
      if (!ids.length) return;
      const { method, url } = r.request;
      const request = { key: this.nextKey++, method, url, status: r.response.status, startedAt: r.startedDateTime, durationMs: r.time, ids };
      this.requests = [...this.requests, request];
      if (this.requests.length > MAX_REQUESTS) this.dropOldest();
      this.ask(ids);
    };
    // A body above the limit is not even fetched from devtools.
    if (r.response.content.size > MAX_SCANNED_BODY) keep(null, null);
    else r.getContent((content, encoding) => keep(content, encoding));
  }

  /** Past MAX_REQUESTS, the oldest request goes, and with it the tasks only it led to. */
  private dropOldest(): void {
    this.requests = this.requests.slice(-MAX_REQUESTS);
    const kept = new Set<string>();
    const keep = (id: string) => {
      if (kept.has(id)) return;
      kept.add(id);
      for (const child of this.tasks.get(id)?.children ?? []) keep(child);
    };
    for (const r of this.requests) for (const id of r.ids) keep(id);
    for (const id of this.tasks.keys()) if (!kept.has(id)) this.tasks.delete(id);
    for (const id of this.asked.keys()) if (!kept.has(id)) this.asked.delete(id);
  }

  /** Queues ids for the next batched lookup (those not known and not being retried). */
  private ask(ids: readonly string[]): void {
    for (const id of ids) if (!this.tasks.has(id) && !this.asked.has(id)) this.queue.add(id);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.queue.size && this.flushTimer === undefined) this.flushTimer = setTimeout(() => void this.flush(), BATCH_DELAY_MS);
  }

  private async flush(): Promise<void> {
    this.flushTimer = undefined;
    const { client, generation } = this;
    if (!client) return;
    const ids = [...this.queue].slice(0, MAX_BATCH);
    for (const id of ids) this.queue.delete(id);
    this.scheduleFlush();
    const result = await client.post("taskLookup", { ids });
    if (generation !== this.generation) return;
    const found = result.kind === "ok" ? result.data.tasks : [];
    for (const task of found) this.remember(task);
    // Not known yet (or the agent not reachable): asked again later, a few times.
    for (const id of ids) if (!this.tasks.has(id)) this.retryLater(id);
    if (found.length) this.changed();
  }

  private retryLater(id: string): void {
    const tries = this.asked.get(id) ?? 0;
    const delay = RETRY_DELAYS_MS[tries];
    this.asked.set(id, tries + 1);
    if (delay === undefined) return;
    setTimeout(() => {
      // Skipped once known (an event told of it) or cleared.
      if (!this.asked.has(id) || this.tasks.has(id)) return;
      this.queue.add(id);
      this.scheduleFlush();
    }, delay);
  }

  private remember(task: PageTask): void {
    this.tasks.set(task.id, task);
    this.asked.delete(task.id);
    this.ask(task.children);
  }

  /**
   * A task event: a known task's new state, an id still being asked about, or a new descendant of a
   * known task: a child (parent_id), or one further down whose parent is not known here yet (root_id
   * names a known task: the parent is asked for, and brings it along as its child).
   */
  private onTaskEvent(row: TaskRow): void {
    const known = this.tasks.get(row.id);
    const parent = row.parent_id ? this.tasks.get(row.parent_id) : undefined;
    const rootKnown = !known && !parent && row.root_id !== null && this.tasks.has(row.root_id);
    if (rootKnown && row.parent_id) this.ask([row.parent_id]);
    if (!known && !parent && !rootKnown && !this.asked.has(row.id)) return;
    this.tasks.set(row.id, { ...row, children: known?.children ?? [] });
    this.asked.delete(row.id);
    if (parent && !parent.children.includes(row.id)) this.tasks.set(parent.id, { ...parent, children: [...parent.children, row.id] });
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
