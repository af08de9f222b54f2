// A TEST STAND-IN for the verifier relay (tools/relay), just enough for the scripted day: it signs
// with the rig's fixed TEST relay key (test/support/pile-rig.ts — public test material) the
// vouchers, stop requests, pile updates and acks the real relay would sign, and keeps the pile's
// records the phones upload. It checks nothing the pile does not check itself; the tests do.
import { bytesToHex } from '../../../contracts-offline/bytes.ts';
import type { Ed25519Provider } from '../../../contracts-offline/crypto.ts';
import type { KeyPair } from '../../../contracts-offline/keys.ts';
import { ACK_MAX_RANGES, type SeqRange, encodeAck } from '../../../contracts-offline/messages/ack.ts';
import { encodeAuthorization } from '../../../contracts-offline/messages/authorization.ts';
import type { Tariff } from '../../../contracts-offline/messages/fields.ts';
import type { ChargeLimit } from '../../../contracts-offline/charge-limit.ts';
import { type PileUpdate, encodePileUpdate } from '../../../contracts-offline/messages/pile-update.ts';
import { encodeStopRequest } from '../../../contracts-offline/messages/stop-request.ts';
import { signMessage } from '../../../contracts-offline/signed.ts';
import { pileId, pileUpdate, relayKey, tariff } from '../pile-rig.ts';

/** How long a voucher is valid after it is issued, s. */
const voucherLifetimeS = 600;

/** Tariff of each config version the day uses (version 1 is the one the pile is provisioned with). */
export function tariffOf(configVersion: number): Tariff {
  return { ...tariff, version: configVersion, energyMinorPerKwh: tariff.energyMinorPerKwh + 5 * (configVersion - 1) };
}

const updates = new Map<number, PileUpdate>();
function updateOf(configVersion: number): PileUpdate {
  let update = updates.get(configVersion);
  if (!update) updates.set(configVersion, (update = pileUpdate(configVersion, { tariff: tariffOf(configVersion) }).update));
  return update;
}

export type Upload = { seq: number; signed: Uint8Array; phone: string; via: 'START' | 'STOP' | 'OUTBOX' };

export class TestRelay {
  /** Every upload of a pile-signed record, in order (a record may come more than once). */
  readonly uploads: Upload[] = [];
  /** Signed bytes per billing seq, as first received. */
  readonly received = new Map<number, Uint8Array>();
  /** Seqs a delivered Ack covered (the pile answered the ACK with 9000). */
  readonly acknowledged = new Set<number>();
  readonly #crypto: Ed25519Provider | undefined;
  #vouchers = 0;

  constructor(crypto?: Ed25519Provider) {
    this.#crypto = crypto;
  }

  #sign(messageBytes: Uint8Array): Uint8Array {
    return signMessage(messageBytes, relayKey.secretKey, { kid: relayKey.kid, ...(this.#crypto ? { crypto: this.#crypto } : {}) });
  }

  /** A voucher for `user` over the pile nonce of their tap 1 (the relay checked the user's own signed request). */
  voucher(pileNonce: Uint8Array, user: KeyPair, limit: ChargeLimit, capMinor: number, tariffVersion: number, nowS: number): Uint8Array {
    this.#vouchers++;
    const voucherId = Uint8Array.of(0x70, 0xc4, 0xda, 0x70, 0, 0, this.#vouchers >> 8, this.#vouchers & 0xff);
    return this.#sign(encodeAuthorization({
      voucherId, userKid: user.kid, pileId, pileNonce, limit, capMinor, tariffVersion, expiresAtS: nowS + voucherLifetimeS,
    }));
  }

  /** A stop the user asked for in the app, relay-signed over a nonce of the tap that carries it. */
  stop(pileNonce: Uint8Array, contractSeq: number, nowS: number): Uint8Array {
    return this.#sign(encodeStopRequest({ pileId, contractSeq, pileNonce, atS: nowS }));
  }

  update(configVersion: number): Uint8Array {
    return this.#sign(encodePileUpdate(updateOf(configVersion)));
  }

  /** A phone uploads pile-signed records; a seq that comes back with other bytes is a pile fault. */
  receive(records: readonly { seq: number; signed: Uint8Array }[], phone: string, via: Upload['via']): void {
    for (const { seq, signed } of records) {
      const earlier = this.received.get(seq);
      if (earlier && bytesToHex(earlier) !== bytesToHex(signed)) throw new Error(`test relay: seq ${seq} came with two different contents`);
      if (!earlier) this.received.set(seq, signed.slice());
      this.uploads.push({ seq, signed: signed.slice(), phone, via });
    }
  }

  /** The largest s such that records 1..s are all received: OUTBOX asks for what follows. */
  contiguousSeq(): number {
    let seq = 0;
    while (this.received.has(seq + 1)) seq++;
    return seq;
  }

  /** An Ack for the received records the pile has not confirmed yet (at most 16 ranges), or none. */
  pendingAck(nowS: number): { signed: Uint8Array; seqs: number[] } | undefined {
    const seqs = [...this.received.keys()].filter((seq) => !this.acknowledged.has(seq)).sort((a, b) => a - b);
    const ranges: SeqRange[] = [];
    const covered: number[] = [];
    for (const seq of seqs) {
      const last = ranges[ranges.length - 1];
      if (last && last.toSeq === seq - 1) last.toSeq = seq;
      else if (ranges.length < ACK_MAX_RANGES) ranges.push({ fromSeq: seq, toSeq: seq });
      else break;
      covered.push(seq);
    }
    if (ranges.length === 0) return undefined;
    return { signed: this.#sign(encodeAck({ pileId, ranges, atS: nowS })), seqs: covered };
  }

  /** The pile answered the Ack with 9000: these records are acknowledged. */
  confirm(seqs: readonly number[]): void {
    for (const seq of seqs) this.acknowledged.add(seq);
  }
}
