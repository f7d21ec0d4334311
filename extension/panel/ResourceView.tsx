/** A view's frame: title or breadcrumbs, the source line, and the data or its loading/error state. */
import type { ComponentChildren } from "preact";
import { Breadcrumbs, ErrorBox, Loading, SourceLine, type Crumb } from "../components/states";
import { LastKnownAt, useNow } from "../components/use-live-statuses";
import { formatAsOf } from "../shared/format";
import { useLiveStatus } from "./live";
import type { ResourceState } from "./use-resource";

/** "as of 16:02:11, 40 s ago", ticking on its own so the view around it does not re-render. */
function AsOf({ at }: { at: number }) {
  const now = useNow();
  return <span data-as-of={at}>{formatAsOf(at, now)}</span>;
}

/**
 * Data that is not current: the last refresh failed (the agent is unreachable, say), or the agent
 * answers but has lost its broker. Greyed, so an "online" badge in it is not read as today's news.
 */
function LastKnown({ at, children }: { at: number; children: ComponentChildren }) {
  return (
    <LastKnownAt.Provider value={at}>
      <div class="last-known" data-last-known>
        {children}
      </div>
    </LastKnownAt.Provider>
  );
}

export function ResourceView<T>({ resource, what, children }: { resource: ResourceState<T>; what: string; children: (data: T) => ComponentChildren }) {
  const { data, failure, loadedAt, refresh } = resource;
  const { degraded } = useLiveStatus();
  // A view this caller's token may not see: the agent's reason, plainly, rather than an error.
  if (failure?.kind === "http-error" && failure.status === 403 && failure.code === "forbidden_scope") {
    return (
      <div class="notice" role="status" data-failure="forbidden">
        <strong>Not available with this token.</strong> {failure.message}
      </div>
    );
  }
  if (data === null) return failure ? <ErrorBox failure={failure} onRetry={refresh} /> : <Loading what={what} />;
  const fetchedAt = loadedAt ?? Date.now();
  if (failure) {
    return (
      <>
        <ErrorBox failure={failure} onRetry={refresh}>
          <div class="dim">
            Below: the {what} as last known, <AsOf at={fetchedAt} />.
          </div>
        </ErrorBox>
        <LastKnown at={fetchedAt}>{children(data)}</LastKnown>
      </>
    );
  }
  if (degraded) {
    const since = degraded.since ? Date.parse(degraded.since) : NaN;
    const asOf = Number.isNaN(since) ? fetchedAt : Math.min(since, fetchedAt);
    return (
      <>
        <div class="dim stale-age" data-degraded-as-of>
          The {what} as the agent last knew them, <AsOf at={asOf} />.
        </div>
        <LastKnown at={asOf}>{children(data)}</LastKnown>
      </>
    );
  }
  return <>{children(data)}</>;
}

export interface PanelViewProps<T> {
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
  /** A Reload button beside the heading, for views the event stream does not refresh. */
  reload?: boolean;
  children: (data: T) => ComponentChildren;
}

function responseSource(data: unknown): string | null {
  const source = (data as { source?: unknown }).source;
  return typeof source === "string" ? source : null;
}

export function PanelView<T>({ name, heading, resource, what, sourceOf = responseSource, tools, reload, children }: PanelViewProps<T>) {
  const source = resource.data === null ? null : sourceOf(resource.data);
  return (
    <section class="view" data-view={name}>
      <header class="view-header">
        {typeof heading === "string" ? <h1>{heading}</h1> : <Breadcrumbs items={heading} />}
        {tools}
        {reload ? (
          <button type="button" onClick={resource.refresh}>
            Reload
          </button>
        ) : null}
      </header>
      {source ? <SourceLine source={source} /> : null}
      <ResourceView resource={resource} what={what}>
        {children}
      </ResourceView>
    </section>
  );
}
