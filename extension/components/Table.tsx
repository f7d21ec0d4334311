/** Dense devtools-style tables: one generic list table and a key/value table. */
import type { ComponentChildren } from "preact";
import type { SortOrder, TaskSortKey } from "../../agent/api/schema";

export interface Column<T, K extends string = TaskSortKey> {
  label: string;
  render: (row: T) => ComponentChildren;
  className?: string;
  /** Set when the column can sort the list (by the agent for `tasks`, in the panel for figures per name); the table shows and reports it. */
  sortKey?: K;
}

export interface TableProps<T, K extends string = TaskSortKey> {
  columns: readonly Column<T, K>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  rowClass?: (row: T) => string | undefined;
  /** Shown in place of the body when there are no rows: never an empty box. */
  empty: ComponentChildren;
  sort?: { key: K; order: SortOrder; onSort: (key: K) => void };
  label?: string;
}

export function Table<T, K extends string = TaskSortKey>({ columns, rows, rowKey, rowClass, empty, sort, label }: TableProps<T, K>) {
  if (rows.length === 0) return <div class="state-line empty">{empty}</div>;
  return (
    <table class="grid" aria-label={label}>
      <thead>
        <tr>
          {columns.map((column) => {
            const sortable = sort && column.sortKey;
            const sorted = sortable && sort.key === column.sortKey;
            return (
              <th
                key={column.label}
                class={[column.className, sortable && "sortable", sorted && "sorted"].filter(Boolean).join(" ")}
                onClick={sortable ? () => sort.onSort(column.sortKey!) : undefined}
                aria-sort={sorted ? (sort.order === "asc" ? "ascending" : "descending") : undefined}
              >
                {column.label}
                {sorted ? (sort.order === "asc" ? " ▲" : " ▼") : null}
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={rowKey(row)} class={rowClass?.(row)}>
            {columns.map((column) => (
              <td key={column.label} class={column.className}>
                {column.render(row)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export type KeyValueEntry = readonly [label: string, value: ComponentChildren];

export function KeyValueTable({ entries, label }: { entries: readonly KeyValueEntry[]; label?: string }) {
  return (
    <table class="grid kv" aria-label={label}>
      <tbody>
        {entries.map(([key, value]) => (
          <tr key={key}>
            <th scope="row">{key}</th>
            <td>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
