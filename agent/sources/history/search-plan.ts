/**
 * How a history listing finds the rows matching its search text (search-index.ts says why):
 * `rows`, the matching rows' ids gathered from the indexes (the id's, the names', the payloads'
 * trigrams), when there are few; `walk`, checking rows in listing order, when the text is short or
 * matches many. Either way each row is checked again for the text itself (`matches`): the trigrams
 * only say a row may hold it.
 */
import { matchesText, matchesVisible } from "../tasks/query";
import type { TaskRecord } from "../tasks/record";
import type { HistoryDb } from "./database";
import { MAX_CANDIDATES, MIN_INDEXED_LENGTH, prefixEnd, trigramQuery } from "./search-index";

export type SearchPlan = { kind: "none" } | { kind: "walk"; q: string } | { kind: "rows"; q: string; rowids: string; count: number };

export function planSearch(db: HistoryDb, q: string | undefined, payloads: boolean): SearchPlan {
  if (!q) return { kind: "none" };
  if (q.length < MIN_INDEXED_LENGTH) return { kind: "walk", q };
  const rows = new Set<number>();
  // Each source adds its rows; false once more than MAX_CANDIDATES are found (a common text).
  const gather = (text: string, ...params: unknown[]): boolean => {
    const found = db
      .statement(text)
      .pluck()
      .all(...params, MAX_CANDIDATES + 1 - rows.size) as number[];
    for (const r of found) rows.add(r);
    return rows.size <= MAX_CANDIDATES;
  };
  const names = db.idsContaining(q);
  const few =
    gather("SELECT rowid FROM tasks WHERE id >= ? AND id < ? LIMIT ?", q, prefixEnd(q)) &&
    (names.length === 0 || gather("SELECT rowid FROM tasks WHERE name IN (SELECT value FROM json_each(?)) LIMIT ?", JSON.stringify(names))) &&
    (!payloads || gather("SELECT rowid FROM search WHERE search MATCH ? LIMIT ?", trigramQuery(q)));
  if (!few) return { kind: "walk", q };
  return { kind: "rows", q, rowids: JSON.stringify([...rows]), count: rows.size };
}

/** Whether a row read from the history matches the search (as the live store would say). */
export function matchesPlan(plan: SearchPlan, t: TaskRecord, payloads: boolean): boolean {
  if (plan.kind === "none") return true;
  return payloads ? matchesText(t, plan.q) : matchesVisible(t, plan.q);
}
