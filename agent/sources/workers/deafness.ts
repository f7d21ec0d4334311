/**
 * The agent's own outages: while its broker connection is down it hears no worker, and silence
 * then says nothing about them. Liveness is judged as of the moment it went deaf while that lasts;
 * once it hears again, a worker that was alive then gets a fresh start, so an outage of the agent's
 * own never reads as every worker dying (nor marks their tasks lost).
 */

/** The longest extra wait for workers to reconnect after the agent's broker came back. */
const REJOIN_GRACE_MAX_MS = 30_000;

export class Deafness {
  /** The last outage; `to` is null while it lasts. */
  private deaf: { from: number; to: number | null } | null = null;

  /** The agent stopped (false) or started again (true) hearing the broker, at `at`. */
  setListening(listening: boolean, at: number): void {
    if (!listening && this.deaf?.to !== null) this.deaf = { from: at, to: null };
    else if (listening && this.deaf && this.deaf.to === null) this.deaf.to = at;
  }

  /** Since when the agent has not heard the broker, while it lasts; null when it hears. */
  since(): number | null {
    return this.deaf && this.deaf.to === null ? this.deaf.from : null;
  }

  /** `now`, or the moment the agent went deaf while it is. */
  judgedAt(now: number): number {
    return this.since() ?? now;
  }

  /**
   * When a worker was last `heard`, where the agent hearing again counts as a fresh start for a
   * worker alive (heard within `windowMs`) when it went deaf. The start is pushed back by the
   * outage's length (up to 30 s): when the broker itself was down, the workers lost it too, and
   * kombu retries with growing pauses, so they come back some seconds after it does.
   */
  lastHeard(heard: number, windowMs: number): number {
    const d = this.deaf;
    if (heard && d && d.to !== null && heard >= d.from - windowMs) return Math.max(heard, d.to + Math.min(d.to - d.from, REJOIN_GRACE_MAX_MS));
    return heard;
  }

  /**
   * A worker's consumer restarts when its broker connection comes back, and says worker-offline
   * then worker-online: a worker-offline during the grace after the agent's own outage is that
   * restart until the grace ends without a worker-online, not a shutdown.
   */
  restartingAfterOutage(offlineAt: number, now: number): boolean {
    const d = this.deaf;
    if (!d || d.to === null || offlineAt < d.from) return false;
    return now < d.to + Math.min(d.to - d.from, REJOIN_GRACE_MAX_MS);
  }
}
