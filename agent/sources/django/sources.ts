/**
 * The agent's Django databases: django-celery-results for task history (--tasks-db) and
 * django-celery-beat for periodic tasks (--beat-db). One connection (pool) per distinct URL, opened
 * at start; a database that is down is logged and retried on each request, never fatal.
 */
import { log } from "../../base/log";
import { DbUnavailable, type Db, type DbTarget } from "../../base/sql/db";
import { openDb } from "../../base/sql/open";
import { DjangoBeatSource } from "./beat";
import { DjangoTaskSource } from "./tasks";

export class DjangoSources {
  tasks: DjangoTaskSource | null = null;
  beat: DjangoBeatSource | null = null;
  /** Why a configured source could not even be set up (its driver failed to load). */
  private readonly broken = new Map<"tasks" | "beat", string>();
  private readonly dbs: Db[] = [];

  constructor(
    readonly tasksTarget: DbTarget | null,
    readonly beatTarget: DbTarget | null,
  ) {}

  async start(): Promise<void> {
    const byUrl = new Map<string, Db>();
    for (const [what, target] of [
      ["tasks", this.tasksTarget],
      ["beat", this.beatTarget],
    ] as const) {
      if (!target) continue;
      let db = byUrl.get(target.url);
      if (!db) {
        try {
          db = await openDb(target);
        } catch (e) {
          const why = `${target.kind} driver could not be loaded: ${(e as Error).message.split("\n")[0]}`;
          this.broken.set(what, why);
          log("django.unavailable", `${what} database ${target.description}: ${why}`, { url: target.description }, "error");
          continue;
        }
        byUrl.set(target.url, db);
        this.dbs.push(db);
        await this.probe(db);
      }
      if (what === "tasks") this.tasks = new DjangoTaskSource(db);
      else this.beat = new DjangoBeatSource(db);
    }
  }

  private async probe(db: Db): Promise<void> {
    try {
      await db.query("SELECT 1 AS ok", []);
      log("django.connected", `database connected (read-only): ${db.target.description}`, { url: db.target.description });
    } catch (e) {
      const reason = e instanceof DbUnavailable ? e.message : String(e);
      log("django.unavailable", `database unavailable: ${reason} (retried on each request)`, { url: db.target.description }, "warn");
    }
  }

  /** Set when the option was given but its source could not be built. */
  brokenReason(what: "tasks" | "beat"): string | null {
    return this.broken.get(what) ?? null;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.dbs.map((d) => d.close()));
  }
}
