/**
 * What kombu's Redis queues hold, read without changing them: each queue's depth (its priority lists'
 * LLEN), the next messages waiting in them (LRANGE from the end workers pop), and the messages
 * delivered and not yet acknowledged (the `unacked` hash and its index). Over the broker's command
 * connection; depths of thousands of lists in one raw round trip (bulk.ts).
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { decodeEnvelope, isRecord, type DecodeLimits, type Envelope } from "../envelope";
import type { ListRead, MessagePeek, PeekMatches, QueueDepth, UnackedReader, UnackedSummary } from "../transport";
import { BulkReader, type BulkEndpoint } from "./bulk";
import { unavailableWhenDisconnected } from "./connection";
import type { BrokerKeys } from "./keys";
import type { RedisTarget } from "./url";

/** From this many lists on, queue depths are read in one raw round trip. */
const BULK_FROM = 256;
/** Undecodable waiting messages remembered, so each is counted once however often it is read. */
const REJECTED_SEEN_MAX = 10_000;

export interface QueueReadsDeps {
  cmd: Redis;
  keys: BrokerKeys;
  target: RedisTarget;
  limits: DecodeLimits;
  /** Above this many unacked messages only the total is read (each entry holds a whole message). */
  unackedDetailLimit: number;
  connected: () => boolean;
  /** Counts a broker message refused, by reason (the broker's `rejected`). */
  reject: (reason: string) => void;
  bulkName: string;
}

export class RedisQueueReads implements MessagePeek, UnackedReader {
  private readonly bulk: BulkReader;
  /** Digests of the waiting messages already counted as rejected. */
  private readonly rejectedSeen = new Set<string>();

  constructor(private readonly deps: QueueReadsDeps) {
    this.bulk = new BulkReader(deps.target, () => this.bulkEndpoint(), deps.bulkName);
  }

  close(): void {
    this.bulk.close();
  }

  queueDepths(queues: string[]): Promise<Map<string, QueueDepth>> {
    return unavailableWhenDisconnected(this.queueDepthsNow(queues));
  }

  private async queueDepthsNow(queues: string[]): Promise<Map<string, QueueDepth>> {
    const layout = queues.map((q) => this.deps.keys.priorityLists(q));
    const keys = layout.flatMap((lists) => lists.map((l) => l.key));
    const lengths = await this.lengths(keys);
    const out = new Map<string, QueueDepth>();
    let i = 0;
    queues.forEach((q, qi) => {
      const byPriority = layout[qi]!.map((l) => ({ priority: l.step, messages: lengths[i++] ?? 0 }));
      out.set(q, { messages: byPriority.reduce((s, p) => s + p.messages, 0), byPriority });
    });
    return out;
  }

  /**
   * LLEN of many lists: a few through the command connection; many (thousands of queues) in one raw
   * round trip (bulk.ts), falling back to an ioredis pipeline if that fails.
   */
  private async lengths(keys: string[]): Promise<number[]> {
    if (keys.length >= BULK_FROM && this.deps.connected()) {
      try {
        return await this.bulk.lengths(keys);
      } catch {
        /* the pipeline below */
      }
    }
    const pipe = this.deps.cmd.pipeline();
    for (const k of keys) pipe.llen(k);
    const results = (await pipe.exec()) ?? [];
    return keys.map((_, i) => {
      const n = results[i]?.[1];
      return typeof n === "number" ? n : 0;
    });
  }

  /**
   * The next `count` messages of each list, the next one to be delivered first: LRANGE of the list's
   * right end (kombu LPUSHes, workers BRPOP), which changes nothing. A message that does not decode
   * comes back as null and is counted as rejected once (it is read again on every peek).
   */
  peekLists(reads: ListRead[]): Promise<(Envelope | null)[][]> {
    return unavailableWhenDisconnected(this.peekListsNow(reads));
  }

  private async peekListsNow(reads: ListRead[]): Promise<(Envelope | null)[][]> {
    return (await this.readLists(reads)).map((list) =>
      list.map((m) => {
        const d = decodeEnvelope(m, this.deps.limits);
        if (d.ok) return d.envelope;
        this.countOnce(m, `waiting_${d.reason}`);
        return null;
      }),
    );
  }

  peekContaining(reads: ListRead[], needle: string): Promise<PeekMatches[]> {
    return unavailableWhenDisconnected(this.peekContainingNow(reads, needle));
  }

  private async peekContainingNow(reads: ListRead[], needle: string): Promise<PeekMatches[]> {
    const bytes = Buffer.from(needle);
    return (await this.readLists(reads)).map((list) => ({
      read: list.length,
      matches: list.flatMap((m, index) => {
        if (!m.includes(bytes)) return [];
        const d = decodeEnvelope(m, this.deps.limits);
        return d.ok ? [{ index, envelope: d.envelope }] : [];
      }),
    }));
  }

  /** Each list's next `count` raw messages, the next to be delivered first. */
  private async readLists(reads: ListRead[]): Promise<Buffer[][]> {
    if (!reads.length) return [];
    const pipe = this.deps.cmd.pipeline();
    // The next to be delivered is at the right end: skipping `skip` of them ends the range that much further left.
    for (const r of reads) pipe.lrangeBuffer(this.deps.keys.queueList(r.queue, r.step), -(r.skip ?? 0) - r.count, -(r.skip ?? 0) - 1);
    const results = (await pipe.exec()) ?? [];
    return reads.map((_, i) => {
      const [err, raw] = results[i] ?? [new Error("no reply"), null];
      if (err) throw err;
      return (raw as Buffer[]).reverse();
    });
  }

  private countOnce(raw: Buffer, reason: string): void {
    const digest = createHash("sha1").update(raw).digest("base64");
    if (this.rejectedSeen.has(digest)) return;
    if (this.rejectedSeen.size >= REJECTED_SEEN_MAX) this.rejectedSeen.clear();
    this.rejectedSeen.add(digest);
    this.deps.reject(reason);
  }

  /** Where the bulk reader connects: where the command connection is connected. */
  private bulkEndpoint(): BulkEndpoint | null {
    const t = this.deps.target;
    if (t.kind === "socket") return t.socketPath ? { path: t.socketPath } : null;
    if (t.kind === "tcp") return t.endpoints[0] ? { host: t.endpoints[0].host, port: t.endpoints[0].port } : null;
    // Sentinel: the master ioredis found (not over TLS: the certificate names a host we do not know).
    const stream = (this.deps.cmd as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
    return !t.tls && stream?.remoteAddress && stream.remotePort ? { host: stream.remoteAddress, port: stream.remotePort } : null;
  }

  unacked(): Promise<UnackedSummary> {
    return unavailableWhenDisconnected(this.unackedNow());
  }

  private async unackedNow(): Promise<UnackedSummary> {
    const limit = this.deps.unackedDetailLimit;
    const total = await this.deps.cmd.hlen(this.deps.keys.unackedKey);
    const summary: UnackedSummary = { total, byRoutingKey: new Map(), oldestByRoutingKey: new Map(), complete: total <= limit };
    if (total === 0 || total > limit) return summary;
    const [entries, index] = await Promise.all([
      this.deps.cmd.hgetall(this.deps.keys.unackedKey),
      this.deps.cmd.zrange(this.deps.keys.unackedIndexKey, 0, -1, "WITHSCORES"),
    ]);
    const since = new Map<string, number>();
    for (let i = 0; i + 1 < index.length; i += 2) since.set(index[i]!, Number(index[i + 1]));
    for (const [tag, raw] of Object.entries(entries)) {
      const rk = unackedRoutingKey(raw);
      if (rk === null) continue;
      summary.byRoutingKey.set(rk, (summary.byRoutingKey.get(rk) ?? 0) + 1);
      const t = since.get(tag);
      if (t !== undefined && t < (summary.oldestByRoutingKey.get(rk) ?? Infinity)) summary.oldestByRoutingKey.set(rk, t);
    }
    return summary;
  }
}

/** kombu stores each unacked message as JSON `[message, exchange, routing_key]`. */
function unackedRoutingKey(raw: string): string | null {
  try {
    const v: unknown = JSON.parse(raw);
    if (Array.isArray(v) && typeof v[2] === "string") return v[2];
    if (Array.isArray(v) && isRecord(v[0])) {
      const di = (v[0].properties as Record<string, unknown> | undefined)?.delivery_info;
      if (isRecord(di) && typeof di.routing_key === "string") return di.routing_key;
    }
  } catch {
    /* unreadable entry: not counted per queue */
  }
  return null;
}
