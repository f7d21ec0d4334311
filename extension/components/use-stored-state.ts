/** The stored agents, current agent and statuses, kept fresh across every extension page. */
import { useEffect, useState } from "preact/hooks";
import { onStateChange, readState, type StoredState } from "../agents/store";

/** Null while the first read is under way. */
export function useStoredState(): StoredState | null {
  const [state, setState] = useState<StoredState | null>(null);
  useEffect(() => {
    let live = true;
    const load = () => void readState().then((next) => live && setState(next));
    load();
    const off = onStateChange(load);
    return () => {
      live = false;
      off();
    };
  }, []);
  return state;
}
