/**
 * Secrets never leave the agent. Celery masks some keys itself (any name matching
 * API|TOKEN|KEY|SECRET|PASS|SIGNATURE|DATABASE, and passwords in broker/backend URLs), but not URLs
 * under other keys nor strings inside lists, so everything shown is masked again here: values under a
 * name that says "credential" (see isSecretKey), and the password (and secret query parameters) of
 * every URL wherever it sits. Names that merely contain such a word (routing_key, cassandra_keyspace,
 * database_table_names) are configuration, not secrets; what Celery already masked stays masked.
 */
export const MASK = "********";

/**
 * Replaces the password of every URL inside `text` (several URLs may be joined by ';'). The
 * userinfo runs to the last '@' of the authority, as Python's urlsplit reads it, so a raw '@' in a
 * password is masked whole and an '@' in a path or query is left alone.
 */
export function maskUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/?#\s;]*)/gi, (m, scheme: string, authority: string) => {
    const at = authority.lastIndexOf("@");
    if (at < 0) return m;
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(":");
    if (colon < 0) return m;
    return `${scheme}${userinfo.slice(0, colon)}:${MASK}@${authority.slice(at + 1)}`;
  });
}

/** A word of the name that makes its value a credential. */
const SECRET_WORDS = new Set([
  "password",
  "passwords",
  "passwd",
  "pwd",
  "pass",
  "passphrase",
  "secret",
  "secrets",
  "token",
  "tokens",
  "credential",
  "credentials",
  "creds",
  "signature",
  "sig",
  "apikey",
  "apikeys",
  "dsn",
  "authorization",
  "cookie",
  "cookies",
]);
/**
 * `<qualifier>_key`: a credential, unless the qualifier says it names something else (a routing
 * key, a Redis key name). Unknown `*_key` names are masked: a missed secret costs more than a
 * hidden name.
 */
const NAME_KEY_QUALIFIERS = new Set([
  "routing",
  "binding",
  "unacked",
  "index",
  "mutex",
  "cache",
  "sort",
  "partition",
  "primary",
  "foreign",
  "lock",
  "group",
  "result",
  "task",
  "queue",
  "default",
  "idempotency",
  "dedup",
  "dedupe",
  "shard",
  "hash",
]);

/** snake_case, kebab-case, dotted and camelCase names as lower-case words. */
function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

export function isSecretKey(key: string): boolean {
  const w = words(key);
  if (w.some((x) => SECRET_WORDS.has(x))) return true;
  const last = w.at(-1);
  if (last === "auth") return true; // http_auth, auth: a (user, password) pair
  // The key word at the end (api_key, security_key) or before a trailing "id" (aws_access_key_id).
  const at = w[w.length - 1] === "id" ? w.length - 2 : w.length - 1;
  if (w[at] !== "key" && w[at] !== "keys") return false;
  const qualifier = w[at - 1];
  return qualifier === undefined || !NAME_KEY_QUALIFIERS.has(qualifier);
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
