/**
 * Failures grouped by exception type and normalised message: numbers, hex, uuids, quoted values and
 * paths are replaced by placeholders, so "order 1234 not found" and "order 98 not found" are one
 * group. Each group counts its failures per minute for 24 hours, knows when it was first and last
 * seen, its task names (at most MAX_NAMES) and one task as a sample. At most MAX_GROUPS groups: a new
 * one past that replaces the one seen longest ago.
 */
import { MinuteColumns } from "./minute-columns";

const MAX_GROUPS = 500;
const MAX_NAMES = 20;
const MAX_MESSAGE = 500;

const PLACEHOLDERS: [RegExp, string][] = [
  [/\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b/gi, "<uuid>"],
  [/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`/g, "<str>"],
  [/(?:[a-z][a-z0-9+.-]*:\/\/)?(?:[a-z]:)?(?:[\\/][\w.@%+~-]+){2,}[\\/]?/gi, "<path>"],
  [/\b0x[0-9a-f]+\b|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, "<hex>"],
  [/[-+]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?/gi, "<num>"],
];

/** The message with its variable parts replaced by placeholders, whitespace collapsed. */
export function normaliseMessage(message: string): string {
  let s = message.slice(0, MAX_MESSAGE * 4);
  for (const [re, placeholder] of PLACEHOLDERS) s = s.replace(re, placeholder);
  return s.replace(/\s+/g, " ").trim().slice(0, MAX_MESSAGE);
}

/** Type and message of an exception, from the backend's fields or else the event's repr (`ValueError('...')`). */
export function exceptionParts(excType: string | null, excMessage: string | null, repr: string | null): { type: string; message: string } | null {
  if (excType) return { type: excType, message: excMessage ?? "" };
  if (!repr) return null;
  const m = /^([\w.]+)\(([\s\S]*)\)$/.exec(repr.trim());
  if (!m) return { type: "unknown", message: repr };
  const inner = m[2]!.trim();
  const quoted = /^(['"])([\s\S]*)\1,?$/.exec(inner);
  return { type: m[1]!, message: quoted ? quoted[2]! : inner };
}

/** FNV-1a, as 8 hex digits: a group's id. */
function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

export interface FailureGroup {
  id: string;
  type: string;
  pattern: string;
  firstSeen: number;
  lastSeen: number;
  names: Map<string, number>;
  sampleTaskId: string;
  sampleMessage: string;
  perMinute: MinuteColumns;
}

export class FailureGroups {
  private readonly groups = new Map<string, FailureGroup>();

  add(type: string, message: string, name: string | null, taskId: string, at: number): void {
    const pattern = normaliseMessage(message);
    const key = `${type}\u0000${pattern}`;
    let g = this.groups.get(key);
    if (!g) {
      if (this.groups.size >= MAX_GROUPS) this.dropOldest();
      g = {
        id: hash(key),
        type,
        pattern,
        firstSeen: at,
        lastSeen: at,
        names: new Map(),
        sampleTaskId: taskId,
        sampleMessage: message.slice(0, MAX_MESSAGE),
        perMinute: new MinuteColumns([false]),
      };
      this.groups.set(key, g);
    }
    g.perMinute.add(Math.floor(at / 60_000), 0, 1);
    g.firstSeen = Math.min(g.firstSeen, at);
    if (at >= g.lastSeen) {
      g.lastSeen = at;
      g.sampleTaskId = taskId;
      g.sampleMessage = message.slice(0, MAX_MESSAGE);
    }
    const label = name ?? "(unnamed)";
    if (g.names.has(label) || g.names.size < MAX_NAMES) g.names.set(label, (g.names.get(label) ?? 0) + 1);
  }

  /** The groups with failures in minutes [from, to), with their count there, most first. */
  inWindow(from: number, to: number, name?: string): { group: FailureGroup; count: number }[] {
    const out: { group: FailureGroup; count: number }[] = [];
    for (const g of this.groups.values()) {
      if (name !== undefined && !g.names.has(name)) continue;
      const count = g.perMinute.sum(from, to, 0);
      if (count > 0) out.push({ group: g, count });
    }
    return out.sort((a, b) => b.count - a.count || b.group.lastSeen - a.group.lastSeen);
  }

  private dropOldest(): void {
    let oldest: string | null = null;
    let at = Number.POSITIVE_INFINITY;
    for (const [k, g] of this.groups) if (g.lastSeen < at) [oldest, at] = [k, g.lastSeen];
    if (oldest !== null) this.groups.delete(oldest);
  }
}
