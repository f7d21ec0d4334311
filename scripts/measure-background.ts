/**
 * Measures what keeps the extension's background (Chrome's MV3 service worker) running while it
 * follows an agent's event stream, what that costs, and how long the badge takes to count a
 * SIGKILLed worker with no extension page open. Real redis-server, real workers, the real agent,
 * Debian's headless Chromium with dist/chrome.
 *
 *   npm run build && node --experimental-websocket --import tsx scripts/measure-background.ts
 *
 * Chromium is driven through its DevTools HTTP endpoint only (/json/list), which attaches to
 * nothing: a DevTools client attached to the service worker (as Playwright's is) keeps it from
 * being stopped when idle, which would make the measurement meaningless. A page target is
 * attached once to store the agent, then closed; the worker is attached only after the idle
 * measurement, to read the badge.
 */
import { execSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, stopAll, track } from "../test/harness/deployment";
import { startScenario } from "../test/harness/scenario";
import { chromiumArgs } from "../test/harness/browser";

const EXTENSION = join(import.meta.dirname, "..", "dist", "chrome");
const IDLE_WATCH_S = Number(process.env.IDLE_WATCH_S ?? 75);

interface Target {
  id: string;
  type: string;
  url: string;
  webSocketDebuggerUrl: string;
}

/** One CDP session over a target's WebSocket: evaluate an expression, get its value. */
async function session(wsUrl: string) {
  const ws = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let next = 0;
  const waiting = new Map<number, (value: unknown) => void>();
  ws.onmessage = (message) => {
    const data = JSON.parse(String(message.data)) as { id?: number; result?: { result?: { value?: unknown } } };
    if (data.id !== undefined) waiting.get(data.id)?.(data.result?.result?.value);
  };
  return {
    evaluate(expression: string): Promise<unknown> {
      const id = ++next;
      ws.send(JSON.stringify({ id, method: "Runtime.evaluate", params: { expression, awaitPromise: true, returnByValue: true } }));
      return new Promise((resolve) => waiting.set(id, resolve));
    },
    close: () => ws.close(),
  };
}

/** Resident memory (kB) and CPU time (s) of the extension's renderer process. */
function extensionProcess(): { pid: number; rssKb: number; cpuS: number } | null {
  const out = execSync("ps -eo pid=,args=", { encoding: "utf8" });
  const line = out.split("\n").find((l) => l.includes("--extension-process") && l.includes("chromium"));
  if (!line) return null;
  const pid = Number(line.trim().split(/\s+/)[0]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const ticks = Number(stat[11]) + Number(stat[12]);
  return { pid, rssKb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0), cpuS: ticks / 100 };
}

async function main(): Promise<void> {
  const scenario = await startScenario({
    workers: [
      { name: "w1@measure", pool: "prefork", concurrency: 1 },
      { name: "k1@measure", pool: "solo" },
    ],
  });
  const port = await freePort();
  const profile = mkdtempSync(join(tmpdir(), "celery-panel-measure-"));
  const chromium = track(
    spawn("/usr/bin/chromium", ["--headless=new", `--remote-debugging-port=${port}`, `--user-data-dir=${profile}`, ...chromiumArgs(EXTENSION), "about:blank"], {
      stdio: "ignore",
    }),
  );
  const cleanUp = async () => {
    chromium.kill("SIGKILL");
    await stopAll();
    rmSync(profile, { recursive: true, force: true });
  };
  // Stopped early (Ctrl-C, a timeout): leave nothing running.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void cleanUp().then(() => process.exit(1)));
  const list = async (): Promise<Target[]> => {
    try {
      return (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Target[];
    } catch {
      return [];
    }
  };
  const worker = async () => (await list()).find((t) => t.type === "service_worker" && t.url.endsWith("/background.js"));
  try {
    let sw = await worker();
    for (let i = 0; i < 100 && !sw; i++) {
      await sleep(200);
      sw = await worker();
    }
    if (!sw) throw new Error("the extension's service worker never showed up");
    const id = new URL(sw.url).host;

    // Store the agent from an extension page, then close the page: from here on nothing holds the worker.
    const page = (await (await fetch(`http://127.0.0.1:${port}/json/new?chrome-extension://${id}/panel.html`, { method: "PUT" })).json()) as Target;
    await sleep(1000);
    const pageSession = await session(page.webSocketDebuggerUrl);
    // NO_AGENT=1: the control, an extension with nothing to follow.
    const agents = process.env.NO_AGENT ? [] : [{ id: "m", name: "measured", url: scenario.agent.url, token: null }];
    const store = `chrome.storage.local.set({ agents: ${JSON.stringify(agents)}, currentAgentId: "m" }).then(() => chrome.storage.local.get("agents")).then((r) => r.agents.length)`;
    for (let i = 0; (await pageSession.evaluate(store)) !== agents.length; i++) {
      if (i === 50) throw new Error("could not store the agent from the extension page");
      await sleep(200);
    }
    pageSession.close();
    await sleep(2000);
    await fetch(`http://127.0.0.1:${port}/json/close/${page.id}`);
    const closedAt = Date.now();

    const first = extensionProcess();
    let aliveSeconds = 0;
    for (let s = 0; s < IDLE_WATCH_S; s++) {
      await sleep(1000);
      if (await worker()) aliveSeconds++;
    }
    const second = extensionProcess();
    console.log(
      `no page open, ${agents.length ? "agent reachable" : "no agent"}: the service worker ran ${aliveSeconds} of ${IDLE_WATCH_S} s after the last page closed (${Math.round((Date.now() - closedAt) / 1000)} s)`,
    );
    if (first && second) {
      console.log(
        `extension process: ${Math.round(second.rssKb / 1024)} MB resident, ${(second.cpuS - first.cpuS).toFixed(2)} s CPU over ${IDLE_WATCH_S} s (${((100 * (second.cpuS - first.cpuS)) / IDLE_WATCH_S).toFixed(2)} %)`,
      );
    }
    if (!agents.length) return;

    // The badge, with no page open: from the agent reporting the worker offline to the badge counting it.
    const reported = (async () => {
      const res = await fetch(`${scenario.agent.url}/api/v1/events`);
      const reader = res.body!.getReader();
      let text = "";
      for (;;) {
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
        if (/"name":"k1@measure"[^\n]*"status":"offline"/.test(text)) {
          void reader.cancel();
          return Date.now();
        }
      }
    })();
    await sleep(300);
    await scenario.workers.get("k1@measure")!.kill();
    const reportedAt = await reported;
    const current = await worker();
    if (!current) console.log("the service worker was not running when the worker was killed: the badge waits for the alarm");
    else {
      const swSession = await session(current.webSocketDebuggerUrl);
      let badgeAt: number | null = null;
      while (Date.now() - reportedAt < 60_000 && badgeAt === null) {
        const text = await swSession.evaluate("chrome.action.getBadgeText({})");
        if (process.env.DEBUG)
          console.log(Date.now() - reportedAt, JSON.stringify(text), JSON.stringify(await swSession.evaluate("chrome.storage.local.get(null)")));
        if (text === "1") badgeAt = Date.now();
        else await sleep(50);
      }
      swSession.close();
      console.log(
        badgeAt === null
          ? "the badge never counted the worker within 60 s"
          : `badge counted the killed worker ${badgeAt - reportedAt} ms after the agent reported it offline`,
      );
    }

    // The agent gone: nothing arrives, nothing calls an extension API, Chrome stops the worker.
    scenario.agent.child.kill("SIGKILL");
    const goneAt = Date.now();
    let stoppedAfter: number | null = null;
    while (Date.now() - goneAt < 120_000 && stoppedAfter === null) {
      await sleep(1000);
      if (!(await worker())) stoppedAfter = Math.round((Date.now() - goneAt) / 1000);
    }
    console.log(
      stoppedAfter === null
        ? "agent killed: the service worker still ran 120 s later"
        : `agent killed: Chrome stopped the idle service worker ${stoppedAfter} s later (the alarm wakes it every 30 s)`,
    );
  } finally {
    await cleanUp();
  }
}

await main();
