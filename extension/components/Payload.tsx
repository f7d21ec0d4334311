/** Task text as a view shows it: the text, or a marked "(hidden)" whose tooltip says why. */
import type { Hidden } from "../../agent/api/schema";
import { formatPayload, isHidden, NONE } from "../shared/format";

export function Payload({ value, empty = NONE, block = false }: { value: string | Hidden | null | undefined; empty?: string; block?: boolean }) {
  if (isHidden(value)) {
    return (
      <span class="hidden-value dim" data-hidden="true" title={value.reason}>
        {formatPayload(value)}
      </span>
    );
  }
  if (value === null || value === undefined || value === "") return <span class="dim">{empty}</span>;
  return block ? <pre>{value}</pre> : <span class="mono">{value}</span>;
}
