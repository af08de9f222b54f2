// A journal full of unacknowledged billing records refuses new contracts ('full', a clear screen)
// and never overwrites what it holds; a relay Ack makes room again. Also the capacity the issue
// asks for: ≥ 150 settled-but-unacknowledged sessions in a 64 KiB partition.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plugEv, provisionedRig, voucher, type Rig, genuine } from '../../support/pile-rig.ts';

/** Start-and-stop sessions until START is refused; answers the sessions made and the refusal. */
function fillJournal(rig: Rig, maxSessions: number): { sessions: number; refusal: string } {
  for (let sessions = 0; sessions < maxSessions; sessions++) {
    const started = rig.pile.startSession(voucher({ mode: 'time', durationS: 3600 }, 2000), 'Ann', genuine);
    if (!started.ok) return { sessions, refusal: started.code };
    rig.sim.clock.advance(2000);
    const stopped = rig.pile.stopSession(rig.pile.session!.contract.seq, 'user', genuine);
    if (!stopped.ok) throw new Error(`stop refused: ${stopped.reason}`);
  }
  return { sessions: maxSessions, refusal: 'none' };
}

function snapshot(rig: Rig): Map<number, string> {
  const { records, remaining } = rig.pile.outbox(0, 10_000);
  assert.is(remaining, 0);
  return new Map(records.map((r) => [r.seq, r.bytes.join(',')]));
}

test('full journal: START refused with "full" and a screen saying so; nothing held is lost or changed', () => {
  const rig = provisionedRig({ board: { flashByteLength: 16 * 1024 } });
  plugEv(rig.sim);
  const { sessions, refusal } = fillJournal(rig, 200);
  assert.is(refusal, 'full');
  assert.ok(sessions >= 10, `${sessions} sessions fit in 16 KiB`);
  rig.sim.clock.advance(0); // the redraw after the refused START
  assert.is(rig.sim.display.status, 'attention');
  assert.ok(rig.sim.display.text().includes('Journal full'), rig.sim.display.text());
  const held = snapshot(rig);
  assert.is(held.size, sessions * 2, 'every contract and receipt still held');
  assert.equal([...held.keys()], Array.from({ length: sessions * 2 }, (_, i) => i + 1));
  const again = rig.pile.startSession(voucher({ mode: 'full' }, 1000), undefined, genuine);
  assert.equal(again.ok ? 'ok' : again.code, 'full');
  rig.handle.shutdown();
  const rebooted = rig.boot();
  assert.equal(snapshot(rig), held, 'a reboot finds the same records, byte for byte');
  assert.equal(rebooted.acknowledge([{ fromSeq: 1, toSeq: 10 }]), { ok: true, value: sessions * 2 - 10 });
  const { sessions: more } = fillJournal(rig, 3);
  assert.is(more, 3, 'the acknowledged records made room');
  const after = snapshot(rig);
  for (const [seq, bytes] of held) if (seq > 10) assert.is(after.get(seq), bytes, `record ${seq} unchanged`);
  assert.ok(after.has(sessions * 2 + 1), 'numbering continues');
});

test('capacity: a 64 KiB partition holds ≥ 150 settled, unacknowledged sessions', () => {
  const rig = provisionedRig();
  plugEv(rig.sim);
  const { sessions, refusal } = fillJournal(rig, 400);
  console.log(`  64 KiB journal: ${sessions} unacknowledged sessions before "${refusal}"`);
  assert.ok(sessions >= 150, `${sessions} sessions`);
  assert.is(refusal, 'full');
});

test.run();
