/**
 * Debian's headless Chromium with the built extension (dist/chrome) loaded unpacked, driven by
 * playwright-core. See /work/shared/docs/extension-testing.md for why these flags.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { chromium, type BrowserContext, type Page, type Worker } from "playwright-core";
import { REPO_ROOT, RedisServer, stopAll } from "./deployment";

export const EXTENSION_DIR = join(REPO_ROOT, "dist", "chrome");
export const ARTIFACTS_DIR = join(REPO_ROOT, "test-artifacts");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

declare global {
  /** The bits of the `chrome` API the tests call inside the extension (evaluate runs there, not here). */
  const chrome: {
    action: {
      getBadgeText(details: object): Promise<string>;
      getTitle(details: object): Promise<string>;
      getBadgeBackgroundColor(details: object): Promise<[number, number, number, number]>;
    };
    notifications: { getAll(): Promise<Record<string, boolean>> };
    alarms: { get(name: string): Promise<unknown> };
    storage: { local: { set(items: object): Promise<void>; get(key: string): Promise<Record<string, unknown>> } };
    runtime: { sendMessage(message: object): Promise<unknown> };
  };
}

/** An agent as the extension stores it (extension/agents/agents.ts). */
export interface StoredAgent {
  id: string;
  name: string;
  url: string;
  token: string | null;
  notify?: boolean;
}

/**
 * Waits until `selector` on the page shows text matching `pattern`; returns that text.
 * Matching is on textContent: table cells join without spaces ("Namestaging").
 * On a timeout, saves a screenshot and says what the page showed instead.
 */
export async function waitForText(page: Page, selector: string, pattern: RegExp, timeout = 15_000): Promise<string> {
  const locator = page.locator(selector).filter({ hasText: pattern }).first();
  try {
    await locator.waitFor({ timeout });
  } catch (error) {
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    const shot = join(ARTIFACTS_DIR, `failure-${Date.now()}.png`);
    await page.screenshot({ path: shot }).catch(() => undefined);
    const shown = await page
      .locator("body")
      .innerText()
      .catch(() => "(page gone)");
    throw new Error(`${selector} never showed ${pattern} (screenshot ${shot}); the page showed:\n${shown.slice(0, 1500)}`, { cause: error });
  }
  return locator.innerText();
}

/** Asks the background to poll every agent now (what opening the popup does). */
export async function refreshStatuses(page: Page): Promise<void> {
  await page.evaluate(() => chrome.runtime.sendMessage({ type: "refresh" }));
}

export interface ExtensionBrowser {
  context: BrowserContext;
  extensionId: string;
  /** The background service worker (it may be restarted by Chromium: use `worker()`). */
  worker(): Promise<Worker>;
  open(path: string): Promise<Page>;
  /** Takes `page` to the extension's panel at `#/hash` and waits for the view named `view` to render. */
  showView(page: Page, hash: string, view: string): Promise<void>;
  /** The toolbar badge text and title, as the background set them. */
  badge(): Promise<{ text: string; title: string }>;
  /** The toolbar badge's background colour, as `#rrggbb`. */
  badgeColor(): Promise<string>;
  /** Replaces the stored agents (and picks the current one), as a person would through the popup. */
  setAgents(agents: readonly StoredAgent[], currentId?: string): Promise<void>;
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

/** Chromium's flags for loading the unpacked build in `dir` here (see the doc named above for why). */
export function chromiumArgs(dir: string): string[] {
  return [
    `--disable-extensions-except=${dir}`,
    `--load-extension=${dir}`,
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ];
}

export async function launchExtension(): Promise<ExtensionBrowser> {
  if (!existsSync(join(EXTENSION_DIR, "manifest.json"))) throw new Error(`${EXTENSION_DIR} has no build: run \`npm run build\` first`);
  const profile = mkdtempSync(join(tmpdir(), "celery-panel-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: chromiumArgs(EXTENSION_DIR),
  });
  const worker = async () => context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker", { timeout: 15_000 }));
  const extensionId = new URL((await worker()).url()).host;
  mkdirSync(ARTIFACTS_DIR, { recursive: true });

  return {
    context,
    extensionId,
    worker,
    async open(path) {
      const page = await context.newPage();
      await page.goto(`chrome-extension://${extensionId}/${path}`);
      return page;
    },
    async showView(page, hash, view) {
      await page.goto(`chrome-extension://${extensionId}/panel.html#/${hash}`);
      await page.locator(`[data-view="${view}"]`).waitFor();
    },
    async badge() {
      return (await worker()).evaluate(async () => ({ text: await chrome.action.getBadgeText({}), title: await chrome.action.getTitle({}) }));
    },
    async badgeColor() {
      const [r, g, b] = await (await worker()).evaluate(() => chrome.action.getBadgeBackgroundColor({}));
      return `#${[r, g, b].map((c) => c.toString(16).padStart(2, "0")).join("")}`;
    },
    async setAgents(agents, currentId) {
      await (await worker()).evaluate(([list, current]) => chrome.storage.local.set({ agents: list, currentAgentId: current }), [
        agents,
        currentId ?? agents[0]?.id ?? null,
      ] as const);
    },
    async screenshot(page, name) {
      const path = join(ARTIFACTS_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: false });
      return path;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What an end-to-end file drives, once `before` has run (see browserSession). */
export interface BrowserSession<D> {
  /** The private redis-server the deployment runs on. */
  redis: RedisServer;
  /** What `start` returned: the agent, ids of the tasks it sent... */
  deployment: D;
  browser: ExtensionBrowser;
  /** A blank page, for the web panel the agent serves. */
  page: Page;
}

/**
 * The before and after of an end-to-end file: before its tests, a private redis-server
 * (`redisOptions`), then `start(redis)` (workers, the agent, what it waits for), then Chromium with
 * the built extension and a page; after them, the browser closed, every process the harness
 * started stopped, the redis-server's directory removed (whatever failed half-way).
 */
export function browserSession<D>(start: (redis: RedisServer) => Promise<D>, redisOptions: { password?: string } = {}): BrowserSession<D> {
  const session = {} as BrowserSession<D>;
  before(async () => {
    session.redis = await RedisServer.start(redisOptions);
    session.deployment = await start(session.redis);
    session.browser = await launchExtension();
    session.page = await session.browser.context.newPage();
  });
  after(async () => {
    await session.browser?.close();
    await stopAll();
    await session.redis?.destroy();
  });
  return session;
}
