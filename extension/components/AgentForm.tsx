/** Add or edit an agent: URL (checked), name, optional token. Used by the popup and the panel. */
import { useId, useState } from "preact/hooks";
import { upsertAgent, type Agent } from "../agents/agents";
import { requestHostAccess, saveAgent } from "../agents/store";

export interface AgentFormProps {
  agents: readonly Agent[];
  /** The agent being edited; absent to add one. */
  agent?: Agent;
  onDone?: (agent: Agent) => void;
  onCancel?: () => void;
}

export function AgentForm({ agents, agent, onDone, onCancel }: AgentFormProps) {
  const [url, setUrl] = useState(agent?.url ?? "");
  const [name, setName] = useState(agent?.name ?? "");
  const [token, setToken] = useState(agent?.token ?? "");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  const onSubmit = (event: Event) => {
    event.preventDefault();
    const input = { id: agent?.id, url, name, token };
    // Checked before asking for access, so nobody is prompted for an agent we would refuse.
    const check = upsertAgent(agents, input, () => "check");
    if (!check.ok) {
      setError(check.message);
      return;
    }
    setBusy(true);
    setError(null);
    // No await before this call: browsers grant permission requests only inside the click.
    requestHostAccess(check.agent.url)
      .then(async (granted) => {
        if (!granted) {
          setError(`Access to ${new URL(check.agent.url).origin} was not granted, so the agent was not saved.`);
          return;
        }
        const saved = await saveAgent(input);
        if (!saved.ok) setError(saved.message);
        else {
          if (!agent) {
            setUrl("");
            setName("");
            setToken("");
          }
          onDone?.(saved.agent);
        }
      })
      .catch((e: unknown) => setError(String(e)))
      .finally(() => setBusy(false));
  };

  return (
    <form class="agent-form" onSubmit={onSubmit} aria-label={agent ? `Edit ${agent.name}` : "Add an agent"}>
      <div class="form-row">
        <label for={`${id}-url`}>Agent URL</label>
        <input
          id={`${id}-url`}
          name="url"
          type="text"
          placeholder="http://127.0.0.1:5580"
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
          required
        />
      </div>
      <div class="form-row">
        <label for={`${id}-name`}>Name (optional)</label>
        <input id={`${id}-name`} name="name" type="text" placeholder="dev, staging, production…" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </div>
      <div class="form-row">
        <label for={`${id}-token`}>Token (optional; kept in this browser only)</label>
        <input id={`${id}-token`} name="token" type="password" autocomplete="off" value={token} onInput={(e) => setToken(e.currentTarget.value)} />
      </div>
      {error ? (
        <div class="form-error" role="alert">
          {error}
        </div>
      ) : null}
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          {agent ? "Save" : "Add agent"}
        </button>
        {onCancel ? (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
