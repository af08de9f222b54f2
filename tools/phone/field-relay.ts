// Tap 1's one round trip to the relay (design §1 R3: the phone asks, with the pile id it just
// read, whether the pile needs an update, and writes it in the same tap). Every read the tap needs
// goes out at once — the relay key when none is pinned, the pile key when unknown, the update
// offer, the pile's Ack when its outbox is not empty — and they are awaited together, bounded by
// the field timeout. Past it the requests are abandoned and the tap goes on offline; nothing
// here writes to the wallet, so an answer that comes late changes nothing.
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import type { PileHello } from '../../contracts-offline/messages/pile-hello.ts';
import { PhoneError, RelayError, RelayUnreachableError } from './errors.ts';
import type { PileUpdateOffer, RelayClient } from './relay-client.ts';

/** What a tap waited on the network while the phone was held to the pile. */
export type RelayInField = {
  /** 1 when the tap asked the relay (tap 1 with a relay configured), else 0. */
  roundTrips: 0 | 1;
  /** Time spent waiting for the relay's answers, on the phone's clock (`nowMs`). */
  waitedMs: number;
  /** No complete answer within the field timeout: the tap went on offline, late answers ignored. */
  timedOut: boolean;
  /** The relay's answers were used (false: nothing asked, unreachable, or timed out). */
  answered: boolean;
};

export const NO_RELAY_IN_FIELD: RelayInField = Object.freeze({ roundTrips: 0, waitedMs: 0, timedOut: false, answered: false });

/** What to ask besides the update offer: each only when the wallet does not know it yet. */
export type FieldQuestions = { relayKey: boolean; pileKey: boolean; pileAck: boolean };

/** The relay's answers, not yet checked against the pinned key (the caller does that). */
export type FieldAnswers = { relayPublicKey?: Uint8Array; pilePublicKey?: Uint8Array; offer?: PileUpdateOffer; pileAck?: Uint8Array };

/**
 * The round trip. Resolves offline (no answers) when the relay is unreachable or slower than
 * `timeoutMs`; throws PhoneError 'pile-not-genuine' when the relay does not know the pile, and any
 * other refusal of the relay as it is.
 */
export async function askRelayInField(relay: RelayClient, hello: PileHello, ask: FieldQuestions, timing: { timeoutMs: number; nowMs: () => number }): Promise<{ relayInField: RelayInField; answers?: FieldAnswers }> {
  const startedMs = timing.nowMs();
  const controller = new AbortController();
  const read = { signal: controller.signal };
  const all = Promise.all([
    ask.relayKey ? relay.relayInfo(read).then((info) => info.relayPublicKey) : undefined,
    ask.pileKey ? relay.pile(hello.pileId, read).then((entry) => hexToBytes(entry.publicKey)) : undefined,
    relay.pileUpdate(hello.pileId, hello.configVersion, read),
    ask.pileAck ? relay.pileAck(hello.pileId, read) : undefined,
  ]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timing.timeoutMs);
  });
  const report = (timedOut: boolean, answered: boolean): RelayInField => ({ roundTrips: 1, waitedMs: Math.max(0, timing.nowMs() - startedMs), timedOut, answered });
  try {
    const outcome = await Promise.race([all, timeout]);
    if (outcome === 'timeout') return { relayInField: report(true, false) };
    const [relayPublicKey, pilePublicKey, offer, pileAck] = outcome;
    return { relayInField: report(false, true), answers: { ...(relayPublicKey && { relayPublicKey }), ...(pilePublicKey && { pilePublicKey }), ...(offer && { offer }), ...(pileAck && { pileAck }) } };
  } catch (error) {
    if (error instanceof RelayUnreachableError) return { relayInField: report(false, false) };
    if (error instanceof RelayError && error.code === 'unknown-pile') throw new PhoneError('pile-not-genuine', `pile ${bytesToHex(hello.pileId)} is not registered at the relay`);
    throw error;
  } finally {
    clearTimeout(timer);
    controller.abort(); // whatever is still in flight is abandoned
  }
}

