/**
 * The contract's words that the agent's lower layers use as values, not only as types: task
 * states, where a queue came from, the tasks listing's sort keys and orders. Plain lists that
 * import nothing (not even zod), so sources may take them from here (scripts/check-imports.ts);
 * the zod enums of the other pieces are built from them. Spell them here and nowhere else.
 */

/** Celery's own task states (celery.states), in the order the task store numbers them. */
export const CELERY_TASK_STATES = ["PENDING", "RECEIVED", "STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED", "REJECTED"] as const;

/**
 * Celery's states, plus two of the agent's own:
 * - LOST: its verdict on a task that was received or running on a worker judged offline (killed, or
 *   restarted under the same name). A later event or result replaces it.
 * - SCHEDULED: a worker received the task with an ETA later than the moment it received it
 *   (`countdown`/`eta`): the worker holds it until then (`inspect scheduled`). Celery calls it RECEIVED;
 *   task-started moves it on as usual.
 * A message still waiting in a broker queue (no worker has it) is PENDING with `waiting` set.
 */
export const TASK_STATES = [...CELERY_TASK_STATES, "LOST", "SCHEDULED"] as const;
export type TaskState = (typeof TASK_STATES)[number];

/**
 * Where a task's queue came from: named by the task-sent event or the result backend
 * (result_extended), or inferred by the agent from the routing key in the worker's
 * `inspect active/reserved/scheduled` reply (`delivery_info`) or from the worker that received it
 * consuming that one queue only (`worker_queues`); or the queue the agent read its message waiting in (`broker`).
 */
export const QUEUE_SOURCES = ["event", "result_backend", "delivery_info", "worker_queues", "broker"] as const;
export type QueueSource = (typeof QUEUE_SOURCES)[number];

/** What the `tasks` listing sorts by (`sort`), and which way (`order`); the first of each is the default. */
export const TASK_SORT_KEYS = ["received", "started", "finished", "runtime"] as const;
export type TaskSortKey = (typeof TASK_SORT_KEYS)[number];
export const SORT_ORDERS = ["desc", "asc"] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];

/** A worker's pool, as told from its `inspect stats` reply (Celery's stats do not name it). */
export const POOL_KINDS = ["prefork", "solo", "threads", "gevent", "eventlet", "custom"] as const;
export type PoolKind = (typeof POOL_KINDS)[number];

/** Whether beat looks alive, judged from its entries' expected and observed runs. */
export const BEAT_STATUSES = ["alive", "late", "unknown"] as const;
export type BeatStatus = (typeof BEAT_STATUSES)[number];

/** How bad a finding of the diagnostics layer is: something is wrong, may go wrong, or is worth knowing. */
export const FINDING_SEVERITIES = ["problem", "warning", "info"] as const;
export type FindingSeverity = (typeof FINDING_SEVERITIES)[number];

/** What a finding is about: its `subject.type`. */
export const FINDING_SUBJECTS = ["task", "queue", "worker", "periodic_task", "deployment"] as const;
export type FindingSubjectType = (typeof FINDING_SUBJECTS)[number];

/** Where a piece of a finding's evidence was read. */
export const EVIDENCE_SOURCES = ["events", "inspect", "result_backend", "broker", "configuration", "schedule"] as const;
export type EvidenceSource = (typeof EVIDENCE_SOURCES)[number];

/** Every kind of finding, stable: clients may key on them. */
export const FINDING_KINDS = [
  "task_waiting_in_queue",
  "task_waiting_no_consumer",
  "task_waiting_unregistered",
  "task_reserved_behind_running",
  "task_received_not_started",
  "task_scheduled_eta",
  "task_revoked",
  "task_unknown",
  "queue_no_consumer",
  "worker_no_task_events",
  "sent_events_off",
  "track_started_off",
  "worker_offline",
  "worker_restarted",
  "worker_clock_skew",
  "acks_late_without_reject_on_worker_lost",
  // No longer made (redelivery_risk says it, with the setting); kept so a panel still reads an older agent.
  "visibility_timeout_shorter_than_eta",
  "pickle_accepted",
  "result_expires_shorter_than_history",
  "redelivery_risk",
  "queue_not_draining",
  "tasks_lost",
  "task_running_long",
  "worker_silent_busy",
  "worker_prefetch_hoarding",
  "worker_memory_growing",
  "beat_silent",
  "periodic_missed",
  "periodic_disabled",
  "periodic_never_fires",
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/**
 * What the metrics count per task name, queue and minute (`metrics/tasks`): a state counts once per
 * task and run (duplicate events and backend records do not count again); `sent` only with task-sent
 * events on; `lost` is the agent's verdict (see LOST above).
 */
export const METRIC_COUNTS = ["sent", "received", "started", "succeeded", "failed", "retried", "revoked", "lost"] as const;
export type MetricCount = (typeof METRIC_COUNTS)[number];

/**
 * What a queue-wait figure measures from: `sent` (task-sent event to task-started, the true wait in
 * the queue) or `received` (a worker received it to task-started: the wait in the worker's prefetch
 * only, when task-sent events are off); `mixed` when the window holds both kinds.
 */
export const WAIT_BASES = ["sent", "received", "mixed"] as const;
export type WaitBasis = (typeof WAIT_BASES)[number];

/** How a queue's rate in was told: counted from task-sent events, or from what went out plus the depth's change. */
export const RATE_IN_BASES = ["sent_events", "depth_change"] as const;
export type RateInBasis = (typeof RATE_IN_BASES)[number];
