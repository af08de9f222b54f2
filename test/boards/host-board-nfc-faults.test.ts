// NFC controller and secure element faults during taps, on the host board with the real firmware:
// the phone taps through the simulated RF field into the PN7160 simulation, the PN7160 driver and
// the pile's NFC application; the pile signs with the SE050 driver over its simulation. Each fault
// of the product issue is set up at one point of tap 2 (before the tap, between SELECT and START,
// on START's own packet, or while the pile answers START, i.e. while it asks the SE050 for the
// contract's signature), and each test asserts a clean tap failure or a clean recovery:
//   - what the phone sees: the contract, a status word, or a lost field (NfcTagLostError);
//   - whether the pile journaled a contract in that tap — never unless it decided to answer it;
//   - the retry (a new tap) never makes a second contract for the voucher: a voucher the pile
//     already honoured is refused with 6984 (its nonce is spent), one it did not honour starts the
//     session; the contract reaches the phone by its OUTBOX, byte for byte the one journaled;
//   - the journal mounts again (a reboot on the same flash) with the same records, plus the
//     power-loss receipt of the session the reboot interrupted;
//   - the driver never sent without a credit (the simulation's creditMisuse stays 0).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { INS, SW, encodeOutboxRequest, encodeStopData, parseResponseApdu, selectCommand } from '../../contracts-offline/apdu.ts';
import { type BillingRecord, readBillingRecord } from '../../contracts-offline/billing-record.ts';
import { equalBytes } from '../../contracts-offline/bytes.ts';
import type { Contract } from '../../contracts-offline/messages/contract.ts';
import { decodePileHello } from '../../contracts-offline/messages/pile-hello.ts';
import { EndDetail } from '../../contracts-offline/messages/receipt.ts';
import { openSigned, readSigned } from '../../contracts-offline/signed.ts';
import { type HostBoard, createHostBoard } from '../../boards/host/hal.ts';
import type { KeyStore } from '../../hal/types.ts';
import type { Se050SimCounters, Se050SimFault } from '../../hal/sim/chips/se050.ts';
import { type NfcTap, NfcTagLostError } from '../../hal/sim/nfc-field.ts';
import { PileRefusedError } from '../../tools/phone/errors.ts';
import { type OutboxRecord, PileReader } from '../../tools/phone/pile-reader.ts';
import { simulatedTapTransport } from '../../tools/phone/sim-field-transport.ts';
import { type Rig, pileId, pileKey, pileSecretKey, plugEv, provisionedRig, relayKey, startMs } from '../support/pile-rig.ts';
import { command, signedStop, signedVoucher, userKeys, withBadSignature } from '../support/tap-kit.ts';

type Pile = {
  rig: Rig;
  host: HostBoard;
  /** Runs `action` when the pile next asks the SE050 for a signature (inside its answer to a command). */
  onNextSignature(action: () => void): void;
};

/** A provisioned pile on the host board, a vehicle plugged in. */
function pileOnHostBoard(): Pile {
  let host: HostBoard | undefined;
  const rig = provisionedRig({ instrument: (sim) => (sim.hal = (host = createHostBoard(sim, { pileSecretKey })).hal) });
  plugEv(rig.sim);
  const secureElement = host!.hal.keyStore;
  let pending: (() => void) | undefined;
  const runPending = (): void => {
    const action = pending;
    pending = undefined;
    action?.();
  };
  // The firmware reaches the key store through the board's hal at each signature.
  const probed: KeyStore = {
    get publicKey() {
      return secureElement.publicKey;
    },
    sign(message) {
      runPending();
      return secureElement.sign(message);
    },
    signWhile(message, work) {
      runPending();
      return secureElement.signWhile(message, work);
    },
    hasKey: () => secureElement.hasKey(),
    createKey: () => secureElement.createKey(),
  };
  host!.hal.keyStore = probed;
  return { rig, host: host!, onNextSignature: (action) => (pending = action) };
}

/** One tap of Ada's phone: the field comes up, `exchange` talks to the pile with the PileReader, the phone moves away. */
async function tapWith<T>(pile: Pile, exchange: (reader: PileReader) => Promise<T>): Promise<T> {
  const tap = pile.rig.sim.nfc.tap();
  try {
    return await exchange(new PileReader(simulatedTapTransport(tap)));
  } finally {
    tap.end();
  }
}

const nowS = (pile: Pile) => Math.floor(pile.rig.sim.clock.nowMs() / 1000);
let voucherCount = 0;

/** What the relay signs for a tap-1 nonce: a voucher of its own id, for Ada, at the provisioned tariff. */
function relaySignedVoucher(pileNonce: Uint8Array): Uint8Array {
  voucherCount++;
  const voucherId = Uint8Array.of(0x70, 0xc4, 0xfa, 0x17, 0, 0, voucherCount >> 8, voucherCount & 0xff);
  return signedVoucher(pileNonce, {
    voucherId, userKid: userKeys.kid, limit: { mode: 'energy', energyWh: 20_000 }, capMinor: 1000, tariffVersion: 1, expiresAtS: startMs / 1000 + 86_400,
  }, relayKey);
}

function userStop(pile: Pile, pileNonce: Uint8Array, contractSeq: number): Uint8Array {
  return signedStop({ pileId, contractSeq, pileNonce, atS: nowS(pile) }, userKeys);
}

type Answer = { sw: number; data: Uint8Array };
type Outcome = Answer | 'lost';

const frame = (ins: number, data: Uint8Array) => command(ins, data, { le: 256 });

/** One command APDU through the field: its answer, or 'lost' when the phone's transceive fails as a lost tag. */
function transceive(tap: NfcTap, apdu: Uint8Array, loseFieldAfter = false): Outcome {
  try {
    const parsed = parseResponseApdu(loseFieldAfter ? tap.transceiveThenLoseField(apdu) : tap.transceive(apdu));
    if (!parsed.ok) throw new Error(`not a response APDU: ${parsed.reason}`);
    return parsed.value;
  } catch (error) {
    if (error instanceof NfcTagLostError) return 'lost';
    throw error;
  }
}

function describe(outcome: Outcome): string {
  return outcome === 'lost' ? 'lost' : outcome.sw.toString(16);
}

/** Tap 1 (SELECT + HELLO) and the relay's voucher over its nonce. */
async function relayVoucher(pile: Pile): Promise<Uint8Array> {
  const nonce = await tapWith(pile, async (reader) => {
    const hello = await reader.select();
    reader.trustPileKey(pileKey.publicKey);
    await reader.hello({ userKid: userKeys.kid, displayName: 'Ada', phoneNonce: new Uint8Array(12).fill(7) });
    return hello.pileNonce;
  });
  return relaySignedVoucher(nonce);
}

function voucherIdOf(signedVoucher: Uint8Array): Uint8Array {
  const read = readSigned(signedVoucher, 'Authorization');
  if (!read.ok) throw new Error(read.reason);
  return read.value.message.voucherId;
}

/** The pile's unacknowledged records: signed bytes, decoded. */
function journaledRecords(pile: Pile): { bytes: Uint8Array; record: BillingRecord }[] {
  return pile.rig.pile.outbox(0, 10_000).records.map(({ seq, bytes }) => {
    const read = readBillingRecord(bytes);
    if (!read.ok) throw new Error(`outbox record ${seq}: ${read.reason}`);
    return { bytes, record: read.value };
  });
}

function contractsFor(pile: Pile, voucher: Uint8Array): { bytes: Uint8Array; record: BillingRecord }[] {
  const voucherId = voucherIdOf(voucher);
  return journaledRecords(pile).filter(({ record }) => record.kind === 'contract' && equalBytes(record.message.voucherId, voucherId));
}

/** The answer is a Contract signed by the pile's key, for this voucher. */
function assertContractFor(bytes: Uint8Array, voucher: Uint8Array): void {
  const opened = openSigned(bytes, { publicKey: pileKey.publicKey, expectType: 'Contract' });
  if (!opened.ok) throw new Error(`the answer is not a pile-signed Contract: ${opened.reason}`);
  assert.equal(opened.value.message.voucherId, voucherIdOf(voucher));
}

/** Any tap: SELECT + every outbox record, verified with the pile's key. */
function collect(pile: Pile): Promise<OutboxRecord[]> {
  return tapWith(pile, async (reader) => {
    await reader.select();
    reader.trustPileKey(pileKey.publicKey);
    return reader.allOutbox();
  });
}

/**
 * The journal as it stands mounts again: the board goes down and comes back on the same flash,
 * with the same records (plus the power-loss receipt of a session the reboot interrupted), and the
 * rebooted pile answers taps.
 */
async function remountsWithTheSameRecords(pile: Pile): Promise<void> {
  const { rig, host } = pile;
  const before = rig.pile.outbox(0, 10_000).records;
  const running = rig.pile.session?.contract.seq;
  rig.handle.shutdown();
  host.restart(); // the drivers start over with the board; the chips keep their state
  rig.boot(); // throws when the pile refuses to run
  const after = rig.pile.outbox(0, 10_000).records;
  assert.equal(after.slice(0, before.length), before, 'the records journaled before the reboot');
  assert.equal(rig.handle.recovered.map((r) => [r.contractSeq, r.endDetail]), running === undefined ? [] : [[running, EndDetail.powerLoss]]);
  assert.is(after.length, before.length + (running === undefined ? 0 : 1));
  const hello = await tapWith(pile, (reader) => reader.select());
  assert.is(hello.outboxCount, after.length);
}

function driverFaults(pile: Pile): Record<string, number> {
  return Object.fromEntries(Object.entries(pile.host.drivers.nfc.faults).filter(([, count]) => count > 0));
}

type Point = 'before the tap' | 'between SELECT and START' | 'on START' | 'while the pile answers START';

type StartFault = {
  name: string;
  at: Point;
  arm(pile: Pile, tap: NfcTap | undefined): void;
  /** How the phone sends START (default: an ordinary transceive). */
  send?(tap: NfcTap, apdu: Uint8Array): Outcome;
  /** What the phone's START gets: the contract, a status word, or a lost field. */
  phone: 'contract' | 'lost' | number;
  /** Whether the pile journaled a contract in that tap. */
  journaled: boolean;
  /** What an OUTBOX right after START, in the same tap, gets. */
  thenOutbox: 'answered' | 'lost';
  /** The next attempt uses the same voucher, or a fresh one (a new tap 1 and voucher). */
  retry?: 'same voucher' | 'fresh voucher';
  /** Fault-specific checks once the faulted tap is over (`busUs`: START's bus time). */
  check?(pile: Pile, seen: { busUs: number; se050Before: Readonly<Se050SimCounters> }): void;
};

/** Bus time and SE050 traffic of a START without any fault, for comparison. */
let reference: { busUs: number; nacks: number } | undefined;
async function referenceStart(): Promise<{ busUs: number; nacks: number }> {
  if (reference) return reference;
  const pile = pileOnHostBoard();
  const voucher = await relayVoucher(pile);
  const tap = pile.rig.sim.nfc.tap();
  transceive(tap, selectCommand());
  const fromUs = pile.host.time.nowUs();
  const nacks = pile.host.chips.secureElement.counters.nacks;
  const answer = transceive(tap, frame(INS.start, voucher));
  tap.end();
  assert.is(describe(answer), '9000');
  return (reference = { busUs: pile.host.time.nowUs() - fromUs, nacks: pile.host.chips.secureElement.counters.nacks - nacks });
}

async function startUnderFault(fault: StartFault): Promise<void> {
  const pile = pileOnHostBoard();
  const { rig, host } = pile;
  const voucher = await relayVoucher(pile);
  const flashOperations = rig.sim.flash.operationCount;

  // Tap 2, with the fault.
  if (fault.at === 'before the tap') fault.arm(pile, undefined);
  const tap = rig.sim.nfc.tap();
  const hello = transceive(tap, selectCommand());
  assert.is(describe(hello), '9000', 'SELECT');
  if (fault.at === 'between SELECT and START' || fault.at === 'on START') fault.arm(pile, tap);
  if (fault.at === 'while the pile answers START') pile.onNextSignature(() => fault.arm(pile, tap));
  const se050Before = host.chips.secureElement.counters;
  const fromUs = host.time.nowUs();
  const startApdu = frame(INS.start, voucher);
  const answer = fault.send ? fault.send(tap, startApdu) : transceive(tap, startApdu);
  const busUs = host.time.nowUs() - fromUs;
  const outbox = transceive(tap, frame(INS.outbox, encodeOutboxRequest(0)));
  tap.end();

  let received: Uint8Array | undefined;
  if (fault.phone === 'contract') {
    assert.is(describe(answer), '9000', 'START answered');
    received = (answer as Answer).data;
    assertContractFor(received, voucher);
  } else if (fault.phone === 'lost') {
    assert.is(answer, 'lost', 'the phone saw the field go');
  } else {
    assert.is(describe(answer), fault.phone.toString(16), 'START refused');
    assert.is((answer as Answer).data.length, 0);
  }
  assert.is(outbox === 'lost' ? 'lost' : 'answered', fault.thenOutbox, `OUTBOX after START: ${describe(outbox)}`);
  if (outbox !== 'lost') assert.is(outbox.sw, SW.ok);
  fault.check?.(pile, { busUs, se050Before });

  // The fault is over; the pile holds a contract exactly when it decided to answer one.
  host.chips.nfc.faults.withholdCredits(false);
  host.chips.secureElement.clear();
  rig.sim.clock.advance(0);
  assert.is(contractsFor(pile, voucher).length, fault.journaled ? 1 : 0, 'contracts journaled for the voucher');
  if (!fault.journaled) assert.is(rig.sim.flash.operationCount, flashOperations, 'the journal did not change');
  assert.is(rig.pile.session !== undefined, fault.journaled);
  assert.is(rig.pile.halted, undefined, 'the pile is not halted');
  assert.not.match(host.chips.lcd.text().join('\n'), /OUT OF SERVICE/);

  // The retry: a new tap 2. A voucher the pile honoured is refused (its nonce is spent).
  const retryVoucher = fault.retry === 'fresh voucher' ? await relayVoucher(pile) : voucher;
  const retried = await tapWith(pile, async (reader) => {
    await reader.select();
    reader.trustPileKey(pileKey.publicKey);
    return reader.start(retryVoucher).then((contract) => contract, (error: unknown) => error);
  });
  if (fault.journaled) {
    assert.instance(retried, PileRefusedError);
    assert.is((retried as PileRefusedError).sw, SW.referenceNotUsable, 'the same voucher again: 6984');
  } else {
    assert.not.instance(retried, Error, String(retried));
    received ??= (retried as { signed: Uint8Array }).signed;
  }

  // The phone collects: one contract for the voucher, the one journaled, the one the phone holds.
  const records = await collect(pile);
  const honoured = fault.retry === 'fresh voucher' ? retryVoucher : voucher;
  const ours = records.filter((r) => r.kind === 'contract' && equalBytes(r.message.voucherId, voucherIdOf(honoured)));
  assert.is(ours.length, 1, 'one contract for the voucher');
  assert.equal(records.map((r) => r.seq), [1]);
  assert.equal(ours[0]!.signed, contractsFor(pile, honoured)[0]!.bytes);
  if (received) assert.equal(received, ours[0]!.signed, 'the phone holds the journaled contract');
  if (fault.retry === 'fresh voucher') {
    const first = await tapWith(pile, async (reader) => {
      await reader.select();
      return reader.start(voucher).then(() => undefined, (error: unknown) => error);
    });
    assert.instance(first, PileRefusedError);
    assert.is((first as PileRefusedError).sw, SW.conditionsNotSatisfied, 'a session is running');
    assert.is(contractsFor(pile, voucher).length, 0, 'nothing for the voucher of the failed START');
  }
  assert.is(rig.pile.session?.contract.seq, ours[0]!.seq, 'the session runs once, on that contract');
  rig.sim.clock.advance(2000);
  assert.ok(rig.sim.contactor.commandedClosed, 'charging');
  assert.match(host.chips.lcd.text()[0]!, /^Charging/);

  assert.is(host.chips.nfc.creditMisuse, 0, 'the driver never sent without a credit');
  assert.is(host.drivers.nfc.state, 'discovery');
  await remountsWithTheSameRecords(pile);
}

const nciDataPacket = (payload: Uint8Array) => Uint8Array.of(0x00, 0x00, payload.length, ...payload);

const pn7160Faults: StartFault[] = [
  {
    name: 'the field drops after the pile received START, before its answer arrives',
    at: 'on START',
    arm: () => {},
    send: (tap, apdu) => transceive(tap, apdu, true),
    phone: 'lost',
    journaled: true, // the pile signed and journaled: the contract waits in the outbox
    thenOutbox: 'lost',
  },
  {
    name: 'the field is lost between SELECT and START',
    at: 'between SELECT and START',
    arm: (_pile, tap) => tap!.loseField(),
    phone: 'lost',
    journaled: false,
    thenOutbox: 'lost',
  },
  {
    name: 'START\'s data packet cut short',
    at: 'on START',
    arm: (pile) => pile.host.chips.nfc.faults.cutNextPacket(),
    phone: 'lost',
    journaled: false,
    thenOutbox: 'answered', // the tap goes on: the next command is answered
    check: (pile) => assert.equal(driverFaults(pile), { 'cut-short': 1 }),
  },
  {
    name: 'the credit notification after the answer cut short',
    at: 'while the pile answers START',
    arm: (pile) => pile.host.chips.nfc.faults.cutNextPacket(),
    phone: 'contract',
    journaled: true,
    thenOutbox: 'lost', // the credit never came back: the next answer cannot be sent, the tap is given up
    check: (pile) => assert.equal(driverFaults(pile), { 'cut-short': 1, 'no-credit': 1 }),
  },
  ...[1, -1, 40].map((delta): StartFault => ({
    name: `START's data packet with a length byte off by ${delta}`,
    at: 'on START',
    arm: (pile) => pile.host.chips.nfc.faults.wrongLength(delta),
    phone: 'lost',
    journaled: false,
    thenOutbox: 'answered',
    check: (pile) => assert.equal(driverFaults(pile), { 'cut-short': 1 }),
  })),
  {
    name: 'the credit notification after the answer with a length byte off by 1',
    at: 'while the pile answers START',
    arm: (pile) => pile.host.chips.nfc.faults.wrongLength(1),
    phone: 'contract',
    journaled: true,
    thenOutbox: 'lost',
    check: (pile) => assert.equal(driverFaults(pile), { 'cut-short': 1, 'no-credit': 1 }),
  },
  {
    name: 'garbage (no NCI header) on the bus between SELECT and START',
    at: 'between SELECT and START',
    arm: (pile) => pile.host.chips.nfc.faults.garbage(Uint8Array.of(0x7f, 0xff, 0x03, 0xde, 0xad, 0x00)),
    phone: 'contract', // dropped by the driver: the tap goes on
    journaled: true,
    thenOutbox: 'answered',
    check: (pile) => assert.equal(driverFaults(pile), { malformed: 1 }),
  },
  {
    name: 'garbage announcing 240 bytes on the bus while the pile answers START',
    at: 'while the pile answers START',
    arm: (pile) => pile.host.chips.nfc.faults.garbage(Uint8Array.of(0x60, 0x06, 0xf0, 0x01, 0x02)),
    phone: 'contract',
    journaled: true,
    thenOutbox: 'answered',
    check: (pile) => assert.equal(driverFaults(pile), { 'cut-short': 1 }),
  },
  {
    name: 'garbage that reads as a data packet (a command no reader sent) between SELECT and START',
    at: 'between SELECT and START',
    // The driver cannot tell it from the reader's: it answers it; the controller, awaiting no
    // answer, reports an interface error; the driver ends the tap.
    arm: (pile) => pile.host.chips.nfc.faults.garbage(nciDataPacket(selectCommand())),
    phone: 'lost',
    journaled: false,
    thenOutbox: 'lost',
    check: (pile) => assert.equal(driverFaults(pile), { rejected: 1 }),
  },
  {
    name: 'credits withheld from the start of tap 2 (SELECT takes the only one)',
    at: 'before the tap',
    arm: (pile) => pile.host.chips.nfc.faults.withholdCredits(true),
    phone: 'lost', // the pile journaled and answered, but had no credit to send the answer on
    journaled: true,
    thenOutbox: 'lost',
    check: (pile) => assert.equal(driverFaults(pile), { 'no-credit': 1 }),
  },
  {
    name: 'credits withheld after SELECT',
    at: 'between SELECT and START',
    arm: (pile) => pile.host.chips.nfc.faults.withholdCredits(true),
    phone: 'contract',
    journaled: true,
    thenOutbox: 'lost',
    check: (pile) => assert.equal(driverFaults(pile), { 'no-credit': 1 }),
  },
  {
    name: 'the controller resets between SELECT and START',
    at: 'between SELECT and START',
    arm: (pile) => pile.host.chips.nfc.faults.resetController(),
    phone: 'lost',
    journaled: false,
    thenOutbox: 'lost',
    check: (pile) => {
      assert.equal(driverFaults(pile), { 'controller-reset': 1 });
      assert.is(pile.host.chips.nfc.boots, 2, 'set up again from VEN');
    },
  },
  {
    name: 'the controller resets while the pile answers START',
    at: 'while the pile answers START',
    arm: (pile) => pile.host.chips.nfc.faults.resetController(),
    phone: 'lost',
    journaled: true,
    thenOutbox: 'lost',
    check: (pile) => {
      assert.equal(driverFaults(pile), { 'controller-reset': 1 });
      assert.is(pile.host.chips.nfc.boots, 2);
    },
  },
  {
    name: 'IRQ stuck high between SELECT and START',
    at: 'between SELECT and START',
    arm: (pile) => pile.host.chips.nfc.faults.stuckIrq(),
    phone: 'lost',
    journaled: false,
    thenOutbox: 'lost',
    check: (pile) => {
      assert.is(driverFaults(pile)['stuck-irq'], 1);
      assert.is(pile.host.chips.nfc.boots, 2, 'VEN cycled');
    },
  },
  {
    name: 'IRQ stuck high while the pile answers START',
    at: 'while the pile answers START',
    arm: (pile) => pile.host.chips.nfc.faults.stuckIrq(),
    phone: 'lost',
    journaled: true,
    thenOutbox: 'lost',
    check: (pile) => {
      assert.is(driverFaults(pile)['stuck-irq'], 1);
      assert.is(pile.host.chips.nfc.boots, 2);
    },
  },
];

const se050Faults: StartFault[] = [
  {
    name: 'SE050 during START: two blocks with a bad CRC (T=1 retransmission)',
    at: 'on START',
    arm: (pile) => pile.host.chips.secureElement.inject('crc', 2),
    phone: 'contract',
    journaled: true,
    thenOutbox: 'answered',
    check: (pile, { se050Before }) => {
      const now = pile.host.chips.secureElement.counters;
      assert.is(now.retransmissions - se050Before.retransmissions, 2);
      assert.is(now.resyncs - se050Before.resyncs, 0);
    },
  },
  {
    name: 'SE050 during START: a block cut short (T=1 retransmission)',
    at: 'on START',
    arm: (pile) => pile.host.chips.secureElement.inject('cut', 1),
    phone: 'contract',
    journaled: true,
    thenOutbox: 'answered',
    check: (pile, { se050Before }) => assert.is(pile.host.chips.secureElement.counters.retransmissions - se050Before.retransmissions, 1),
  },
  {
    name: 'SE050 during START: busy, two more S(WTX) requests',
    at: 'on START',
    arm: (pile) => pile.host.chips.secureElement.inject('wtx', 2),
    phone: 'contract',
    journaled: true,
    thenOutbox: 'answered',
    check: (pile, { busUs, se050Before }) => {
      assert.is(pile.host.chips.secureElement.counters.wtxRequests - se050Before.wtxRequests, 2);
      // Each busy spell keeps the chip half a BWT (500 ms) longer, give or take the host's polling
      // period (MPOT, 1 ms); bus time, not wall time.
      assert.ok(busUs >= reference!.busUs + 2 * 500_000 - 1000, `START took ${busUs} µs of bus time, ${reference!.busUs} µs without the fault`);
    },
  },
  {
    name: 'SE050 during START: three transfers not acknowledged (polled again)',
    at: 'on START',
    arm: (pile) => pile.host.chips.secureElement.inject('nack', 3),
    phone: 'contract',
    journaled: true,
    thenOutbox: 'answered',
    check: (pile, { se050Before }) => {
      const now = pile.host.chips.secureElement.counters;
      assert.ok(now.nacks - se050Before.nacks >= reference!.nacks + 3);
      assert.is(now.resyncs - se050Before.resyncs, 0);
    },
  },
  {
    name: 'SE050 during START: the chip resets half-way through a block',
    at: 'on START',
    arm: (pile) => pile.host.chips.secureElement.inject('reset', 1),
    phone: 'contract',
    journaled: true,
    thenOutbox: 'answered',
    check: (pile, { se050Before }) => {
      const now = pile.host.chips.secureElement.counters;
      assert.is(now.resets - se050Before.resets, 1);
      assert.is(now.resyncs - se050Before.resyncs, 1, 'resynchronised');
      assert.is(now.selects - se050Before.selects, 1, 'the applet selected again');
    },
  },
  {
    name: 'SE050 silent during START (device fault; the pile does not halt)',
    at: 'on START',
    arm: (pile) => pile.host.chips.secureElement.inject('silent'),
    phone: SW.deviceFault,
    journaled: false,
    thenOutbox: 'answered',
    retry: 'fresh voucher',
    check: (pile) => {
      assert.is(pile.rig.pile.halted, undefined);
      assert.is(pile.rig.pile.state(), 'preparing');
      assert.is(pile.host.chips.secureElement.counters.signatures, 1, 'only tap 1\'s PileInfo was signed');
    },
  },
  {
    name: 'SE050 during START: garbage instead of every block (device fault; the pile does not halt)',
    at: 'on START',
    arm: (pile) => pile.host.chips.secureElement.inject('garbage', Number.POSITIVE_INFINITY),
    phone: SW.deviceFault,
    journaled: false,
    thenOutbox: 'answered',
    retry: 'fresh voucher',
    check: (pile, { se050Before }) => {
      assert.is(pile.rig.pile.halted, undefined);
      assert.ok(pile.host.chips.secureElement.counters.resyncs - se050Before.resyncs >= 1, 'the driver tried to resynchronise');
    },
  },
];

for (const fault of [...pn7160Faults, ...se050Faults]) {
  test(`${fault.name}: START ${fault.phone === 'contract' ? 'answered' : typeof fault.phone === 'number' ? fault.phone.toString(16) : 'lost'}, ${fault.journaled ? 'one contract' : 'no contract'}, the retry is clean`, async () => {
    await referenceStart();
    await startUnderFault(fault);
  });
}

/** Tap 1, tap 2 and a few minutes of charging. */
async function charging(pile: Pile): Promise<Contract> {
  const voucher = await relayVoucher(pile);
  const contract = await tapWith(pile, async (reader) => {
    await reader.select();
    reader.trustPileKey(pileKey.publicKey);
    return (await reader.start(voucher)).message;
  });
  pile.rig.sim.clock.advance(5 * 60_000);
  assert.ok(pile.rig.sim.contactor.commandedClosed);
  return contract;
}

test('the field drops after the pile received STOP: it ended the session; the retry gets the same receipt', async () => {
  const pile = pileOnHostBoard();
  const { rig } = pile;
  const contract = await charging(pile);
  const stopData = (nonce: Uint8Array) => encodeStopData({ signedStopRequest: userStop(pile, nonce, contract.seq), userPublicKey: userKeys.publicKey });

  const tap = rig.sim.nfc.tap();
  const hello = transceive(tap, selectCommand());
  const nonce = decodePileHello((hello as Answer).data);
  assert.ok(nonce.ok);
  if (!nonce.ok) return;
  assert.is(transceive(tap, frame(INS.stop, stopData(nonce.value.pileNonce)), true), 'lost');
  assert.is(rig.pile.session, undefined, 'the session ended');
  assert.not.ok(rig.sim.contactor.commandedClosed);
  const held = journaledRecords(pile);
  assert.equal(held.map(({ record }) => [record.kind, record.seq]), [['contract', 1], ['receipt', 2]]);

  rig.sim.clock.advance(3000);
  const receipt = await tapWith(pile, async (reader) => {
    const again = await reader.select();
    reader.trustPileKey(pileKey.publicKey);
    return reader.stop(userStop(pile, again.pileNonce, contract.seq), userKeys.publicKey);
  });
  assert.equal(receipt.signed, held[1]!.bytes, 'the receipt journaled at the first STOP');
  assert.is(receipt.message.endDetail, EndDetail.userStop);
  const records = await collect(pile);
  assert.equal(records.map((r) => r.signed), held.map((r) => r.bytes), 'one receipt for the contract');
  assert.is(pile.host.chips.nfc.creditMisuse, 0);
  await remountsWithTheSameRecords(pile);
});

test('the SE050 is silent when STOP asks for the receipt: 6F00, nothing journaled, the pile not halted; once it answers, the STOP retry gets the receipt', async () => {
  const pile = pileOnHostBoard();
  const { rig, host } = pile;
  const contract = await charging(pile);
  const stop = (reader: PileReader, nonce: Uint8Array) => reader.stop(userStop(pile, nonce, contract.seq), userKeys.publicKey);
  pile.onNextSignature(() => host.chips.secureElement.inject('silent'));
  const refused = await tapWith(pile, async (reader) => {
    const hello = await reader.select();
    return stop(reader, hello.pileNonce).then(() => 'signed', (error: unknown) => (error instanceof PileRefusedError ? error.sw : String(error)));
  });
  assert.is(refused, SW.deviceFault);
  assert.is(rig.pile.session, undefined, 'the session ended: the contactor is open');
  assert.not.ok(rig.sim.contactor.commandedClosed);
  assert.equal(journaledRecords(pile).map(({ record }) => record.kind), ['contract'], 'no receipt without its signature');
  assert.is.not(rig.pile.state(), 'faulted');
  host.chips.secureElement.clear();
  const receipt = await tapWith(pile, async (reader) => {
    const hello = await reader.select();
    reader.trustPileKey(pileKey.publicKey);
    return stop(reader, hello.pileNonce);
  });
  assert.is(receipt.message.endDetail, EndDetail.userStop);
  const held = journaledRecords(pile);
  assert.equal(held.map(({ record }) => [record.kind, record.seq]), [['contract', 1], ['receipt', 2]]);
  assert.equal(receipt.signed, held[1]!.bytes);
  await remountsWithTheSameRecords(pile);
});

// The overlap (firmware/nfc/README.md "START and STOP"): the pile verifies the voucher or stop while
// the SE050 signs its answer. A fault of the SE050 while it signs the receipt, with the stop
// verified meanwhile: a receipt, or 6F00 with the session ended and no receipt; either way the
// journal holds what the phone gets, and the STOP retry answers the same receipt.
const stopFaults: { fault: Se050SimFault; count: number; phone: 'receipt' | number }[] = [
  { fault: 'crc', count: 2, phone: 'receipt' },
  { fault: 'cut', count: 1, phone: 'receipt' },
  { fault: 'nack', count: 3, phone: 'receipt' },
  { fault: 'wtx', count: 2, phone: 'receipt' },
  { fault: 'reset', count: 1, phone: 'receipt' },
  { fault: 'silent', count: Number.POSITIVE_INFINITY, phone: SW.deviceFault },
];

for (const { fault, count, phone } of stopFaults) {
  test(`SE050 fault "${fault}" while it signs the receipt of an overlapped STOP: ${phone === 'receipt' ? 'the receipt' : phone.toString(16)}, the journal holds what the phone gets, the retry gets the same receipt`, async () => {
    const pile = pileOnHostBoard();
    const { rig, host } = pile;
    const contract = await charging(pile);
    const tap = rig.sim.nfc.tap();
    const hello = decodePileHello((transceive(tap, selectCommand()) as Answer).data);
    assert.ok(hello.ok);
    if (!hello.ok) return;
    host.chips.secureElement.inject(fault, count);
    const stopData = encodeStopData({ signedStopRequest: userStop(pile, hello.value.pileNonce, contract.seq), userPublicKey: userKeys.publicKey });
    const answer = transceive(tap, frame(INS.stop, stopData));
    tap.end();
    host.chips.secureElement.clear();
    assert.is(rig.pile.session, undefined, 'the verified stop ended the session');
    assert.not.ok(rig.sim.contactor.commandedClosed, 'the contactor is open');
    assert.is(rig.pile.halted, undefined);
    const held = () => journaledRecords(pile).map(({ record }) => record.kind);
    if (phone === 'receipt') {
      assert.is(describe(answer), '9000');
      assert.equal(held(), ['contract', 'receipt']);
      assert.equal((answer as Answer).data, journaledRecords(pile)[1]!.bytes, 'the phone holds the journaled receipt');
    } else {
      assert.is(describe(answer), phone.toString(16));
      assert.equal(held(), ['contract'], 'no receipt without its signature');
    }
    rig.sim.clock.advance(1000); // 6F00: the pile signs the receipt at the next tick
    const receipt = await tapWith(pile, async (reader) => {
      const again = await reader.select();
      reader.trustPileKey(pileKey.publicKey);
      return reader.stop(userStop(pile, again.pileNonce, contract.seq), userKeys.publicKey);
    });
    assert.is(receipt.message.endDetail, EndDetail.userStop);
    assert.equal(receipt.signed, journaledRecords(pile)[1]!.bytes, 'one receipt, the journaled one');
    assert.equal(held(), ['contract', 'receipt']);
    await remountsWithTheSameRecords(pile);
  });
}

/** SELECT in a new tap: the tap and its nonce. */
function selectedTap(pile: Pile): { tap: NfcTap; nonce: Uint8Array } {
  const tap = pile.rig.sim.nfc.tap();
  const hello = decodePileHello((transceive(tap, selectCommand()) as Answer).data);
  if (!hello.ok) throw new Error(hello.reason);
  return { tap, nonce: hello.value.pileNonce };
}

test('a forged voucher with the overlap: 6982 as before, nothing journaled or shown, the nonce kept; the SE050\'s signature is dropped; the genuine voucher then starts', async () => {
  const pile = pileOnHostBoard();
  const { rig, host } = pile;
  await relayVoucher(pile);
  rig.sim.clock.advance(60_000); // the welcome of tap 1 is gone
  const { tap, nonce } = selectedTap(pile);
  rig.sim.clock.advance(0);
  const screen = host.chips.lcd.text().join('\n');
  const flashOperations = rig.sim.flash.operationCount;
  const chipSignatures = host.chips.secureElement.counters.signatures;
  const genuine = relaySignedVoucher(nonce);
  const forged = withBadSignature(genuine);
  const answer = transceive(tap, frame(INS.start, forged));
  assert.is(describe(answer), '6982');
  assert.is((answer as Answer).data.length, 0, 'the contract signed meanwhile never leaves the pile');
  assert.is(host.chips.secureElement.counters.signatures, chipSignatures + 1, 'the SE050 signed while the voucher was verified');
  rig.sim.clock.advance(0);
  assert.is(host.chips.lcd.text().join('\n'), screen, 'the display did not change');
  assert.is(rig.sim.flash.operationCount, flashOperations, 'nothing journaled');
  assert.is(rig.pile.session, undefined);
  assert.not.ok(rig.sim.contactor.commandedClosed);
  const outbox = transceive(tap, frame(INS.outbox, encodeOutboxRequest(0)));
  assert.is(describe(outbox), '9000');

  // Forged and refused for something else too: still 6982, and the SE050 is not asked.
  for (const other of [signedVoucher(nonce, { tariffVersion: 9 }, relayKey), signedVoucher(new Uint8Array(16).fill(4), {}, relayKey)]) {
    assert.is(describe(transceive(tap, frame(INS.start, withBadSignature(other)))), '6982');
  }
  // A silent SE050 does not turn a forged voucher into a device fault.
  host.chips.secureElement.inject('silent');
  assert.is(describe(transceive(tap, frame(INS.start, forged))), '6982');
  host.chips.secureElement.clear();
  assert.is(host.chips.secureElement.counters.signatures, chipSignatures + 1, 'no signature for the vouchers refused before signing');
  rig.sim.clock.advance(0);
  assert.is(host.chips.lcd.text().join('\n'), screen, 'the display did not change');
  assert.is(rig.sim.flash.operationCount, flashOperations, 'nothing journaled');

  const started = transceive(tap, frame(INS.start, genuine));
  tap.end();
  assert.is(describe(started), '9000', 'the nonce was not used by the forged vouchers');
  assertContractFor((started as Answer).data, genuine);
  assert.equal(journaledRecords(pile).map(({ record }) => record.kind), ['contract']);
  await remountsWithTheSameRecords(pile);
});

test('a forged stop with the overlap: 6982, the session runs on with the contactor closed, nothing journaled; the genuine stop on the same nonce ends it', async () => {
  const pile = pileOnHostBoard();
  const { rig, host } = pile;
  const contract = await charging(pile);
  const { tap, nonce } = selectedTap(pile);
  const flashOperations = rig.sim.flash.operationCount;
  const chipSignatures = host.chips.secureElement.counters.signatures;
  const genuine = userStop(pile, nonce, contract.seq);
  const stopData = (request: Uint8Array) => encodeStopData({ signedStopRequest: request, userPublicKey: userKeys.publicKey });
  const answer = transceive(tap, frame(INS.stop, stopData(withBadSignature(genuine))));
  assert.is(describe(answer), '6982');
  assert.is((answer as Answer).data.length, 0, 'the receipt signed meanwhile never leaves the pile');
  assert.is(host.chips.secureElement.counters.signatures, chipSignatures + 1, 'the SE050 signed while the stop was verified');
  assert.is(rig.pile.session?.contract.seq, contract.seq, 'still charging');
  assert.ok(rig.sim.contactor.commandedClosed, 'the contactor never opened');
  assert.is(rig.sim.flash.operationCount, flashOperations, 'nothing journaled');
  host.chips.secureElement.inject('silent');
  assert.is(describe(transceive(tap, frame(INS.stop, stopData(withBadSignature(genuine))))), '6982', 'a silent SE050 does not change the answer to a forged stop');
  host.chips.secureElement.clear();
  assert.ok(rig.sim.contactor.commandedClosed);

  const stopped = transceive(tap, frame(INS.stop, stopData(genuine)));
  tap.end();
  assert.is(describe(stopped), '9000');
  assert.is(rig.pile.session, undefined);
  assert.not.ok(rig.sim.contactor.commandedClosed);
  const held = journaledRecords(pile);
  assert.equal(held.map(({ record }) => record.kind), ['contract', 'receipt']);
  assert.equal((stopped as Answer).data, held[1]!.bytes);
  await remountsWithTheSameRecords(pile);
});

test('credits withheld while the phone collects a two-page outbox: the tap is lost, the next one collects everything', async () => {
  const pile = pileOnHostBoard();
  const { rig, host } = pile;
  const contract = await charging(pile);
  await tapWith(pile, async (reader) => {
    const hello = await reader.select();
    return reader.stop(userStop(pile, hello.pileNonce, contract.seq), userKeys.publicKey);
  });
  const held = journaledRecords(pile);
  assert.is(held.length, 2);

  // The first page of OUTBOX is 258 bytes: two data packets, a credit each.
  const tap = rig.sim.nfc.tap();
  assert.is(describe(transceive(tap, selectCommand())), '9000');
  host.chips.nfc.faults.withholdCredits(true);
  assert.is(transceive(tap, frame(INS.outbox, encodeOutboxRequest(0))), 'lost');
  tap.end();
  assert.equal(driverFaults(pile), { 'no-credit': 1 });
  host.chips.nfc.faults.withholdCredits(false);

  const records = await collect(pile);
  assert.equal(records.map((r) => r.signed), held.map((r) => r.bytes));
  assert.equal(journaledRecords(pile), held, 'collecting changed nothing');
  assert.is(host.chips.nfc.creditMisuse, 0);
  await remountsWithTheSameRecords(pile);
});

test.run();
