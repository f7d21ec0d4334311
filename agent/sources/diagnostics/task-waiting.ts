/**
 * Why a task waits: in a queue (how many ahead, who consumes it), in a queue nobody consumes, in a
 * queue whose consumers do not know its name, held by a worker behind a running task, held for its
 * ETA, revoked; and for an id nobody knows, which explanations the evidence still allows.
 */
import type { Evidence, Finding } from "./finding";
import { duration, iso, listed } from "./finding";
import { consumersOfQueue, queueOf, type DiagnosticSnapshot, type TaskFacts, type WorkerFacts } from "./snapshot";

/** In the findings list, a task is said to wait once it has waited this long (a busy queue's normal flow is not news). */
export const LIST_AFTER_MS = 5000;
/** The findings list names at most this many tasks (the oldest); their queues' findings cover the rest. */
export const LIST_MAX_TASKS = 100;

const subject = (t: TaskFacts) => ({ type: "task" as const, id: t.id });
const label = (t: TaskFacts) => `Task ${t.name ?? "(name not known)"} ${t.id}`;
/** Since when it waits: sent, else received, else first seen. */
const waitingSince = (t: TaskFacts) => t.sent ?? t.received ?? t.firstSeen;

function stateEvidence(t: TaskFacts): Evidence[] {
  const out: Evidence[] = [{ what: "state", value: t.state, at: t.stateAt, source: t.waiting ? "broker" : "events" }];
  if (t.sent !== null) out.push({ what: "sent", value: iso(t.sent), at: t.sent, source: "events" });
  return out;
}

function queueEvidence(t: TaskFacts, queue: string, snap: DiagnosticSnapshot): Evidence[] {
  const out: Evidence[] = [{ what: "queue", value: queue, source: t.waiting ? "broker" : "events" }];
  const q = queueOf(snap, queue);
  if (q?.messages !== null && q?.messages !== undefined) out.push({ what: "messages in the queue", value: q.messages, at: snap.now, source: "broker" });
  if (t.waiting) out.push({ what: "position in the queue", value: t.waiting.position, at: t.waiting.seenAt, source: "broker" });
  return out;
}

const etaDue = (t: TaskFacts): number | null => {
  const due = t.eta === null ? NaN : Date.parse(t.eta);
  return Number.isFinite(due) ? due : null;
};

/** The states in which a task waits for something (a worker, its ETA). */
export const WAITING_STATES = new Set<TaskFacts["state"]>(["PENDING", "RETRY", "RECEIVED", "SCHEDULED"]);

/**
 * The findings that explain one held task (none when it does not wait: running or finished).
 * `revokedBy`: workers whose revoked list holds it (a task revoked while its message still waits
 * stays PENDING until a worker takes the message and drops it).
 */
export function explainTask(t: TaskFacts, snap: DiagnosticSnapshot, revokedBy: readonly string[] = []): Finding[] {
  if (t.state === "REVOKED") return [revoked(t.id, stateEvidence(t), "it was revoked")];
  if (revokedBy.length && WAITING_STATES.has(t.state)) {
    const evidence: Evidence[] = [...stateEvidence(t), { what: "in the revoked list of", value: listed(revokedBy), at: snap.now, source: "inspect" }];
    return [revoked(t.id, evidence, `it is in the revoked list of ${listed(revokedBy)}, and the worker that takes its message will drop it`)];
  }
  const due = etaDue(t);
  if (t.state === "SCHEDULED" || ((t.state === "PENDING" || t.state === "RETRY") && due !== null && due > snap.now)) return [scheduled(t, due, snap)];
  if (t.state === "RECEIVED") return [received(t, snap)];
  if (t.state === "PENDING" || t.state === "RETRY") return [inQueue(t, snap)];
  return [];
}

function revoked(id: string, evidence: Evidence[], how: string): Finding {
  return {
    kind: "task_revoked",
    severity: "info",
    subject: { type: "task", id },
    sentence: `Task ${id} will not run: ${how}.`,
    evidence,
    action: "Send the task again if it still has to run; a revoke lasts while the workers remember it (or for good with --statedb).",
  };
}

function scheduled(t: TaskFacts, due: number | null, snap: DiagnosticSnapshot): Finding {
  const holder = t.state === "SCHEDULED" && t.worker ? `, held by ${t.worker} until then` : "";
  const late = due !== null && due < snap.now;
  const when = due === null ? "its ETA" : `${iso(due)} (${late ? `${duration(snap.now - due)} ago` : `in ${duration(due - snap.now)}`})`;
  return {
    kind: "task_scheduled_eta",
    severity: late ? "warning" : "info",
    subject: subject(t),
    sentence: late ? `${label(t)} was due at ${when}${holder}, and has not started.` : `${label(t)} has an ETA or countdown: it is due at ${when}${holder}.`,
    evidence: [
      ...stateEvidence(t),
      { what: "eta", value: t.eta, source: t.waiting ? "broker" : "events" },
      ...(t.worker ? [{ what: "held by", value: t.worker, source: "events" as const }] : []),
    ],
    action: late
      ? "The worker holding it runs it when a pool process is free: check that worker's active tasks and liveness."
      : "Nothing to do: it runs when due. To run it now, send it again without eta/countdown (and revoke this one).",
  };
}

function received(t: TaskFacts, snap: DiagnosticSnapshot): Finding {
  const w = snap.workers.find((x) => x.name === t.worker);
  const since = t.received ?? t.stateAt;
  const evidence: Evidence[] = [...stateEvidence(t), { what: "received by", value: t.worker, at: since, source: "events" }];
  const running = (w?.running ?? []).filter((r) => r.id !== t.id);
  if (w && running.length) {
    const first = running[0]!;
    for (const r of running.slice(0, 5))
      evidence.push({ what: `running ${r.name ?? "task"} ${r.id}`, value: r.started === null ? null : iso(r.started), source: "events" });
    const runFor = first.started === null ? "" : `, running for ${duration(snap.now - first.started)}`;
    return {
      kind: "task_reserved_behind_running",
      severity: "warning",
      subject: subject(t),
      sentence: `${label(t)} is reserved by ${w.name} (prefetched ${duration(snap.now - since)} ago) behind ${running.length === 1 ? `the running task ${first.name ?? ""} ${first.id}${runFor}` : `${running.length} running tasks`}: it starts when a pool process frees up.`,
      evidence,
      action:
        "Let long tasks run on a queue and worker of their own; with task_acks_late and worker_prefetch_multiplier = 1 a worker takes only what it can start, and leaves the rest in the queue for others.",
    };
  }
  if (w) evidence.push({ what: "worker status", value: w.status, source: "events" });
  return {
    kind: "task_received_not_started",
    severity: "info",
    subject: subject(t),
    sentence: `${label(t)} was received by ${t.worker ?? "a worker"} ${duration(snap.now - since)} ago and has not started${w?.status === "offline" ? `; that worker is offline` : ""}.`,
    evidence,
    action:
      w?.status === "offline"
        ? "A worker that died holding it loses it unless acks_late is on: see the worker's finding."
        : "It starts when one of the worker's pool processes is free.",
  };
}

function inQueue(t: TaskFacts, snap: DiagnosticSnapshot): Finding {
  const queue = t.waiting?.queue ?? t.queue;
  const waited = duration(snap.now - waitingSince(t));
  if (queue === null) {
    return {
      kind: "task_waiting_in_queue",
      severity: "info",
      subject: subject(t),
      sentence: `${label(t)} was sent ${waited} ago and no worker has received it; which queue it went to is not known (its task-sent event names none).`,
      evidence: stateEvidence(t),
      action: "Turn on task_send_sent_event where tasks are sent, so the agent learns their queue; the Queues view shows which queues hold messages.",
    };
  }
  const { consumers, complete } = consumersOfQueue(snap, queue);
  const evidence = [
    ...stateEvidence(t),
    ...queueEvidence(t, queue, snap),
    { what: "consumers online", value: complete ? consumers.length : null, source: "inspect" as const },
  ];
  if (!consumers.length && complete) {
    return {
      kind: "task_waiting_no_consumer",
      severity: "problem",
      subject: subject(t),
      sentence: `${label(t)} waits in queue ${queue}, which no online worker consumes: it will not run until one does.`,
      evidence,
      action: `Start a worker that consumes ${queue} (celery worker -Q ${queue}), or route the task to a queue a worker consumes.`,
    };
  }
  const unaware = consumers.filter((w) => w.registered !== null && t.name !== null && !w.registered.includes(t.name));
  if (consumers.length && t.name && unaware.length === consumers.length) {
    return {
      kind: "task_waiting_unregistered",
      severity: "problem",
      subject: subject(t),
      // What Celery does then (worker/consumer on_unknown_task): rejects the message, not requeued,
      // and stores and reports a failure, NotRegistered.
      sentence: `${label(t)} waits in queue ${queue}, whose consumers (${listed(names(consumers))}) do not register ${t.name}: the one that takes it will drop its message and fail it (NotRegistered), without running it.`,
      evidence: [...evidence, { what: "registered by the consumers", value: false, source: "inspect" }],
      action: `Make the workers import the module defining ${t.name} (include / imports), or route it to a queue whose workers know it.`,
    };
  }
  const ahead = t.waiting ? `${t.waiting.position - 1} message${t.waiting.position === 2 ? "" : "s"} ahead of it` : "its place in the queue not read";
  const who = consumers.length ? `consumed by ${listed(names(consumers))}` : "which workers consume it is not known yet";
  return {
    kind: "task_waiting_in_queue",
    severity: "info",
    subject: subject(t),
    sentence: `${label(t)} waits in queue ${queue} (${waited}), ${ahead}, ${who}.`,
    evidence,
    action: "It runs when the consumers reach it; if the queue grows, add workers or concurrency for it.",
  };
}

const names = (ws: WorkerFacts[]) => ws.map((w) => w.name);

/** The waiting tasks worth a finding in the list: waited past LIST_AFTER_MS, worse than info, oldest first. */
export function waitingTaskFindings(snap: DiagnosticSnapshot): Finding[] {
  const old = snap.waitingTasks.filter((t) => snap.now - waitingSince(t) >= LIST_AFTER_MS).sort((a, b) => waitingSince(a) - waitingSince(b));
  const out: Finding[] = [];
  const byQueue = new Map<string, { finding: Finding; tasks: TaskFacts[] }>();
  for (const t of old) {
    for (const f of explainTask(t, snap)) {
      if (f.severity === "info") continue;
      const queue = t.waiting?.queue ?? t.queue;
      // Tasks stuck for one queue-wide reason are one finding: a parked queue of 500 tasks is one problem, not 500.
      if (queue !== null && QUEUE_WIDE.has(f.kind)) {
        const key = `${f.kind}\u0000${queue}`;
        const group = byQueue.get(key);
        if (group) group.tasks.push(t);
        else byQueue.set(key, { finding: f, tasks: [t] });
        continue;
      }
      if (out.length < LIST_MAX_TASKS) out.push(f);
    }
  }
  for (const [key, { finding, tasks }] of byQueue) {
    const queue = key.split("\u0000")[1]!;
    // The queue's own finding (queue_no_consumer) already says it for the whole queue.
    if (finding.kind === "task_waiting_no_consumer" && queueFindingCovers(snap, queue)) continue;
    out.push(tasks.length === 1 ? finding : groupOf(finding, queue, tasks));
  }
  return out;
}

const PER_TASK_EVIDENCE = new Set(["state", "sent", "position in the queue"]);

/** Reasons that hold for every task waiting in the same queue. */
const QUEUE_WIDE = new Set(["task_waiting_no_consumer", "task_waiting_unregistered"]);

function queueFindingCovers(snap: DiagnosticSnapshot, queue: string): boolean {
  return snap.queues.some((q) => q.name === queue && (q.messages ?? 0) > 0);
}

function groupOf(first: Finding, queue: string, tasks: TaskFacts[]): Finding {
  const names = [...new Set(tasks.map((t) => t.name ?? "unknown task"))];
  const sample = tasks.slice(0, 5).map((t) => t.id);
  return {
    ...first,
    subject: { type: "queue", id: queue },
    sentence:
      first.kind === "task_waiting_no_consumer"
        ? `${tasks.length} tasks (${listed(names)}) wait in queue ${queue}, which no online worker consumes: they will not run until one does.`
        : `${tasks.length} tasks (${listed(names)}) wait in queue ${queue}, whose consumers do not register them: the workers that take them will drop their messages and fail them (NotRegistered), without running them.`,
    evidence: [
      // What was one task's own (its state, when sent, its place) does not describe the group.
      ...first.evidence.filter((e) => !PER_TASK_EVIDENCE.has(e.what)),
      { what: "tasks waiting for this reason", value: tasks.length, source: "events" },
      { what: "the longest-waiting", value: sample.join(", "), source: "events" },
    ],
  };
}

/** What was looked at for an id the agent does not hold. */
export interface UnknownIdFacts {
  id: string;
  /** Workers whose revoked list holds it. */
  revokedBy: string[];
  /** The result backend: had no result, could not be asked (why), or there is none. */
  backend: { state: "no_result" } | { state: "unreachable"; error: string } | { state: "none" };
  /** result_expires in seconds, as the workers report it; null: not known (or never). */
  resultExpires: number | null;
  /** The queues searched for its message: how many messages read, of how many. */
  searched: { read: number; messages: number } | null;
  /** When the agent started listening (ms). */
  agentStartedAt: number;
}

/** An id held nowhere: revoked, or unknown, with the explanations the evidence allows. */
export function explainUnknownId(u: UnknownIdFacts, now: number): Finding[] {
  if (u.revokedBy.length)
    return [
      revoked(
        u.id,
        [{ what: "in the revoked list of", value: listed(u.revokedBy), at: now, source: "inspect" }],
        `it is in the revoked list of ${listed(u.revokedBy)}`,
      ),
    ];
  const evidence: Evidence[] = [{ what: "events since the agent started", value: 0, at: u.agentStartedAt, source: "events" }];
  const allows: string[] = [
    "a wrong id (a typo, or an id from another deployment)",
    `it was never sent, or sent before the agent started (${iso(u.agentStartedAt)})`,
  ];
  if (u.searched) {
    evidence.push(
      { what: "messages read in the queues", value: u.searched.read, at: now, source: "broker" },
      { what: "messages in the queues", value: u.searched.messages, at: now, source: "broker" },
    );
    if (u.searched.read < u.searched.messages) allows.push(`it waits in a queue beyond the ${u.searched.read} messages read (of ${u.searched.messages})`);
  } else allows.push("it waits in a queue (this broker's messages cannot be read in place)");
  if (u.backend.state === "no_result") {
    evidence.push({ what: "result in the backend", value: false, at: now, source: "result_backend" });
    if (u.resultExpires) {
      evidence.push({ what: "result_expires (s)", value: u.resultExpires, source: "configuration" });
      allows.push(`it ran more than ${duration(u.resultExpires * 1000)} ago and its result expired (result_expires)`);
    } else allows.push("it ran without storing a result (ignore_result)");
  } else if (u.backend.state === "unreachable") {
    evidence.push({ what: "result backend", value: `not reachable: ${u.backend.error}`, at: now, source: "result_backend" });
    allows.push("it has a result the backend could not be asked for");
  } else allows.push("it ran (there is no result backend to ask)");
  evidence.push({ what: "in any worker's revoked list", value: false, at: now, source: "inspect" });
  return [
    {
      kind: "task_unknown",
      severity: "warning",
      subject: { type: "task", id: u.id },
      sentence: `No trace of task ${u.id} in the events, the workers${u.backend.state === "none" ? "" : ", the result backend"} or the queues read; the evidence allows: ${allows.join("; ")}.`,
      evidence,
      action: "Check the id against where it was sent from (the AsyncResult id); if it should run, send it again.",
    },
  ];
}
