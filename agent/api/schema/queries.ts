/** Query parameters, as the agent parses them: only the `tasks` listing takes any. */
import "./zod-setup";
import * as z from "zod/mini";
import { SORT_ORDERS, TASK_SORT_KEYS } from "./enums";
import { TaskStateSchema } from "./tasks";

const csvStates = z.pipe(
  z.pipe(
    z.string(),
    z.transform((s: string) =>
      s
        .split(",")
        .map((x) => x.trim().toUpperCase())
        .filter(Boolean),
    ),
  ),
  z.array(TaskStateSchema).check(z.minLength(1)),
);

/** Query parameters of `tasks`. Times are ISO 8601, unix seconds, or an age before now ("-1h", "-7d"). */
export const TaskQuerySchema = z.strictObject({
  state: z.optional(csvStates),
  name: z.optional(z.string().check(z.minLength(1), z.maxLength(300))),
  worker: z.optional(z.string().check(z.minLength(1), z.maxLength(300))),
  queue: z.optional(z.string().check(z.minLength(1), z.maxLength(300))),
  since: z.optional(z.string().check(z.maxLength(40))),
  until: z.optional(z.string().check(z.maxLength(40))),
  q: z.optional(z.string().check(z.maxLength(300))),
  sort: z._default(z.enum(TASK_SORT_KEYS), TASK_SORT_KEYS[0]),
  order: z._default(z.enum(SORT_ORDERS), SORT_ORDERS[0]),
  cursor: z.optional(z.string().check(z.maxLength(200))),
  limit: z._default(z.pipe(z.coerce.number(), z.int().check(z.minimum(1), z.maximum(500))), 50),
});
export type TaskQuery = z.infer<typeof TaskQuerySchema>;
