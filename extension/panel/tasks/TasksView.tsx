/** Tasks: server-side filtered and paginated (next_cursor); filters live in the URL. */
import { useEffect, useState } from "preact/hooks";
import { SORT_ORDERS, TASK_SORT_KEYS, type TaskSortKey } from "../../../agent/api/schema";
import { StateBadge, TASK_STATES } from "../../components/badges";
import { formatCount, plural } from "../../shared/format";
import { PanelView } from "../ResourceView";
import { href, navigate, type TaskFilters } from "../router";
import { useResource } from "../use-resource";
import { TaskTable } from "./TaskTable";
import { TasksTabs } from "./TasksTabs";
import { TimeRange } from "./TimeRange";

export const PAGE_SIZE = 50;

function withFilters(filters: TaskFilters, change: Partial<TaskFilters>): TaskFilters {
  // Any change of filters starts from the first page.
  return { ...filters, cursor: undefined, ...change };
}

function toggleState(current: string | undefined, state: string): string | undefined {
  const set = new Set((current ?? "").split(",").filter(Boolean));
  if (set.has(state)) set.delete(state);
  else set.add(state);
  return set.size ? [...set].join(",") : undefined;
}

/** A text filter applied on Enter or when leaving the field, so typing does not refetch each key. */
function FilterInput({
  label,
  value,
  onApply,
  search = false,
}: {
  label: string;
  value: string | undefined;
  onApply: (value: string | undefined) => void;
  search?: boolean;
}) {
  const [text, setText] = useState(value ?? "");
  useEffect(() => setText(value ?? ""), [value]);
  const apply = () => {
    if (text.trim() !== (value ?? "")) onApply(text.trim() || undefined);
  };
  return (
    <input
      class={search ? "search" : undefined}
      placeholder={label}
      aria-label={label}
      value={text}
      onInput={(e) => setText(e.currentTarget.value)}
      onKeyDown={(e) => e.key === "Enter" && apply()}
      onBlur={apply}
    />
  );
}

function Filters({ filters }: { filters: TaskFilters }) {
  const set = (change: Partial<TaskFilters>) => navigate({ view: "tasks", filters: withFilters(filters, change) });
  const selected = new Set((filters.state ?? "").split(","));
  return (
    <div class="filters">
      <div class="row">
        <FilterInput search label="Search" value={filters.q} onApply={(q) => set({ q })} />
        <FilterInput label="Task name" value={filters.name} onApply={(name) => set({ name })} />
        <FilterInput label="Worker" value={filters.worker} onApply={(worker) => set({ worker })} />
        <FilterInput label="Queue" value={filters.queue} onApply={(queue) => set({ queue })} />
        <TimeRange since={filters.since} until={filters.until} onChange={(range) => set(range)} />
        {Object.values(filters).some(Boolean) ? <a href={href({ view: "tasks", filters: {} })}>Clear filters</a> : null}
      </div>
      <fieldset class="row state-filter" aria-label="Filter by state">
        {TASK_STATES.map((state) => (
          <label key={state} class={`state-toggle${selected.has(state) ? " on" : ""}`}>
            <input type="checkbox" checked={selected.has(state)} onChange={() => set({ state: toggleState(filters.state, state) })} />
            <StateBadge state={state} />
          </label>
        ))}
      </fieldset>
    </div>
  );
}

export function TasksView({ filters }: { filters: TaskFilters }) {
  const key = JSON.stringify(filters);
  const tasks = useResource((client, signal) => client.get("tasks", { query: { ...filters, limit: PAGE_SIZE }, signal }), [key], {
    refreshOn: (e) => e.type === "task",
    minIntervalMs: 2000,
  });
  // The agent's defaults (the first of each list), so the table marks the column it sorted by.
  const sort = filters.sort ?? TASK_SORT_KEYS[0];
  const order = filters.order ?? SORT_ORDERS[0];
  const onSort = (column: TaskSortKey) =>
    navigate({ view: "tasks", filters: withFilters(filters, { sort: column, order: column === sort && order === "desc" ? "asc" : "desc" }) });
  return (
    <PanelView
      name="tasks"
      heading="Tasks"
      resource={tasks}
      what="tasks"
      tools={
        <>
          <TasksTabs current="tasks" />
          <Filters filters={filters} />
        </>
      }
    >
      {(data) => (
        <>
          <TaskTable
            tasks={data.tasks}
            empty={Object.values(filters).some(Boolean) ? "No task matches these filters." : "No task seen yet."}
            sort={{ key: sort, order, onSort }}
          />
          <div class="row pager">
            <span class="dim total">
              {formatCount(data.tasks.length)} shown of {data.total_at_least ? "at least " : ""}
              {plural(data.total, "matching task")}
            </span>
            <span class="spacer" />
            {filters.cursor ? (
              <>
                <button type="button" onClick={() => history.back()}>
                  ← Previous
                </button>
                <a href={href({ view: "tasks", filters: withFilters(filters, {}) })}>First page</a>
              </>
            ) : null}
            {data.next_cursor ? (
              <a class="next-page" href={href({ view: "tasks", filters: { ...filters, cursor: data.next_cursor } })}>
                Next page →
              </a>
            ) : null}
          </div>
        </>
      )}
    </PanelView>
  );
}
