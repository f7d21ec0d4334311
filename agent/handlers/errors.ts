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
