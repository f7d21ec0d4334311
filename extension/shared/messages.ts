/**
 * Typed messages between extension pages and the background. The background registers its
 * handlers at the top level, so a message wakes a stopped MV3 service worker; a send that
 * races a restarting worker ("Receiving end does not exist") is retried once.
 */
import browser, { type Runtime } from "webextension-polyfill";
import type { AgentStatusMap } from "../background/status";

export interface MessageMap {
  /** Poll every agent now and answer the fresh statuses. */
  refresh: { request: Record<never, never>; response: AgentStatusMap };
}

export type MessageType = keyof MessageMap;
export type Message<K extends MessageType = MessageType> = { type: K } & MessageMap[K]["request"];
export type MessageHandlers = { [K in MessageType]: (message: Message<K>) => Promise<MessageMap[K]["response"]> };

function isMessage(value: unknown, handlers: MessageHandlers): value is Message {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { type?: unknown }).type === "string" &&
    Object.hasOwn(handlers, (value as { type: string }).type)
  );
}

export async function sendMessage<K extends MessageType>(message: Message<K>): Promise<MessageMap[K]["response"]> {
  try {
    return (await browser.runtime.sendMessage(message)) as MessageMap[K]["response"];
  } catch (error) {
    if (!String(error).includes("Receiving end does not exist")) throw error;
    await new Promise((resolve) => setTimeout(resolve, 200));
    return (await browser.runtime.sendMessage(message)) as MessageMap[K]["response"];
  }
}

/** Registers the handlers; messages of other shapes are left for other listeners. */
export function handleMessages(handlers: MessageHandlers): void {
  browser.runtime.onMessage.addListener((message: unknown) => {
    if (!isMessage(message, handlers)) return undefined;
    const handler = handlers[message.type] as (m: Message) => Promise<unknown>;
    return handler(message);
  });
}

/**
 * The link an open page keeps to the background: a port, pinged while the page is open. Chrome
 * counts a port message as activity (from Chrome 114), so the service worker is not stopped
 * while someone looks, and a port that disconnects tells the page at once that the background
 * went away (stopped, crashed, updated): it reconnects, which starts the worker again.
 */
const LINK_PORT = "celery-panel-link";
const LINK_PING_MS = 10_000;
const LINK_RETRY_MS = 500;

/** Keeps the page linked to the background; `onChange(true)` once the background answered. Returns a stop. */
export function linkToBackground(onChange: (linked: boolean) => void): () => void {
  let port: Runtime.Port | null = null;
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const connect = () => {
    if (stopped) return;
    const current = browser.runtime.connect({ name: LINK_PORT });
    port = current;
    current.onMessage.addListener(() => onChange(true));
    current.onDisconnect.addListener(() => {
      if (port === current) port = null;
      onChange(false);
      if (!stopped) retry = setTimeout(connect, LINK_RETRY_MS);
    });
  };
  connect();
  const ping = setInterval(() => port?.postMessage({ type: "ping" }), LINK_PING_MS);
  return () => {
    stopped = true;
    clearInterval(ping);
    clearTimeout(retry);
    port?.disconnect();
  };
}

/** The background's side: answers each page's link (and its pings) and calls `onLink` when one opens. */
export function acceptLinks(onLink: () => void): void {
  browser.runtime.onConnect.addListener((port) => {
    if (port.name !== LINK_PORT) return;
    port.postMessage({ type: "linked" });
    port.onMessage.addListener(() => port.postMessage({ type: "pong" }));
    onLink();
  });
}
