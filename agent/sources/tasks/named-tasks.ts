/**
 * The tasks of one name, newest first, as the periodic view matches them to beat entries
 * (sources/periodic/runs.ts): when each was sent, its queue and its arguments as text, read from
 * the columns and packed text without unpacking a record.
 */
import { packedArgs, recordArgs, type ArgText } from "./pack";
import { dec } from "./columns";
import type { TaskSlots } from "./slots";
import type { TaskIndexes } from "./indexes";
import type { HotCache } from "./hot-cache";
import type { TextStore } from "./search";

/** A task as eachNamed gives it. */
export interface NamedTask {
  id: string;
  /** When it was sent (else received, else first seen), ms. */
  at: number;
  queue: string | null;
  args: ArgText | null;
  kwargs: ArgText | null;
}

/** Visits the tasks named `name`, newest received first, until `visit` returns false. */
export function eachNamed(
  name: string,
  visit: (t: NamedTask) => boolean,
  parts: { slots: TaskSlots; indexes: TaskIndexes; hot: HotCache; texts: TextStore },
): void {
  const { slots, hot, texts } = parts;
  const { c, ids, syms } = slots;
  const sym = syms.name.idOf(name);
  if (sym === undefined) return;
  let left = syms.name.count(sym);
  parts.indexes.walk(-1, -Infinity, Infinity, null, (slot) => {
    if (c.name[slot] !== sym) return true;
    const record = hot.get(slot);
    const text = record ? undefined : texts.get(slot);
    const args = record ? recordArgs(record) : text === undefined ? { args: null, kwargs: null } : packedArgs(text);
    const at = dec(c.sent[slot]!) ?? dec(c.received[slot]!) ?? c.firstSeen[slot]!;
    return visit({ id: ids[slot]!, at, queue: syms.queue.value(c.queue[slot]!), ...args }) && --left > 0;
  });
}
