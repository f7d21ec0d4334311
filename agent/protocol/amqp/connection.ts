/**
 * One amqplib connection to RabbitMQ, kept up: AMQP heartbeats on, reconnect with a short backoff
 * (capped at 1 s, so the agent is back within a few seconds of the broker's return), and on every
 * new connection each role (events, remote control, queue probes) sets itself up again on a channel
 * of its own, with fresh queue names. A channel the broker closes (a 404 on a passive check, a
 * precondition failure) is reopened without dropping the connection.
 *
 * Wrong credentials or an unknown vhost do not spam: the status says which vhost and user (never
 * the password) and attempts slow down to every 5 s. `connection.blocked` (the broker's memory or
 * disk alarm) keeps the state "connected" but sets the status error to say publishing is paused.
 * A broker certificate not trusted (amqps://) is said as such and retried as slowly as a refused login.
 */
import { connect, type Channel, type ChannelModel } from "amqplib";
import { maskString } from "../../base/mask";
import { StatusTracker } from "../status";
import { BrokerUnavailable } from "../transport";
import { explainTlsError, tlsSocketOptions } from "./tls";
import { describeAmqpTarget, type AmqpTarget } from "./url";

/** A role's setup on a fresh channel of a fresh (or the same, after a channel close) connection. */
export interface ChannelRole {
  /** For errors: "events", "remote control"... */
  name: string;
  setup(channel: Channel): Promise<void>;
  /** The setup failed (a 404 on a passive check...): say why; the role is set up again after `retryMs`. */
  onSetupError?(e: unknown): void;
  /** The channel (or, with none given, the connection) went away: forget what lived on it. */
  onLost?(channel?: Channel): void;
}

const RETRY_MAX_MS = 1000;
/** Refused logins are retried slowly: the broker logs each one. */
const REFUSED_RETRY_MS = 5000;
/** A role whose setup failed (e.g. celeryev absent) is tried again after this long. */
export const ROLE_RETRY_MS = 3000;
const CHANNEL_REOPEN_MS = 200;

export class AmqpConnection {
  readonly tracker = new StatusTracker();
  private conn: ChannelModel | null = null;
  private readonly roles: ChannelRole[] = [];
  private closed = false;
  private attempts = 0;
  private blocked: string | null = null;
  /** What a connected transport still wants said (blocked, celeryev absent), by topic: the status error while connected. */
  private readonly notes = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  /** Roles waiting to be set up again, and roles being set up. */
  private readonly roleTimers = new Map<ChannelRole, NodeJS.Timeout>();
  private readonly settingUp = new Map<ChannelRole, Promise<void>>();

  constructor(private readonly target: AmqpTarget) {}

  /** A role set up on every connection (register before start()). */
  addRole(role: ChannelRole): void {
    this.roles.push(role);
  }

  /** Resolves after the first attempt, connected or not: the agent serves "unavailable" meanwhile. */
  async start(): Promise<void> {
    await this.attempt();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const t of this.roleTimers.values()) clearTimeout(t);
    const c = this.conn;
    this.conn = null;
    for (const r of this.roles) r.onLost?.(); // broadcasts in flight end now, not at their timeout
    await c?.close().catch(() => undefined);
  }

  /** A fresh channel on the live connection (the queue probes' own); BrokerUnavailable when there is none. */
  async openChannel(): Promise<Channel> {
    const c = this.conn;
    if (!c || this.tracker.get().state !== "connected") throw new BrokerUnavailable(this.tracker.get().error ?? "broker not connected");
    const ch = await c.createChannel().catch((e: unknown) => {
      throw new BrokerUnavailable(errorText(e));
    });
    ch.on("error", () => undefined); // a broker-side close: the operation that caused it rejects with the reason
    return ch;
  }

  /** Runs `fn` on a channel used once: a passive check that 404s closes only that channel. */
  async withChannel<T>(fn: (ch: Channel) => Promise<T>): Promise<T> {
    const ch = await this.openChannel();
    try {
      return await fn(ch);
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  /** Sets (or clears, with null) what the status says while connected about `topic`. */
  note(topic: string, text: string | null): void {
    if (text === null) this.notes.delete(topic);
    else this.notes.set(topic, text);
    if (this.conn && this.tracker.get().state === "connected") this.tracker.set("connected", this.notesText());
  }

  private notesText(): string | null {
    return this.notes.size ? [...this.notes.values()].join("; ") : null;
  }

  /** Why publishing is paused (the broker blocked this connection), or null. */
  blockedReason(): string | null {
    return this.blocked;
  }

  private async attempt(): Promise<void> {
    if (this.closed) return;
    this.attempts++;
    if (this.tracker.get().state !== "connecting") this.tracker.set("unavailable", this.tracker.get().error ?? "reconnecting");
    let conn: ChannelModel;
    try {
      conn = await connect(
        {
          protocol: this.target.tls ? "amqps" : "amqp",
          hostname: this.target.endpoints[0]!.host,
          port: this.target.endpoints[0]!.port,
          username: this.target.username,
          password: this.target.password,
          // amqplib percent-decodes the vhost it is given (QS.unescape): encode it, so "%" in a name survives.
          vhost: encodeURIComponent(this.target.vhost),
          heartbeat: this.target.heartbeatSeconds,
        },
        // noDelay: without it Nagle holds small frames (a probe, a channel.open) for tens of ms.
        { ...tlsSocketOptions(this.target), noDelay: true, timeout: this.target.connectTimeoutMs, clientProperties: { connection_name: "celery-panel" } },
      );
    } catch (e) {
      const refused = isRefused(e);
      const tls = explainTlsError(e, this.target);
      this.tracker.set("unavailable", this.explain(tls?.text ?? e, refused));
      this.schedule(refused || tls?.untrusted ? REFUSED_RETRY_MS : Math.min(100 * 2 ** (this.attempts - 1), RETRY_MAX_MS));
      return;
    }
    if (this.closed) return void conn.close().catch(() => undefined);
    this.conn = conn;
    this.attempts = 0;
    this.blocked = null;
    conn.on("error", (e: unknown) => this.tracker.set("unavailable", this.explain(e, false)));
    conn.on("close", () => this.lost(conn));
    conn.on("blocked", (reason: string) => {
      this.blocked = reason || "resource alarm";
      this.note("blocked", `the broker blocked this connection (${this.blocked}): remote control waits until it unblocks`);
    });
    conn.on("unblocked", () => {
      this.blocked = null;
      this.note("blocked", null);
    });
    this.notes.delete("blocked");
    this.tracker.set("connected", this.notesText());
    await Promise.all(this.roles.map((r) => this.setUp(conn, r)));
  }

  private lost(conn: ChannelModel): void {
    if (this.conn !== conn) return;
    this.conn = null;
    for (const r of this.roles) r.onLost?.();
    if (this.closed) return;
    if (this.tracker.get().state !== "unavailable") this.tracker.set("unavailable", "connection closed");
    this.schedule(100);
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.attempt(), ms);
  }

  /** Opens the role's channel and sets it up; a channel the broker closes is reopened while the connection lives. */
  private setUp(conn: ChannelModel, role: ChannelRole): Promise<void> {
    const p = this.setUpOnce(conn, role).finally(() => this.settingUp.delete(role));
    this.settingUp.set(role, p);
    return p;
  }

  private async setUpOnce(conn: ChannelModel, role: ChannelRole): Promise<void> {
    if (this.closed || this.conn !== conn) return;
    let ch: Channel;
    try {
      ch = await conn.createChannel();
    } catch {
      return; // the connection is going: lost() sets everything up again on the next one
    }
    let healthy = false;
    ch.on("error", () => undefined);
    ch.on("close", () => {
      role.onLost?.(ch);
      if (!this.closed && this.conn === conn) this.later(role, conn, healthy ? CHANNEL_REOPEN_MS : ROLE_RETRY_MS);
    });
    try {
      await role.setup(ch);
      healthy = true;
    } catch (e) {
      role.onSetupError?.(e);
      // If the broker has not closed it already: its "close" schedules the next try.
      await ch.close().catch(() => undefined);
    }
  }

  private later(role: ChannelRole, conn: ChannelModel, ms: number): void {
    this.cancelRetry(role);
    const t = setTimeout(() => {
      this.roleTimers.delete(role);
      void this.setUp(conn, role);
    }, ms);
    this.roleTimers.set(role, t);
  }

  private cancelRetry(role: ChannelRole): void {
    const t = this.roleTimers.get(role);
    if (t) clearTimeout(t);
    this.roleTimers.delete(role);
  }

  /**
   * Sets the role up again now instead of at its next retry (remote control asked while celery.pidbox
   * was still missing); waits for a setup already under way. Resolves whether or not it succeeded.
   */
  async refreshRole(role: ChannelRole): Promise<void> {
    const running = this.settingUp.get(role);
    if (running) return running;
    const conn = this.conn;
    if (!conn || !this.roleTimers.has(role)) return;
    this.cancelRetry(role);
    await this.setUp(conn, role);
  }

  /** `e`: an error, or an explanation already written (kept whole: errorText cuts long messages). */
  private explain(e: unknown, refused: boolean): string {
    const where = describeAmqpTarget(this.target);
    let text = maskString(typeof e === "string" ? e : errorText(e)).replaceAll(this.target.password || "\u0000", "********");
    // amqplib drops the reason of a close at connection.open: it is the vhost (unknown, or not permitted).
    if (VHOST_REFUSED.test(text)) text = "the broker closed the connection on opening the vhost: it does not exist, or the user has no permission on it";
    if (refused) return `RabbitMQ refused ${where}: ${text} (check the user, its password and its permissions on the vhost)`;
    return `${text} (${where})`;
  }
}

const VHOST_REFUSED = /Expected ConnectionOpenOk; got <ConnectionClose/;

/** 403 ACCESS_REFUSED (login) or 530 NOT_ALLOWED / a close at connection.open (unknown vhost, no permission on it). */
function isRefused(e: unknown): boolean {
  const msg = errorText(e);
  return /ACCESS.REFUSED|NOT.ALLOWED|403|530/.test(msg) || VHOST_REFUSED.test(msg);
}

export function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s+/g, " ").slice(0, 240);
}

/** The AMQP reply code of a channel the broker closed (404 not found, 405 locked...), or null. */
export function closeCode(e: unknown): number | null {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === "number") return code;
  const m = /\b(40[3-6]|530)\b/.exec(errorText(e));
  return m ? Number(m[1]) : null;
}
