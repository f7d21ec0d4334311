/**
 * Typed messages between extension pages and the background. The background registers its
 * handlers at the top level, so a message wakes a stopped MV3 service worker; a send that
 * races a restarting worker ("Receiving end does not exist") is retried once.
 */
import browser from "webextension-polyfill";
import type { AgentStatusMap } from "../background/status";

export interface MessageMap {
  /** Poll every agent now and answer the fresh statuses. */
  refresh: { request: Record<never, never>; response: AgentStatusMap };
}

export type MessageType = keyof MessageMap;
export type Message<K extends MessageType = MessageType> = { type: K } & MessageMap[K]["request"];
export type MessageHandlers = { [K in MessageType]: (message: Message<K>) => Promise<MessageMap[K]["response"]> };

function isMessage(value: unknown, handlers: MessageHandlers): value is Message {
  return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string" && Object.hasOwn(handlers, (value as { type: string }).type);
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
