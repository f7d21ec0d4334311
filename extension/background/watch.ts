/**
 * The background follows every agent's event stream while it runs, so a worker going offline,
 * the agent losing its broker or the agent going away reaches the stored status (and so the
 * badge and any open page) within about a second of the agent knowing it, not at the next alarm.
 * The alarm poll stays as the fallback for the times the browser stops the background.
 */
import browser from "webextension-polyfill";
import { ENDPOINT_PATHS } from "../../agent/api/schema/paths";
import { apiPath, createRequester, type Requester } from "../api/request";
import { followStream, type EventOf, type StreamStatus } from "../api/stream";
import type { Agent } from "../agents/agents";
import { degradedReason, type ConnectionState } from "../shared/connection";
import { BackgroundStreamSchemas, WorkerLivenessListSchema } from "./payloads";
import { findingsOf, sameFindings } from "./problems";
import type { AgentStatus } from "./status";

type StreamEvent = EventOf<typeof BackgroundStreamSchemas>;

export interface WatchHost {
  /** Polls the agent's overview now and stores what it tells. */
  poll(agent: Agent): Promise<unknown>;
  /** Changes the agent's stored status; returning the same object (or undefined) changes nothing. */
  update(agentId: string, change: (status: AgentStatus) => AgentStatus): Promise<void>;
}

/** Least time between two overview polls caused by task events (the popup's task figures). */
const TASK_POLL_MS = 10_000;
/**
 * An extension API call counts as activity for Chrome's idle timer (Chrome 110+), which stops a
 * service worker after 30 s without any: one call per this while the stream brings anything
 * (the agent's keepalive comes every 15 s) keeps the background following.
 */
const KEEP_AWAKE_MS = 20_000;
let lastKeepAwake = 0;
function keepAwake(): void {
  if (Date.now() - lastKeepAwake < KEEP_AWAKE_MS) return;
  lastKeepAwake = Date.now();
  void browser.runtime.getPlatformInfo().catch(() => undefined);
}

interface WorkerLiveness {
  online: boolean;
  busy: boolean;
}

function sameConnection(a: ConnectionState, b: ConnectionState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** One agent's stream, and the liveness of each of its workers as the stream last told it. */
class AgentWatch {
  private readonly client: Requester;
  private readonly workers = new Map<string, WorkerLiveness>();
  /** The worker list was read after the stream opened: counts from `workers` are complete. */
  private seeded = false;
  private lastTaskPoll = 0;
  private taskPoll: ReturnType<typeof setTimeout> | undefined;
  private readonly stopStream: () => void;

  constructor(
    readonly agent: Agent,
    private readonly host: WatchHost,
  ) {
    this.client = createRequester(agent);
    this.stopStream = followStream(this.client, BackgroundStreamSchemas, {
      onStatus: (status) => void this.onStatus(status),
      onEvent: (event) => void this.onEvent(event),
      onActivity: keepAwake,
    });
  }

  stop(): void {
    this.stopStream();
    clearTimeout(this.taskPoll);
  }

  private async onStatus(status: StreamStatus): Promise<void> {
    if (status.kind === "connecting") return;
    if (status.kind === "down") {
      this.seeded = false;
      await this.host.update(this.agent.id, (s) => (s.live ? { ...s, live: false } : s));
      // Why it dropped: the agent gone (unreachable), or just the stream. Poll to tell.
      await this.host.poll(this.agent);
      return;
    }
    // Events were missed while the stream was down: read everything afresh.
    this.workers.clear();
    await this.host.poll(this.agent);
    await this.host.update(this.agent.id, (s) =>
      s.connection.kind === "connected" || s.connection.kind === "degraded" ? { ...s, live: true, checkedAt: Date.now() } : s,
    );
    const list = await this.client.read(apiPath(ENDPOINT_PATHS.workers), WorkerLivenessListSchema);
    if (list.kind !== "ok") return;
    // Events that came while the list was read are newer than it: keep them.
    for (const w of list.data.workers) if (!this.workers.has(w.name)) this.workers.set(w.name, { online: w.status === "online", busy: w.busy });
    this.seeded = true;
    await this.storeWorkerCounts();
  }

  private async onEvent(event: StreamEvent): Promise<void> {
    switch (event.type) {
      case "worker": {
        const before = this.workers.get(event.data.name);
        const now = { online: event.data.status === "online", busy: event.data.busy };
        this.workers.set(event.data.name, now);
        if (this.seeded && (before?.online !== now.online || before?.busy !== now.busy)) await this.storeWorkerCounts();
        return;
      }
      case "health": {
        const degraded = degradedReason(event.data);
        const connection: ConnectionState = degraded ? { kind: "degraded", ...degraded } : { kind: "connected" };
        await this.host.update(this.agent.id, (s) => (sameConnection(s.connection, connection) ? s : { ...s, connection, checkedAt: Date.now() }));
        return;
      }
      case "task":
        this.pollForTasks();
        return;
      case "findings": {
        const findings = findingsOf(event.data, Date.now());
        await this.host.update(this.agent.id, (s) => (sameFindings(s.findings, findings) ? s : { ...s, findings }));
        return;
      }
    }
  }

  /** The worker counts of the stored summary, from the stream: the badge's figure, at once. */
  private async storeWorkerCounts(): Promise<void> {
    const all = [...this.workers.values()];
    const counts = {
      workersOnline: all.filter((w) => w.online).length,
      workersOffline: all.filter((w) => !w.online).length,
      workersBusy: all.filter((w) => w.online && w.busy).length,
    };
    await this.host.update(this.agent.id, (s) => {
      const summary = s.summary;
      if (!summary) return s;
      if (summary.workersOnline === counts.workersOnline && summary.workersOffline === counts.workersOffline && summary.workersBusy === counts.workersBusy)
        return s;
      return { ...s, summary: { ...summary, ...counts }, summaryAt: Date.now() };
    });
  }

  /** Task events change the popup's task figures: poll for them, at most every TASK_POLL_MS. */
  private pollForTasks(): void {
    if (this.taskPoll !== undefined) return;
    const wait = Math.max(0, this.lastTaskPoll + TASK_POLL_MS - Date.now());
    this.taskPoll = setTimeout(() => {
      this.taskPoll = undefined;
      this.lastTaskPoll = Date.now();
      void this.host.poll(this.agent);
    }, wait);
  }
}

const watches = new Map<string, { key: string; watch: AgentWatch }>();

/** Follows exactly the given agents (a changed URL or token restarts that agent's stream). */
export function watchAgents(agents: readonly Agent[], host: WatchHost): void {
  const wanted = new Map(agents.map((agent) => [agent.id, agent]));
  for (const [id, entry] of watches) {
    const agent = wanted.get(id);
    if (agent && entry.key === watchKey(agent)) continue;
    entry.watch.stop();
    watches.delete(id);
  }
  for (const agent of agents) {
    if (!watches.has(agent.id)) watches.set(agent.id, { key: watchKey(agent), watch: new AgentWatch(agent, host) });
  }
}

function watchKey(agent: Agent): string {
  return JSON.stringify([agent.url, agent.token]);
}
