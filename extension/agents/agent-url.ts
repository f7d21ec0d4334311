/**
 * What an agent URL may be, and which host permission it needs. Pure.
 * Loopback agents are covered by the manifest's host_permissions (no prompt);
 * any other origin is asked for, alone, when the agent is added.
 */
import { API_PREFIX } from "../../agent/api/schema/paths";

export type AgentUrlResult =
  | {
      ok: true;
      /** Normalized base URL: origin plus path, no trailing slash. */
      url: string;
      origin: string;
      /** The match pattern for this origin alone, as `permissions.request` wants it. */
      permissionPattern: string;
      loopback: boolean;
    }
  | { ok: false; message: string };

/** The loopback hosts the manifest grants (any port): keep in sync with manifest.json. */
export const LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]"] as const;

export function isLoopbackUrl(url: URL): boolean {
  return url.protocol === "http:" && (LOOPBACK_HOSTS as readonly string[]).includes(url.hostname);
}

export function parseAgentUrl(input: string): AgentUrlResult {
  const text = input.trim();
  if (!text) return { ok: false, message: "Enter the agent's URL, e.g. http://127.0.0.1:5580" };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: `"${text}" is not a URL; write it in full, e.g. http://127.0.0.1:5580` };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { ok: false, message: `Only http:// and https:// agents are supported (got "${url.protocol}//"); e.g. http://${text.replace(/^[a-z]+:\/*/i, "")}` };
  }
  if (!url.hostname) return { ok: false, message: "The URL has no host" };
  if (url.username || url.password) return { ok: false, message: "Leave credentials out of the URL; put the agent's token in the token field" };
  if (url.search || url.hash) return { ok: false, message: "The agent URL takes no query string or fragment" };
  // People paste the API address too: the base is what comes before the API's prefix (/api/v1).
  const trimmed = url.pathname.replace(/\/+$/, "");
  const path = trimmed.endsWith(API_PREFIX) ? trimmed.slice(0, -API_PREFIX.length) : trimmed;
  return {
    ok: true,
    url: url.origin + path,
    origin: url.origin,
    // Match patterns take no port: the pattern covers the host on every port.
    permissionPattern: `${url.protocol}//${url.hostname}/*`,
    loopback: isLoopbackUrl(url),
  };
}

/** A default name for an agent: its host (and port). */
export function defaultAgentName(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
