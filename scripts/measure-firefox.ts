/**
 * Measures how promptly the extension follows an agent in real Firefox (Debian's firefox-esr,
 * headless, dist/firefox): the open popup after a worker's SIGKILL and after the agent's, and the
 * toolbar badge with no extension page open, while watching whether Firefox unloads the
 * background (an event page there) as it follows the agent's event stream. Real redis-server,
 * real workers, the real agent.
 *
 *   npm run build && node --import tsx scripts/measure-firefox.ts
 *
 * Firefox is driven as test/harness/firefox.ts says. The badge and the background's state are
 * read in the browser window's privileged scope, in the parent process, from what Firefox keeps
 * for the toolbar button and for the extension: that read sends nothing to the extension, so it
 * neither wakes the event page nor resets its idle timer, and it can be repeated every 50 ms. It
 * shows the badge's text as the parent holds it (what the button is drawn from), not pixels:
 * headless Firefox draws no toolbar here.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Page } from "puppeteer-core";
import { startAgent, stopAll, type AgentProcess } from "../test/harness/deployment";
import { firstTrue, launchFirefoxExtension, storeAgents, textOf, type FirefoxExtension } from "../test/harness/firefox";
import { agentReportsOffline } from "../test/harness/event-stream";
import { startScenario } from "../test/harness/scenario";

const TRIALS = Number(process.env.TRIALS ?? 3);
const IDLE_WATCH_S = Number(process.env.IDLE_WATCH_S ?? 120);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const summary = (values: number[]) =>
  values.length ? `median ${median(values)} ms, range ${Math.min(...values)}–${Math.max(...values)} ms (${values.length} trials)` : "no trial";

async function main(): Promise<void> {
  const popupKills = Array.from({ length: TRIALS }, (_, i) => `p${i + 1}@measure`);
  const badgeKills = Array.from({ length: TRIALS }, (_, i) => `b${i + 1}@measure`);
  const unloadedKills = Array.from({ length: TRIALS }, (_, i) => `u${i + 1}@measure`);
  const scenario = await startScenario({
    workers: [
      { name: "w1@measure", pool: "prefork", concurrency: 1 },
      ...[...popupKills, ...badgeKills, ...unloadedKills].map((name) => ({ name, pool: "solo" as const })),
    ],
  });
  let firefox: FirefoxExtension | null = null;
  const cleanUp = async () => {
    await firefox?.close();
    await stopAll();
  };
  // Stopped early (Ctrl-C, a timeout): leave nothing running.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void cleanUp().then(() => process.exit(1)));

  try {
    firefox = await launchFirefoxExtension();
    const { version, geckoId, privileged, parentView, open } = firefox;
    /**
     * Records, in the browser window's scope, every reset of the background's idle timer and why
     * (an extension event by name, an API call handled in the parent by path): what keeps the
     * event page loaded. Listening to the extension's internal emitter changes nothing for it.
     */
    await privileged(`(() => {
      const extension = WebExtensionPolicy.getByID(${JSON.stringify(geckoId)}).extension;
      globalThis.idleResets = [];
      extension.on("background-script-reset-idle", (_, d) => idleResets.push([Date.now(), d.reason === "event" ? "event " + d.eventName : d.reason === "parentapicall" ? d.path : d.reason]));
      extension.on("background-script-suspend", () => idleResets.push([Date.now(), "SUSPEND"]));
      return "";
    })()`);
    /** The resets since `since`: counted by cause, and the longest time without one. */
    const idleResets = async (since: number, until: number) => {
      const all = JSON.parse(await privileged("JSON.stringify(idleResets)")) as [number, string][];
      const resets = all.filter(([at]) => at >= since && at <= until);
      const counts = new Map<string, number>();
      for (const [, why] of resets) counts.set(why, (counts.get(why) ?? 0) + 1);
      const gaps = (keep: (why: string) => boolean) => {
        const times = [since, ...resets.filter(([, why]) => keep(why)).map(([at]) => at), until];
        return Math.max(...times.slice(1).map((t, i) => t - times[i]!));
      };
      return {
        counts: [...counts].map(([why, n]) => `${why} ×${n}`).join(", "),
        longestGap: gaps(() => true),
        longestGapWithoutKeepAwake: gaps((why) => why !== "runtime.getPlatformInfo"),
      };
    };

    const popupLive = (page: Page) => firstTrue(async () => (await textOf(page, "section.current [data-age=current]")) === "live", 30_000, 200);

    console.log(`Firefox: ${version}, extension ${geckoId} installed (temporarily) from dist/firefox`);

    // a. The popup open: worker SIGKILLs.
    let popup = await open("popup.html");
    await storeAgents(popup, [{ id: "m", name: "measured", url: scenario.agent.url, token: null }]);
    if ((await popupLive(popup)) === null) throw new Error("the popup never showed the agent live");
    const popupFromKill: number[] = [];
    const popupFromReport: number[] = [];
    const agentDetect: number[] = [];
    for (const [i, name] of popupKills.entries()) {
      const says = agentReportsOffline(scenario.agent.url, name);
      await says.open;
      const killedAt = Date.now();
      await scenario.workers.get(name)!.kill();
      const shown = await firstTrue(async () => (await textOf(popup, 'section.current [data-stat="workers offline"] .value')) === String(i + 1), 45_000);
      if (shown === null) {
        console.log(`popup, worker ${name}: never showed it offline within 45 s`);
        continue;
      }
      // The popup learns it from the agent: the agent has said it by now.
      const reportedAt = await says.at;
      popupFromKill.push(shown - killedAt);
      popupFromReport.push(shown - reportedAt);
      agentDetect.push(reportedAt - killedAt);
      console.log(
        `popup, worker ${name}: agent reported it offline ${reportedAt - killedAt} ms after the kill, popup showed it ${shown - reportedAt} ms later`,
      );
    }

    // b. No extension page open: the background follows the stream on its own, if Firefox lets it.
    await popup.close();
    const closedAt = Date.now();
    const states: string[] = [];
    let last = "";
    for (let s = 0; s < IDLE_WATCH_S; s++) {
      const { background } = await parentView();
      if (background !== last) states.push(`${background} at ${Math.round((Date.now() - closedAt) / 1000)} s`);
      last = background;
      await sleep(1000);
    }
    const lifetime = states.length === 1 && last === "running" ? "running throughout" : states.join(", then ");
    console.log(`no page open, following the agent: the background was ${lifetime} (watched ${IDLE_WATCH_S} s after the popup closed)`);
    const watched = await idleResets(closedAt, Date.now());
    console.log(`  its idle timer was reset by: ${watched.counts}`);
    console.log(
      `  longest time without a reset: ${watched.longestGap} ms; not counting runtime.getPlatformInfo (the keep-awake call): ${watched.longestGapWithoutKeepAwake} ms`,
    );

    const badgeFromKill: number[] = [];
    const badgeFromReport: number[] = [];
    const offlineBefore = popupKills.length;
    for (const [i, name] of badgeKills.entries()) {
      // Kills at different points of the alarm's 30 s period, in case the background is unloaded between them.
      if (i > 0) await sleep(7000 + 4000 * i);
      const before = await parentView();
      const says = agentReportsOffline(scenario.agent.url, name);
      await says.open;
      const killedAt = Date.now();
      await scenario.workers.get(name)!.kill();
      const want = String(offlineBefore + i + 1);
      const shown = await firstTrue(async () => (await parentView()).badge === want, 60_000);
      if (shown === null) {
        const after = await parentView();
        console.log(`badge, worker ${name}: never counted it within 60 s (background ${before.background} at the kill, ${after.background} after)`);
        continue;
      }
      const reportedAt = await says.at;
      badgeFromKill.push(shown - killedAt);
      badgeFromReport.push(shown - reportedAt);
      console.log(
        `badge, worker ${name}: "${want}" ${shown - killedAt} ms after the kill, ${shown - reportedAt} ms after the agent reported it (background ${before.background} at the kill)`,
      );
    }

    // The fallback: the background unloaded as Firefox's idle timeout would (it did not happen by
    // itself above), then a worker killed. Only the alarm (every 30 s) wakes it to poll and follow again.
    const badgeUnloaded: number[] = [];
    const wokenBy: string[] = [];
    for (const [i, name] of unloadedKills.entries()) {
      await privileged(
        `(WebExtensionPolicy.getByID(${JSON.stringify(geckoId)}).extension.terminateBackground({ ignoreDevToolsAttached: true, disableResetIdleForTest: true }), "")`,
      );
      if ((await firstTrue(async () => (await parentView()).background === "stopped", 10_000, 100)) === null) throw new Error("the background did not unload");
      const killedAt = Date.now();
      await scenario.workers.get(name)!.kill();
      const want = String(offlineBefore + badgeKills.length + i + 1);
      const shown = await firstTrue(async () => (await parentView()).badge === want, 60_000);
      const first = JSON.parse(await privileged("JSON.stringify(idleResets)")) as [number, string][];
      const woke = first.find(([at]) => at >= killedAt);
      if (woke) wokenBy.push(`${woke[1]} after ${Math.round((woke[0] - killedAt) / 100) / 10} s`);
      if (shown === null) console.log(`badge, background unloaded, worker ${name}: never counted it within 60 s`);
      else {
        badgeUnloaded.push(shown - killedAt);
        console.log(`badge, background unloaded, worker ${name}: "${want}" ${shown - killedAt} ms after the kill (first woken by ${woke?.[1] ?? "?"})`);
      }
      // Following the stream again before the next unload.
      await sleep(5000);
    }

    // The agent killed with no page open: the badge's "!", then whether Firefox unloads the background.
    const badgeAgentKilled: number[] = [];
    {
      const killedAt = Date.now();
      scenario.agent.child.kill("SIGKILL");
      const shown = await firstTrue(async () => (await parentView()).badge.endsWith("!"), 60_000);
      if (shown !== null) badgeAgentKilled.push(shown - killedAt);
      console.log(shown === null ? "badge, agent killed: no ! within 60 s" : `badge, agent killed: "!" ${shown - killedAt} ms after the kill`);
      const stopped = await firstTrue(async () => (await parentView()).background === "stopped", 120_000, 1000);
      console.log(
        stopped === null
          ? "agent killed, no page open: the background still ran 120 s later"
          : `agent killed, no page open: Firefox unloaded the background ${Math.round((stopped - killedAt) / 1000)} s after the kill`,
      );
      const resets = await idleResets(killedAt, Date.now());
      console.log(`  its idle timer was reset by: ${resets.counts}; longest time without a reset: ${resets.longestGap} ms`);
    }

    // a. The popup open: the agent SIGKILLed (a fresh agent on the same broker per trial).
    const popupAgentKilled: number[] = [];
    popup = await open("popup.html");
    for (let i = 0; i < TRIALS; i++) {
      const agent: AgentProcess = await startAgent(["--broker", scenario.broker, "--result-backend", scenario.backend, "--name", `measured-${i + 1}`]);
      await storeAgents(popup, [{ id: `a${i + 1}`, name: `measured ${i + 1}`, url: agent.url, token: null }]);
      if ((await popupLive(popup)) === null) throw new Error(`the popup never showed agent ${i + 1} live`);
      await sleep(2000);
      const killedAt = Date.now();
      agent.child.kill("SIGKILL");
      const shown = await firstTrue(
        async () => (await popup.evaluate(() => document.querySelectorAll("section.current [data-connection=unreachable]").length)) === 1,
        45_000,
      );
      if (shown === null) console.log(`popup, agent ${i + 1} killed: never showed it unreachable within 45 s`);
      else {
        popupAgentKilled.push(shown - killedAt);
        console.log(`popup, agent ${i + 1} killed: unreachable ${shown - killedAt} ms after the kill`);
      }
    }
    await popup.close();

    console.log(`\nReport (${version}, headless, ${TRIALS} trials each)`);
    console.log(`  agent: worker SIGKILL -> reported offline on its stream: ${summary(agentDetect)}`);
    console.log(`  popup open, worker SIGKILL -> "1 offline": ${summary(popupFromKill)}; after the agent's report: ${summary(popupFromReport)}`);
    console.log(`  popup open, agent SIGKILL -> unreachable: ${summary(popupAgentKilled)}`);
    console.log(`  no page open, following the agent, the background: ${lifetime} over ${IDLE_WATCH_S} s`);
    console.log(`  no page open, worker SIGKILL -> badge counts it: ${summary(badgeFromKill)}; after the agent's report: ${summary(badgeFromReport)}`);
    console.log(`  no page open, agent SIGKILL -> badge "!": ${summary(badgeAgentKilled)}`);
    console.log(`  background unloaded first, worker SIGKILL -> badge counts it: ${summary(badgeUnloaded)}; woken by: ${wokenBy.join("; ")}`);
  } finally {
    await cleanUp();
  }
}

await main();
