// One scenario per flow of R3–R8 on the real pile (bootPile on the simulated board), through
// APDUs only: phones tap through the simulated field with the PileReader; the test relay signs
// vouchers, stops, acks and updates. The vehicle, the plug and the clock are the physical world.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SW } from '../../../contracts-offline/apdu.ts';
import type { KeyPair } from '../../../contracts-offline/keys.ts';
import type { Contract } from '../../../contracts-offline/messages/contract.ts';
import type { ChargeLimit } from '../../../contracts-offline/charge-limit.ts';
import { EndDetail, type Receipt } from '../../../contracts-offline/messages/receipt.ts';
import { type OutboxRecord } from '../../../tools/phone/pile-reader.ts';
import { PileRefusedError } from '../../../tools/phone/errors.ts';
import { type NfcPileRig, TestPhone, nfcPileRig, plugEv, provisionedTariff, runUntil, testRelay, userStop } from './nfc-pile-rig.ts';
import { otherUserKeys, pileId, pileKeys, userKeys } from '../../support/tap-kit.ts';

const nowS = (rig: NfcPileRig) => Math.floor(rig.sim.clock.nowMs() / 1000);
const charging = (rig: NfcPileRig) => rig.sim.contactor.commandedClosed;

/** Tap 1 (SELECT + HELLO) then, with the relay's voucher over tap 1's nonce, tap 2 (SELECT + START). */
async function startCharging(rig: NfcPileRig, phone: TestPhone, limit: ChargeLimit, capMinor: number): Promise<Contract> {
  const tap1Nonce = await phone.tap('tap 1: SELECT + HELLO', async (reader) => {
    const hello = await reader.select();
    reader.trustPileKey(pileKeys.publicKey);
    await reader.hello(phone.userHello());
    return hello.pileNonce;
  });
  const voucher = testRelay.voucher(tap1Nonce, phone.user, limit, capMinor);
  const contract = await phone.tap('tap 2: SELECT + START', async (reader) => {
    await reader.select();
    reader.trustPileKey(pileKeys.publicKey);
    return (await reader.start(voucher)).message;
  });
  rig.sim.clock.advance(2000); // the vehicle asks for energy, the contactor closes
  assert.ok(charging(rig), 'charging after tap 2');
  return contract;
}

/** Any phone's tap: SELECT + every outbox record (verified with the pile key). */
async function collect(phone: TestPhone, label = 'collect: SELECT + OUTBOX'): Promise<OutboxRecord[]> {
  return phone.tap(label, async (reader) => {
    await reader.select();
    reader.trustPileKey(pileKeys.publicKey);
    return reader.allOutbox();
  });
}

/** The relay got the records: a tap writes its Ack. Answers what the pile still holds. */
async function acknowledge(rig: NfcPileRig, phone: TestPhone, records: OutboxRecord[]): Promise<number> {
  const ranges = records.map((r) => ({ fromSeq: r.seq, toSeq: r.seq }));
  const merged = ranges.reduce<{ fromSeq: number; toSeq: number }[]>((out, r) => {
    const last = out[out.length - 1];
    if (last && last.toSeq + 1 === r.fromSeq) last.toSeq = r.toSeq;
    else out.push({ ...r });
    return out;
  }, []);
  return phone.tap('ack: SELECT + ACK', async (reader) => {
    await reader.select();
    return reader.ack(testRelay.ack(merged, nowS(rig)));
  });
}

function receiptOf(records: OutboxRecord[], contract: Contract): Receipt {
  const receipt = records.find((r): r is Extract<OutboxRecord, { kind: 'receipt' }> => r.kind === 'receipt' && r.message.contractSeq === contract.seq);
  if (!receipt) throw new Error(`no receipt for contract ${contract.seq}`);
  return receipt.message;
}

const tapLog: { label: string; apdus: number; bytes: number }[] = [];
function logTaps(...phones: TestPhone[]): void {
  for (const phone of phones) for (const { label, stats } of phone.taps) tapLog.push({ label, apdus: stats.apdus, bytes: stats.commandBytes + stats.responseBytes });
}

test('R3 tap 1: the pile reads the user and welcomes them; the phone reads a genuine pile, its state and tariff', async () => {
  const rig = nfcPileRig();
  plugEv(rig);
  const phone = new TestPhone(rig, userKeys, 'Ada');
  const { hello, info } = await phone.tap('tap 1: SELECT + HELLO', async (reader) => {
    const hello = await reader.select();
    reader.trustPileKey(pileKeys.publicKey); // the relay answers the pile's key for hello.pileId
    return { hello, info: await reader.hello(phone.userHello()) };
  });
  assert.equal(hello.pileId, pileId);
  assert.is(hello.state, 'preparing');
  assert.is(hello.configVersion, 1);
  assert.is(hello.outboxCount, 0);
  assert.equal(info.message.tariff, provisionedTariff);
  assert.not.match(rig.sim.display.text(), /Welcome, Ada/, 'the tap does not wait for the display');
  rig.sim.clock.advance(0); // the redraw runs once the tap's answers are out
  assert.match(rig.sim.display.text(), /Welcome, Ada/);
  logTaps(phone);
});

test('R5/R7 amount mode ends normally at its amount; any phone carries the receipt, the Ack empties the outbox', async () => {
  const rig = nfcPileRig();
  plugEv(rig);
  const ada = new TestPhone(rig, userKeys, 'Ada');
  const contract = await startCharging(rig, ada, { mode: 'amount', amountMinor: 300 }, 400);
  assert.is(contract.capMinor, 400);
  runUntil(rig, () => !charging(rig), 4 * 3600);
  const bob = new TestPhone(rig, otherUserKeys, 'Bob');
  const records = await collect(bob);
  assert.equal(records.map((r) => r.kind), ['contract', 'receipt']);
  const receipt = receiptOf(records, contract);
  assert.is(receipt.endReason, 'normal');
  assert.is(receipt.endDetail, EndDetail.limitReached);
  assert.ok(receipt.amountMinor >= 300 && receipt.amountMinor <= 302, `amount ${receipt.amountMinor}`);
  assert.is(await acknowledge(rig, bob, records), 0);
  assert.equal(await collect(bob, 'collect again'), []);
  logTaps(ada, bob);
});

test('R5/R7 time mode ends normally after its duration', async () => {
  const rig = nfcPileRig();
  plugEv(rig);
  const phone = new TestPhone(rig, userKeys, 'Ada');
  const contract = await startCharging(rig, phone, { mode: 'time', durationS: 1200 }, 500);
  runUntil(rig, () => !charging(rig), 1300);
  const receipt = receiptOf(await collect(phone), contract);
  assert.is(receipt.endReason, 'normal');
  assert.is(receipt.endDetail, EndDetail.limitReached);
  assert.is(receipt.durationS, 1200);
});

test('R5/R7 energy mode ends normally at its energy (within one metering period)', async () => {
  const rig = nfcPileRig();
  plugEv(rig);
  const phone = new TestPhone(rig, userKeys, 'Ada');
  const contract = await startCharging(rig, phone, { mode: 'energy', energyWh: 3000 }, 1000);
  runUntil(rig, () => !charging(rig), 3600);
  const receipt = receiptOf(await collect(phone), contract);
  assert.is(receipt.endReason, 'normal');
  assert.is(receipt.endDetail, EndDetail.limitReached);
  assert.ok(receipt.energyWh >= 3000 && receipt.energyWh <= 3003, `energy ${receipt.energyWh} Wh`);
  assert.is(receipt.endMeterWh - receipt.energyWh, contract.startMeterWh);
});

test('R5/R8 full mode ends when the vehicle is full; the open receipt is collected by a tap', async () => {
  const rig = nfcPileRig();
  plugEv(rig, { batteryWh: 10_000, stateOfChargePerMille: 960 });
  const phone = new TestPhone(rig, userKeys, 'Ada');
  const contract = await startCharging(rig, phone, { mode: 'full' }, 2000);
  // The vehicle stops drawing when full; vehicleIdleS later the pile ends and asks for a tap.
  runUntil(rig, () => /collect the receipt/.test(rig.sim.display.text()), 3600);
  assert.not.ok(charging(rig));
  const records = await collect(phone);
  const receipt = receiptOf(records, contract);
  assert.is(receipt.endReason, 'normal');
  assert.is(receipt.endDetail, EndDetail.vehicleDone);
  assert.ok(receipt.energyWh >= 390 && receipt.energyWh <= 410, `energy ${receipt.energyWh} Wh (the battery's last 4 %)`);
  assert.is(await acknowledge(rig, phone, records), 0);
  rig.sim.clock.advance(1000);
  assert.not.match(rig.sim.display.text(), /collect the receipt/);
});

test('R6 user stop: the user signs a StopRequest over a fresh nonce and taps; the pile ends and answers the receipt', async () => {
  const rig = nfcPileRig();
  plugEv(rig);
  const phone = new TestPhone(rig, userKeys, 'Ada');
  const contract = await startCharging(rig, phone, { mode: 'energy', energyWh: 20_000 }, 1000);
  rig.sim.clock.advance(10 * 60_000);
  const receipt = await phone.tap('stop: SELECT + STOP', async (reader) => {
    const hello = await reader.select();
    assert.is(hello.state, 'charging');
    reader.trustPileKey(pileKeys.publicKey);
    return (await reader.stop(userStop(phone.user, hello.pileNonce, contract.seq, nowS(rig)), phone.user.publicKey)).message;
  });
  assert.not.ok(charging(rig), 'the contactor opened');
  assert.is(receipt.endReason, 'user');
  assert.is(receipt.endDetail, EndDetail.userStop);
  assert.ok(receipt.energyWh > 1000, `energy ${receipt.energyWh} Wh`);
  assert.equal(receiptOf(await collect(phone), contract), receipt);
  logTaps(phone);
});

async function pullPlugMidSession(limit: ChargeLimit, user: KeyPair): Promise<{ rig: NfcPileRig; contract: Contract; phone: TestPhone }> {
  const rig = nfcPileRig();
  plugEv(rig);
  const phone = new TestPhone(rig, user, 'Ada');
  const contract = await startCharging(rig, phone, limit, 1000);
  rig.sim.clock.advance(5 * 60_000);
  rig.sim.circuit.unplug();
  rig.sim.clock.advance(1000);
  assert.not.ok(charging(rig));
  assert.match(rig.sim.display.text(), /collect the receipt/, 'the display asks for a tap');
  return { rig, contract, phone };
}

test('R6/R7 plug pulled on a capped contract: a DIFFERENT phone carries the abnormal receipt later', async () => {
  const { rig, contract, phone } = await pullPlugMidSession({ mode: 'energy', energyWh: 20_000 }, userKeys);
  rig.sim.clock.advance(3600_000); // hours later, someone else taps
  const bob = new TestPhone(rig, otherUserKeys, 'Bob');
  const records = await collect(bob);
  const receipt = receiptOf(records, contract);
  assert.is(receipt.endReason, 'abnormal');
  assert.is(receipt.endDetail, EndDetail.plugRemoved);
  assert.ok(receipt.durationS >= 302 && receipt.durationS <= 304, `duration ${receipt.durationS} s (2 s + 5 min + one period)`);
  assert.is(await acknowledge(rig, bob, records), 0);
  assert.is(phone.taps.length, 2, 'the user never tapped again');
  logTaps(bob);
});

test('R6/R8 plug pulled on an open contract: the receipt waits for a tap, which collects it', async () => {
  const { rig, contract, phone } = await pullPlugMidSession({ mode: 'full' }, userKeys);
  const waiting = await phone.tap('SELECT', (reader) => reader.select());
  assert.is(waiting.outboxCount, 2, 'contract and receipt wait in the outbox');
  const records = await collect(phone);
  const receipt = receiptOf(records, contract);
  assert.is(receipt.endReason, 'abnormal');
  assert.is(receipt.endDetail, EndDetail.plugRemoved);
  assert.is(await acknowledge(rig, phone, records), 0);
  rig.sim.clock.advance(1000);
  assert.not.match(rig.sim.display.text(), /collect the receipt/);
});

test('R3 update: a newer relay-signed tariff is applied; an older one is refused with 6984, a voucher for the old tariff with 9A02', async () => {
  const rig = nfcPileRig();
  plugEv(rig);
  const phone = new TestPhone(rig, userKeys, 'Ada');
  const { before, after, info } = await phone.tap('update: SELECT + UPDATE + SELECT + HELLO', async (reader) => {
    const before = await reader.select();
    await reader.update(testRelay.update(2, { energyMinorPerKwh: 42 }));
    const after = await reader.select();
    reader.trustPileKey(pileKeys.publicKey);
    return { before, after, info: await reader.hello(phone.userHello()) };
  });
  assert.is(before.configVersion, 1);
  assert.is(after.configVersion, 2);
  assert.equal(info.message.tariff, { ...provisionedTariff, version: 2, energyMinorPerKwh: 42 });

  for (const version of [1, 2]) {
    const refused = await phone.tap(`update v${version} again`, async (reader) => {
      await reader.select();
      return reader.update(testRelay.update(version, { energyMinorPerKwh: 1 })).then(() => undefined, (error: unknown) => error);
    });
    assert.instance(refused, PileRefusedError);
    assert.is((refused as PileRefusedError).sw, SW.referenceNotUsable, `version ${version}`);
  }
  const hello = await phone.tap('SELECT', (reader) => reader.select());
  assert.is(hello.configVersion, 2, 'still version 2');

  // A voucher priced at the old tariff no longer starts; one at the new tariff does.
  const old = await phone.tap('tap 2 at the old tariff', async (reader) => {
    const nonce = (await reader.select()).pileNonce;
    return reader.start(testRelay.voucher(nonce, phone.user, { mode: 'time', durationS: 600 }, 100, 1)).then(() => undefined, (error: unknown) => error);
  });
  assert.is((old as PileRefusedError).sw, SW.tariffChanged);
  const contract = await phone.tap('tap 2 at the new tariff', async (reader) => {
    const nonce = (await reader.select()).pileNonce;
    return (await reader.start(testRelay.voucher(nonce, phone.user, { mode: 'time', durationS: 600 }, 100, 2))).message;
  });
  assert.is(contract.tariff.energyMinorPerKwh, 42);
  logTaps(phone);
});

test('an outbox of 4+ records pages through GET RESPONSE in one tap; tap budget per purpose', async () => {
  const rig = nfcPileRig();
  plugEv(rig);
  const phone = new TestPhone(rig, userKeys, 'Ada');
  for (let i = 0; i < 2; i++) {
    const contract = await startCharging(rig, phone, { mode: 'time', durationS: 60 }, 100);
    runUntil(rig, () => !charging(rig), 120);
    assert.ok(contract.seq > 0);
  }
  const records = await collect(phone, 'OUTBOX of 4 records: SELECT + OUTBOX');
  assert.is(records.length, 4);
  logTaps(phone);
  const worst = phone.taps.at(-1)!.stats;
  assert.ok(worst.apdus <= 6, `${worst.apdus} APDUs`);
  assert.ok(worst.commandBytes + worst.responseBytes <= 1024, `${worst.commandBytes + worst.responseBytes} bytes`);
});

test('air budget per tap (design §6: ≤ 6 APDUs, ≤ 1 KiB)', () => {
  for (const { label, apdus, bytes } of tapLog) {
    if (label.startsWith('update:')) continue; // two purposes in one tap, on purpose
    assert.ok(apdus <= 6, `${label}: ${apdus} APDUs`);
    assert.ok(bytes <= 1024, `${label}: ${bytes} bytes`);
  }
  const seen = new Map<string, { apdus: number; bytes: number }>();
  for (const entry of tapLog) if (!seen.has(entry.label)) seen.set(entry.label, entry);
  console.log('\n| tap | APDUs | bytes on air |\n|---|---|---|');
  for (const [label, { apdus, bytes }] of seen) console.log(`| ${label} | ${apdus} | ${bytes} |`);
});

test.run();
