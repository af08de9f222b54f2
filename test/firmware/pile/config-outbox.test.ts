// Relay-signed updates (newer applied and kept across reboots, older refused), the outbox (oldest
// first, paged, any phone) and acknowledgements (prune only what a relay Ack covers; billing
// sequence continues without holes or reuse after everything was pruned and the pile rebooted).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hexToBytes } from '../../../contracts-offline/bytes.ts';
import { outboxMessages, pileUpdate, plugEv, provisionedRig, startSession, type Rig, genuine } from '../../support/pile-rig.ts';

function sessions(rig: Rig, count: number): void {
  for (let i = 0; i < count; i++) {
    const contract = startSession(rig.pile, { mode: 'energy', energyWh: 20_000 }, 2000);
    assert.ok(contract.length > 0);
    rig.sim.clock.advance(30_000);
    const seq = rig.pile.session!.contract.seq;
    assert.ok(rig.pile.stopSession(seq, 'user', genuine).ok);
    rig.sim.clock.advance(1000);
  }
}

test('a newer update is journaled and applied, survives a reboot; older, equal and foreign ones change nothing', () => {
  const rig = provisionedRig();
  const v3 = pileUpdate(3, { label: 'Bay 9', maxPowerW: 11_000 });
  assert.equal(rig.pile.applyUpdate(v3.update, v3.signedBytes), { ok: true, value: undefined });
  assert.is(rig.pile.config().configVersion, 3);
  assert.is(rig.pile.config().tariff.version, 3);
  assert.is(rig.pile.config().maxPowerW, 11_000);
  rig.sim.clock.advance(1000);
  assert.ok(rig.sim.display.text().includes('Bay 9'), rig.sim.display.text());
  for (const version of [2, 3]) {
    const older = pileUpdate(version, { label: 'Old' });
    const refused = rig.pile.applyUpdate(older.update, older.signedBytes);
    assert.equal(refused.ok ? 'ok' : refused.code, 'unusable', `version ${version}`);
  }
  const foreign = pileUpdate(4, { pileId: hexToBytes('50a1e00000000099') });
  const refused = rig.pile.applyUpdate(foreign.update, foreign.signedBytes);
  assert.equal(refused.ok ? 'ok' : refused.code, 'unusable');
  rig.handle.shutdown();
  const rebooted = rig.boot();
  assert.is(rebooted.config().configVersion, 3);
  assert.is(rebooted.config().label, 'Bay 9');
});

test('a session keeps the tariff of its contract when an update arrives mid-session', () => {
  const rig = provisionedRig();
  plugEv(rig.sim);
  startSession(rig.pile, { mode: 'time', durationS: 120 }, 1000);
  const v2 = pileUpdate(2, { tariff: { version: 2, energyMinorPerKwh: 999, timeMinorPerHour: 999, sessionFeeMinor: 999 } });
  assert.ok(rig.pile.applyUpdate(v2.update, v2.signedBytes).ok);
  rig.sim.clock.advance(121_000);
  const [contract, receipt] = outboxMessages(rig.pile);
  assert.is(contract && 'tariff' in contract ? contract.tariff.version : 0, 1);
  assert.ok(receipt && 'amountMinor' in receipt && receipt.amountMinor < 999);
});

test('outbox: unacknowledged contracts and receipts, oldest first, paged after a seq', () => {
  const rig = provisionedRig();
  plugEv(rig.sim);
  sessions(rig, 3);
  const first = rig.pile.outbox(0, 4);
  assert.equal(first.records.map((r) => r.seq), [1, 2, 3, 4]);
  assert.is(first.remaining, 2);
  const next = rig.pile.outbox(4, 4);
  assert.equal(next.records.map((r) => r.seq), [5, 6]);
  assert.is(next.remaining, 0);
  assert.equal(outboxMessages(rig.pile).map((m) => m.seq), [1, 2, 3, 4, 5, 6]);
  assert.is(rig.pile.outbox(6, 4).records.length, 0);
});

test('acknowledge: only covered records leave the outbox; unknown seqs are ignored; count answered', () => {
  const rig = provisionedRig();
  plugEv(rig.sim);
  sessions(rig, 3);
  const acked = rig.pile.acknowledge([{ fromSeq: 1, toSeq: 2 }, { fromSeq: 4, toSeq: 4 }, { fromSeq: 90, toSeq: 99 }]);
  assert.equal(acked, { ok: true, value: 3 });
  assert.equal(rig.pile.outbox(0, 10).records.map((r) => r.seq), [3, 5, 6]);
  assert.equal(rig.pile.acknowledge([{ fromSeq: 1, toSeq: 2 }]), { ok: true, value: 3 }, 'idempotent');
  rig.handle.shutdown();
  const rebooted = rig.boot();
  assert.equal(rebooted.outbox(0, 10).records.map((r) => r.seq), [3, 5, 6], 'acknowledgements are durable');
});

test('the running contract, once acknowledged, leaves the outbox but stays until its receipt settles it', () => {
  const rig = provisionedRig();
  plugEv(rig.sim);
  startSession(rig.pile, { mode: 'full' }, 2000);
  assert.equal(rig.pile.acknowledge([{ fromSeq: 1, toSeq: 1 }]), { ok: true, value: 0 });
  rig.handle.shutdown(); // power loss: the contract must still be there to recover
  const rebooted = rig.boot();
  assert.equal(rig.handle.recovered.map((r) => [r.contractSeq, r.seq, r.endReason]), [[1, 2, 'abnormal']]);
  assert.equal(rebooted.outbox(0, 10).records.map((r) => r.seq), [2]);
});

test('everything acknowledged (so no billing record is live): numbering continues after a reboot (billing floor)', () => {
  const rig = provisionedRig();
  plugEv(rig.sim);
  sessions(rig, 4);
  assert.equal(rig.pile.acknowledge([{ fromSeq: 1, toSeq: 8 }]), { ok: true, value: 0 });
  rig.handle.shutdown();
  let pile = rig.boot();
  assert.is(pile.outbox(0, 10).records.length, 0);
  sessions(rig, 1);
  assert.equal(outboxMessages(pile).map((m) => m.seq), [9, 10]);
  rig.handle.shutdown();
  pile = rig.boot();
  assert.equal(outboxMessages(pile).map((m) => m.seq), [9, 10]);
});

test.run();
