/**
 * Reads the Python literals Celery prints for a task's arguments (its argsrepr/kwargsrepr, e.g.
 * "[7]" or "{'quality': 'thumbnail'}") back into plain values, so they can be compared with a beat
 * entry's args as `inspect conf` returns them (JSON). Tuples become arrays, as JSON makes them.
 * Anything else (sets, objects' reprs, saferepr's "..." truncation) is not a literal: undefined.
 */

type Value = null | boolean | number | string | Value[] | { [k: string]: Value };

/** The value of a Python literal, or undefined when `text` is not one this reader knows. */
export function parsePythonLiteral(text: string): unknown {
  const p = new Parser(text);
  try {
    const v = p.value();
    p.space();
    return p.done() ? v : undefined;
  } catch {
    return undefined;
  }
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0", a: "\x07", b: "\b", f: "\f", v: "\v" };

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.i === this.s.length;
  }

  space(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  private fail(): never {
    throw new Error(`not a literal at ${this.i}`);
  }

  private eat(c: string): boolean {
    this.space();
    if (this.s[this.i] !== c) return false;
    this.i++;
    return true;
  }

  value(): Value {
    this.space();
    const c = this.s[this.i];
    if (c === "[") return this.sequence("]");
    if (c === "(") return this.sequence(")");
    if (c === "{") return this.dict();
    if (c === "'" || c === '"') return this.string();
    const word = /^(None|True|False|-?(?:\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|inf)|nan)/i.exec(this.s.slice(this.i, this.i + 64));
    if (!word) this.fail();
    this.i += word[0].length;
    if (word[0] === "None") return null;
    if (word[0] === "True") return true;
    if (word[0] === "False") return false;
    const n = Number(word[0].replace(/^(-?)inf$/i, "$1Infinity"));
    if (Number.isNaN(n)) this.fail();
    return n;
  }

  private sequence(close: string): Value[] {
    this.i++;
    const out: Value[] = [];
    while (!this.eat(close)) {
      out.push(this.value());
      if (!this.eat(",")) {
        if (!this.eat(close)) this.fail();
        break;
      }
    }
    return out;
  }

  private dict(): { [k: string]: Value } {
    this.i++;
    const out: { [k: string]: Value } = {};
    if (this.eat("}")) return out;
    for (;;) {
      const key = this.value();
      // JSON keys are strings: conf's jsonify turns other keys into their str().
      if (!this.eat(":")) this.fail();
      out[typeof key === "string" ? key : JSON.stringify(key)] = this.value();
      if (this.eat("}")) return out;
      if (!this.eat(",")) this.fail();
      if (this.eat("}")) return out;
    }
  }

  private string(): string {
    const q = this.s[this.i]!;
    this.i++;
    let out = "";
    for (;;) {
      const c = this.s[this.i++];
      if (c === undefined) this.fail();
      if (c === q) return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = this.s[this.i++];
      if (e === undefined) this.fail();
      if (e in ESCAPES) out += ESCAPES[e];
      else if (e === "x" || e === "u" || e === "U") {
        const len = e === "x" ? 2 : e === "u" ? 4 : 8;
        const hex = this.s.slice(this.i, this.i + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) this.fail();
        out += String.fromCodePoint(parseInt(hex, 16));
        this.i += len;
      } else out += `\\${e}`;
    }
  }
}
