/**
 * The connections remote control waits on: a BRPOP holds its connection until a reply or the
 * timeout, so each broadcast in flight borrows one. At most MAX_BLOCKING exist (more broadcasts
 * wait for one), a few are kept idle between calls, and close() drops them all, lent ones too, so
 * no BRPOP holds the agent's exit.
 */
import type { Redis } from "ioredis";
import { BrokerUnavailable } from "../transport";

const MAX_BLOCKING = 16;
const MAX_IDLE = 4;

export class BlockingPool {
  private readonly idle: Redis[] = [];
  private readonly waiters: ((c: Redis | null) => void)[] = [];
  private readonly lent = new Set<Redis>();
  private open = 0;
  private closed = false;

  /** `connect`: a new connection, not connected; `unavailable`: why the broker cannot be used now, or null. */
  constructor(
    private readonly connect: () => Redis,
    private readonly unavailable: () => string | null,
  ) {}

  async acquire(): Promise<Redis> {
    const c = await this.take();
    this.lent.add(c);
    return c;
  }

  release(c: Redis): void {
    this.lent.delete(c);
    if (this.closed || c.status !== "ready") {
      this.drop(c);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter(c);
    else if (this.idle.length >= MAX_IDLE) this.drop(c);
    else this.idle.push(c);
  }

  /** Wakes whoever waits (with "agent is closing"), disconnects the lent ones, and hands back the idle ones to quit. */
  close(): Redis[] {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w(null);
    for (const c of this.lent) c.disconnect();
    return this.idle.splice(0);
  }

  private async take(): Promise<Redis> {
    if (this.closed) throw new BrokerUnavailable("agent is closing");
    const down = this.unavailable();
    if (down !== null) throw new BrokerUnavailable(down);
    const idle = this.idle.pop();
    if (idle && idle.status === "ready") return idle;
    if (idle) this.drop(idle);
    if (this.open >= MAX_BLOCKING) {
      const c = await new Promise<Redis | null>((resolve) => this.waiters.push(resolve));
      if (!c) throw new BrokerUnavailable("agent is closing");
      return c;
    }
    this.open++;
    const c = this.connect();
    try {
      await c.connect();
    } catch (e) {
      this.drop(c);
      throw new BrokerUnavailable((e as Error).message);
    }
    return c;
  }

  private drop(c: Redis): void {
    this.open--;
    c.disconnect();
  }
}
