/**
 * Who may talk to the agent: loopback Host headers (DNS-rebinding defence) or --allowed-hosts,
 * a bearer token when one is set (compared in constant time), and CORS only for extension origins.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { isLoopback, type AgentOptions } from "../options";
import { accessFor, type Access } from "../handlers/access";

export function hostGuard(allowed: string[]): MiddlewareHandler {
  const extra = new Set(allowed);
  return async (c, next) => {
    const host = (c.req.header("host") ?? "").toLowerCase();
    const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d+$/, "");
    if (!isLoopback(name) && !extra.has(name)) {
      return c.json({ error: { code: "forbidden_host", message: `Host "${name}" is not allowed (loopback only; see --allowed-hosts)` } }, 403);
    }
    await next();
  };
}

const EXTENSION_ORIGIN = /^(chrome-extension|moz-extension|safari-web-extension):\/\/[a-z0-9-]+$/i;

export function extensionCors(): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header("origin");
    const allowed = origin !== undefined && EXTENSION_ORIGIN.test(origin);
    if (c.req.method === "OPTIONS") {
      if (!allowed) return c.body(null, 403);
      c.header("Access-Control-Allow-Origin", origin);
      c.header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
      c.header("Access-Control-Allow-Headers", "Authorization, Content-Type");
      c.header("Access-Control-Max-Age", "600");
      c.header("Vary", "Origin");
      return c.body(null, 204);
    }
    await next();
    if (allowed) {
      c.header("Access-Control-Allow-Origin", origin);
      c.header("Vary", "Origin");
    }
  };
}

const digest = (s: string) => createHash("sha256").update(s).digest();

export type AccessEnv = { Variables: { access: Access } };

/**
 * Who the caller is: with no token configured, everyone (on loopback, or an allowed host) gets
 * full access; otherwise the bearer token must be the full `--token` or one of the
 * `--limited-token`s, else 401. Each token is compared, always all of them, in constant time on
 * equal-length digests, so neither the timing nor the order gives a token away.
 */
export function accessGuard(o: Pick<AgentOptions, "token" | "limitedTokens" | "redact">): MiddlewareHandler<AccessEnv> {
  const known = [
    ...(o.token === null ? [] : [{ kind: "full" as const, digest: digest(o.token) }]),
    ...o.limitedTokens.map((t) => ({ kind: "limited" as const, digest: digest(t) })),
  ];
  const open = accessFor("none", o.redact);
  return async (c, next) => {
    if (!known.length) {
      c.set("access", open);
      return next();
    }
    const header = c.req.header("authorization") ?? "";
    const given = digest(/^Bearer\s+(.+)$/i.exec(header)?.[1] ?? "");
    let match: "full" | "limited" | null = null;
    for (const k of known) if (timingSafeEqual(given, k.digest) && match === null) match = k.kind;
    if (match === null) {
      c.header("WWW-Authenticate", 'Bearer realm="celery-panel"');
      return c.json({ error: { code: "unauthorized", message: header ? "wrong token" : "this agent needs Authorization: Bearer <token>" } }, 401);
    }
    c.set("access", accessFor(match, o.redact));
    await next();
  };
}
