/**
 * The history's settings from the agent's options: where it is (the data directory's SQLite file,
 * or a PostgreSQL database given by --history), how long and how many tasks it keeps. A bad value
 * is a HistorySettingError naming the option (options.ts reports it).
 */
import { join, resolve } from "node:path";
import { durationMs } from "../../base/durations";
import { maskString } from "../../base/mask";
import { type DbTarget, DbUrlError, parseDbUrl } from "../../base/sql/db";
import { defaultDataDir, historyFileName } from "./location";

export interface HistorySettings {
  dataDir: string;
  /** The database file: the data directory's file for this broker; with PostgreSQL its masked URL. */
  path: string;
  /** --history postgres://…: the database the history is kept in instead of the file. */
  postgres: DbTarget | null;
  retainMs: number;
  /** How long failed tasks (FAILED_STATES) are kept: --retain-failures, else retainMs. */
  retainFailuresMs: number;
  retainMaxRows: number;
}

export class HistorySettingError extends Error {}

/** "14d", "12h", "90m", "30s", "2w" in milliseconds. */
export function parseRetain(raw: string, flag = "--retain"): number {
  const ms = durationMs(raw);
  if (ms === null) throw new HistorySettingError(`${flag} must be an age such as 14d, 12h, 90m or 30s (units s, m, h, d, w), not "${raw}"`);
  if (ms < 1000) throw new HistorySettingError(`${flag} must be at least 1s, not "${raw}"`);
  if (ms > 100 * 365 * 86_400_000) throw new HistorySettingError(`${flag} must be at most 100 years, not "${raw}"`);
  return ms;
}

export function parseMaxRows(raw: string): number {
  const text = raw.trim().replace(/[_,]/g, "");
  if (!/^\d+$/.test(text)) throw new HistorySettingError(`--retain-max-rows must be a whole number of tasks, not "${raw}"`);
  const n = Number(text);
  if (n < 1 || n > 10_000_000_000) throw new HistorySettingError(`--retain-max-rows must be between 1 and 10000000000, not ${n}`);
  return n;
}

/** null when the history is off (--no-history). */
export function historySettings(
  raw: { dataDir?: string; noHistory: boolean; retain: string; retainFailures?: string; retainMaxRows: string; history?: string },
  broker: string,
  env: NodeJS.ProcessEnv,
): HistorySettings | null {
  // Checked even when off, so a typo does not wait for the day the history is turned on.
  const retainMs = parseRetain(raw.retain);
  const retainFailuresMs = raw.retainFailures === undefined ? retainMs : parseRetain(raw.retainFailures, "--retain-failures");
  const retainMaxRows = parseMaxRows(raw.retainMaxRows);
  const postgres = raw.history === undefined ? null : parseHistoryUrl(raw.history);
  if (raw.noHistory) return null;
  if (raw.dataDir !== undefined && raw.dataDir.trim() === "") throw new HistorySettingError("--data-dir must name a directory");
  const dataDir = resolve(raw.dataDir ?? defaultDataDir(env));
  return { dataDir, path: postgres ? postgres.description : join(dataDir, historyFileName(broker)), retainMs, retainFailuresMs, retainMaxRows, postgres };
}

/** --history: `sqlite` (the data directory's file, the default) or a postgres:// / postgresql:// URL. */
function parseHistoryUrl(raw: string): DbTarget | null {
  const text = raw.trim();
  if (text === "" || text.toLowerCase() === "sqlite") return null;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme !== "postgres" && scheme !== "postgresql") {
    throw new HistorySettingError(`--history must be sqlite or a postgres:// or postgresql:// URL, not "${maskString(text)}"`);
  }
  try {
    return parseDbUrl(text);
  } catch (e) {
    if (e instanceof DbUrlError) throw new HistorySettingError(`--history: ${e.message}`);
    throw e;
  }
}
