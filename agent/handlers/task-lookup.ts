/**
 * `POST tasks/lookup`: which of the ids a page's traffic carried are tasks the agent knows (held in
 * memory, or in the durable history), each as its task-list row plus its children. Unknown ids are
 * left out, not reported: most UUIDs in a page's traffic are not tasks. The result backend is not
 * asked (a few hundred round trips per lookup; the devtools retry unknown ids while events arrive).
 */
import { MAX_LOOKUP_IDS, TaskLookupBodySchema, type LookedUpTask, type TaskLookup } from "../api/schema";
import { hideRowPayloads, taskRow } from "./present/tasks";
import { payloadHidden, type Access } from "./access";
import type { Ctx } from "./context";
import { badRequest, HttpError } from "./errors";
import { TASK_ID } from "./tasks";

/** Far above MAX_LOOKUP_IDS ids of 200 characters' JSON: anything larger is not a lookup. */
export const MAX_LOOKUP_BODY = 128 * 1024;

/** The body's ids, or a 400 naming what is wrong with it. */
export function parseLookupBody(text: string): string[] {
  if (text.length > MAX_LOOKUP_BODY) throw new HttpError(413, "body_too_large", `the body is larger than ${MAX_LOOKUP_BODY} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest('the body is not JSON (send {"ids": ["<task id>", ...]})');
  }
  const parsed = TaskLookupBodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const keys = (issue as { keys?: string[] }).keys;
    if (keys?.length) throw badRequest(`unknown field ${keys.join(", ")} (the body is {"ids": [...]})`);
    if (issue.code === "too_big" && issue.path.length === 1) throw badRequest(`ids: at most ${MAX_LOOKUP_IDS} ids in one lookup`);
    const where = issue.path.length
      ? issue.path
          .map((p) => (typeof p === "number" ? `[${p}]` : String(p)))
          .join("")
          .replace(/^ids\[/, "ids[")
      : "body";
    throw badRequest(`${where}: ${issue.message} (the body is {"ids": ["<task id>", ...]})`);
  }
  const bad = parsed.data.ids.find((id) => !TASK_ID.test(id));
  if (bad !== undefined) throw badRequest(`ids: "${bad.slice(0, 60)}" is not a task id`);
  return [...new Set(parsed.data.ids)];
}

export async function lookupTasks(ctx: Ctx, bodyText: string, access: Access): Promise<TaskLookup> {
  const ids = parseLookupBody(bodyText);
  const hidden = payloadHidden(access);
  const tasks: LookedUpTask[] = [];
  for (const id of ids) {
    const found = await ctx.taskSource.get(id);
    if (!found) continue;
    const t = found.task;
    // A retry is re-sent from within the task: Celery lists the task as its own child.
    const children = [...new Set([...t.children, ...ctx.tasks.childrenOf(id)])].filter((c) => c !== id);
    const row = taskRow(t);
    tasks.push({ ...(hidden ? hideRowPayloads(row, hidden) : row), children });
  }
  return { tasks };
}
