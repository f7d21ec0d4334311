/** What pages need to show agent statuses live: a link to the background, and a clock that ticks. */
import { createContext } from "preact";
import { useContext, useEffect, useState } from "preact/hooks";
import { linkToBackground } from "../shared/messages";

/** True while the page is linked to a running background (which then follows the agents' streams). */
export function useBackgroundLink(): boolean {
  const [linked, setLinked] = useState(false);
  useEffect(() => linkToBackground(setLinked), []);
  return linked;
}

/** Whether the page is linked to the background: provided once per page (one port), read by every status view. */
export const BackgroundLink = createContext(false);

export function useLinked(): boolean {
  return useContext(BackgroundLink);
}

/** The current time, re-read every `everyMs`: ages ("40 s ago") and freshness move on their own. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/**
 * Set inside data shown as last known (to the time it is from): relative times in it ("just
 * now") would read as current, so they show the clock time instead.
 */
export const LastKnownAt = createContext<number | null>(null);
