/**
 * A periodic-task schedule kept beside the broker (RedBeat on Redis), read on demand. Not a broker
 * capability: the broker transport only says where it lives (protocol/brokers.ts opens it).
 */
import type { BrokerConnection, PeriodicStore, StoredPeriodicEntry } from "../../protocol/transport";

export class PeriodicStoreSource {
  constructor(
    private readonly broker: Pick<BrokerConnection, "status">,
    private readonly store: PeriodicStore | null,
  ) {}

  /** Where the entries under `prefix` were read from. */
  describe(prefix: string): string | null {
    return this.store?.describe(prefix) ?? null;
  }

  /** The store's entries under `prefix`; [] when there is no store, the broker is away, or it cannot be read. */
  async entries(prefix: string): Promise<StoredPeriodicEntry[]> {
    if (!this.store || this.broker.status().state !== "connected") return [];
    return this.store.read(prefix).catch(() => []);
  }
}
