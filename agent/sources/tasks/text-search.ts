/**
 * The `q` of a task listing: which held tasks have the text in their id, name, args, kwargs,
 * result or exception. Each place is searched the way that costs least over a million tasks:
 * packed texts one regular expression per chunk (search.ts), hot records' text once per change,
 * ids only when the text could be part of a UUID, names once per distinct name.
 */
import type { TaskRecord } from "./record";
import { matchesText } from "./query";
import { literalPattern, SEP, type TextStore } from "./search";
import type { HotCache } from "./hot-cache";
import { EMPTY } from "./columns";
import { UUID_LIKE, type TaskSlots } from "./slots";

export interface SearchedParts {
  slots: TaskSlots;
  texts: TextStore;
  hot: HotCache;
  record: (slot: number) => TaskRecord;
}

/** Marks the slots whose id, name, args, kwargs, result or exception contain `q` (lower-case); returns how many. */
export function findText(q: string, hits: Uint8Array, { slots, texts, hot, record }: SearchedParts): number {
  const { c, ids, nextSlot } = slots;
  if (q.includes(SEP)) {
    // Not expressible over the joined text: the record-by-record way.
    let n = 0;
    for (let slot = 0; slot < nextSlot; slot++) {
      if (c.state[slot] !== EMPTY && matchesText(record(slot), q)) {
        hits[slot] = 1;
        n++;
      }
    }
    return n;
  }
  let n = texts.find(literalPattern(q), hits);
  // Hot tasks' text is not in the blocks: read from their records (lower-cased once per change).
  n += hot.find(q, hits);
  // Ids: lower-case UUIDs can only contain a query made of their own characters; custom ids are few.
  if (UUID_LIKE.test(q)) {
    for (let slot = 0; slot < nextSlot; slot++) {
      const id = ids[slot];
      if (id !== undefined && !hits[slot] && id.includes(q)) {
        hits[slot] = 1;
        n++;
      }
    }
  }
  for (const slot of slots.oddIds) {
    const id = ids[slot];
    if (id !== undefined && !hits[slot] && id.toLowerCase().includes(q)) {
      hits[slot] = 1;
      n++;
    }
  }
  // Names are few: test each once, then mark their tasks.
  const names = slots.syms.name.matching((v) => v.toLowerCase().includes(q));
  if (names) {
    const col = c.name;
    const state = c.state;
    for (let slot = 0; slot < nextSlot; slot++) {
      if (names[col[slot]!] && !hits[slot] && state[slot] !== EMPTY) {
        hits[slot] = 1;
        n++;
      }
    }
  }
  return n;
}
