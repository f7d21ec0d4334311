/**
 * Reads a Python pickle only when it holds plain data: None, booleans, numbers, strings, bytes,
 * lists, tuples, sets and dicts. Celery's database backend pickles every result (SQLAlchemy's
 * PickleType), so a JSON-serializable result comes back as a pickle of plain data, which this
 * decodes. Any opcode that names a Python global or calls one (GLOBAL, STACK_GLOBAL, REDUCE,
 * BUILD, NEWOBJ, INST, OBJ, EXT*, PERSID) ends the read with `ok: false`: nothing is ever
 * executed or looked up, so a pickle is no more dangerous here than JSON. The caller shows such a
 * value as "pickled, N bytes" rather than guessing.
 */

export type PickleRead = { ok: true; value: unknown } | { ok: false; reason: string };

const MAX_ITEMS = 1_000_000;

class Refused extends Error {}

export function readPickledData(buf: Uint8Array): PickleRead {
  try {
    return { ok: true, value: new Reader(buf).run() };
  } catch (e) {
    if (e instanceof Refused || e instanceof RangeError) return { ok: false, reason: e.message };
    throw e;
  }
}

class Reader {
  private pos = 0;
  private readonly stack: unknown[] = [];
  private readonly marks: number[] = [];
  private readonly memo: unknown[] = [];
  private readonly view: DataView;
  private items = 0;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private take(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.buf.length) throw new Refused("truncated pickle");
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  private u8 = () => this.take(1)[0]!;
  private u16 = () => this.view.getUint16(this.advance(2), true);
  private u32 = () => this.view.getUint32(this.advance(4), true);
  private u64 = () => Number(this.view.getBigUint64(this.advance(8), true));
  private advance(n: number): number {
    const at = this.pos;
    this.take(n);
    return at;
  }
  private text = (n: number) => new TextDecoder("utf-8", { fatal: false }).decode(this.take(n));
  private push(v: unknown): void {
    if (++this.items > MAX_ITEMS) throw new Refused("too many items");
    this.stack.push(v);
  }
  private pop(): unknown {
    if (!this.stack.length) throw new Refused("stack underflow");
    return this.stack.pop();
  }
  private top(): unknown {
    if (!this.stack.length) throw new Refused("stack underflow");
    return this.stack[this.stack.length - 1];
  }
  /** The items pushed since the last MARK, removed from the stack. */
  private sinceMark(): unknown[] {
    const at = this.marks.pop();
    if (at === undefined) throw new Refused("no mark");
    return this.stack.splice(at);
  }

  run(): unknown {
    for (;;) {
      const op = this.u8();
      switch (op) {
        case 0x80: // PROTO
          this.u8();
          break;
        case 0x95: // FRAME: its length only; the frame's opcodes follow in line
          this.u64();
          break;
        case 0x2e: // STOP
          return this.pop();
        case 0x28: // MARK
          this.marks.push(this.stack.length);
          break;
        case 0x4e: // NONE
          this.push(null);
          break;
        case 0x88: // NEWTRUE
          this.push(true);
          break;
        case 0x89: // NEWFALSE
          this.push(false);
          break;
        case 0x4b: // BININT1
          this.push(this.u8());
          break;
        case 0x4d: // BININT2
          this.push(this.u16());
          break;
        case 0x4a: // BININT
          this.push(this.view.getInt32(this.advance(4), true));
          break;
        case 0x8a: // LONG1
          this.push(longOf(this.take(this.u8())));
          break;
        case 0x8b: // LONG4
          this.push(longOf(this.take(this.u32())));
          break;
        case 0x47: // BINFLOAT (big-endian)
          this.push(this.view.getFloat64(this.advance(8), false));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(this.text(this.u8()));
          break;
        case 0x58: // BINUNICODE
          this.push(this.text(this.u32()));
          break;
        case 0x8d: // BINUNICODE8
          this.push(this.text(this.u64()));
          break;
        case 0x43: // SHORT_BINBYTES: shown as base64, as JSON has no bytes
          this.push({ bytes_base64: Buffer.from(this.take(this.u8())).toString("base64") });
          break;
        case 0x42: // BINBYTES
          this.push({ bytes_base64: Buffer.from(this.take(this.u32())).toString("base64") });
          break;
        case 0x5d: // EMPTY_LIST
        case 0x8f: // EMPTY_SET: a list here
          this.push([]);
          break;
        case 0x29: // EMPTY_TUPLE
          this.push([]);
          break;
        case 0x7d: // EMPTY_DICT
          this.push({});
          break;
        case 0x61: {
          // APPEND
          const v = this.pop();
          this.listTop().push(v);
          break;
        }
        case 0x65: // APPENDS
        case 0x90: {
          // ADDITEMS
          const vs = this.sinceMark();
          this.listTop().push(...vs);
          break;
        }
        case 0x73: {
          // SETITEM
          const v = this.pop();
          const k = this.pop();
          this.dictTop()[keyOf(k)] = v;
          break;
        }
        case 0x75: {
          // SETITEMS
          const kv = this.sinceMark();
          const d = this.dictTop();
          for (let i = 0; i + 1 < kv.length; i += 2) d[keyOf(kv[i])] = kv[i + 1];
          break;
        }
        case 0x85: // TUPLE1
          this.push([this.pop()]);
          break;
        case 0x86: {
          // TUPLE2
          const b = this.pop();
          this.push([this.pop(), b]);
          break;
        }
        case 0x87: {
          // TUPLE3
          const c = this.pop();
          const b = this.pop();
          this.push([this.pop(), b, c]);
          break;
        }
        case 0x74: // TUPLE
        case 0x91: // FROZENSET
          this.push(this.sinceMark());
          break;
        case 0x94: // MEMOIZE
          this.memo.push(this.top());
          break;
        case 0x71: // BINPUT
          this.memo[this.u8()] = this.top();
          break;
        case 0x72: // LONG_BINPUT
          this.memo[this.u32()] = this.top();
          break;
        case 0x68: // BINGET
          this.push(this.memoAt(this.u8()));
          break;
        case 0x6a: // LONG_BINGET
          this.push(this.memoAt(this.u32()));
          break;
        case 0x30: // POP
          this.pop();
          break;
        case 0x31: // POP_MARK
          this.sinceMark();
          break;
        case 0x32: // DUP
          this.push(this.top());
          break;
        default:
          throw new Refused(`opcode 0x${op.toString(16).padStart(2, "0")} (a Python object, not plain data)`);
      }
    }
  }

  private memoAt(i: number): unknown {
    if (!(i in this.memo)) throw new Refused("memo entry missing");
    return this.memo[i];
  }
  private listTop(): unknown[] {
    const t = this.top();
    if (!Array.isArray(t)) throw new Refused("append to a non-list");
    return t;
  }
  private dictTop(): Record<string, unknown> {
    const t = this.top();
    if (!t || typeof t !== "object" || Array.isArray(t)) throw new Refused("setitem on a non-dict");
    return t as Record<string, unknown>;
  }
}

/** A little-endian two's-complement integer: a number when exact, else its decimal text. */
function longOf(bytes: Uint8Array): number | string {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  if (bytes.length && bytes[bytes.length - 1]! & 0x80) n -= 1n << BigInt(bytes.length * 8);
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

/** Dict keys as JSON has them: strings (a tuple key as its JSON text). */
function keyOf(k: unknown): string {
  return typeof k === "string" ? k : JSON.stringify(k);
}
