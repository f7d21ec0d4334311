/** Loading, empty and error states, the source line and breadcrumbs: what every view frames its data with. */
import type { ComponentChildren } from "preact";
import { describeFailure, type ApiFailure } from "../api/result";

export function Loading({ what }: { what: string }) {
  return <div class="state-line loading">Loading {what}…</div>;
}

const FAILURE_HINTS: Partial<Record<ApiFailure["kind"], string>> = {
  unauthorized: "The agent needs a token (Authorization: Bearer) and none or another was given: edit the agent to set it.",
  invalid: "The agent's answer does not match the panel's schema (a different agent version?). The rest of the panel keeps working.",
};

export function ErrorBox({ failure, onRetry, children }: { failure: ApiFailure; onRetry?: () => void; children?: ComponentChildren }) {
  return (
    <div class="error-box" role="alert" data-failure={failure.kind}>
      <strong class="failure-text">{describeFailure(failure)}</strong>
      {FAILURE_HINTS[failure.kind] ? <div class="dim">{FAILURE_HINTS[failure.kind]}</div> : null}
      {children}
      {onRetry ? (
        <div>
          <button type="button" onClick={onRetry}>
            Retry
          </button>
        </div>
      ) : null}
    </div>
  );
}

export function SourceLine({ source }: { source: string }) {
  return (
    <div class="source-line" title="Where this view's data comes from">
      Source: <code>{source}</code>
    </div>
  );
}

export interface Crumb {
  label: string;
  href?: string;
}

export function Breadcrumbs({ items }: { items: readonly Crumb[] }) {
  return (
    <nav class="breadcrumbs" aria-label="Breadcrumbs">
      {items.map((item, i) => (
        <span key={item.label}>
          {i > 0 ? <span class="dim"> › </span> : null}
          {item.href ? <a href={item.href}>{item.label}</a> : <strong>{item.label}</strong>}
        </span>
      ))}
    </nav>
  );
}
