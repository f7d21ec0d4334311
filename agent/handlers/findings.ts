/**
 * `findings` and `tasks/:id/why`: the diagnostics layer's conclusions (runtime/diagnostics.ts,
 * rules in sources/diagnostics/) shaped for the API and cut to the caller's access: a caller who
 * may not see the configuration sees no setting's value in the evidence. Findings carry no task
 * payloads (arguments, results, exception messages) by construction: the rules put ids, names,
 * counts, times and settings in them, nothing a task carries.
 */
import { FindingQuerySchema, type FindingList, type TaskWhy } from "../api/schema";
import type { Finding } from "../sources/diagnostics/finding";
import { explainTask, explainUnknownId, WAITING_STATES, type UnknownIdFacts } from "../sources/diagnostics/task-waiting";
import { resultExpiresSeconds } from "../sources/diagnostics/configuration";
import { locateMessage } from "../sources/diagnostics/locate";
import { isPlumbing } from "../sources/queues";
import { newRecord, type TaskRecord } from "../sources/tasks/record";
import { applyMeta, applyWaiting } from "../sources/tasks/record-merge";
import type { Access } from "./access";
import { findingView } from "./present/findings";
import { atMost, type Ctx } from "./context";
import { badRequest } from "./errors";
import { readWaiting } from "./queues";
import { TASK_ID } from "./tasks";

const SOURCE = "diagnostics over worker events, inspect replies, the result backend, the broker's queues and the workers' configuration";
export function findingList(findings: readonly Finding[], failed: FindingList["failed_rules"], computedAt: number, access: Access): FindingList {
  const counts = { problem: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return {
    findings: findings.map((f) => findingView(f, access)),
    counts,
    computed_at: new Date(computedAt).toISOString(),
    failed_rules: failed,
    source: SOURCE,
  };
}

export async function listFindings(ctx: Ctx, query: Record<string, string>, access: Access): Promise<FindingList> {
  const parsed = FindingQuerySchema.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const keys = (issue as { keys?: string[] }).keys;
    throw badRequest(keys?.length ? `unknown query parameter ${keys.join(", ")}` : `${issue.path.join(".")}: ${issue.message}`);
  }
  const q = parsed.data;
  const [type, ...rest] = q.subject?.split(":") ?? [];
  const id = rest.length ? rest.join(":") : null;
  const state = await ctx.diagnostics.current();
  const shown = state.findings.filter(
    (f) =>
      (!q.severity || f.severity === q.severity) &&
      (!q.kind || f.kind === q.kind) &&
      (!type || (f.subject.type === type && (id === null || f.subject.id === id))),
  );
  return findingList(shown, state.failed, state.computedAt, access);
}

/** How long a "why" waits for the workers' revoked lists. */
const REVOKED_WAIT_MS = 1000;

/** The workers whose revoked list holds `id` (those that answered within REVOKED_WAIT_MS). */
async function revokedBy(ctx: Ctx, id: string): Promise<string[]> {
  const revoked = await atMost(
    ctx.inspector.read("revoked").catch(() => null),
    REVOKED_WAIT_MS,
  );
  return [...(revoked?.replies ?? [])].filter(([, r]) => Array.isArray(r.value) && r.value.includes(id)).map(([w]) => w);
}

export async function taskWhy(ctx: Ctx, id: string, access: Access): Promise<TaskWhy> {
  if (!TASK_ID.test(id)) throw badRequest(`id: "${id.slice(0, 60)}" is not a task id`);
  // The queues read again (bounded, at most every 1.5 s), so a waiting task has its place; meanwhile
  // what the rules read, the last recompute's when it is recent.
  const [, snap] = await Promise.all([readWaiting(ctx), ctx.diagnostics.recentSnapshot()]);
  const answer = (t: TaskRecord | null, findings: Finding[], source: string): TaskWhy => ({
    id,
    known: t !== null,
    state: t?.state ?? null,
    queue: t?.waiting?.queue ?? t?.queue ?? null,
    position: t?.waiting?.position ?? null,
    findings: findings.map((f) => findingView(f, access)),
    computed_at: new Date(snap.now).toISOString(),
    source,
  });
  const held = ctx.tasks.get(id);
  if (held) {
    const revoked = WAITING_STATES.has(held.state) ? await revokedBy(ctx, id) : [];
    return answer(held, explainTask(held, snap, revoked), "the tasks the agent holds");
  }
  // Not held: looked for in the queues (bounded), then in the result backend.
  const peek = ctx.broker.queues?.messagePeek ?? null;
  let searched: UnknownIdFacts["searched"] = null;
  if (peek && ctx.broker.queues && ctx.broker.status().state === "connected") {
    // The bindings read now, not the few seconds old ones: the queue may be new.
    const bound = (await ctx.broker.queues.bindings()).filter((b) => !isPlumbing(b.exchange, b.queue)).map((b) => b.queue);
    const names = [...new Set([...snap.queues.map((q) => q.name), ...bound])];
    const depths = await ctx.broker.queues.queueDepths(names);
    const lists = names.map((name) => ({ name, messages_by_priority: depths.get(name)?.byPriority ?? [] }));
    const located = await locateMessage(peek, lists, id);
    searched = { read: located.read, messages: located.messages };
    if (located.found) {
      const t = newRecord(id, 0, snap.now);
      const { message, queue, position, priority } = located.found;
      applyWaiting(t, message, { queue, position, priority, seenAt: snap.now });
      return answer(t, explainTask(t, snap), `its message read in queue ${queue} on ${ctx.brokerDescription()}`);
    }
  }
  let backend: UnknownIdFacts["backend"] = { state: "none" };
  if (ctx.backend) {
    const meta =
      ctx.backend.status().state === "connected" ? await ctx.backend.get(id).catch((e: Error) => e) : new Error(ctx.backend.status().error ?? "not connected");
    if (meta instanceof Error) backend = { state: "unreachable", error: meta.message };
    else if (meta) {
      const t = newRecord(id, 0, meta.seenAt);
      applyMeta(t, meta);
      return answer(t, explainTask(t, snap), `the result backend ${ctx.backendDescription()}`);
    } else backend = { state: "no_result" };
  }
  const expires = snap.workers.map((w) => resultExpiresSeconds(w.conf?.result_expires)).find((v) => v !== null) ?? null;
  const facts: UnknownIdFacts = { id, revokedBy: await revokedBy(ctx, id), backend, resultExpires: expires, searched, agentStartedAt: ctx.startedAt };
  return answer(null, explainUnknownId(facts, snap.now), `${SOURCE}; not found in any of them`);
}
