// TEST DOUBLE of PileServices (firmware/pile-services.ts) for the NFC application's own tests: it
// records every call, keeps sessions and an outbox in memory, signs real Contracts and Receipts
// with the pile key, and can be told to refuse the next call. It is not the session engine (that is
// firmware/pile.ts, tested through APDUs in the scenario tests).
import { nobleEd25519 } from '../../contracts-offline/crypto.ts';
import type { SeqRange } from '../../contracts-offline/messages/ack.ts';
import type { StartRefusal } from '../../contracts-offline/display-text.ts';
import type { Authorization } from '../../contracts-offline/messages/authorization.ts';
import { encodeContract } from '../../contracts-offline/messages/contract.ts';
import type { PileState } from '../../contracts-offline/messages/fields.ts';
import type { PileUpdate } from '../../contracts-offline/messages/pile-update.ts';
import { encodeReceipt } from '../../contracts-offline/messages/receipt.ts';
import type { UserHello } from '../../contracts-offline/messages/user-hello.ts';
import type { KeyPair } from '../../contracts-offline/keys.ts';
import { signMessageWith } from '../../contracts-offline/signed.ts';
import { fail } from '../../contracts-offline/result.ts';
import type { PileConfig, PileOutcome, PileRefusalStatus, PileServices, PileSigner, SignatureCheck, SignedOutcome, UserArrival } from '../../firmware/pile-services.ts';

export type RecordedCall = { method: string; args: unknown[] };

type Session = { contractSeq: number; userKid: Uint8Array; receipt: Uint8Array | undefined };

export class RecordingPileServicesDouble implements PileServices {
  readonly pileId: Uint8Array;
  readonly firmwareVersion = '0.1.0-double';
  readonly relayPublicKey: Uint8Array;
  readonly signer: PileSigner;
  readonly calls: RecordedCall[] = [];
  /** Signatures made with the pile key. */
  signatures = 0;
  nowSValue: number;
  pileState: PileState = 'preparing';
  pileConfig: PileConfig;
  /** The next mutating call (applyUpdate, startSession, stopSession, acknowledge) answers this refusal. */
  refuseNext: { code: PileRefusalStatus; reason: string } | undefined;
  /** Makes the next call of this method throw (a device fault inside the pile). */
  throwNext: string | undefined;
  readonly outboxRecords: { seq: number; bytes: Uint8Array }[] = [];
  readonly sessions: Session[] = [];
  #nextSeq = 1;

  constructor(options: { pileId: Uint8Array; pileKeys: KeyPair; relayPublicKey: Uint8Array; nowS: number }) {
    this.pileId = options.pileId;
    this.relayPublicKey = options.relayPublicKey;
    this.nowSValue = options.nowS;
    const { secretKey, kid } = options.pileKeys;
    const sign = (toBeSigned: Uint8Array): Uint8Array => {
      this.signatures++;
      return nobleEd25519.sign(toBeSigned, secretKey);
    };
    this.signer = {
      kid,
      sign,
      signWhile(toBeSigned, work) {
        const signature = sign(toBeSigned);
        work();
        return signature;
      },
    };
    this.pileConfig = {
      configVersion: 3,
      tariff: { version: 3, energyMinorPerKwh: 35, timeMinorPerHour: 60, sessionFeeMinor: 50 },
      label: 'Double bay 1',
      maxPowerW: 11_000,
    };
  }

  /** Calls of the methods that change the pile. */
  get mutations(): RecordedCall[] {
    return this.calls.filter((c) => ['greet', 'applyUpdate', 'startSession', 'stopSession', 'acknowledge'].includes(c.method));
  }

  #record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    if (this.throwNext === method) {
      this.throwNext = undefined;
      throw new Error(`double: ${method} fault`);
    }
  }

  #refusal<T>(): PileOutcome<T> | undefined {
    const refusal = this.refuseNext;
    if (!refusal) return undefined;
    this.refuseNext = undefined;
    return fail(refusal.code, refusal.reason);
  }

  state(): PileState {
    this.#record('state');
    return this.pileState;
  }

  config(): PileConfig {
    this.#record('config');
    return this.pileConfig;
  }

  greet(user: UserHello, arrival: UserArrival): void {
    this.#record('greet', user, arrival);
  }

  applyUpdate(update: PileUpdate, signedBytes: Uint8Array): PileOutcome<void> {
    this.#record('applyUpdate', update, signedBytes);
    const refusal = this.#refusal<void>();
    if (refusal) return refusal;
    this.pileConfig = { configVersion: update.configVersion, tariff: update.tariff, label: update.label, maxPowerW: update.maxPowerW };
    return { ok: true, value: undefined };
  }

  /** As the pile: a forged voucher (`checkSignature` says no) changes and signs nothing, and is not recorded; refusals come after the check. */
  startSession(voucher: Authorization, displayName: string | undefined, checkSignature: SignatureCheck): SignedOutcome<Uint8Array> {
    if (!checkSignature()) return forged();
    this.#record('startSession', voucher, displayName);
    const refusal = this.#refusal<Uint8Array>();
    if (refusal) return refusal;
    if (this.sessions.some((s) => s.receipt === undefined)) return fail('conditions', 'a session is running');
    const seq = this.#nextSeq++;
    const bytes = signMessageWith(encodeContract({
      pileId: this.pileId, seq, userKid: voucher.userKid, voucherId: voucher.voucherId, limit: voucher.limit,
      tariff: this.pileConfig.tariff, startMeterWh: 1000, capMinor: voucher.capMinor, startAtS: this.nowSValue,
    }), this.signer);
    this.sessions.push({ contractSeq: seq, userKid: voucher.userKid, receipt: undefined });
    this.outboxRecords.push({ seq, bytes });
    this.pileState = 'charging';
    return { ok: true, value: bytes };
  }

  showStartRefusal(reason: StartRefusal): void {
    this.#record('showStartRefusal', reason);
  }

  /** Like `startSession`: a forged stop changes nothing and is not recorded. */
  stopSession(contractSeq: number, by: 'user' | 'relay', checkSignature: SignatureCheck): SignedOutcome<Uint8Array> {
    if (!checkSignature()) return forged();
    this.#record('stopSession', contractSeq, by);
    const refusal = this.#refusal<Uint8Array>();
    if (refusal) return refusal;
    const session = this.sessions.find((s) => s.contractSeq === contractSeq);
    if (!session) return fail('conditions', 'no such session');
    if (session.receipt) return { ok: true, value: session.receipt };
    const seq = this.#nextSeq++;
    session.receipt = signMessageWith(encodeReceipt({
      pileId: this.pileId, contractSeq, seq, endReason: 'user', endDetail: 4, energyWh: 500, durationS: 600,
      amountMinor: 68, endMeterWh: 1500, endAtS: this.nowSValue,
    }), this.signer);
    this.outboxRecords.push({ seq, bytes: session.receipt });
    this.pileState = 'finishing';
    return { ok: true, value: session.receipt };
  }

  contractUserKid(contractSeq: number): Uint8Array | undefined {
    this.#record('contractUserKid', contractSeq);
    return this.sessions.find((s) => s.contractSeq === contractSeq)?.userKid;
  }

  outbox(afterSeq: number, maxRecords: number): { records: { seq: number; bytes: Uint8Array }[]; remaining: number } {
    this.#record('outbox', afterSeq, maxRecords);
    const after = this.outboxRecords.filter((r) => r.seq > afterSeq);
    return { records: after.slice(0, maxRecords), remaining: Math.max(0, after.length - maxRecords) };
  }

  acknowledge(ranges: readonly SeqRange[]): PileOutcome<number> {
    this.#record('acknowledge', ranges);
    const refusal = this.#refusal<number>();
    if (refusal) return refusal;
    for (let i = this.outboxRecords.length - 1; i >= 0; i--) {
      const seq = this.outboxRecords[i]!.seq;
      if (ranges.some((r) => seq >= r.fromSeq && seq <= r.toSeq)) this.outboxRecords.splice(i, 1);
    }
    return { ok: true, value: this.outboxRecords.length };
  }
}

function forged(): SignedOutcome<never> {
  return fail('bad-signature', 'double: the signature does not verify');
}
