/** One setting's value: in words (the agent's `display`) with the raw value a hover away, or folded when long. */
import type { Setting } from "../../../agent/api/schema";
import { Badge } from "../../components/badges";
import { formatJson } from "../../shared/format";

const compactOf = (value: unknown) => (typeof value === "string" ? value : (JSON.stringify(value) ?? String(value)));

/** Short values on one line; long ones (task_queues...) folded, to keep the groups scannable. */
export function SettingValue({ value, display }: { value: unknown; display?: string | undefined }) {
  const compact = compactOf(value);
  const shown = display ?? compact;
  const raw = display !== undefined && display !== compact ? `raw value: ${compact}` : undefined;
  if (shown.length <= 100) {
    return (
      <span class="mono" title={raw} data-raw={raw ? compact : undefined}>
        {shown}
      </span>
    );
  }
  return (
    <details>
      <summary class="mono" title={raw}>
        {shown.slice(0, 100)}…
      </summary>
      <pre>{formatJson(value)}</pre>
    </details>
  );
}

/** The value, and beside it what Celery hid and what the agent saw happen. */
export function SettingCell({ setting }: { setting: Setting }) {
  const observed = setting.observed;
  return (
    <>
      <SettingValue value={setting.value} display={setting.display} />
      {setting.hidden_by_celery ? (
        <>
          {" "}
          <Badge
            tone="muted"
            title="Celery masks every setting whose name contains KEY, DATABASE, PASS... in its conf reply, even when it is no secret. The agent cannot recover it."
          >
            hidden by Celery
          </Badge>
        </>
      ) : null}
      {observed ? (
        <div
          class={`observed${observed.value === null || observed.value === undefined ? " dim" : ""}`}
          data-observed={String(observed.value !== null && observed.value !== undefined)}
        >
          seen: {observed.detail}
        </div>
      ) : null}
    </>
  );
}

/** What a search matches: the name, the value (raw and in words) and what was seen. */
export function settingText(s: Setting): string {
  return [s.key, compactOf(s.value), s.display ?? "", s.observed?.detail ?? ""].join("\n").toLowerCase();
}
