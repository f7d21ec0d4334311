/**
 * Secrets never leave the agent. Celery masks some keys itself, but not URLs under other keys nor
 * strings inside lists, so everything shown is masked again here: any key matching Celery's own
 * secret pattern, and the password (and secret query parameters) of every URL wherever it sits.
 */
import { maskUrl } from "../protocol/redis/url";

export const MASK = "********";
const SECRET_KEY = /API|TOKEN|KEY|SECRET|PASS|SIGNATURE|DATABASE/i;
/** Keys that match the pattern but name no secret, and whose value the views need. */
const NOT_SECRET = new Set([
  "routing_key", "task_default_routing_key", "global_keyprefix", "keyprefix_queue",
  "unacked_key", "unacked_index_key", "unacked_mutex_key", "redbeat_key_prefix",
]);

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !NOT_SECRET.has(key.toLowerCase());
}

export function maskString(s: string): string {
  let out = s.includes("://") ? maskUrl(s) : s;
  // ?password=...&token=... inside a URL
  if (out.includes("?")) {
    out = out.replace(/([?&])([^=&#\s]+)=([^&#\s]*)/g, (m, sep: string, k: string, v: string) =>
      isSecretKey(k) && v && v !== MASK ? `${sep}${k}=${MASK}` : m,
    );
  }
  return out;
}

/** A deep copy of `value` with every secret masked. Depth-limited: the input may be hostile. */
export function maskSecrets(value: unknown, key: string | null = null, depth = 0): unknown {
  if (depth > 32) return "[too deep]";
  if (key !== null && isSecretKey(key) && value !== null && value !== "" && value !== undefined && typeof value !== "boolean") {
    return MASK;
  }
  if (typeof value === "string") return maskString(value);
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, null, depth + 1));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskSecrets(v, k, depth + 1);
    return out;
  }
  return value;
}
