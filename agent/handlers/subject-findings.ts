/**
 * The findings whose subject a detail response is (a task, a queue, a worker; beat and its
 * entries for the periodic list), for its "why" box.
 * The last findings computed serve while fresh, so a detail costs no recomputation; asking keeps
 * them current (the diagnostics recompute for a while after each request).
 */
import type { FindingSubjectType } from "../api/schema/enums";
import type { FindingView } from "../api/schema";
import type { Access } from "./access";
import type { Ctx } from "./context";
import { findingView } from "./present/findings";

/** Findings computed this recently are used as they are. */
const FRESH_MS = 5000;

export function subjectFindings(ctx: Ctx, type: FindingSubjectType, id: string, access: Access): Promise<FindingView[]> {
  return findingsAbout(ctx, (s) => s.type === type && s.id === id, access);
}

export async function findingsAbout(ctx: Ctx, about: (subject: { type: FindingSubjectType; id: string }) => boolean, access: Access): Promise<FindingView[]> {
  const last = ctx.diagnostics.last;
  const pending = ctx.diagnostics.current();
  // Fresh enough: answer with it at once (the computation under way still goes on, its failure ignored).
  let state = last;
  if (last && Date.now() - last.computedAt < FRESH_MS) pending.catch(() => undefined);
  else state = await pending.catch(() => null);
  return (state?.findings ?? []).filter((f) => about(f.subject)).map((f) => findingView(f, access));
}
