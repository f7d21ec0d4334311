/**
 * The panel served by the agent itself: the same page loaded from the agent's own origin over
 * http(s) instead of as an extension page. It talks to that origin through the same client and
 * schema checks, and has no extension storage, no background and no agent picker. A token, when
 * the agent wants one, lives only in this tab's sessionStorage.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Agent } from "../agents/agents";
import { createAgentClient } from "../api/client";
import { Loading } from "../components/states";

const TOKEN_KEY = "celery-panel-token";

/** The agent this page was served by; null on an extension page (chrome-extension:, moz-extension:). */
export function servedAgent(): Agent | null {
  if (location.protocol !== "http:" && location.protocol !== "https:") return null;
  return { id: "served", name: location.host, url: location.origin, token: sessionStorage.getItem(TOKEN_KEY) };
}

type Access = { kind: "checking" } | { kind: "open" } | { kind: "needs-token"; message: string };

function TokenForm({ message, onToken }: { message: string; onToken: (token: string) => void }) {
  const [token, setToken] = useState("");
  return (
    <main>
      <form
        class="agent-form token-form"
        aria-label="Agent token"
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) onToken(token.trim());
        }}
      >
        <h1>This agent needs a token</h1>
        <p class="dim">{message}. It was started with --token; enter the same token. It is kept in this tab only (sessionStorage).</p>
        <div class="form-row">
          <label for="served-token">Token</label>
          <input id="served-token" name="token" type="password" autocomplete="off" value={token} onInput={(e) => setToken(e.currentTarget.value)} required />
        </div>
        <button type="submit" class="primary">
          Open the panel
        </button>
      </form>
    </main>
  );
}

/**
 * Asks the agent's health once: when it says "unauthorized", shows the token form instead of the
 * views. Any other failure is left to the views, which show it where the data would be.
 */
export function ServedApp({ agent: initial, children }: { agent: Agent; children: (agent: Agent) => ComponentChildren }) {
  const [agent, setAgent] = useState(initial);
  const [access, setAccess] = useState<Access>({ kind: "checking" });
  useEffect(() => {
    const controller = new AbortController();
    void createAgentClient(agent)
      .get("health", { signal: controller.signal })
      .then((result) => {
        if (controller.signal.aborted) return;
        if (result.kind === "unauthorized") return setAccess({ kind: "needs-token", message: result.message });
        if (result.kind === "ok") document.title = `Celery Panel · ${result.data.agent.name}`;
        setAccess({ kind: "open" });
      });
    return () => controller.abort();
  }, [agent.token]);

  if (access.kind === "checking") return <Loading what="the agent" />;
  if (access.kind === "needs-token") {
    return (
      <TokenForm
        message={access.message}
        onToken={(token) => {
          sessionStorage.setItem(TOKEN_KEY, token);
          setAccess({ kind: "checking" });
          setAgent({ ...agent, token });
        }}
      />
    );
  }
  return children(agent);
}
