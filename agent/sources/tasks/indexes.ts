/**
 * What the task store keeps besides the columns so that answers need no walk over every task:
 *   - `order`: the slots sorted by received time (the default listing), with per-state counts
 *     per leaf, for pages and "how many per state since T" (order-index.ts);
 *   - per-state counts, and the slots of the few states the agent asks about by worker
 *     (PENDING, RECEIVED, SCHEDULED, STARTED, RETRY: "what runs where", LOST marking);
 *   - parent -> children links (a task's detail lists its children).
 * Per-value counts of names, workers and queues come from the symbol tables (symbols.ts).
 *
 * A slot's state column is written here, in step with the counts; the order index reads its keys
 * from the columns, so a slot is taken out (unplace) before its received time changes.
 */
import type { TaskState } from "../../api/schema/enums";
import { OrderIndex, STATE_COUNT, type Visit } from "./order-index";
import { EMPTY, type Columns } from "./columns";
import { F_PARENT, STATE_CODE, STATES } from "./slots";

/** States whose tasks are also kept in a set (few at a time; the workers' "what runs where"). */
const TRACKED = new Set<number>(["PENDING", "RECEIVED", "SCHEDULED", "STARTED", "RETRY"].map((s) => STATE_CODE.get(s as TaskState)!));

export class TaskIndexes {
  private readonly order: OrderIndex;
  readonly stateCounts = new Int32Array(STATE_COUNT);
  private readonly tracked = new Map<number, Set<number>>([...TRACKED].map((s) => [s, new Set<number>()]));
  /** parent id -> child slots, and each child's parent. */
  private readonly children = new Map<string, Set<number>>();
  private readonly parentOf = new Map<number, string>();

  constructor(private readonly c: Columns) {
    this.order = new OrderIndex({ key: (s) => c.recv[s]!, tie: (s) => c.seq[s]!, state: (s) => c.state[s]! });
  }

  /** The parent `slot` is linked to (read before the flags are rewritten). */
  parentOfSlot(slot: number): string | null {
    return this.c.flags[slot]! & F_PARENT ? this.parentOf.get(slot)! : null;
  }

  /** Takes `slot` out of the order (its received time is about to change). */
  unplace(slot: number): void {
    this.order.remove(slot);
  }

  /**
   * Puts `slot` in its place after its columns were written: `moved` when it was unplaced (or is
   * new), `oldState` EMPTY for a new task.
   */
  place(slot: number, oldState: number, state: number, moved: boolean): void {
    const c = this.c;
    if (oldState !== state) {
      if (oldState !== EMPTY) {
        this.stateCounts[oldState]!--;
        this.tracked.get(oldState)?.delete(slot);
      }
      this.stateCounts[state]!++;
      this.tracked.get(state)?.add(slot);
    }
    if (moved) {
      c.state[slot] = state;
      this.order.insert(slot);
    } else if (oldState !== state) {
      this.order.changeState(slot, oldState, state);
      c.state[slot] = state;
    }
  }

  /** Moves `slot` from the children of `from` to those of `to`. */
  link(slot: number, from: string | null, to: string | null): void {
    if (from === to) return;
    if (from !== null) this.unlink(slot, from);
    if (to !== null) {
      this.parentOf.set(slot, to);
      let kids = this.children.get(to);
      if (!kids) {
        kids = new Set();
        this.children.set(to, kids);
      }
      kids.add(slot);
    }
  }

  private unlink(slot: number, parent: string): void {
    this.parentOf.delete(slot);
    const kids = this.children.get(parent);
    kids?.delete(slot);
    if (kids && kids.size === 0) this.children.delete(parent);
  }

  /** Takes a leaving task out of every index (before its columns are cleared). */
  remove(slot: number): void {
    this.order.remove(slot);
    const state = this.c.state[slot]!;
    this.stateCounts[state]!--;
    this.tracked.get(state)?.delete(slot);
    const parent = this.parentOf.get(slot);
    if (parent !== undefined) this.unlink(slot, parent);
  }

  // --- reads -----------------------------------------------------------------------------------

  countByState(): Map<TaskState, number> {
    const out = new Map<TaskState, number>();
    STATES.forEach((s, i) => {
      if (this.stateCounts[i]! > 0) out.set(s, this.stateCounts[i]!);
    });
    return out;
  }

  /** Tasks per state whose received time is at or after `since`. */
  countByStateSince(since: number): Record<string, number> {
    const counts = this.order.countFrom(since);
    const out: Record<string, number> = {};
    STATES.forEach((s, i) => {
      if (counts[i]! > 0) out[s] = counts[i]!;
    });
    return out;
  }

  /** Tasks whose received time is within [since, until]. */
  countRange(since: number, until: number): number {
    return this.order.countRange(since, until);
  }

  /** Walks the slots in received-time order (see OrderIndex.walk). */
  walk(dir: 1 | -1, since: number, until: number, after: { v: number; s: number } | null, visit: Visit): void {
    this.order.walk(dir, since, until, after, visit);
  }

  /** The slots in `state` when it is one of the tracked states (live: copy it before changing tasks). */
  trackedIn(state: TaskState): ReadonlySet<number> | undefined {
    return this.tracked.get(STATE_CODE.get(state)!);
  }

  childSlots(parent: string): ReadonlySet<number> | undefined {
    return this.children.get(parent);
  }
}
