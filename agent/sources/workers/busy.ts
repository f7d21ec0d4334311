/**
 * Telling a silent worker that is busy from one that is dead: a solo pool sends no heartbeat while
 * its task runs, so a running task explains the silence, unless the worker is known to heartbeat
 * while busy, or the task has run far longer than that task usually takes.
 */

const SOLO_QUIET = "a solo worker sends no heartbeat while a task runs";

/** A busy solo worker is suspect past this many times its task's usual runtime (and at least `minMs`, --stuck-after). */
const SUSPECT_FACTOR = 10;
export const SUSPECT_MIN_MS = 60_000;

/** Why a silent worker with a running task is taken for busy, not dead. */
export function busyReason(pool: string | null, everHeard: boolean): string {
  if (pool === "solo") return `; ${SOLO_QUIET}`;
  // Known only by its binding and the result backend: the agent started while it was busy, or after it died.
  if (!everHeard)
    return `, as the result backend says; not heard from since the agent started and its pool is not known yet: ${SOLO_QUIET} (one that died mid-task looks the same)`;
  return `; its pool is not known yet (it has not answered stats), and ${SOLO_QUIET}`;
}

/**
 * A worker heard from well after its latest running task started kept heartbeating while busy:
 * not a solo pool, whatever stats would say (one killed before it could answer stats is dead).
 */
export function heartbeatsWhileBusy(w: { lastHeartbeat: number | null; freq: number }, running: { started: number | null }[]): boolean {
  const latestStart = Math.max(...running.map((t) => t.started ?? Infinity));
  return w.lastHeartbeat !== null && w.lastHeartbeat > latestStart + (w.freq + 1) * 1000;
}

/**
 * A killed solo worker looks exactly like a busy one (no heartbeat, no answer). What can tell
 * them apart is time: a task running ten times longer than that task usually takes
 * (`typicalRuntime`: its p95 in seconds, when enough of them ran).
 */
export function suspicion(
  t: { name: string | null; started: number | null },
  now: number,
  typicalRuntime?: (name: string) => number | null,
  minMs = SUSPECT_MIN_MS,
): string {
  const s = suspectRun(t, now, typicalRuntime, minMs);
  return s ? `; but it has run for ${Math.round(s.busyMs / 1000)} s where this task usually takes ${s.typical} s (p95): the worker may be dead` : "";
}

/** How long the task has run and its usual runtime (s), when that is past the point of suspicion. */
export function suspectRun(
  t: { name: string | null; started: number | null },
  now: number,
  typicalRuntime?: (name: string) => number | null,
  minMs = SUSPECT_MIN_MS,
): { busyMs: number; typical: number } | null {
  const typical = t.name ? (typicalRuntime?.(t.name) ?? null) : null;
  if (t.started === null || typical === null) return null;
  const busyMs = now - t.started;
  return busyMs > Math.max(SUSPECT_FACTOR * typical * 1000, minMs) ? { busyMs, typical } : null;
}
