/**
 * Which tasks leave when the store holds more than --max-tasks: the oldest finished ones first.
 *
 * Tasks queue up in order of first sight as (slot, seq) pairs, two numbers each in one growable
 * typed array, so the line costs no object per task; a pair whose slot was freed or reused since
 * (its seq no longer matches) is skipped when reached.
 */
import { EMPTY, NumberQueue, type Columns } from "./columns";
import { SETTLED_CODES } from "./slots";

export class EvictionLine {
  /** (slot, seq) pairs in order of first sight. */
  private readonly line = new NumberQueue();

  constructor(private readonly c: Columns) {}

  /** A new task joins the back of the line. */
  join(slot: number, seq: number): void {
    this.line.push(slot);
    this.line.push(seq);
  }

  /**
   * Removes `excess` tasks through `remove`, oldest finished first. Unfinished tasks met on the way
   * move to the back of the line (each is passed over once per round, so this stays cheap); if a
   * whole round finds nothing finished, the oldest go anyway: the bound holds.
   */
  evict(excess: number, remove: (slot: number) => void): void {
    const c = this.c;
    let passes = this.line.length / 2;
    while (excess > 0 && this.line.length) {
      const slot = this.line.shift()!;
      const seq = this.line.shift()!;
      if (c.state[slot] === EMPTY || c.seq[slot]! >>> 0 !== seq) continue; // gone, or the slot reused
      const finished = SETTLED_CODES.has(c.state[slot]!);
      if (finished || passes-- <= 0) {
        remove(slot);
        excess--;
      } else this.join(slot, seq);
    }
  }
}
