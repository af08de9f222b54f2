// Checks shared by the power-cut tests (the 5-session one here, the whole scripted day in
// test/firmware/day/): every signed record handed out is decoded once and never changes; the
// session a cut interrupted is recovered once, billed to its last durable checkpoint; the
// contactor closes only for a durable contract; every Wh the meter counted belongs to a contract
// and is billed; billing seqs are 1..N without holes, nothing lost, one receipt per contract and
// one contract per voucher.
import * as assert from 'uvu/assert';
import { bytesToHex } from '../../../contracts-offline/bytes.ts';
import type { Ed25519Provider } from '../../../contracts-offline/crypto.ts';
import type { Contract } from '../../../contracts-offline/messages/contract.ts';
import { EndDetail, type Receipt } from '../../../contracts-offline/messages/receipt.ts';
import { openSigned } from '../../../contracts-offline/signed.ts';
import { NorFlashSim } from '../../../hal/sim/nor-flash.ts';
import type { SimulatedPile } from '../../../hal/sim/simulated-pile.ts';
import type { PileHal } from '../../../hal/types.ts';
import { mountJournal } from '../../../firmware/journal/mount.ts';
import { RecordKind } from '../../../firmware/records/record-kinds.ts';
import { decodeContractRecord } from '../../../firmware/records/contract-record.ts';
import { decodeReceiptRecord } from '../../../firmware/records/receipt-record.ts';
import { type Checkpoint, decodeCheckpoint } from '../../../firmware/records/checkpoint-record.ts';
import type { PileController } from '../../../firmware/pile-controller.ts';
import { pileKey } from '../../support/pile-rig.ts';

export type BillingMessage = Contract | Receipt;

export const isReceipt = (m: BillingMessage): m is Receipt => 'contractSeq' in m;

const verified = new Map<string, BillingMessage>();

/** Verify with the pile's key (once per distinct bytes: the runs repeat the same records) and decode. */
export function decodePileSigned(bytes: Uint8Array, crypto?: Ed25519Provider): BillingMessage {
  const hex = bytesToHex(bytes);
  const known = verified.get(hex);
  if (known) return known;
  const opened = openSigned(bytes, { publicKey: pileKey.publicKey, ...(crypto ? { crypto } : {}) });
  if (!opened.ok || (opened.value.name !== 'Contract' && opened.value.name !== 'Receipt')) throw new Error(`not a pile-signed record: ${opened.ok ? opened.value.name : opened.reason}`);
  const message = opened.value.message as BillingMessage;
  verified.set(hex, message);
  return message;
}

/** Every signed record handed out (to a phone, or to the relay side of a test), by billing seq. */
export class HandedOutRecords {
  readonly seen = new Map<number, string>();
  readonly #crypto: Ed25519Provider | undefined;

  constructor(crypto?: Ed25519Provider) {
    this.#crypto = crypto;
  }

  observe(bytes: Uint8Array, label: string): BillingMessage {
    const message = decodePileSigned(bytes, this.#crypto);
    const hex = bytesToHex(bytes);
    const earlier = this.seen.get(message.seq);
    if (earlier !== undefined && earlier !== hex) assert.unreachable(`${label}: seq ${message.seq} handed out with two different contents`);
    this.seen.set(message.seq, hex);
    return message;
  }

  messages(): BillingMessage[] {
    return [...this.seen.values()].map((hex) => verified.get(hex)!);
  }
}

export type OpenSession = { contract: Contract; checkpoint: Checkpoint | undefined };

/** The session a boot should recover, read from (a copy of) the flash as the cut left it. */
export function openSessionOnFlash(flash: NorFlashSim): OpenSession | undefined {
  const copy = new NorFlashSim({ byteLength: flash.byteLength, blockLength: flash.blockLength });
  copy.write(flash.contents(), 0);
  const mounted = mountJournal(copy);
  if (!mounted.ok) throw new Error(mounted.reason);
  const journal = mounted.value;
  const contracts = new Map<number, { contract: Contract; settled: boolean }>();
  const receipted = new Set<number>();
  for (const record of journal.records()) {
    const payload = journal.read(record.seq);
    if (!payload.ok) throw new Error(payload.reason);
    if (record.kind === RecordKind.contract) {
      const contract = decodeContractRecord(payload.value);
      if (contract.ok) contracts.set(contract.value.seq, { contract: contract.value, settled: record.settled });
    } else if (record.kind === RecordKind.receipt) {
      const receipt = decodeReceiptRecord(payload.value);
      if (receipt.ok) receipted.add(receipt.value.contractSeq);
    }
  }
  const open = [...contracts.values()].filter((c) => !c.settled && !receipted.has(c.contract.seq));
  assert.ok(open.length <= 1, 'at most one session open at a time');
  if (open.length === 0) return undefined;
  const latest = journal.latest(RecordKind.checkpoint);
  const payload = latest && journal.read(latest.seq);
  const checkpoint = payload?.ok ? decodeCheckpoint(payload.value) : undefined;
  const forThis = checkpoint?.ok && checkpoint.value.contractSeq === open[0]!.contract.seq ? checkpoint.value : undefined;
  return { contract: open[0]!.contract, checkpoint: forThis };
}

/** Most energy a power loss may leave unbilled: the checkpoint period plus two metering periods at full power. */
export function powerLossSlackWh(checkpointPeriodS: number, maxPowerW: number): number {
  return Math.ceil(((checkpointPeriodS + 2) * maxPowerW) / 3600);
}

/**
 * After the reboot that followed a cut: the session open on flash at the cut has exactly one receipt,
 * abnormal/powerLoss, billed to its last durable checkpoint (at its start without one).
 */
export function checkRecovery(label: string, open: OpenSession | undefined, pile: PileController, meterAtCutWh: number, slackWh: number, crypto?: Ed25519Provider): void {
  if (!open) return;
  const { contract, checkpoint } = open;
  const receipts = pile.outbox(0, 10_000).records.map((r) => decodePileSigned(r.bytes, crypto)).filter((m): m is Receipt => isReceipt(m) && m.contractSeq === contract.seq);
  assert.is(receipts.length, 1, `${label}: the open contract is recovered once`);
  const receipt = receipts[0]!;
  assert.is(receipt.endDetail, EndDetail.powerLoss);
  assert.is(receipt.energyWh, checkpoint ? checkpoint.meterWh - contract.startMeterWh : 0, `${label}: billed to the last checkpoint`);
  assert.is(receipt.durationS, checkpoint ? checkpoint.durationS : 0);
  const deliveredWh = meterAtCutWh - contract.startMeterWh;
  assert.ok(receipt.energyWh <= deliveredWh && receipt.energyWh >= deliveredWh - slackWh, `${label}: billed ${receipt.energyWh} Wh of ${deliveredWh} Wh delivered`);
}

/**
 * Wraps the board's contactor (call before the first boot): closing it for a contract that is not
 * on flash is recorded in `failures` (commit before act).
 */
export function watchContactor(hal: PileHal, flash: NorFlashSim, runningSeq: () => number | undefined, failures: string[], label: () => string): void {
  const contactor = hal.contactor;
  hal.contactor = {
    setClosed(closed: boolean) {
      if (closed) {
        const seq = runningSeq();
        const durable = seq !== undefined && openSessionOnFlash(flash)?.contract.seq === seq;
        if (!durable) failures.push(`${label()}: contactor closed for contract ${seq} not durable`);
      }
      contactor.setClosed(closed);
    },
    readFeedbackClosed: () => contactor.readFeedbackClosed(),
  };
}

/**
 * Attributes every Wh the meter register counts to the contract running at that moment (call
 * before the first boot, so it runs after the charging circuit's own time listener).
 */
export class EnergyWatch {
  readonly deliveredWhBySeq = new Map<number, number>();
  /** Wh counted while no contract was running. */
  unattributedWh = 0;
  readonly startMeterWh: number;
  #lastWh: number;
  readonly #sim: SimulatedPile;

  constructor(sim: SimulatedPile, runningSeq: () => number | undefined) {
    this.#sim = sim;
    this.startMeterWh = this.#lastWh = sim.circuit.meter.sample().energyWh;
    sim.clock.onElapse(() => {
      const nowWh = sim.circuit.meter.sample().energyWh;
      if (nowWh === this.#lastWh) return;
      const seq = runningSeq();
      if (seq === undefined) this.unattributedWh += nowWh - this.#lastWh;
      else this.deliveredWhBySeq.set(seq, (this.deliveredWhBySeq.get(seq) ?? 0) + nowWh - this.#lastWh);
      this.#lastWh = nowWh;
    });
  }

  get meterAdvanceWh(): number {
    return this.#sim.circuit.meter.sample().energyWh - this.startMeterWh;
  }
}

/** No energy outside a contract; each receipt bills exactly what its contract delivered (a power loss: up to `slackWh` less). */
export function checkEnergyCovered(label: string, watch: EnergyWatch, messages: readonly BillingMessage[], slackWh: number): void {
  assert.is(watch.unattributedWh, 0, `${label}: ${watch.unattributedWh} Wh delivered while no contract ran`);
  let total = 0;
  for (const [seq, deliveredWh] of watch.deliveredWhBySeq) {
    total += deliveredWh;
    const receipt = messages.find((m): m is Receipt => isReceipt(m) && m.contractSeq === seq);
    assert.ok(receipt, `${label}: contract ${seq} delivered ${deliveredWh} Wh and has no receipt`);
    if (receipt.endDetail === EndDetail.powerLoss) {
      assert.ok(receipt.energyWh <= deliveredWh && deliveredWh <= receipt.energyWh + slackWh, `${label}: contract ${seq} billed ${receipt.energyWh} Wh of ${deliveredWh} Wh after a power loss`);
    } else {
      assert.is(receipt.energyWh, deliveredWh, `${label}: contract ${seq} billed ${receipt.energyWh} Wh, delivered ${deliveredWh} Wh`);
    }
  }
  assert.is(total, watch.meterAdvanceWh, `${label}: every Wh the meter counted is in a contract`);
}

/**
 * The end of a run: billing seqs 1..N without holes; every record handed out is still held or was
 * acknowledged; each contract has exactly one receipt, after it; no voucher started two contracts.
 */
export function checkBillingRecords(label: string, handedOut: HandedOutRecords, heldSeqs: ReadonlySet<number>, acknowledgedSeqs: ReadonlySet<number>): void {
  const all = [...handedOut.seen.keys()].sort((a, b) => a - b);
  assert.equal(all, Array.from({ length: all.length }, (_, i) => i + 1), `${label}: billing seqs 1..N without holes`);
  for (const seq of all) assert.ok(heldSeqs.has(seq) || acknowledgedSeqs.has(seq), `${label}: record ${seq} lost (neither held nor acknowledged)`);
  const messages = handedOut.messages();
  const receiptsByContract = new Map<number, number>();
  for (const m of messages) if (isReceipt(m)) receiptsByContract.set(m.contractSeq, (receiptsByContract.get(m.contractSeq) ?? 0) + 1);
  const vouchers = new Set<string>();
  for (const m of messages) {
    if (isReceipt(m)) {
      assert.ok(m.seq > m.contractSeq && handedOut.seen.has(m.contractSeq), `${label}: receipt ${m.seq} of a known earlier contract`);
      continue;
    }
    assert.is(receiptsByContract.get(m.seq), 1, `${label}: contract ${m.seq} has exactly one receipt`);
    const voucher = bytesToHex(m.voucherId);
    assert.not.ok(vouchers.has(voucher), `${label}: voucher ${voucher} started two contracts`);
    vouchers.add(voucher);
  }
}
