/**
 * What a call to an agent can come to, and how to say it. Kept apart from the client so the
 * pages that only show results (the popup) do not bundle the schemas.
 */
export type ApiFailure =
  | { kind: "unreachable"; endpoint: string; reason: string }
  | { kind: "unauthorized"; endpoint: string; message: string }
  | { kind: "invalid"; endpoint: string; path: string; message: string; otherIssues: number }
  | { kind: "http-error"; endpoint: string; status: number; code: string | null; message: string };

export type ApiResult<T> = { kind: "ok"; data: T } | ApiFailure;

/** One line for people, naming the endpoint and, for a schema mismatch, the field. */
export function describeFailure(failure: ApiFailure): string {
  switch (failure.kind) {
    case "unreachable":
      return `Unreachable: ${failure.reason}`;
    case "unauthorized":
      return `Unauthorized: ${failure.message}`;
    case "invalid": {
      const more = failure.otherIssues ? ` (and ${failure.otherIssues} more)` : "";
      return `Invalid response from ${failure.endpoint}: field ${failure.path}: ${failure.message}${more}`;
    }
    case "http-error":
      return `HTTP ${failure.status} from ${failure.endpoint}${failure.code ? ` (${failure.code})` : ""}: ${failure.message}`;
  }
}
