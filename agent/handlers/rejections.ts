/** HTTP requests the agent refused, by `status code` (e.g. "404 not_found"), for `health`. */
import { handlerState, type Ctx } from "./context";

const counts = handlerState<Record<string, number>>("HTTP refusals by status and code", () => ({}));

export function countHttpRejection(ctx: Ctx, status: number, code: string | null): void {
  const c = ctx.state.get(counts);
  // Codes come from the agent's own fixed set, so the keys stay few.
  const key = code ? `${status} ${code}` : String(status);
  c[key] = (c[key] ?? 0) + 1;
}

export function httpRejections(ctx: Ctx): Record<string, number> {
  return { ...ctx.state.get(counts) };
}
