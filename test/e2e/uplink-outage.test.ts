// The outage sweep (issue 13, "seamless fall-back"): one networked pile at the real relay
// (SimSystem), one session started by a phone's taps (tap 1, a full-mode voucher, tap 2) and ended
// by the car (full, then idle: a normal end), its Contract and Receipt delivered over the uplink.
// A first run without outage lists every frame the pile sends in the session; then, for each of
// those frames and each phase (before-send, after-send, after-reply), a fresh system runs the same
// session with the link cut at that frame, kept down for two minutes, restored, and settled.
// Every case must end the same: the relay holds both records once, accepted in billing-seq order
// with no gap flagged; the contract opened and settled exactly once on the ledger and the user's
// balance moved by the settled amount only; the pile's outbox empty (acknowledged); the relay's
// audit passes. Two more cases cut the link while the session runs and have a phone collect and
// sync the same records during the outage: the uplink then re-delivers them, the relay answers
// duplicate, nothing settles twice.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OUTAGE_PHASES, type PlannedCut } from '../../hal/sim/uplink-outage.ts';
import { withRelayData } from '../../tools/relay/audit/open-relay-data.ts';
import type { UplinkEvent } from '../../tools/relay/ocpp/uplinks.ts';
import { auditSessions } from '../../tools/system-day/session-audit.ts';
import { type SimPile, SimSystem, defaultTariff } from '../../tools/system-day/sim-system.ts';
import type { Phone } from '../../tools/phone/phone.ts';

const START_MS = Date.UTC(2026, 5, 1, 9);
const FUNDS_MINOR = 5000;
/** How long the link stays down after a cut, virtual ms (longer than the pile's reconnect back-off at its cap). */
const OUTAGE_MS = 2 * 60_000;
/** A case that has not ended by then has failed, virtual ms. */
const CASE_LIMIT_MS = 30 * 60_000;
const STEP_MS = 1000;

type RecordEvent = Extract<UplinkEvent, { kind: 'record' }>;

type SessionRun = {
  /** Kinds of the CALLs the pile sent from tap 1 until its outbox was empty and the link up. */
  frames: string[];
  /** What the relay published of the pile's billing records over the uplink, in order. */
  records: RecordEvent[];
  /** Records the phone uploaded: accepted, duplicate. */
  phoneUploads: { accepted: number; duplicates: number };
  cuts: number;
  outboxLeft: number;
  balanceMinor: number;
  escrowMinor: number;
  dataDir: string;
  pileIdHex: string;
};

type Outage = { cut: PlannedCut; phoneCarries?: boolean };

/** Drives the pile until its session ended and its outbox is empty, restoring the link OUTAGE_MS after a cut. */
async function runSession(outage?: Outage): Promise<SessionRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tapcharge-outage-'));
  const system = new SimSystem({ dataDir, seed: 13, startMs: START_MS });
  await system.start();
  let finished = false;
  try {
    const pile = await system.addPile('Bay 1', defaultTariff, 7400, { networked: true });
    await system.advanceSettled(12_000); // the relay's Pending interval: Accepted
    const { outage: link, traffic } = pile.uplink!;
    const records: RecordEvent[] = [];
    system.relay.uplinks.watch(pile.pileIdHex, (event) => event.kind === 'record' && records.push(event));
    const phone = await system.addPhone('Ada', FUNDS_MINOR);
    system.plug(pile, { batteryWh: 10_000, stateOfChargePerMille: 950 });
    await system.settleUplinks();

    const firstFrame = traffic.calls.length;
    if (outage) link.cutAt(outage.cut);
    await system.tap(pile, (t) => phone.tapHello(t));
    await phone.requestVoucher({ mode: 'full' });
    await system.tap(pile, (t) => phone.tapStart(t));
    await system.settleUplinks();

    const phoneUploads = { accepted: 0, duplicates: 0 };
    let cutAtMs: number | undefined;
    let carried = false;
    for (let elapsedMs = 0; ; elapsedMs += STEP_MS) {
      if (elapsedMs > CASE_LIMIT_MS) throw new Error(`session not over after ${CASE_LIMIT_MS / 60_000} min: ${pile.handle.services!.state()}, outbox ${outboxLeft(pile)}, link ${link.up ? 'up' : 'down'}`);
      await system.advanceSettled(STEP_MS);
      if (!link.up && cutAtMs === undefined) cutAtMs = system.clock.nowMs();
      if (outage?.phoneCarries && !carried && cutAtMs !== undefined && sessionEnded(pile)) {
        Object.assign(phoneUploads, await collectAndSync(system, pile, phone));
        carried = true;
      }
      const outageOver = cutAtMs !== undefined && system.clock.nowMs() - cutAtMs >= OUTAGE_MS && (!outage?.phoneCarries || carried);
      if (!link.up && outageOver) link.restore();
      if (sessionEnded(pile) && outboxLeft(pile) === 0 && link.up && (!outage || cutAtMs !== undefined)) break;
    }
    await system.settleUplinks();
    await system.relay.drainLedger();
    const { account } = await phone.account();
    finished = true;
    return {
      frames: traffic.calls.slice(firstFrame), records, phoneUploads, cuts: link.cuts, outboxLeft: outboxLeft(pile),
      balanceMinor: account.balanceMinor, escrowMinor: account.escrowMinor, dataDir, pileIdHex: pile.pileIdHex,
    };
  } finally {
    await system.close();
    if (!finished) rmSync(dataDir, { recursive: true, force: true }); // a finished run's data is audited, then removed
  }
}

const sessionEnded = (pile: SimPile) => pile.handle.services!.state() === 'finishing';
const outboxLeft = (pile: SimPile) => pile.handle.services!.outbox(0, 8).records.length;

/** A phone taps to collect what the pile holds and uploads it (the relay's HTTP API, not the uplink). */
async function collectAndSync(system: SimSystem, pile: SimPile, phone: Phone): Promise<{ accepted: number; duplicates: number }> {
  await system.tap(pile, (t) => phone.tapCollect(t));
  const report = await phone.sync();
  return { accepted: report.accepted, duplicates: report.duplicates };
}

/** Everything a case must end with; `label` names the case in each failure. */
async function assertSettledOnce(run: SessionRun, label: string, outage?: Outage): Promise<void> {
  try {
    if (outage) assert.is(run.cuts, 1, `${label}: the planned cut happened`);
    assert.is(run.outboxLeft, 0, `${label}: the pile's outbox is empty (acknowledged)`);
    const accepted = run.records.filter((r) => r.status === 'accepted');
    assert.ok(run.records.every((r) => r.status !== 'rejected'), `${label}: no record rejected: ${JSON.stringify(run.records)}`);
    const uplinkAccepted = accepted.map((r) => `${r.recordKind} ${r.seq}`);
    const phoneAccepted = run.phoneUploads.accepted;
    assert.is(uplinkAccepted.length + phoneAccepted, 2, `${label}: each record accepted once (uplink ${uplinkAccepted.join(', ')}; phone ${phoneAccepted})`);
    await withRelayData(run.dataDir, async ({ db, ledger, anchors }) => {
      const held = await db.all<{ seq: number; kind: string; gap_below: number }>('SELECT seq, kind, gap_below FROM records WHERE pile_id = ? ORDER BY rowid', [run.pileIdHex]);
      assert.equal(held.map((r) => r.kind), ['contract', 'receipt'], `${label}: both records held once, the contract first`);
      assert.ok(Number(held[1]!.seq) === Number(held[0]!.seq) + 1, `${label}: in billing-seq order`);
      assert.ok(held.every((r) => Number(r.gap_below) === 0), `${label}: no gap flagged`);
      const audit = await auditSessions(db, ledger, { anchors });
      assert.equal(audit.problems, [], `${label}: audit`);
      assert.ok(audit.ok);
      assert.is(audit.recordsVerified, 2);
      assert.is(audit.sessions.length, 1);
      const session = audit.sessions[0]!;
      assert.equal([session.status, session.ledger, session.receipt?.endReason], ['settled', 'settled', 'normal'], `${label}: settled on a normal end`);
      assert.is(audit.settledVerified, 1, `${label}: opened once and settled once, hashes matching`);
      const events = await ledger.history();
      const hex = (id: string) => id.toLowerCase().replace(/^0x/, '');
      const about = events.filter((e) => 'contractId' in e && hex(e.contractId) === hex(session.contractId));
      const settled = about.filter((e) => e.kind === 'settled');
      assert.is(settled.length, 1, `${label}: the contract settled once on the ledger`);
      // opened then settled from open when the open went out before the receipt came; else one step
      const expected = settled[0]!.kind === 'settled' && settled[0]!.from === 'none' ? ['settled'] : ['opened', 'settled'];
      assert.equal(about.map((e) => e.kind), expected, `${label}: the contract's ledger events`);
      assert.is(events.filter((e) => e.kind === 'skipped' || e.kind === 'ref-duplicate').length, 0, `${label}: no write reached the ledger twice`);
      assert.equal([run.balanceMinor, run.escrowMinor], [FUNDS_MINOR - session.settledMinor!, 0], `${label}: the balance moved by the settled amount only`);
    });
  } finally {
    rmSync(run.dataDir, { recursive: true, force: true });
  }
}

const sweepStartedMs = Date.now();
const baseline = await runSession();

/** Each frame of the baseline session as "the nth of its kind". */
const frameCuts = baseline.frames.map((kind, i) => ({ kind, nth: baseline.frames.slice(0, i + 1).filter((k) => k === kind).length }));
let casesRun = 0;

test('without outage: the records go over the uplink, each accepted once, then the transaction messages', async () => {
  assert.equal(baseline.records.map((r) => `${r.recordKind} ${r.status}`), ['contract accepted', 'receipt accepted']);
  for (const kind of ['BillingRecord', 'StartTransaction', 'MeterValues', 'StopTransaction', 'StatusNotification']) {
    assert.ok(baseline.frames.includes(kind), `the session sends ${kind}: ${baseline.frames.join(', ')}`);
  }
  assert.equal(baseline.frames.filter((k) => k === 'BillingRecord' || k.endsWith('Transaction')), ['BillingRecord', 'StartTransaction', 'BillingRecord', 'StopTransaction']);
  await assertSettledOnce(baseline, 'baseline');
  casesRun++;
});

/**
 * The record the relay must receive twice when the link is cut at `cut`: one whose Ack the pile
 * had not applied — its BillingRecord reached the relay (after-send, after-reply: the pile then
 * sends its transaction message on a dead link), or its transaction message went unanswered
 * (before-send, after-send). The Ack is applied once StartTransaction / StopTransaction is answered.
 */
function resentRecord({ kind, nth, phase }: PlannedCut): 'contract' | 'receipt' | undefined {
  if (kind === 'BillingRecord') return phase === 'before-send' ? undefined : nth === 1 ? 'contract' : 'receipt';
  if (kind === 'StartTransaction' || kind === 'StopTransaction') return phase === 'after-reply' ? undefined : kind === 'StartTransaction' ? 'contract' : 'receipt';
  return undefined;
}

for (const { kind, nth } of frameCuts) {
  for (const phase of OUTAGE_PHASES) {
    const outage: Outage = { cut: { kind, nth, phase } };
    const label = `${kind} #${nth} ${phase}`;
    test(`cut at ${label}: nothing lost, nothing settled twice, order kept`, async () => {
      const run = await runSession(outage);
      await assertSettledOnce(run, label, outage);
      const resent = resentRecord(outage.cut);
      const duplicates = run.records.filter((r) => r.status === 'duplicate').map((r) => r.recordKind);
      assert.equal(duplicates, resent ? [resent] : [], `${label}: re-delivered (answered duplicate) exactly what the pile could not know acknowledged; frames ${run.frames.join(' ')}`);
      casesRun++;
    });
  }
}

test('the contract never reached the relay; a phone carries both records during the outage: the uplink re-delivers the contract, answered duplicate, whose Ack covers the receipt too', async () => {
  const outage: Outage = { cut: { kind: 'BillingRecord', nth: 1, phase: 'before-send' }, phoneCarries: true };
  const run = await runSession(outage);
  await assertSettledOnce(run, 'BillingRecord #1 before-send, a phone carrying', outage);
  assert.equal(run.phoneUploads, { accepted: 2, duplicates: 0 });
  assert.equal(run.records.map((r) => `${r.recordKind} ${r.status}`), ['contract duplicate']);
  casesRun++;
});

test('the receipt reached the relay unknown to the pile; a phone carries both records during the outage: answered duplicate to the phone and to the uplink after it', async () => {
  const outage: Outage = { cut: { kind: 'BillingRecord', nth: 2, phase: 'after-send' }, phoneCarries: true };
  const run = await runSession(outage);
  await assertSettledOnce(run, 'BillingRecord #2 after-send, a phone carrying', outage);
  assert.equal(run.phoneUploads, { accepted: 0, duplicates: 2 });
  assert.equal(run.records.map((r) => `${r.recordKind} ${r.status}`), ['contract accepted', 'receipt accepted', 'receipt duplicate']);
  casesRun++;
});

test.after(() => {
  console.log(`uplink outage sweep: ${baseline.frames.length} frames in the session (${baseline.frames.join(', ')}) × ${OUTAGE_PHASES.length} phases + 2 phone cases + the baseline: ${casesRun} cases ran in ${((Date.now() - sweepStartedMs) / 1000).toFixed(1)} s`);
});
test.run();
