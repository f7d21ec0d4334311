/** Agent URLs (what is accepted, which permission it needs) and the agent list the stores keep. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LOOPBACK_HOSTS, parseAgentUrl } from "../../extension/agents/agent-url";
import { currentAgent, parseStoredAgents, removeAgent, upsertAgent, type Agent } from "../../extension/agents/agents";

describe("agent URLs", () => {
  it("normalizes http(s) URLs and derives the origin's permission pattern", () => {
    assert.deepEqual(parseAgentUrl("  https://celery.example.com:8443/panel/ "), {
      ok: true,
      url: "https://celery.example.com:8443/panel",
      origin: "https://celery.example.com:8443",
      permissionPattern: "https://celery.example.com/*",
      loopback: false,
    });
  });

  it("treats the loopback hosts on http, any port, as loopback", () => {
    for (const input of ["http://127.0.0.1:5555", "http://localhost:8000", "http://[::1]:5555", "http://LOCALHOST:1"]) {
      const parsed = parseAgentUrl(input);
      assert.equal(parsed.ok && parsed.loopback, true, input);
    }
    assert.deepEqual(LOOPBACK_HOSTS, ["127.0.0.1", "localhost", "[::1]"]);
    const tls = parseAgentUrl("https://localhost:5555");
    assert.equal(tls.ok && tls.loopback, false);
  });

  it("strips a pasted /api/v1 suffix", () => {
    const parsed = parseAgentUrl("http://127.0.0.1:5555/api/v1/");
    assert.equal(parsed.ok && parsed.url, "http://127.0.0.1:5555");
  });

  it("refuses other schemes, bare hosts, credentials and query strings with a clear message", () => {
    const message = (input: string) => {
      const r = parseAgentUrl(input);
      return r.ok ? "accepted" : r.message;
    };
    assert.match(message("ftp://host:21"), /Only http:\/\/ and https:\/\/ agents are supported \(got "ftp:\/\/"\)/);
    assert.match(message("localhost:5555"), /Only http:\/\/ and https:\/\//);
    assert.match(message("not a url"), /is not a URL/);
    assert.match(message(""), /Enter the agent's URL/);
    assert.match(message("http://user:pw@host"), /token field/);
    assert.match(message("http://host/?x=1"), /no query string/);
  });
});

describe("agent list", () => {
  const ids = () => {
    let n = 0;
    return () => `id${++n}`;
  };
  const dev: Agent = { id: "a", name: "dev", url: "http://127.0.0.1:5555", token: null };

  it("adds an agent with a default name and no empty token", () => {
    const edit = upsertAgent([], { url: "http://localhost:5555/", name: " ", token: "  " }, ids());
    assert.ok(edit.ok);
    assert.deepEqual(edit.agent, { id: "id1", name: "localhost:5555", url: "http://localhost:5555", token: null });
    assert.equal(edit.loopback, true);
  });

  it("edits in place and refuses the same URL twice", () => {
    const edited = upsertAgent([dev], { id: "a", url: "http://127.0.0.1:5555", name: "local", token: "t" }, ids());
    assert.ok(edited.ok);
    assert.deepEqual(edited.agents, [{ ...dev, name: "local", token: "t" }]);
    const twin = upsertAgent([dev], { url: "http://127.0.0.1:5555/", name: "again", token: "" }, ids());
    assert.deepEqual(twin, { ok: false, message: 'http://127.0.0.1:5555 is already in the list as "dev"' });
  });

  it("refuses an invalid URL and an edit of a removed agent", () => {
    assert.equal(upsertAgent([dev], { url: "gopher://x", name: "", token: "" }, ids()).ok, false);
    const gone = upsertAgent([], { id: "a", url: "http://127.0.0.1:1", name: "", token: "" }, ids());
    assert.deepEqual(gone, { ok: false, message: "This agent was removed meanwhile" });
  });

  it("removes, and falls back to the first agent when the current one is gone", () => {
    const staging: Agent = { id: "b", name: "staging", url: "https://staging.example.com", token: "x" };
    assert.deepEqual(removeAgent([dev, staging], "a"), [staging]);
    assert.equal(currentAgent([dev, staging], "b")?.name, "staging");
    assert.equal(currentAgent([dev, staging], "gone")?.name, "dev");
    assert.equal(currentAgent([], null), null);
  });

  it("reads stored agents, dropping damaged entries", () => {
    const stored = [dev, { id: "b", url: "javascript:alert(1)" }, { id: "c", url: "http://localhost:1", token: 5 }, "junk", null];
    assert.deepEqual(parseStoredAgents(stored), [dev, { id: "c", name: "localhost:1", url: "http://localhost:1", token: null }]);
    assert.deepEqual(parseStoredAgents(undefined), []);
  });
});
