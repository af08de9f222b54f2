// The piles connected over OCPP whose connection is proven (identity.ts), in this relay process's
// memory: since when, their last message, the connector states they reported. One entry per
// pile: a newer proven connection of the same pile replaces the older one and closes it (a pile
// that reconnected before the relay saw its old link die). An unproven connection is never here,
// so a client claiming a pile's id cannot push the pile's own connection out.
//
// Through the registry the rest of the relay reaches a connected pile (`transfer`: a DataTransfer
// of our vendorId, e.g. the virtual channel's commands) and hears what a pile reports (`watch`:
// connector states, meter samples, billing records delivered over the uplink).

/** A connector's state as the pile's last StatusNotification for it said (OCPP 1.6 §4.9). */
export type ConnectorState = { connectorId: number; status: string; errorCode: string; timestamp?: string; reportedAtS: number };

export type Uplink = {
  pileId: string;
  connectedAtS: number;
  provenAtS: number;
  lastSeenAtS: number;
  /** The pile's clock minus the relay's when it signed its proof, s: the pile's clock signs billing records. */
  pileClockOffsetS: number;
  connectors: Map<number, ConnectorState>;
};

/** The DataTransfer.conf a pile answered (valid against the OCPP 1.6 schema). */
export type TransferAnswer = { status: string; data?: string };

/** A DataTransfer of our vendorId to the pile over its proven connection; rejects when the call fails (timeout, disconnected, CALLERROR). */
export type Transfer = (messageId: string, data: string | undefined) => Promise<TransferAnswer>;

/** What a connected pile reported, as it arrived. */
export type UplinkEvent =
  | { kind: 'status'; connector: ConnectorState }
  | { kind: 'meter'; connectorId: number; transactionId: number | undefined; energyWh: number | undefined; powerW: number | undefined; atS: number }
  | { kind: 'record'; seq: number; recordKind: 'contract' | 'receipt'; status: 'accepted' | 'duplicate' | 'rejected' }
  | { kind: 'disconnected' };

export type UplinkListener = (event: UplinkEvent) => void;

type Entry = { uplink: Uplink; close: () => void; transfer: Transfer };

export class UplinkRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #listeners = new Map<string, Set<UplinkListener>>();

  /** A connection proved it is `uplink.pileId`'s; `close` ends it when a newer one replaces it. */
  proven(uplink: Uplink, close: () => void, transfer: Transfer): void {
    const older = this.#entries.get(uplink.pileId);
    this.#entries.set(uplink.pileId, { uplink, close, transfer });
    older?.close();
  }

  /** The connection of `uplink` ended (nothing happens when a newer one has replaced it). */
  ended(uplink: Uplink): void {
    if (this.#entries.get(uplink.pileId)?.uplink !== uplink) return;
    this.#entries.delete(uplink.pileId);
    this.publish(uplink.pileId, { kind: 'disconnected' });
  }

  /** The pile's proven connection, if it has one now. */
  connected(pileId: string): Uplink | undefined {
    return this.#entries.get(pileId)?.uplink;
  }

  /** A DataTransfer to the pile; undefined when the pile has no proven connection now. */
  transfer(pileId: string, messageId: string, data: string | undefined): Promise<TransferAnswer> | undefined {
    return this.#entries.get(pileId)?.transfer(messageId, data);
  }

  /** Calls `listener` with each event of pile `pileId` from now on; the answer unsubscribes. */
  watch(pileId: string, listener: UplinkListener): () => void {
    let listeners = this.#listeners.get(pileId);
    if (!listeners) this.#listeners.set(pileId, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#listeners.get(pileId) === listeners) this.#listeners.delete(pileId);
    };
  }

  /** Tells the pile's watchers; a listener that throws does not stop the others. */
  publish(pileId: string, event: UplinkEvent): void {
    for (const listener of [...(this.#listeners.get(pileId) ?? [])]) {
      try {
        listener(event);
      } catch {
        // a watcher's own failure is its own
      }
    }
  }

  /** Every proven connection, by pile id. */
  list(): Uplink[] {
    return [...this.#entries.values()].map((entry) => entry.uplink).sort((a, b) => (a.pileId < b.pileId ? -1 : 1));
  }
}
