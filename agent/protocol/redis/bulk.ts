/**
 * Thousands of LLENs in one round trip, without a client object per command.
 *
 * ioredis makes a Command, a Promise and a result entry for every command of a pipeline: ten
 * thousand queues with four priority lists each (40,000 LLENs) cost it half a second and a heap of
 * garbage. Here the whole request is one buffer of RESP written to a connection of our own, and the
 * replies (one line each: an integer, or an error for a key that is not a list) are counted off the
 * socket as they come. The connection is opened like ioredis's own (same address, TLS, AUTH, SELECT,
 * and a name: the agent's connections are all named), kept while idle, and dropped on any surprise;
 * the caller then falls back to the ioredis pipeline.
 */
import net from "node:net";
import tls from "node:tls";
import type { RedisTarget } from "./url";

export interface BulkEndpoint {
  /** Where the command connection is connected to (for Sentinel: the master it found). */
  host?: string;
  port?: number;
  path?: string;
}

const CRLF = Buffer.from("\r\n");
const LLEN_HEAD = "*2\r\n$4\r\nLLEN\r\n$";

/** The setup commands then one LLEN per key, written straight into one buffer. */
function llenRequest(setup: string, keys: string[]): Buffer {
  const lens = keys.map((k) => Buffer.byteLength(k));
  let size = Buffer.byteLength(setup);
  for (const n of lens) size += LLEN_HEAD.length + String(n).length + 2 + n + 2;
  const buf = Buffer.allocUnsafe(size);
  let at = buf.write(setup, 0, "utf8");
  keys.forEach((k, i) => {
    at += buf.write(LLEN_HEAD, at, "latin1");
    at += buf.write(String(lens[i]), at, "latin1");
    buf[at++] = 13;
    buf[at++] = 10;
    at += buf.write(k, at, "utf8");
    buf[at++] = 13;
    buf[at++] = 10;
  });
  return buf;
}

function command(...args: string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return s;
}

export class BulkReader {
  private socket: net.Socket | null = null;
  private busy = false;

  constructor(
    private readonly target: RedisTarget,
    private readonly endpoint: () => BulkEndpoint | null,
    private readonly name: string,
  ) {}

  /** LLEN of every key, in order (0 for a key that is missing or not a list). */
  async lengths(keys: string[], timeoutMs = 10_000): Promise<number[]> {
    if (this.busy) throw new Error("bulk reader busy");
    this.busy = true;
    try {
      const fresh = !this.socket || this.socket.destroyed;
      const socket = fresh ? await this.connect() : this.socket!;
      this.socket = socket;
      const setup: string[] = [];
      if (fresh) {
        if (this.target.password)
          setup.push(this.target.username ? command("AUTH", this.target.username, this.target.password) : command("AUTH", this.target.password));
        if (this.target.db) setup.push(command("SELECT", String(this.target.db)));
        setup.push(command("CLIENT", "SETNAME", this.name));
      }
      return await this.exchange(socket, llenRequest(setup.join(""), keys), setup.length, keys.length, timeoutMs);
    } catch (e) {
      this.socket?.destroy();
      this.socket = null;
      throw e;
    } finally {
      this.busy = false;
    }
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  private connect(): Promise<net.Socket> {
    const ep = this.endpoint();
    if (!ep) return Promise.reject(new Error("no endpoint"));
    return new Promise((resolve, reject) => {
      const opts = ep.path ? { path: ep.path } : { host: ep.host!, port: ep.port! };
      const s = this.target.tls
        ? tls.connect({ ...opts, servername: ep.host, rejectUnauthorized: this.target.tlsVerify === "required" }, () => done(null))
        : net.connect(opts, () => done(null));
      const timer = setTimeout(() => done(new Error("connect timeout")), 3000);
      const done = (err: Error | null) => {
        clearTimeout(timer);
        s.off("error", done);
        if (err) {
          s.destroy();
          reject(err);
        } else {
          s.setNoDelay(true);
          s.on("error", () => s.destroy());
          resolve(s);
        }
      };
      s.once("error", done);
    });
  }

  /** Writes the request; reads `skip` status replies (setup) then `n` integer replies. */
  private exchange(socket: net.Socket, request: Buffer, skip: number, n: number, timeoutMs: number): Promise<number[]> {
    return new Promise((resolve, reject) => {
      const out = new Array<number>(n);
      let seen = 0;
      let pending: Buffer | null = null;
      const finish = (err: Error | null) => {
        clearTimeout(timer);
        socket.off("data", onData);
        socket.off("close", onClose);
        if (err) reject(err);
        else resolve(out);
      };
      const onClose = () => finish(new Error("connection closed"));
      const timer = setTimeout(() => finish(new Error("timeout")), timeoutMs);
      const onData = (chunk: Buffer) => {
        const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
        let at = 0;
        for (;;) {
          const eol = buf.indexOf(CRLF, at);
          if (eol < 0) break;
          const kind = buf[at];
          const index = seen - skip;
          if (index < 0) {
            // AUTH / SELECT / CLIENT SETNAME
            if (kind !== 0x2b /* + */) return finish(new Error(`setup refused: ${buf.toString("utf8", at, Math.min(eol, at + 200))}`));
          } else if (kind === 0x3a /* : */) {
            let v = 0;
            for (let i = at + 1; i < eol; i++) v = v * 10 + (buf[i]! - 48);
            out[index] = v;
          } else if (kind === 0x2d /* - */) {
            out[index] = 0; // WRONGTYPE: not a list, so no messages in it
          } else {
            return finish(new Error("unexpected reply"));
          }
          seen++;
          at = eol + 2;
          if (seen === skip + n) return finish(null);
        }
        pending = at < buf.length ? buf.subarray(at) : null;
      };
      socket.on("data", onData);
      socket.once("close", onClose);
      socket.write(request);
    });
  }
}
