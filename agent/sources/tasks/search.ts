/**
 * Where packed tasks keep their text (args, kwargs, result, exception; see pack.ts), laid out for
 * a search over a million of them.
 *
 * Texts are sealed, in the order they were packed, into chunks of up to CHUNK entries: one string
 * per chunk, entries separated by SEP, each slot knowing its chunk, offset and length. So there is
 * no string object per task, a search is one case-insensitive regular-expression sweep per chunk
 * (native code over contiguous text) rather than a call per task, and nothing is ever copied to
 * grow: a chunk is written once. Texts packed since the last chunk wait as their own strings
 * ("pending", fewer than CHUNK). A slot whose task changes or leaves only stops pointing at its
 * entry; a chunk whose entries are mostly gone hands its live ones back to pending and is dropped.
 */

/** Separates fields and entries; a query containing it never matches across fields. */
export const SEP = "\u0000";
const CHUNK = 256;

interface Chunk {
  text: string;
  /** Entry start offsets, ascending, and the slot of each entry. */
  starts: Int32Array;
  slots: Int32Array;
  /** Entries still pointed at by their slot. */
  live: number;
}

export class TextStore {
  private chunks: (Chunk | undefined)[] = [];
  private freeChunks: number[] = [];
  private pending = new Map<number, string>();
  /** Per slot: its chunk (-1: none), offset and length there. */
  private chunkOf = new Int32Array(0);
  private off = new Int32Array(0);
  private len = new Int32Array(0);

  private ensure(slot: number): void {
    if (slot < this.chunkOf.length) return;
    const n = Math.max(1024, slot + 1, this.chunkOf.length * 2);
    const grow = (a: Int32Array, fill: number) => {
      const b = new Int32Array(n);
      if (fill) b.fill(fill, a.length);
      b.set(a);
      return b;
    };
    this.chunkOf = grow(this.chunkOf, -1);
    this.off = grow(this.off, 0);
    this.len = grow(this.len, 0);
  }

  /** Preallocates for slots below `n` (the store knows its bound). */
  reserve(n: number): void {
    if (n > 0) this.ensure(n - 1);
  }

  get(slot: number): string | undefined {
    const p = this.pending.get(slot);
    if (p !== undefined) return p;
    const c = slot < this.chunkOf.length ? this.chunkOf[slot]! : -1;
    if (c < 0) return undefined;
    const at = this.off[slot]!;
    // A fresh small string, not a slice: a slice would keep the whole chunk alive.
    return ["\n", this.chunks[c]!.text.slice(at, at + this.len[slot]!)].join("").slice(1);
  }

  set(slot: number, text: string): void {
    this.ensure(slot);
    this.delete(slot);
    this.pending.set(slot, text);
    if (this.pending.size >= CHUNK) this.seal();
  }

  /** The slot's text is gone (its task changed, or left). */
  delete(slot: number): void {
    if (slot >= this.chunkOf.length) return;
    this.pending.delete(slot);
    const c = this.chunkOf[slot]!;
    if (c < 0) return;
    this.chunkOf[slot] = -1;
    const chunk = this.chunks[c]!;
    if (--chunk.live === 0) {
      this.chunks[c] = undefined;
      this.freeChunks.push(c);
    } else if (chunk.live * 2 < chunk.slots.length && chunk.live < CHUNK / 4) {
      // Mostly dead: its live entries go back to pending, to be sealed with new ones.
      for (let i = 0; i < chunk.slots.length; i++) {
        const s = chunk.slots[i]!;
        if (this.chunkOf[s] !== c || this.off[s] !== chunk.starts[i]) continue;
        this.pending.set(s, this.get(s)!);
        this.chunkOf[s] = -1;
      }
      this.chunks[c] = undefined;
      this.freeChunks.push(c);
      if (this.pending.size >= CHUNK) this.seal();
    }
  }

  /** Writes the pending texts into one new chunk. */
  private seal(): void {
    const c = this.freeChunks.pop() ?? this.chunks.length;
    const parts: string[] = [];
    const starts = new Int32Array(this.pending.size);
    const slots = new Int32Array(this.pending.size);
    let at = 0;
    let i = 0;
    for (const [slot, t] of this.pending) {
      this.chunkOf[slot] = c;
      this.off[slot] = at;
      this.len[slot] = t.length;
      starts[i] = at;
      slots[i++] = slot;
      parts.push(t);
      at += t.length + 1;
    }
    this.chunks[c] = { text: parts.join(SEP), starts, slots, live: i };
    this.pending.clear();
  }

  /**
   * Marks in `hits` every slot whose searchable text (after the packed header, see pack.ts)
   * matches `re` (global, case-insensitive); returns how many were newly marked.
   */
  find(re: RegExp, hits: Uint8Array): number {
    let count = 0;
    const mark = (slot: number) => {
      if (!hits[slot]) {
        hits[slot] = 1;
        count++;
      }
    };
    for (const [slot, t] of this.pending) {
      re.lastIndex = t.indexOf(";", 4) + 1;
      if (re.test(t)) mark(slot);
    }
    for (let c = 0; c < this.chunks.length; c++) {
      const chunk = this.chunks[c];
      if (!chunk) continue;
      const { text, starts, slots } = chunk;
      re.lastIndex = 0;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        const pos = m.index;
        // The entry holding pos: the last start <= pos.
        let lo = 0;
        let hi = starts.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (starts[mid]! <= pos) lo = mid;
          else hi = mid - 1;
        }
        // The header ("jjr-12,2,4;": formats and lengths) is not searched.
        if (pos <= text.indexOf(";", starts[lo]! + 4)) {
          re.lastIndex = pos + 1;
          continue;
        }
        const slot = slots[lo]!;
        if (this.chunkOf[slot] === c && this.off[slot] === starts[lo]) mark(slot); // else: gone since
        if (lo + 1 >= starts.length) break;
        re.lastIndex = starts[lo + 1]!;
      }
    }
    return count;
  }
}

/** A query as a global, case-insensitive regular expression matching it literally. */
export function literalPattern(q: string): RegExp {
  return new RegExp(q.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"), "gi");
}
