/**
 * The task store's slots: every held task has a number (its slot), and everything the store keeps
 * about it is found by that number: its id, its typed-array columns (columns.ts), the interned
 * values those columns point at (symbols.ts), and the few values too rare or too large for a
 * column. This file owns handing slots out and taking them back; what is written in them is
 * record-codec.ts's, how they are indexed is indexes.ts's.
 *
 * Kept as one object the other pieces share, so a loop over a million slots reads the columns
 * directly (no call per task).
 */
import { TASK_STATES, type TaskState } from "../../api/schema/enums";
import { isFinished, type TaskRecord } from "./record";
import { Symbols } from "./symbols";
import { IdTable } from "./id-table";
import { Columns, EMPTY, NumberQueue } from "./columns";

/** The task states, in the order of their codes in the state column. */
export const STATES: readonly TaskState[] = TASK_STATES;
/** A state's code in the state column. */
export const STATE_CODE = new Map<TaskState, number>(STATES.map((s, i) => [s, i]));
/** The state mask that accepts every state. */
export const ALL_STATES = (1 << STATES.length) - 1;
/** Codes of the finished states (eviction takes these first). */
export const SETTLED_CODES = new Set<number>(STATES.flatMap((s, i) => (isFinished({ state: s } as TaskRecord) ? [i] : [])));

/** Flags column bits. */
export const F_EVENTS = 1;
export const F_BACKEND = 2;
export const F_ROOT_SELF = 4;
export const F_TL_IMPLIED = 8;
export const F_PARENT = 16;
/** Three bits for where the queue came from (their index in QUEUE_SOURCES, plus 1); 0 while there is no queue. */
export const F_QUEUE_SHIFT = 5;
export const F_QUEUE = 7 << F_QUEUE_SHIFT;

/** Celery's task ids: lower-case UUIDs (hex digits and dashes). */
export const UUID_LIKE = /^[0-9a-f-]+$/;

export class TaskSlots {
  readonly c = new Columns();
  readonly ids: (string | undefined)[] = [];
  readonly slotOf = new IdTable((slot) => this.ids[slot]);
  readonly syms = {
    name: new Symbols(),
    worker: new Symbols(),
    queue: new Symbols(),
    exchange: new Symbols(),
    routingKey: new Symbols(),
    excType: new Symbols(),
    excModule: new Symbols(),
    // Failures at one place share their traceback: interned, a thousand failures hold one copy.
    traceback: new Symbols(),
  };
  /** A failure's type, module and traceback (symbol ids), for the few tasks that have one. */
  readonly failure = { excType: new Map<number, number>(), excModule: new Map<number, number>(), traceback: new Map<number, number>() };
  /** retries and priority too large for their byte column. */
  readonly bigInts = { retries: new Map<number, number>(), priority: new Map<number, number>() };
  /** Slots whose id is not a lower-case UUID-like string (custom ids): searched apart. */
  readonly oddIds = new Set<number>();
  /** Slots below this have been used (free or not): the end of every column scan. */
  nextSlot = 0;
  /** Tasks held. */
  count = 0;
  private readonly freeSlots = new NumberQueue();

  constructor(private readonly maxTasks: number) {}

  /** A slot for the new task `id` (a freed one first), its id recorded. */
  allocate(id: string): number {
    let slot = this.freeSlots.shift();
    if (slot === undefined) {
      slot = this.nextSlot++;
      this.c.grow(slot + 1, this.maxTasks + 1);
    }
    this.ids[slot] = id;
    this.slotOf.set(id, slot);
    if (!UUID_LIKE.test(id)) this.oddIds.add(slot);
    this.count++;
    return slot;
  }

  /** Gives `slot` back (its columns already cleared by the codec and the indexes). */
  free(slot: number): void {
    this.c.state[slot] = EMPTY;
    this.slotOf.delete(this.ids[slot]!);
    this.ids[slot] = undefined;
    this.oddIds.delete(slot);
    this.freeSlots.push(slot);
    this.count--;
  }
}
