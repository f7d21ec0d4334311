/** Says, beside the live indicator, when this token sees less than everything (from `health.access`). */
import { useEffect, useState } from "preact/hooks";
import type { Health } from "../../agent/api/schema";
import { usePanel } from "./live";

type Access = NonNullable<Health["access"]>;

export function accessNote(access: Access | undefined): { label: string; title: string } | null {
  if (!access) return null;
  const hidden: string[] = [];
  if (!access.scopes.includes("config")) hidden.push("the Configuration view");
  if (!access.scopes.includes("task_payloads")) hidden.push("task arguments, results, exception messages and tracebacks");
  if (!hidden.length) return null;
  const why = access.token === "limited" ? "This agent token is limited" : "The agent runs with --redact";
  return { label: access.token === "limited" ? "limited token" : "redacted", title: `${why}: it does not show ${hidden.join(", nor ")}.` };
}

export function AccessNote() {
  const { client, live } = usePanel();
  const [access, setAccess] = useState<Access | undefined>(undefined);
  useEffect(() => {
    // Asked once (the stream's first health event may come before this subscribes), then kept current.
    const controller = new AbortController();
    void client.get("health", { signal: controller.signal }).then((r) => (r.kind === "ok" ? setAccess(r.data.access) : undefined));
    const off = live.onEvent((event) => (event.type === "health" ? setAccess(event.data.access) : undefined));
    return () => {
      controller.abort();
      off();
    };
  }, [client, live]);
  const note = accessNote(access);
  return note ? (
    <span class="badge muted access-note" data-access={access?.token} title={note.title}>
      {note.label}
    </span>
  ) : null;
}
