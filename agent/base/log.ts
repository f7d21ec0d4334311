/**
 * The agent's log: one line per thing that happened (start, connect, disconnect, error, backfill
 * progress). Readable by default; with --json one JSON object per line (time, level, event,
 * message, fields) for log collectors. Messages and fields are masked on the way out, so a URL's
 * password never reaches a log whoever wrote the line.
 */
import { maskSecrets, maskString } from "./mask";

export type LogLevel = "info" | "warn" | "error";
export type LogFields = Record<string, string | number | boolean | null>;

interface LogConfig {
  json: boolean;
  /** Where lines go; a test (or an embedding program) can catch them. */
  write: (line: string, level: LogLevel) => void;
}

const toConsole = (line: string, level: LogLevel) => (level === "info" ? process.stdout : process.stderr).write(`${line}\n`);
let config: LogConfig = { json: false, write: toConsole };

export function configureLog(next: Partial<LogConfig>): void {
  config = { ...config, ...next };
}

/** The line `log` writes, without writing it. */
export function formatLogLine(at: Date, level: LogLevel, event: string, message: string, fields: LogFields = {}): string {
  const safeMessage = maskString(message);
  if (config.json) {
    return JSON.stringify({ time: at.toISOString(), level, event, message: safeMessage, fields: maskSecrets(fields) });
  }
  // Readable: the message says it all; the level only when it is not routine.
  return `${at.toISOString()} ${level === "info" ? "" : `${level.toUpperCase()} `}${safeMessage}`;
}

/** `event` is a stable dotted name (e.g. `broker.connected`) for whoever filters the JSON lines. */
export function log(event: string, message: string, fields: LogFields = {}, level: LogLevel = "info"): void {
  config.write(formatLogLine(new Date(), level, event, message, fields), level);
}
