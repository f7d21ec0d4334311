/**
 * State the layers above the agent keep per agent: the overview's last answers and the one being
 * computed, the HTTP refusals counted for `health`, the event stream's batcher. It is held by the
 * agent (`agent.state`), so it lives and dies with it and two agents in one process never share
 * any, while only the module that uses a piece knows its shape: the agent names none of the
 * handlers' or the HTTP layer's types, and imports nothing from them.
 */

/** One piece of per-agent state: declared once, at the top level of the module that uses it. */
export interface StateKey<Owner, T> {
  /** What it is, for whoever reads the state in a debugger. */
  readonly name: string;
  /** Makes the piece for an agent, the first time it is asked for. */
  readonly create: (owner: Owner) => T;
}

export function stateKey<Owner, T>(name: string, create: (owner: Owner) => T): StateKey<Owner, T> {
  return { name, create };
}

export class PerAgentState<Owner> {
  private readonly pieces = new Map<StateKey<Owner, unknown>, unknown>();

  constructor(private readonly owner: Owner) {}

  get<T>(key: StateKey<Owner, T>): T {
    if (!this.pieces.has(key)) this.pieces.set(key, key.create(this.owner));
    return this.pieces.get(key) as T;
  }
}
