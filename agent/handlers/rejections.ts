/** HTTP requests the agent refused, by `status code` (e.g. "404 not_found"), for `health`. */
import type { Ctx } from "./context";

const counts = new WeakMap<Ctx, Record<string, number>>();

export function countHttpRejection(ctx: Ctx, status: number, code: string | null): void {
  let c = counts.get(ctx);
  if (!c) counts.set(ctx, (c = {}));
  // Codes come from the agent's own fixed set, so the keys stay few.
  const key = code ? `${status} ${code}` : String(status);
  c[key] = (c[key] ?? 0) + 1;
}

export function httpRejections(ctx: Ctx): Record<string, number> {
  return { ...counts.get(ctx) };
}
