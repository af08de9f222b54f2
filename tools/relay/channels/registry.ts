// The virtual channels (R9) of this relay process, in its memory — like the uplink registry, since
// a pile's OCPP connection lives in one process. Bounded: one channel per user (a newer one
// replaces the older unless that one runs a contract or has a start or stop on its way: 409
// channel-busy), at most STREAMS_PER_CHANNEL event streams per channel (a newer one closes the
// oldest), and a channel whose contract is not running is forgotten once idle for CHANNEL_IDLE_MS.
// A channel with a running contract stays until its receipt is held or the user opens another once
// it is; what it holds is only the way back to the pile: every billable thing is in the database.
import { randomBytes } from 'node:crypto';
import type { Tariff } from '../../../contracts-offline/messages/fields.ts';
import type { ChannelEvent } from '../../relay-api/routes.ts';
import { HttpError } from '../errors.ts';

/** A channel without a running contract is forgotten this long after its last use: a tap nonce's lifetime. */
const CHANNEL_IDLE_MS = 15 * 60_000;
const STREAMS_PER_CHANNEL = 4;
/** Idle channels are looked for at most this often (each look visits every channel). */
const SWEEP_EVERY_MS = 60_000;

/** What the channel needs of its contract: to tell its meter samples apart and price them. */
export type ChannelContract = { seq: number; startAtS: number; startMeterWh: number; tariff: Tariff; capMinor: number };

/** One event stream of the channel (event-stream.ts). */
export type ChannelStream = { send(event: ChannelEvent): void; close(): void };

export type Channel = {
  readonly channelId: string;
  readonly userKid: string;
  readonly pileId: string;
  /** The nonce of the channel's last ChannelSelect not yet spent, and when (relay ms) the pile issued it. */
  nonce: { bytes: Uint8Array; atMs: number } | undefined;
  /** The pile's config version as the channel last learnt it: its last PileHello, or the update written since (0 before the first). */
  pileConfigVersion: number;
  contract: ChannelContract | undefined;
  /** Its contract's receipt is held (the stop's answer or a record event said so). */
  ended: boolean;
  /** A START or STOP is on its way to the pile. */
  busy: boolean;
  lastUsedMs: number;
  readonly streams: ChannelStream[];
};

const running = (channel: Channel): boolean => channel.contract !== undefined && !channel.ended;
const idledOut = (channel: Channel, nowMs: number): boolean => !running(channel) && !channel.busy && nowMs - channel.lastUsedMs > CHANNEL_IDLE_MS;

export class ChannelRegistry {
  readonly #byId = new Map<string, Channel>();
  readonly #byUser = new Map<string, Channel>();
  #sweptAtMs = 0;

  /** The user's channel, if one is kept now. */
  ofUser(userKid: string, nowMs: number): Channel | undefined {
    return this.#kept(this.#byUser.get(userKid), nowMs);
  }

  /** A new channel of `userKid` to `pileId`; the user's older channel (which must not run a contract) is closed. */
  open(userKid: string, pileId: string, nowMs: number): Channel {
    const older = this.ofUser(userKid, nowMs);
    if (older && (running(older) || older.busy)) {
      throw new HttpError('channel-busy', `channel ${older.channelId} at pile ${older.pileId} ${older.busy ? 'has a start or stop on its way' : `runs contract ${older.contract!.seq}: stop it first`}`);
    }
    if (older) this.#forget(older);
    const channel: Channel = {
      channelId: randomBytes(16).toString('hex'), userKid, pileId, nonce: undefined, pileConfigVersion: 0, contract: undefined, ended: false, busy: false, lastUsedMs: nowMs, streams: [],
    };
    this.#byId.set(channel.channelId, channel);
    this.#byUser.set(userKid, channel);
    return channel;
  }

  /** The channel `channelId` of `userKid` (404 unknown-channel, 403 not-channel-user), its use noted. */
  use(channelId: string, userKid: string, nowMs: number): Channel {
    const channel = this.#kept(this.#byId.get(channelId.toLowerCase()), nowMs);
    if (!channel) throw new HttpError('unknown-channel', `no channel ${channelId} is open (it ended, was replaced, or idled out): open a new one`);
    if (channel.userKid !== userKid) throw new HttpError('not-channel-user', `channel ${channelId} is not user ${userKid}'s`);
    channel.lastUsedMs = nowMs;
    return channel;
  }

  /** Adds an event stream; beyond STREAMS_PER_CHANNEL the oldest is closed. Answers its removal. */
  attach(channel: Channel, stream: ChannelStream): () => void {
    channel.streams.push(stream);
    if (channel.streams.length > STREAMS_PER_CHANNEL) channel.streams.shift()!.close();
    return () => {
      const at = channel.streams.indexOf(stream);
      if (at >= 0) channel.streams.splice(at, 1);
    };
  }

  // The channel unless it idled out; now and then every idle channel is forgotten.
  #kept(channel: Channel | undefined, nowMs: number): Channel | undefined {
    if (nowMs - this.#sweptAtMs >= SWEEP_EVERY_MS) {
      this.#sweptAtMs = nowMs;
      for (const each of this.#byId.values()) if (idledOut(each, nowMs)) this.#forget(each);
    }
    if (!channel || !idledOut(channel, nowMs)) return channel;
    this.#forget(channel);
    return undefined;
  }

  #forget(channel: Channel): void {
    this.#byId.delete(channel.channelId);
    if (this.#byUser.get(channel.userKid) === channel) this.#byUser.delete(channel.userKid);
    for (const stream of [...channel.streams]) stream.close();
  }
}

/** Marks the channel busy while `work` talks to the pile (409 channel-busy for a second request meanwhile). */
export async function whileBusy<T>(channel: Channel, work: () => Promise<T>): Promise<T> {
  if (channel.busy) throw new HttpError('channel-busy', `a start or stop of channel ${channel.channelId} is on its way to the pile`);
  channel.busy = true;
  try {
    return await work();
  } finally {
    channel.busy = false;
  }
}
