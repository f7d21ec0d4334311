/** Errors a handler can raise; the HTTP layer turns them into `{error: {code, message}}`. */
export class HttpError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 413 | 414 | 503,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new HttpError(404, "not_found", what);
export const badRequest = (message: string) => new HttpError(400, "bad_request", message);

/** A query parsed by its schema, or a 400 naming the parameter at fault (or the unknown ones). */
export function parseQuery<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } },
  query: Record<string, string>,
): T {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const keys = (issue as { keys?: string[] }).keys;
  throw badRequest(keys?.length ? `unknown query parameter ${keys.join(", ")}` : `${issue.path.map(String).join(".")}: ${issue.message}`);
}
