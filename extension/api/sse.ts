/**
 * A Server-Sent Events parser for streams read with fetch (EventSource cannot send the
 * Authorization header). Follows the WHATWG "event stream interpretation": any line ending,
 * comments, multi-line data. Chunks may split lines anywhere. The `id` and `retry` fields are
 * ignored like any unknown field: the agent sends neither, and the follower (events.ts) reconnects
 * with its own delays.
 */
export interface SseMessage {
  /** The `event:` field; "message" when absent, as in EventSource. */
  event: string;
  data: string;
}

export class SseParser {
  private buffer = "";
  private started = false;
  private dataLines: string[] = [];
  private eventName = "";

  /** Feeds decoded text; returns the messages completed by it. */
  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    if (!this.started && this.buffer.length > 0) {
      this.started = true;
      if (this.buffer.charCodeAt(0) === 0xfeff) this.buffer = this.buffer.slice(1);
    }
    const messages: SseMessage[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer[i];
      if (ch !== "\n" && ch !== "\r") continue;
      // A lone "\r" at the end may be the first half of "\r\n": wait for the next chunk.
      if (ch === "\r" && i === this.buffer.length - 1) break;
      const line = this.buffer.slice(start, i);
      if (ch === "\r" && this.buffer[i + 1] === "\n") i++;
      start = i + 1;
      const message = this.line(line);
      if (message) messages.push(message);
    }
    this.buffer = this.buffer.slice(start);
    return messages;
  }

  private line(line: string): SseMessage | null {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        this.dataLines.push(value);
        break;
      case "event":
        this.eventName = value;
        break;
    }
    return null;
  }

  private dispatch(): SseMessage | null {
    const hasData = this.dataLines.length > 0;
    const message = { event: this.eventName || "message", data: this.dataLines.join("\n") };
    this.dataLines = [];
    this.eventName = "";
    return hasData ? message : null;
  }
}
