/**
 * A task message as it waits in a queue: the envelope's headers and body read as Celery's task
 * protocol (version 2: `task`/`id` and the rest in headers, body `[args, kwargs, embed]`; version 1:
 * everything in the body). Only reads what the envelope codec already decoded: nothing is executed.
 */
import { isRecord, type Envelope } from "./envelope";
import { num, str } from "./events";

export interface TaskMessage {
  id: string;
  name: string | null;
  /** As JSON when the body carried them, else Celery's repr from the headers (argsrepr). */
  args: { format: "json"; value: unknown } | { format: "repr"; value: string } | null;
  kwargs: { format: "json"; value: unknown } | { format: "repr"; value: string } | null;
  eta: string | null;
  expires: string | null;
  retries: number | null;
  rootId: string | null;
  parentId: string | null;
  /** The message's own priority property, when it has one. */
  priority: number | null;
  exchange: string | null;
  routingKey: string | null;
}

/** The task a message carries, or null when it is not a task message (no task id). */
export function readTaskMessage(env: Envelope): TaskMessage | null {
  const h = env.headers;
  const body = env.body;
  const v1 = isRecord(body) && typeof body.id === "string" ? body : null;
  const id = str(h.id) ?? (v1 ? str(v1.id) : null);
  if (!id) return null;
  const di = isRecord(env.properties.delivery_info) ? env.properties.delivery_info : {};
  const fields = v1 ?? h;
  const [args, kwargs] = v1 ? [v1.args, v1.kwargs] : Array.isArray(body) ? [body[0], body[1]] : [undefined, undefined];
  return {
    id,
    name: str(fields.task),
    args: args !== undefined ? { format: "json", value: args } : typeof h.argsrepr === "string" ? { format: "repr", value: h.argsrepr } : null,
    kwargs: kwargs !== undefined ? { format: "json", value: kwargs } : typeof h.kwargsrepr === "string" ? { format: "repr", value: h.kwargsrepr } : null,
    eta: str(fields.eta),
    expires: str(fields.expires),
    retries: num(fields.retries),
    rootId: str(h.root_id),
    parentId: str(h.parent_id),
    priority: num(env.properties.priority),
    exchange: str(di.exchange),
    routingKey: str(di.routing_key),
  };
}
