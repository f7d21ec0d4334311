/**
 * Interned strings with reference counts: a task stores a small number for its name, worker,
 * queue... instead of a pointer per field, and the count per value is the facet (how many tasks
 * have it) for free. A value no task uses any more is forgotten, so churning values (hostnames,
 * routing keys) do not accumulate.
 */
export class Symbols {
  private readonly byValue = new Map<string, number>();
  /** Id -> value; id 0 is "none". */
  private readonly values: (string | null)[] = [null];
  private refs = new Int32Array(16);
  private readonly free: number[] = [];

  /** The id of `value` with one more reference (0 for null). */
  acquire(value: string | null): number {
    if (value === null) return 0;
    let id = this.byValue.get(value);
    if (id === undefined) {
      id = this.free.pop() ?? this.values.length;
      if (id === this.values.length) this.values.push(value);
      else this.values[id] = value;
      this.byValue.set(value, id);
      if (id >= this.refs.length) {
        const grown = new Int32Array(this.refs.length * 2);
        grown.set(this.refs);
        this.refs = grown;
      }
    }
    this.refs[id]!++;
    return id;
  }

  release(id: number): void {
    if (id === 0) return;
    if (--this.refs[id]! === 0) {
      this.byValue.delete(this.values[id]!);
      this.values[id] = null;
      this.free.push(id);
    }
  }

  /** Id of a value currently in use, or undefined. */
  idOf(value: string): number | undefined {
    return this.byValue.get(value);
  }

  value(id: number): string | null {
    return this.values[id] ?? null;
  }

  /** How many references the value has (tasks holding it). */
  count(id: number): number {
    return id > 0 && id < this.values.length ? this.refs[id]! : 0;
  }

  /** Every value in use with its count. */
  counts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [v, id] of this.byValue) out.set(v, this.refs[id]!);
    return out;
  }

  /** Ids (as a lookup table indexed by id) of the values for which `test` holds. */
  matching(test: (value: string) => boolean): Uint8Array | null {
    let out: Uint8Array | null = null;
    for (const [v, id] of this.byValue) {
      if (!test(v)) continue;
      out ??= new Uint8Array(this.values.length);
      out[id] = 1;
    }
    return out;
  }
}
