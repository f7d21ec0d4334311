/**
 * Bulk writes for the benchmark's data sets: raw RESP commands streamed into `redis-cli --pipe`,
 * the fastest way to put a million keys into Redis (it pipelines and counts the replies).
 */
import { spawn } from "node:child_process";

export interface RedisPipe {
  /** Queues a chunk of RESP text; waits when redis-cli is behind. */
  write(chunk: string): Promise<void>;
  /** Ends the input; fails unless every command succeeded. */
  finish(): Promise<void>;
}

export function openRedisPipe(port: number, db: number): RedisPipe {
  const child = spawn("redis-cli", ["-p", String(port), "-n", String(db), "--pipe"], { stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  return {
    async write(chunk) {
      if (!child.stdin.write(chunk)) await new Promise((resolve) => child.stdin.once("drain", resolve));
    },
    async finish() {
      child.stdin.end();
      const code = await exited;
      if (code !== 0 || !/errors: 0, replies: \d+/.test(output)) throw new Error(`redis-cli --pipe failed (${code}): ${output.slice(-500)}`);
    },
  };
}
