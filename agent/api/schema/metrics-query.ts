/**
 * Query parameters of the metrics endpoints: a `window` (how far back from now) and a `step` (the
 * width of one point of a series), each a duration: `90` or `90s` (seconds), `15m`, `6h`, `1d`.
 * Figures are kept per minute for 24 hours, so a window is 1 minute to 24 hours, a step a whole
 * number of minutes that divides the window, and a series at most MAX_POINTS points. Without a step,
 * the smallest of STEP_CHOICES that divides the window into at most DEFAULT_POINTS points.
 */
import "./zod-setup";
import * as z from "zod/mini";

export const MAX_WINDOW_SECONDS = 24 * 3600;
export const MIN_STEP_SECONDS = 60;
export const MAX_POINTS = 1500;
export const DEFAULT_POINTS = 120;
export const DEFAULT_WINDOW_SECONDS = 3600;
const STEP_CHOICES = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
const UNIT_SECONDS: Record<string, number> = { "": 1, s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds of a duration (`90`, `90s`, `15m`, `6h`, `1d`), or null when it is not one. */
export function parseDuration(text: string): number | null {
  const m = /^(\d{1,6})([smhd]?)$/.exec(text.trim().toLowerCase());
  return m ? Number(m[1]) * UNIT_SECONDS[m[2]!]! : null;
}

/** The default step of a window: the smallest usual step dividing it into at most DEFAULT_POINTS points. */
export function defaultStep(windowSeconds: number): number {
  for (const s of STEP_CHOICES) if (windowSeconds % s === 0 && windowSeconds / s <= DEFAULT_POINTS) return s;
  return windowSeconds;
}

const duration = (what: string) =>
  z.pipe(
    z.string().check(z.maxLength(20)),
    z.transform((text: string, ctx) => {
      const seconds = parseDuration(text);
      if (seconds === null) ctx.issues.push({ code: "custom", message: `"${text}" is not a duration (e.g. 90s, 15m, 6h, 1d)`, input: text });
      else if (seconds <= 0) ctx.issues.push({ code: "custom", message: `${what} must be longer than 0`, input: text });
      return seconds ?? 0;
    }),
  );

const shortText = z.string().check(z.minLength(1), z.maxLength(300));

/** Checks a window and step against the figures kept; the message names the parameter at fault. */
export function windowStepProblem(window: number, step: number): { param: "window" | "step"; message: string } | null {
  if (window > MAX_WINDOW_SECONDS) return { param: "window", message: `at most 24h (figures are kept per minute for 24 hours), got ${window} s` };
  if (window % MIN_STEP_SECONDS) return { param: "window", message: `must be a whole number of minutes, got ${window} s` };
  if (step % MIN_STEP_SECONDS) return { param: "step", message: `must be a whole number of minutes (figures are kept per minute), got ${step} s` };
  if (step > window) return { param: "step", message: `${step} s is longer than the window (${window} s)` };
  if (window % step) return { param: "step", message: `${step} s does not divide the window (${window} s) into whole points` };
  if (window / step > MAX_POINTS) return { param: "step", message: `${window / step} points asked; at most ${MAX_POINTS} (a longer step)` };
  return null;
}

/** Adds the default window and step, and checks them together. */
function withWindow<T extends { window?: number; step?: number }>() {
  return z.transform((q: T, ctx) => {
    const window = q.window ?? DEFAULT_WINDOW_SECONDS;
    const step = q.step ?? defaultStep(window);
    const problem = windowStepProblem(window, step);
    if (problem) ctx.issues.push({ code: "custom", message: problem.message, path: [problem.param], input: q });
    return { ...q, window, step };
  });
}

/** `metrics/tasks`: every name's totals, and a series for one `name`, one `queue`, or all (not both). */
export const MetricsTaskQuerySchema = z.pipe(
  z.strictObject({
    name: z.optional(shortText),
    queue: z.optional(shortText),
    window: z.optional(duration("window")),
    step: z.optional(duration("step")),
  }),
  withWindow<{ name?: string; queue?: string; window?: number; step?: number }>(),
);

/** `metrics/queues` and `metrics/workers`: every queue or worker, over a window. */
export const MetricsWindowQuerySchema = z.pipe(
  z.strictObject({ window: z.optional(duration("window")), step: z.optional(duration("step")) }),
  withWindow<{ window?: number; step?: number }>(),
);

/** `failures`: the groups seen in the window, those with a task of `name` only when given. */
export const FailureQuerySchema = z.pipe(
  z.strictObject({ window: z.optional(duration("window")), name: z.optional(shortText) }),
  z.transform((q: { window?: number; name?: string }, ctx) => {
    const window = q.window ?? MAX_WINDOW_SECONDS;
    const problem = windowStepProblem(window, MIN_STEP_SECONDS);
    if (problem) ctx.issues.push({ code: "custom", message: problem.message, path: [problem.param], input: q });
    return { ...q, window };
  }),
);

export type MetricsTaskQuery = z.infer<typeof MetricsTaskQuerySchema>;
export type MetricsWindowQuery = z.infer<typeof MetricsWindowQuerySchema>;
export type FailureQuery = z.infer<typeof FailureQuerySchema>;
