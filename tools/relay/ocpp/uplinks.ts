// The piles connected over OCPP whose connection is proven (identity.ts), in this relay process's
// memory: since when, their last message, the connector states they reported. One entry per
// pile: a newer proven connection of the same pile replaces the older one and closes it (a pile
// that reconnected before the relay saw its old link die). An unproven connection is never here,
// so a client claiming a pile's id cannot push the pile's own connection out.

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

type Entry = { uplink: Uplink; close: () => void };

export class UplinkRegistry {
  readonly #entries = new Map<string, Entry>();

  /** A connection proved it is `uplink.pileId`'s; `close` ends it when a newer one replaces it. */
  proven(uplink: Uplink, close: () => void): void {
    const older = this.#entries.get(uplink.pileId);
    this.#entries.set(uplink.pileId, { uplink, close });
    older?.close();
  }

  /** The connection of `uplink` ended (nothing happens when a newer one has replaced it). */
  ended(uplink: Uplink): void {
    if (this.#entries.get(uplink.pileId)?.uplink === uplink) this.#entries.delete(uplink.pileId);
  }

  /** Every proven connection, by pile id. */
  list(): Uplink[] {
    return [...this.#entries.values()].map((entry) => entry.uplink).sort((a, b) => (a.pileId < b.pileId ? -1 : 1));
  }
}
