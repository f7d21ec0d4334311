/**
 * The panel's Problems view, at one finding (`#/findings?finding=<id>`): spelled here for the popup
 * and the background's notifications, which do not bundle the panel's router; the router parses
 * it (a unit test holds the two together).
 */
import { ENDPOINT_PATHS } from "../../agent/api/schema/paths";

/** The query parameter naming the finding the Problems view brings into view. */
export const FOCUS_PARAM = "finding";

/** The hash path after `#/`: the Problems view, at `findingId` when given. */
export function problemsPath(findingId?: string): string {
  return findingId ? `${ENDPOINT_PATHS.findings}?${FOCUS_PARAM}=${encodeURIComponent(findingId)}` : ENDPOINT_PATHS.findings;
}
