/** Snapshots for the diagnostics rules' unit tests: built from task events applied by the real record rules. */
import type { CeleryEvent } from "../../../agent/protocol/events";
import { newRecord, type TaskRecord } from "../../../agent/sources/tasks/record";
import { applyEvent } from "../../../agent/sources/tasks/record-merge";
import { DEFAULT_THRESHOLDS, type DiagnosticSnapshot, type QueueFacts, type WorkerFacts } from "../../../agent/sources/diagnostics/snapshot";

export const NOW = 1795558020000;

/** A task event from `hostname`, `ago` ms before NOW. */
export function tev(type: string, uuid: string, ago: number, fields: Record<string, unknown> = {}, hostname = "w1@host"): CeleryEvent {
  const at = NOW - ago;
  return {
    type,
    hostname,
    timestamp: at / 1000,
    receivedAt: at,
    utcoffset: 0,
    clock: null,
    pid: 100,
    fields: { type, uuid, hostname, timestamp: at / 1000, ...fields },
  };
}

/** A task record after these events, as the store would hold it. */
export function task(id: string, ...events: CeleryEvent[]): TaskRecord {
  const t = newRecord(id, 1, events[0]?.receivedAt ?? NOW);
  for (const e of events) applyEvent(t, e);
  return t;
}

export function worker(name: string, over: Partial<WorkerFacts> = {}): WorkerFacts {
  return {
    name,
    status: "online",
    busy: false,
    detail: null,
    heard: true,
    lastHeard: NOW - 1000,
    offlineAt: null,
    pid: 100,
    restartedAt: null,
    clockSkew: 0,
    queues: ["celery"],
    registered: ["app.add", "app.slow"],
    sendsTaskEvents: true,
    resultsWithoutEvents: null,
    conf: null,
    running: [],
    reserved: null,
    concurrency: null,
    maxRss: [],
    ...over,
  };
}

export function snapshot(over: Partial<DiagnosticSnapshot> = {}): DiagnosticSnapshot {
  return {
    now: NOW,
    thresholds: { ...DEFAULT_THRESHOLDS },
    brokerKind: "redis",
    workers: [worker("w1@host")],
    queues: [queue("celery", 0)],
    waitingTasks: [],
    sentEventsFrom: ["producer@host"],
    tasksReceived: 0,
    agentTransportOptions: {},
    waitingRead: null,
    unacked: null,
    lostTasks: [],
    oldestHeld: null,
    typicalRuntime: {},
    periodic: null,
    ...over,
  };
}

/** A queue with its depth now, and (optionally) earlier depths: `[agoMs, messages]`, oldest first. */
export function queue(name: string, messages: number | null, earlier: [number, number][] = [], receivedInRise: number | null = null): QueueFacts {
  const depths = [...earlier.map(([ago, value]) => ({ at: NOW - ago, value })), ...(messages === null ? [] : [{ at: NOW, value: messages }])];
  return { name, messages, depths, receivedInRise };
}
