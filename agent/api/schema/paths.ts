/**
 * Where the API lives and how a route's path is filled in. No zod here: the extension's pages that
 * only need the prefix (what an agent URL is) do not take the schemas into their bundles with it.
 */

export const API_PREFIX = "/api/v1";

/** A path with its `:name` parts filled in from `params`, each URL-encoded (a missing one is empty). */
export function fillPath(path: string, params: { readonly [key: string]: unknown } = {}): string {
  return path.replace(/:([a-z_]+)/g, (_, key: string) => encodeURIComponent(String(params[key] ?? "")));
}
