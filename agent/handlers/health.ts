import type { Health } from "../api/schema";
import type { ConnectionStatus } from "../protocol/transport";
import { VERSION } from "../version";
import { FULL_ACCESS, type Access } from "./access";
import { iso, type Ctx } from "./context";
import { httpRejections } from "./rejections";

function connection(url: string | null, s: ConnectionStatus | null): Health["broker"] {
  if (!s) return { url, state: "disabled", error: null, since: null };
  return { url, state: s.state, error: s.error, since: iso(s.since) };
}

/** The agent's own connections: whether what it serves is live (the overview carries them too). */
export function connections(ctx: Ctx): Pick<Health, "broker" | "result_backend"> {
  const unreadable = ctx.backend ? null : ctx.unreadableBackend;
  return {
    broker: connection(ctx.brokerDescription(), ctx.broker.status()),
    // rpc://: nothing to connect to; "disabled", saying why no result is read.
    result_backend: unreadable
      ? { url: unreadable.url, state: "disabled", error: unreadable.reason, since: null }
      : connection(ctx.backendDescription(), ctx.backend?.status() ?? null),
  };
}

export function health(ctx: Ctx, access: Access = FULL_ACCESS): Health {
  return {
    agent: {
      name: ctx.options.name,
      version: VERSION,
      started_at: iso(ctx.startedAt)!,
      uptime_seconds: Math.round((Date.now() - ctx.startedAt) / 1000),
    },
    ...connections(ctx),
    broker_api: ctx.options.brokerApi ? { url: ctx.brokerApiDescription()!, tls_verified: ctx.options.brokerApi.verifyTls } : null,
    last_event_at: iso(ctx.lastEventAt),
    tasks_held: ctx.tasks.size,
    max_tasks: ctx.options.maxTasks,
    backfill: { ...ctx.backfill },
    history: ctx.durableHistory.health(),
    rejected: ctx.broker.events.rejected(),
    http_rejected: httpRejections(ctx),
    access: { token: access.token, scopes: [...access.scopes], redacted: access.redacted },
    remote_control: (({ byMethod, ...rest }) => ({ ...rest, by_method: { ...byMethod } }))(ctx.inspector.counters),
  };
}
