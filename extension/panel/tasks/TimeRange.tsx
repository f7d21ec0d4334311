/**
 * The tasks list's time range: a recent span that stays relative ("-1h" in the URL: the last hour
 * whenever the list refreshes), or a custom from/to in local time (sent as ISO 8601).
 */
import { useEffect, useState } from "preact/hooks";

const SPANS = [
  { value: "", label: "Any time" },
  { value: "-15m", label: "Last 15 minutes" },
  { value: "-1h", label: "Last hour" },
  { value: "-1d", label: "Last day" },
  { value: "-7d", label: "Last week" },
] as const;
const CUSTOM = "custom";

/** An ISO time as a datetime-local input shows it (local wall time, minutes). */
function toLocalInput(iso: string | undefined): string {
  if (!iso || iso.startsWith("-")) return "";
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return "";
  return new Date(t.getTime() - t.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

const fromLocalInput = (text: string) => (text ? new Date(text).toISOString() : undefined);

export function TimeRange({ since, until, onChange }: { since?: string; until?: string; onChange: (range: { since?: string; until?: string }) => void }) {
  const span = SPANS.find((s) => s.value && s.value === since && !until);
  const [custom, setCustom] = useState(!span && Boolean(since || until));
  useEffect(() => setCustom(!span && Boolean(since || until)), [since, until]);
  const selected = custom ? CUSTOM : (span?.value ?? "");
  return (
    <span class="time-range">
      <select
        aria-label="Received"
        value={selected}
        onChange={(e) => {
          const v = e.currentTarget.value;
          if (v === CUSTOM) setCustom(true);
          else {
            setCustom(false);
            onChange({ since: v || undefined, until: undefined });
          }
        }}
      >
        {SPANS.map((s) => (
          <option key={s.value} value={s.value}>
            {s.label}
          </option>
        ))}
        <option value={CUSTOM}>Custom…</option>
      </select>
      {custom ? (
        <>
          <input
            type="datetime-local"
            aria-label="Received from"
            value={toLocalInput(since)}
            onChange={(e) => onChange({ since: fromLocalInput(e.currentTarget.value), until })}
          />
          <span class="dim">to</span>
          <input
            type="datetime-local"
            aria-label="Received until"
            value={toLocalInput(until)}
            onChange={(e) => onChange({ since: since?.startsWith("-") ? undefined : since, until: fromLocalInput(e.currentTarget.value) })}
          />
        </>
      ) : null}
    </span>
  );
}
