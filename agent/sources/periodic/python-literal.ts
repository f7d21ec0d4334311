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

/** A number or a constant, matched where the parser stands (sticky). */
const WORD = /None|True|False|-?(?:\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|inf)|nan/iy;
const HEX = { x: /[0-9a-fA-F]{2}/y, u: /[0-9a-fA-F]{4}/y, U: /[0-9a-fA-F]{8}/y } as const;

/**
 * The repr Python prints for a JSON-like value (lists for arrays), so the usual case is a plain
 * text comparison. Not always Python's exact text (floats such as 1.0 come out as 1): a
 * difference is settled by parsing.
 */
export function pythonRepr(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return pyStr(v);
  if (Array.isArray(v)) return `[${v.map(pythonRepr).join(", ")}]`;
  if (typeof v === "object")
    return `{${Object.entries(v)
      .map(([k, x]) => `${pyStr(k)}: ${pythonRepr(x)}`)
      .join(", ")}}`;
  return String(v);
}

function pyStr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  return (
    q +
    s
      .replace(/\\/g, "\\\\")
      .replace(q === "'" ? /'/g : /"/g, `\\${q}`)
      .replace(/\n/g, "\\n")
      .replace(/\r/g, "\\r")
      .replace(/\t/g, "\\t") +
    q
  );
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0", a: "\x07", b: "\b", f: "\f", v: "\v" };

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.i === this.s.length;
  }

  space(): void {
    for (let c = this.s.charCodeAt(this.i); c === 32 || (c >= 9 && c <= 13); c = this.s.charCodeAt(++this.i));
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
    WORD.lastIndex = this.i;
    const word = WORD.exec(this.s);
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
        const re = HEX[e];
        re.lastIndex = this.i;
        const hex = re.exec(this.s);
        if (!hex) this.fail();
        out += String.fromCodePoint(parseInt(hex[0], 16));
        this.i += hex[0].length;
      } else out += `\\${e}`;
    }
  }
}
