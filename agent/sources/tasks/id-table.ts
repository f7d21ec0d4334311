/**
 * Task id -> slot, as an open-addressing hash table in one Int32Array. The ids themselves stay
 * where the store keeps them (one string per slot); the table holds only slot numbers, 4 bytes per
 * entry at most half full, where a Map would hold about 30 bytes per entry.
 */

const EMPTY = 0;
const GONE = -1;

/** FNV-1a over the UTF-16 code units. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class IdTable {
  /** slot + 1, EMPTY, or GONE (a deleted entry: probing goes on past it). */
  private table = new Int32Array(1024);
  private mask = 1023;
  private live = 0;
  private used = 0;

  /** `idOf(slot)`: the id stored for a slot. */
  constructor(private readonly idOf: (slot: number) => string | undefined) {}

  get size(): number {
    return this.live;
  }

  get(id: string): number | undefined {
    const t = this.table;
    for (let i = hash(id) & this.mask; ; i = (i + 1) & this.mask) {
      const v = t[i]!;
      if (v === EMPTY) return undefined;
      if (v > 0 && this.idOf(v - 1) === id) return v - 1;
    }
  }

  /** Adds an id that is not in the table (the store checks first). */
  set(id: string, slot: number): void {
    if ((this.used + 1) * 2 > this.table.length) this.rehash();
    const t = this.table;
    for (let i = hash(id) & this.mask; ; i = (i + 1) & this.mask) {
      const v = t[i]!;
      if (v === EMPTY || v === GONE) {
        if (v === EMPTY) this.used++;
        t[i] = slot + 1;
        this.live++;
        return;
      }
    }
  }

  delete(id: string): boolean {
    const t = this.table;
    for (let i = hash(id) & this.mask; ; i = (i + 1) & this.mask) {
      const v = t[i]!;
      if (v === EMPTY) return false;
      if (v > 0 && this.idOf(v - 1) === id) {
        t[i] = GONE;
        this.live--;
        return true;
      }
    }
  }

  /** Grows (or just clears out deleted entries) so the table stays at most half used. */
  private rehash(): void {
    const old = this.table;
    let size = old.length;
    while ((this.live + 1) * 4 > size) size *= 2;
    this.table = new Int32Array(size);
    this.mask = size - 1;
    this.live = 0;
    this.used = 0;
    for (const v of old) {
      if (v <= 0) continue;
      const id = this.idOf(v - 1)!;
      const t = this.table;
      let i = hash(id) & this.mask;
      while (t[i] !== EMPTY) i = (i + 1) & this.mask;
      t[i] = v;
      this.live++;
      this.used++;
    }
  }
}
