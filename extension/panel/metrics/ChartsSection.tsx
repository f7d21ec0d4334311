/** A detail page's charts: one queue's or worker's figures picked out of a metrics response, or why there are none yet. */
import type { ComponentChildren } from "preact";
import { ResourceView } from "../ResourceView";
import type { ResourceState } from "../use-resource";

interface ChartsSectionProps<R, T> {
  /** "queue" or "worker": names the section and its empty note for styling and tests. */
  of: string;
  what: string;
  resource: ResourceState<R>;
  pick: (data: R) => T | undefined;
  /** Why nothing is shown when the response has no figures for this one. */
  none: (data: R) => ComponentChildren;
  children: (figures: T, data: R) => ComponentChildren;
}

export function ChartsSection<R, T>({ of, what, resource, pick, none, children }: ChartsSectionProps<R, T>) {
  return (
    <section data-section={`${of}-charts`}>
      <ResourceView resource={resource} what={what}>
        {(data) => {
          const figures = pick(data);
          return figures ? (
            children(figures, data)
          ) : (
            <div class="chart-empty" data-chart-empty={of}>
              {none(data)}
            </div>
          );
        }}
      </ResourceView>
    </section>
  );
}
