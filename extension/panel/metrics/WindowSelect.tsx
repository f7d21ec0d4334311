/** How far back the figures of a view go: the windows people ask about, within the agent's 24 hours. */
import type { JSX } from "preact";
import { useState } from "preact/hooks";

export const WINDOWS = [
  { value: "15m", label: "Last 15 min" },
  { value: "1h", label: "Last hour" },
  { value: "6h", label: "Last 6 hours" },
  { value: "24h", label: "Last 24 hours" },
] as const;
export type MetricsWindow = (typeof WINDOWS)[number]["value"];

// Kept across views while the panel is open: going from the names to one name keeps the window.
let remembered: MetricsWindow = "1h";

/** The window a view shows, and the select that changes it (for the view's tools). */
export function useWindowSelect(): [MetricsWindow, JSX.Element] {
  const [window, setWindow] = useState(remembered);
  const onChange = (next: MetricsWindow) => {
    remembered = next;
    setWindow(next);
  };
  return [window, <WindowSelect key="window" value={window} onChange={onChange} />];
}

function WindowSelect({ value, onChange }: { value: MetricsWindow; onChange: (window: MetricsWindow) => void }) {
  return (
    <select aria-label="Window" value={value} onChange={(e) => onChange(e.currentTarget.value as MetricsWindow)} data-window-select>
      {WINDOWS.map((w) => (
        <option key={w.value} value={w.value}>
          {w.label}
        </option>
      ))}
    </select>
  );
}
