/** Failure groups as a table: exception type, normalised message, count, first and last seen, names; each opening its tasks. */
import type { FailureGroup } from "../../../agent/api/schema";
import { Payload } from "../../components/Payload";
import { Table } from "../../components/Table";
import { failureFilters } from "../../shared/chart-data";
import { formatCount, isHidden } from "../../shared/format";
import { href } from "../router";
import { Time } from "../tasks/TaskTable";

/** `name`: the groups are shown on that name's page, and open its tasks only. */
export function FailureGroups({ groups, name, empty }: { groups: readonly FailureGroup[]; name?: string; empty: string }) {
  return (
    <Table
      label="Failure groups"
      columns={[
        {
          label: "Exception",
          render: (g) => (
            <>
              <strong class="mono">{g.exception_type}</strong>{" "}
              {isHidden(g.message) ? <Payload value={g.message} /> : <span class="mono failure-message">{g.message}</span>}
            </>
          ),
          className: "failure-cell",
        },
        { label: "Count", render: (g) => formatCount(g.count), className: "num" },
        { label: "Last seen", render: (g) => <Time at={g.last_seen} />, className: "nowrap" },
        { label: "First seen", render: (g) => <Time at={g.first_seen} />, className: "nowrap" },
        ...(name
          ? []
          : [
              {
                label: "Tasks",
                render: (g: FailureGroup) =>
                  g.task_names.map((n, i) => (
                    <span key={n}>
                      {i > 0 ? ", " : ""}
                      <a href={href({ view: "taskName", name: n })}>{n}</a>
                    </span>
                  )),
                className: "truncate",
              },
            ]),
        {
          label: "",
          render: (g) => (
            <a href={href({ view: "tasks", filters: failureFilters(g, name) })} data-failure-tasks={g.id}>
              Tasks →
            </a>
          ),
          className: "nowrap",
        },
      ]}
      rows={groups}
      rowKey={(g) => g.id}
      empty={empty}
    />
  );
}
