/** Ages written as options and query parameters write them: a number and one unit, "14d", "90m", "1.5h". */
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** The age in milliseconds, or null when `text` is not one (units s, m, h, d, w). */
export function durationMs(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim().toLowerCase());
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : null;
}
