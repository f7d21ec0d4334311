/**
 * Substring search over millions of history rows, where a scan (every row's text looked at) takes
 * seconds. What a search may match, and how each is found without a scan:
 *   - the payloads (arguments, result, exception): an FTS5 table with the trigram tokenizer, holding
 *     no text of its own (contentless, detail=none: trigrams to rowids, nothing more). A query asks
 *     for rows holding every trigram of the text, then each such row is checked for the text itself;
 *   - the id: from its beginning (a pasted id, or its first characters), on the id's own index;
 *   - the name: names are few, kept apart (the `names` table): the matching ones become a name filter.
 * A text matching many rows (a common word, a short prefix) gains nothing from an index: the list
 * walks its sort order and checks each row, as for the live store, and meets its page quickly.
 *
 * A row is indexed again only when its payload text changed (a hash kept in the row says so): a
 * task is indexed about twice (received with its arguments, finished with its result).
 */
import type BetterSqlite3 from "better-sqlite3";
import { valueText } from "../tasks/query";
import type { TaskRecord } from "../tasks/record";

/** Candidates beyond this mean a common text: walking the list and checking rows is quicker. */
export const MAX_CANDIDATES = 20_000;
/** The trigram index needs three characters. */
export const MIN_INDEXED_LENGTH = 3;

/** The payload text a row is indexed by, lowercased (the live store's search looks at the same). */
export function payloadText(t: TaskRecord): string {
  const parts: string[] = [];
  if (t.exception) parts.push(t.exception);
  for (const v of [t.args, t.kwargs, t.result]) if (v !== null) parts.push(valueText(v));
  return parts.join("\u0001").toLowerCase();
}

/** A 32-bit FNV-1a hash of the text: 0 for none. */
export function textHash(text: string): number {
  if (text === "") return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0 || 1;
}

/** An FTS5 query asking for rows holding every trigram of `q` (each quoted: any character may appear). */
export function trigramQuery(q: string): string {
  const grams = new Set<string>();
  for (let i = 0; i + 3 <= q.length; i++) grams.add(`"${q.slice(i, i + 3).replaceAll('"', '""')}"`);
  return [...grams].join(" AND ");
}

/** The upper bound of the ids starting with `prefix` (for a range on the id's index). */
export function prefixEnd(prefix: string): string {
  return `${prefix}\uffff`;
}

/** Keeps the trigram table in step with the rows, inside the writer's transactions. */
export class SearchIndexer {
  private readonly remove: BetterSqlite3.Statement;
  private readonly add: BetterSqlite3.Statement;

  constructor(db: BetterSqlite3.Database) {
    this.remove = db.prepare("DELETE FROM search WHERE rowid = ?");
    this.add = db.prepare("INSERT INTO search (rowid, text) VALUES (?, ?)");
  }

  /** The row `rowid` now holds `text` (hash `hash`); it held text of hash `oldHash` (0: none, or a new row). */
  update(rowid: number | bigint, text: string, hash: number, oldHash: number): void {
    if (hash === oldHash) return;
    if (oldHash !== 0) this.remove.run(rowid);
    if (hash !== 0) this.add.run(rowid, text);
  }

  /** The row `rowid` is deleted; it held text of hash `hash`. */
  forget(rowid: number | bigint, hash: number): void {
    if (hash !== 0) this.remove.run(rowid);
  }
}
