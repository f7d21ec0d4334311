/** Keyset cursors for task pages: the sort key and sequence of the last task on a page, opaque to clients. */
export interface Cursor {
  v: number;
  seq: number;
}

export function encodeCursor(c: Cursor): string {
  const v = Number.isFinite(c.v) ? c.v : c.v > 0 ? "inf" : "-inf";
  return Buffer.from(JSON.stringify([v, c.seq])).toString("base64url");
}

export function decodeCursor(s: string): Cursor | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, "base64url").toString("utf8"));
    if (!Array.isArray(v) || v.length !== 2 || typeof v[1] !== "number") return null;
    const x = v[0] === "inf" ? Infinity : v[0] === "-inf" ? -Infinity : v[0];
    return typeof x === "number" ? { v: x, seq: v[1] } : null;
  } catch {
    return null;
  }
}
