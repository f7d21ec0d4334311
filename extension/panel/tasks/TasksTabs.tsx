/** The Tasks view's three ways in: the list of tasks, the figures per name, and the failures grouped. */
import { href, type Route } from "../router";

const TABS: readonly { label: string; route: Route }[] = [
  { label: "List", route: { view: "tasks", filters: {} } },
  { label: "By name", route: { view: "taskNames" } },
  { label: "Failures", route: { view: "failures" } },
];

export function TasksTabs({ current }: { current: "tasks" | "taskNames" | "failures" }) {
  return (
    <nav class="segmented" aria-label="Tasks views">
      {TABS.map((tab) => (
        <a
          key={tab.label}
          href={href(tab.route)}
          class={tab.route.view === current ? "on" : undefined}
          aria-current={tab.route.view === current ? "page" : undefined}
        >
          {tab.label}
        </a>
      ))}
    </nav>
  );
}
