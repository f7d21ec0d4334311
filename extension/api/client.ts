/**
 * The one agent client the pages use: request.ts (fetch + auth + timeout + validation) bound to the
 * endpoint table, so `get("workers")` is typed and checked by the contract's schema.
 */
import { endpoints, type EndpointBody, type EndpointName, type EndpointResponse, type GetEndpointName, type PostEndpointName } from "../../agent/api/schema";
import { ENDPOINT_PATHS } from "../../agent/api/schema/paths";
import type { ApiResult } from "./result";
import { apiPath, createRequester, withQuery, type AgentTarget, type ClientOptions, type QueryValue } from "./request";

export { formatIssuePath, validate, type AgentTarget, type ClientOptions, type OpenResult, type Parsed, type QueryValue, type Validator } from "./request";
export { DEFAULT_TIMEOUT_MS } from "./request";

export interface GetOptions {
  /** Values for the `:name` placeholders of the endpoint's path. */
  params?: Record<string, string>;
  query?: Record<string, QueryValue>;
  signal?: AbortSignal;
}

/** The concrete path of an endpoint, e.g. `/api/v1/workers/celery%40host`: what errors name. */
export function endpointPath(endpoint: EndpointName | "events", params: Record<string, string> = {}): string {
  return apiPath(ENDPOINT_PATHS[endpoint], params);
}

export function createAgentClient(target: AgentTarget, options: ClientOptions = {}) {
  const requester = createRequester(target, options);
  function get<E extends GetEndpointName>(endpoint: E, opts: GetOptions = {}): Promise<ApiResult<EndpointResponse<E>>> {
    const path = withQuery(endpointPath(endpoint, opts.params), opts.query);
    return requester.read(path, endpoints[endpoint].schema, opts.signal) as Promise<ApiResult<EndpointResponse<E>>>;
  }
  /** POSTs `body` (typed by the table's `body` schema) as JSON. */
  function post<E extends PostEndpointName>(endpoint: E, body: EndpointBody<E>, signal?: AbortSignal): Promise<ApiResult<EndpointResponse<E>>> {
    return requester.read(endpointPath(endpoint), endpoints[endpoint].schema, signal, body) as Promise<ApiResult<EndpointResponse<E>>>;
  }
  return { ...requester, get, post };
}

export type AgentClient = ReturnType<typeof createAgentClient>;
