/**
 * RedBeat's schedule in Redis: a sorted set `<prefix>:schedule` of entry keys scored by next run
 * time, and one hash per entry with JSON `definition` and `meta` fields. Read-only. RedBeat is not
 * part of the broker: it is a schedule store that happens to live on the same Redis, read here
 * through the broker's command connection (brokers.ts opens it).
 */
import type { Redis } from "ioredis";
import { parseJson, isRecord } from "../envelope";
import { num, str } from "../events";
import type { PeriodicStore, StoredPeriodicEntry } from "../transport";

export interface RedBeatEntry {
  key: string;
  definition: Record<string, unknown>;
  meta: Record<string, unknown> | null;
  /** Unix seconds of the next run, as RedBeat scheduled it. */
  nextRun: number | null;
}

const MAX_ENTRIES = 10_000;

export async function readRedBeat(redis: Redis, prefix: string): Promise<RedBeatEntry[]> {
  const scheduleKey = `${prefix}:schedule`;
  const scored = await redis.zrange(scheduleKey, 0, MAX_ENTRIES - 1, "WITHSCORES");
  if (!scored.length) return [];
  const keys: string[] = [];
  const scores = new Map<string, number>();
  for (let i = 0; i + 1 < scored.length; i += 2) {
    keys.push(scored[i]!);
    scores.set(scored[i]!, Number(scored[i + 1]));
  }
  const pipe = redis.pipeline();
  for (const k of keys) pipe.hmget(k, "definition", "meta");
  const rows = (await pipe.exec()) ?? [];
  const out: RedBeatEntry[] = [];
  keys.forEach((key, i) => {
    const [def, meta] = (rows[i]?.[1] as (string | null)[] | undefined) ?? [];
    const d = def ? parseJson(def, 32) : null;
    if (!d?.ok || !isRecord(d.value)) return;
    const m = meta ? parseJson(meta, 32) : null;
    const score = scores.get(key);
    out.push({
      key,
      definition: d.value,
      meta: m?.ok && isRecord(m.value) ? m.value : null,
      nextRun: score && Number.isFinite(score) && score > 0 ? score : null,
    });
  });
  return out;
}

/** The periodic store RedBeat keeps on a Redis; `redis` is the connection to read it on. */
export class RedBeatReader implements PeriodicStore {
  constructor(
    private readonly redis: () => Redis,
    private readonly where: string,
  ) {}

  describe(prefix: string): string {
    return `RedBeat keys (${prefix}*) on ${this.where}`;
  }

  async read(prefix: string): Promise<StoredPeriodicEntry[]> {
    // RedBeat talks to Redis with its own client: kombu's global_keyprefix does not apply.
    return (await readRedBeat(this.redis(), prefix)).map((e) => {
      const d = e.definition;
      return {
        name: str(d.name) ?? e.key.slice(prefix.length),
        definition: d,
        schedule: redbeatScheduleRepr(d.schedule),
        enabled: typeof d.enabled === "boolean" ? d.enabled : true,
        lastRun: redbeatDate(e.meta?.last_run_at),
        runs: num(e.meta?.total_run_count),
        nextRun: e.nextRun === null ? null : e.nextRun * 1000,
      };
    });
  }
}

/** RedBeat encodes datetimes as {"__type__": "datetime", year, month, day, hour, minute, second, microsecond}. */
export function redbeatDate(v: unknown): number | null {
  if (!isRecord(v) || v.__type__ !== "datetime") return null;
  const n = (k: string) => (typeof v[k] === "number" ? (v[k] as number) : 0);
  const ms = Date.UTC(n("year"), n("month") - 1, n("day") || 1, n("hour"), n("minute"), n("second"), Math.floor(n("microsecond") / 1000));
  return Number.isFinite(ms) ? ms : null;
}

/** RedBeat's schedule object as the same repr Celery prints, so one parser serves both. */
export function redbeatScheduleRepr(s: unknown): unknown {
  if (!isRecord(s)) return s;
  switch (s.__type__) {
    case "interval":
      return typeof s.every === "number" ? s.every : null;
    case "crontab":
      return `<crontab: ${["minute", "hour", "day_of_week", "day_of_month", "month_of_year"].map((k) => String(s[k] ?? "*")).join(" ")} (m/h/d/dM/MY)>`;
    case "solar":
      return `<solar: ${String(s.event)} at latitude ${String(s.lat)}, longitude: ${String(s.lon)}>`;
    default:
      return null;
  }
}
