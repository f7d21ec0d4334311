/** The background's problems: what it keeps of the findings, the badge they make, which new ones notify, and the opt-in. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FindingListSchema, type FindingView } from "../../agent/api/schema";
import { parseStoredAgents, setNotify, upsertAgent, type Agent } from "../../extension/agents/agents";
import { FindingGistListSchema, type FindingGistList } from "../../extension/background/payloads";
import {
  findingsOf,
  MAX_PROBLEMS_KEPT,
  newProblems,
  NOTIFY_WINDOW_MS,
  noticeId,
  parseNoticeId,
  pickNotices,
  type AgentFindings,
  type ProblemGist,
} from "../../extension/background/problems";
import {
  BADGE_OFFLINE_COLOR,
  BADGE_PROBLEM_COLOR,
  BADGE_PROBLEM_MARK,
  BADGE_TROUBLE_COLOR,
  computeBadge,
  type AgentStatus,
} from "../../extension/background/status";
import { parseRoute } from "../../extension/panel/router";
import { problemsPath } from "../../extension/shared/problem-link";

function finding(kind: string, subject: string, severity: FindingView["severity"] = "problem"): FindingView {
  return {
    id: `${kind}|queue|${subject}`,
    kind,
    severity,
    subject: { type: "queue", id: subject },
    sentence: `${kind} on ${subject}.`,
    evidence: [{ what: "messages", value: 1, source: "broker" }],
    action: "Start a worker that consumes it.",
  };
}

/** A findings list as the agent sends it (the contract's schema checks it), seen through the background's. */
function list(...findings: FindingView[]): FindingGistList {
  const counts = { problem: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  const body = { findings, counts, computed_at: "2026-06-01T12:00:00Z", failed_rules: [], source: "test" };
  assert.ok(FindingListSchema.safeParse(body).success, "the sample is what the agent sends");
  const parsed = FindingGistListSchema.safeParse(body);
  assert.ok(parsed.success);
  return parsed.data;
}

const gist = (kind: string, subject: string): ProblemGist => findingsOf(list(finding(kind, subject)), 0).problems[0]!;

describe("the findings the background keeps", () => {
  it("keeps the counts and the problems only, each as id, kind, sentence and subject", () => {
    const kept = findingsOf(list(finding("queue_no_consumer", "parked"), finding("events_off", "x", "warning"), finding("note", "y", "info")), 7);
    assert.deepEqual(kept, {
      problem: 1,
      warning: 1,
      problems: [{ id: "queue_no_consumer|queue|parked", kind: "queue_no_consumer", sentence: "queue_no_consumer on parked.", subject: "queue:parked" }],
      at: 7,
    });
  });

  it("names at most MAX_PROBLEMS_KEPT problems but counts them all", () => {
    const many = Array.from({ length: MAX_PROBLEMS_KEPT + 5 }, (_, i) => finding("queue_no_consumer", `q${i}`));
    const kept = findingsOf(list(...many), 0);
    assert.equal(kept.problems.length, MAX_PROBLEMS_KEPT);
    assert.equal(kept.problem, MAX_PROBLEMS_KEPT + 5);
  });
});

describe("the badge with problems", () => {
  const dev: Agent = { id: "dev", name: "dev", url: "http://127.0.0.1:5555", token: null };
  const prod: Agent = { id: "prod", name: "prod", url: "https://prod.example.com", token: "t" };
  const summary = (offline: number) => ({
    workersOnline: 1,
    workersOffline: offline,
    workersBusy: 0,
    activeTasks: 0,
    queues: 1,
    queuedMessages: 0,
    failedLastHour: 0,
  });
  const status = (offline: number, findings?: AgentFindings, connection: AgentStatus["connection"] = { kind: "connected" }): AgentStatus => ({
    connection,
    summary: summary(offline),
    problem: null,
    checkedAt: 0,
    ...(findings ? { findings } : {}),
  });
  const problems = (...subjects: string[]) => findingsOf(list(...subjects.map((s) => finding("queue_no_consumer", s))), 0);

  it("is violet with a dot when nothing is offline but an agent has a problem, and names it in the title", () => {
    const badge = computeBadge([dev, prod], { dev: status(0), prod: status(0, problems("parked")) });
    assert.equal(badge.text, BADGE_PROBLEM_MARK);
    assert.equal(badge.color, BADGE_PROBLEM_COLOR);
    assert.match(badge.title, /^prod: 0 offline workers, 1 problem\n {2}• queue_no_consumer on parked\.$/m);
    assert.match(badge.title, /^dev: 0 offline workers$/m);
  });

  it("keeps the offline count as its text, in violet while there are problems", () => {
    const badge = computeBadge([dev, prod], { dev: status(2), prod: status(1, problems("a")) });
    assert.equal(badge.text, "3");
    assert.equal(badge.color, BADGE_PROBLEM_COLOR);
    const solved = computeBadge([dev, prod], { dev: status(2), prod: status(1, problems()) });
    assert.deepEqual([solved.text, solved.color], ["3", BADGE_OFFLINE_COLOR], "red again once the problems are gone");
  });

  it("names the first three problems of each agent, then +N more", () => {
    const { title } = computeBadge([prod], { prod: status(0, problems("a", "b", "c", "d", "e")) });
    assert.match(
      title,
      /prod: 0 offline workers, 5 problems\n {2}• queue_no_consumer on a\.\n {2}• queue_no_consumer on b\.\n {2}• queue_no_consumer on c\.\n {2}\+2 more$/,
    );
  });

  it("counts warnings in the title only", () => {
    const badge = computeBadge([prod], { prod: status(0, findingsOf(list(finding("events_off", "x", "warning")), 0)) });
    assert.deepEqual([badge.text, badge.color], ["", BADGE_TROUBLE_COLOR]);
    assert.match(badge.title, /prod: 0 offline workers, 1 warning$/);
  });

  it("does not count the last known problems of an agent it cannot reach", () => {
    const gone = status(0, problems("a"), { kind: "unreachable", reason: "refused" });
    const badge = computeBadge([prod], { prod: gone });
    assert.deepEqual([badge.text, badge.color], ["!", BADGE_TROUBLE_COLOR]);
    assert.doesNotMatch(badge.title, /problem/);
  });
});

describe("new problems and their notifications", () => {
  it("tells nothing new on the first list (an agent just added, a browser just started)", () => {
    const first = findingsOf(list(finding("queue_no_consumer", "a")), 0);
    assert.deepEqual(newProblems(undefined, first), []);
    assert.deepEqual(newProblems(null, first), []);
  });

  it("tells the problems whose id was not there before", () => {
    const before = findingsOf(list(finding("queue_no_consumer", "a")), 0);
    const after = findingsOf(list(finding("queue_no_consumer", "a"), finding("queue_no_consumer", "b"), finding("events_off", "c", "warning")), 1);
    assert.deepEqual(
      newProblems(before, after).map((p) => p.id),
      ["queue_no_consumer|queue|b"],
    );
  });

  it("notifies one per kind per agent per window, telling how many more came with it", () => {
    const t0 = 1_000_000;
    const first = pickNotices("prod", [gist("queue_no_consumer", "a"), gist("queue_no_consumer", "b"), gist("worker_lost", "w")], {}, t0);
    assert.deepEqual(
      first.notices.map((n) => [n.problem.id, n.more]),
      [
        ["queue_no_consumer|queue|a", 1],
        ["worker_lost|queue|w", 0],
      ],
    );
    const soon = pickNotices("prod", [gist("queue_no_consumer", "c")], first.notifiedAt, t0 + NOTIFY_WINDOW_MS - 1);
    assert.deepEqual(soon.notices, [], "the same kind again within the window: nothing");
    assert.equal(soon.notifiedAt, first.notifiedAt);
    const otherAgent = pickNotices("dev", [gist("queue_no_consumer", "c")], first.notifiedAt, t0 + 1);
    assert.equal(otherAgent.notices.length, 1, "another agent's problem of that kind is its own");
    const later = pickNotices("prod", [gist("queue_no_consumer", "d")], first.notifiedAt, t0 + NOTIFY_WINDOW_MS);
    assert.equal(later.notices.length, 1, "once the window is over, the kind notifies again");
    assert.equal(later.notifiedAt.prod?.queue_no_consumer, t0 + NOTIFY_WINDOW_MS);
  });

  it("names the agent and the finding in the notification's id, for the click to open the panel at it", () => {
    const id = noticeId("0f8f-ad5b", gist("queue_no_consumer", "a|b"));
    assert.deepEqual(parseNoticeId(id), { agentId: "0f8f-ad5b", findingId: "queue_no_consumer|queue|a|b" });
    assert.deepEqual(parseRoute(`#/${problemsPath("queue_no_consumer|queue|a|b")}`), { view: "problems", finding: "queue_no_consumer|queue|a|b" });
    assert.deepEqual(parseRoute(`#/${problemsPath()}`), { view: "problems" });
    assert.equal(parseNoticeId("something-else"), null);
  });
});

describe("the opt-in to notifications", () => {
  const stored = [{ id: "p", name: "prod", url: "http://127.0.0.1:5555", token: null, notify: true }];

  it("is kept with the agent in storage, and an edit keeps it", () => {
    const agents = parseStoredAgents(stored);
    assert.equal(agents[0]?.notify, true);
    const edit = upsertAgent(agents, { id: "p", name: "production", url: "http://127.0.0.1:5556", token: "" }, () => "new");
    assert.ok(edit.ok);
    assert.equal(edit.agent.notify, true);
    assert.equal(parseStoredAgents([{ ...stored[0], notify: "yes" }])[0]?.notify, undefined, "only true opts in");
  });

  it("turns on and off for one agent only", () => {
    const agents = parseStoredAgents([...stored, { id: "d", name: "dev", url: "http://127.0.0.1:5557", token: null }]);
    const off = setNotify(agents, "p", false);
    assert.deepEqual(
      off.map((a) => a.notify),
      [undefined, undefined],
    );
    assert.deepEqual(
      setNotify(off, "d", true).map((a) => a.notify),
      [undefined, true],
    );
  });
});
