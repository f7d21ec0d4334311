/** A view's frame: title or breadcrumbs, the source line, and the data or its loading/error state. */
import type { ComponentChildren } from "preact";
import { Breadcrumbs, ErrorBox, Loading, SourceLine, type Crumb } from "../components/states";
import { formatTimestamp } from "../shared/format";
import type { ResourceState } from "./use-resource";

export function ResourceView<T>({ resource, what, children }: { resource: ResourceState<T>; what: string; children: (data: T) => ComponentChildren }) {
  const { data, failure, loadedAt, refresh } = resource;
  // A view this caller's token may not see: the agent's reason, plainly, rather than an error.
  if (failure?.kind === "http-error" && failure.status === 403 && failure.code === "forbidden_scope") {
    return (
      <div class="notice" role="status" data-failure="forbidden">
        <strong>Not available with this token.</strong> {failure.message}
      </div>
    );
  }
  if (data === null) return failure ? <ErrorBox failure={failure} onRetry={refresh} /> : <Loading what={what} />;
  return (
    <>
      {failure ? (
        <ErrorBox failure={failure} onRetry={refresh}>
          <div class="dim">Showing the {what} as of {formatTimestamp(new Date(loadedAt ?? Date.now()).toISOString())}.</div>
        </ErrorBox>
      ) : null}
      {children(data)}
    </>
  );
}

export interface DataViewProps<T> {
  /** Names the view for styling and tests (data-view). */
  name: string;
  /** A title, or breadcrumbs for a detail view. */
  heading: string | readonly Crumb[];
  resource: ResourceState<T>;
  what: string;
  /** The data's source line; by default the response's `source` field. */
  sourceOf?: (data: T) => string | null;
  /** Controls shown beside the heading (filters, buttons). */
  tools?: ComponentChildren;
  children: (data: T) => ComponentChildren;
}

function responseSource(data: unknown): string | null {
  const source = (data as { source?: unknown }).source;
  return typeof source === "string" ? source : null;
}

export function DataView<T>({ name, heading, resource, what, sourceOf = responseSource, tools, children }: DataViewProps<T>) {
  const source = resource.data === null ? null : sourceOf(resource.data);
  return (
    <section class="view" data-view={name}>
      <header class="view-header">
        {typeof heading === "string" ? <h1>{heading}</h1> : <Breadcrumbs items={heading} />}
        {tools}
      </header>
      {source ? <SourceLine source={source} /> : null}
      <ResourceView resource={resource} what={what}>
        {children}
      </ResourceView>
    </section>
  );
}
