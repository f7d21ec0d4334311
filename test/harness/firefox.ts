/**
 * Debian's firefox-esr, headless, with the unpacked dist/firefox installed, driven by puppeteer-core
 * over WebDriver BiDi (Playwright's Firefox needs its own patched build; stock Firefox speaks BiDi).
 *
 * The extension is installed with BiDi's webExtension.install (a temporary add-on), its
 * moz-extension UUID pinned by the `extensions.webextensions.uuids` pref so its pages' URLs are
 * known. `--remote-allow-system-access` is needed twice: BiDi refuses to navigate a tab to
 * moz-extension:// without it, and it lets `privileged` evaluate in the browser window's own
 * (chrome) scope, in the parent process. What is read there (the badge Firefox keeps for the
 * toolbar button, the background's state) is never asked of the extension, so reading it neither
 * wakes the event page nor resets its idle timer.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { REPO_ROOT } from "./deployment";

export const FIREFOX = "/usr/bin/firefox-esr";
export const FIREFOX_EXTENSION_DIR = join(REPO_ROOT, "dist", "firefox");
/** Any fixed UUID: the pref gives the extension this one. */
const UUID = "3c1f6a52-8e0d-4b7a-9f21-6d54c0b8e917";

interface BidiConnection {
  send(method: string, params: object): Promise<{ result: Record<string, unknown> }>;
}

/** What the parent process holds for the extension: its toolbar badge and its background's state ("running", "stopped"...). */
export interface ParentView {
  badge: string;
  title: string;
  background: string;
}

export interface FirefoxExtension {
  browser: Browser;
  version: string;
  geckoId: string;
  /** Opens an extension page (`popup.html`) in a new tab, once it has loaded. */
  open(path: string): Promise<Page>;
  /** Evaluates `expression` (which must give a string) in the browser window's privileged scope. */
  privileged(expression: string): Promise<string>;
  parentView(): Promise<ParentView>;
  close(): Promise<void>;
}

/** Polls `check` every `everyMs` until it answers true: when it first did (ms since epoch), or null after `timeoutMs`. */
export async function firstTrue(check: () => Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<number | null> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return Date.now();
    await sleep(everyMs);
  }
  return null;
}

/** The text of the first element matching `selector` in `page`, or null. */
export function textOf(page: Page, selector: string): Promise<string | null> {
  return page.evaluate((s) => document.querySelector<HTMLElement>(s)?.innerText ?? null, selector);
}

/** Replaces the stored agents from an extension page (the first becomes the current one). */
export async function storeAgents(page: Page, agents: readonly { id: string; name: string; url: string; token: null }[]): Promise<void> {
  await page.evaluate(
    (list) =>
      (globalThis as unknown as { browser: { storage: { local: { set(v: object): Promise<void> } } } }).browser.storage.local.set({
        agents: list,
        currentAgentId: list[0]?.id ?? null,
      }),
    agents,
  );
}

export async function launchFirefoxExtension(): Promise<FirefoxExtension> {
  if (!existsSync(FIREFOX)) throw new Error(`${FIREFOX} is missing: apt-get install firefox-esr`);
  const manifestPath = join(FIREFOX_EXTENSION_DIR, "manifest.json");
  if (!existsSync(manifestPath)) throw new Error(`${FIREFOX_EXTENSION_DIR} has no build: run \`npm run build\` first`);
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { browser_specific_settings: { gecko: { id: string } } };
  const geckoId = manifest.browser_specific_settings.gecko.id;

  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: FIREFOX,
    headless: true,
    args: ["--remote-allow-system-access"],
    extraPrefsFirefox: { "extensions.webextensions.uuids": JSON.stringify({ [geckoId]: UUID }) },
  });
  try {
    const version = await browser.version();
    await browser.installExtension(FIREFOX_EXTENSION_DIR);
    const bidi = (browser as unknown as { connection: BidiConnection }).connection;
    const tree = await bidi.send("browsingContext.getTree", { "moz:scope": "chrome" });
    const window = (tree.result.contexts as { context: string; url: string }[]).find((c) => c.url.endsWith("browser.xhtml"));
    if (!window) throw new Error("no browser window among Firefox's chrome contexts");

    const privileged = async (expression: string): Promise<string> => {
      const answer = await bidi.send("script.evaluate", { expression, target: { context: window.context }, awaitPromise: false, resultOwnership: "none" });
      const result = answer.result as { type: string; result?: { value?: string }; exceptionDetails?: { text: string } };
      if (result.type !== "success") throw new Error(`privileged evaluation failed: ${result.exceptionDetails?.text}`);
      return result.result!.value!;
    };

    return {
      browser,
      version,
      geckoId,
      privileged,
      async open(path) {
        const page = await browser.newPage();
        const url = `moz-extension://${UUID}/${path}`;
        // The tab does load it, but BiDi never reports that navigation as done here: poll the page instead.
        void page.goto(url, { timeout: 3000 }).catch(() => undefined);
        const loaded = await firstTrue(async () => (await page.evaluate(() => `${location.href} ${document.readyState}`)) === `${url} complete`, 15_000, 200);
        if (loaded === null) throw new Error(`${url} never loaded`);
        return page;
      },
      async parentView() {
        // The action's global values (no tab given), as ext-browserAction.js keeps them for the button.
        const expression = `(() => {
          const extension = WebExtensionPolicy.getByID(${JSON.stringify(geckoId)}).extension;
          const { ExtensionParent } = ChromeUtils.importESModule("resource://gre/modules/ExtensionParent.sys.mjs");
          const action = ExtensionParent.apiManager.global.browserActionFor(extension).action;
          return JSON.stringify({ badge: action.getProperty(null, "badgeText"), title: action.getProperty(null, "title"), background: extension.backgroundState });
        })()`;
        return JSON.parse(await privileged(expression)) as ParentView;
      },
      async close() {
        await browser.close().catch(() => browser.process()?.kill("SIGKILL"));
      },
    };
  } catch (error) {
    await browser.close().catch(() => browser.process()?.kill("SIGKILL"));
    throw error;
  }
}
