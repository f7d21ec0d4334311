/**
 * Where the history lives: a data directory (--data-dir, else $XDG_DATA_HOME/celery-panel, else
 * ~/.local/share/celery-panel) holding one database file per deployment, named after the broker
 * URL without its credentials: a readable host part and a short hash of the whole URL, e.g.
 * `redis-prod.internal-6379-0-3f9a1c2e.sqlite`. Two agents on one broker share the file name; a
 * password change does not start a new history.
 */
import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";

export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_DATA_HOME?.trim();
  return xdg ? join(xdg, "celery-panel") : join(env.HOME?.trim() || homedir(), ".local", "share", "celery-panel");
}

/** The broker URL with any user name and password taken out (each URL of a `;`-separated list). */
export function withoutCredentials(url: string): string {
  return url.replace(/(^|;)([a-z][\w+.-]*:\/\/)[^@/;]*@/gi, "$1$2");
}

export function historyFileName(brokerUrl: string): string {
  const plain = withoutCredentials(brokerUrl.trim());
  const hash = createHash("sha256").update(plain).digest("hex").slice(0, 8);
  const readable = plain
    .split(";")[0]!
    .replace(/^[a-z][\w+.-]*:\/\//i, "")
    .replace(/[^\w.-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);
  return `${readable || "broker"}-${hash}.sqlite`;
}
