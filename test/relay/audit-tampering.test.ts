// The relay's audit (tools/relay/audit) catches tampering with any stored figure (issue 14). One
// relay data folder is built once: `tapcharge day --fast` — the real firmware on simulated piles,
// phones on the simulated NFC field: settled and provisional sessions, a credit advance and its
// repayment, top-ups, a transfer — then the same relay restarted on that folder, two days later,
// with a stand-in pile signing records through contracts-offline (test/support/relay-harness.ts)
// for what the day does not do: a contract charged at its cap and corrected by its late receipt,
// the day's provisional contract charged at its cap, a disputed contract (signed with another cap
// than its voucher's) with its receipt, a receipt that claims more than the tariff gives, a second
// receipt for one contract, a receipt whose contract never comes; and, through the HTTP API, what
// users and the operator decide: two more disputed contracts, one voided and one settled by the
// operator (an advance for its shortfall), a voucher cancelled and unused, another cancelled yet
// used by the pile, that contract refunded in part twice, and service authorisations for the pile's
// console. Untouched, the audit passes. Then, for
// each table that carries money or state, a value is changed, a row deleted and a row inserted —
// each on a fresh copy of the database, audited against the folder's ledger — and the audit
// fails, its first line naming that table and row. (A deleted service authorisation is the one
// thing no source tells: the relay is the only keeper of what it issued.) The ledger's history
// edited on the way to the auditor fails too: a settled amount, a dropped settlement or refund, and
// a batch whose records digest the relay's stored signed records do not give (edited, or its
// entries reordered); and a ledger whose history index holds a transaction that does not carry the
// batch its Batch log commits to (the history does not read back).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import type { ChargeLimit } from '../../contracts-offline/charge-limit.ts';
import { type KeyPair, generateKeyPair } from '../../contracts-offline/keys.ts';
import type { Authorization } from '../../contracts-offline/messages/authorization.ts';
import { encodeContract } from '../../contracts-offline/messages/contract.ts';
import { signMessage } from '../../contracts-offline/signed.ts';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import { userAddressOf } from '../../tools/ledger/ids.ts';
import type { Ledger, LedgerEvent } from '../../tools/ledger/ledger.ts';
import { sodiumEd25519 } from '../../tools/sodium-ed25519.ts';
import { type RelayAudit, auditRelay } from '../../tools/relay/audit/audit-relay.ts';
import { type AuditAnchors, readAnchors } from '../../tools/relay/audit/open-relay-data.ts';
import { startRelay } from '../../tools/relay/start-relay.ts';
import { openSqlite } from '../../tools/relay/storage/sqlite.ts';
import { type Reply, RelayCaller, TestClock, type TestPile } from '../support/relay-harness.ts';

const bin = new URL('../../tools/cli/bin.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tapcharge-audit-tampering-'));
const dataDir = join(dir, 'relay');

type Row = Record<string, unknown>;
const one = (db: Database.Database, sql: string, ...params: unknown[]): Row => {
  const row = db.prepare(sql).get(...params) as Row | undefined;
  if (!row) throw new Error(`fixture: no row for ${sql}`);
  return row;
};
const randomHex = (bytes: number): string => bytesToHex(crypto.getRandomValues(new Uint8Array(bytes)));

/** Inserts a copy of the row `where` selects, with `changes`. */
function copyRow(db: Database.Database, table: string, where: string, params: unknown[], changes: Row): Row {
  const copy = { ...one(db, `SELECT * FROM ${table} WHERE ${where}`, ...params), ...changes };
  const columns = Object.keys(copy);
  db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`).run(...columns.map((c) => copy[c]));
  return copy;
}

function accepted(reply: Reply): void {
  if (reply.status !== 200 || reply.json.results.some((r: { status: string }) => r.status !== 'accepted')) throw new Error(`fixture: upload ${reply.status} ${reply.text}`);
}

/** A contract the stand-in pile signs with a cap other than its voucher's: the relay holds it, disputed. */
function contractWithOtherCap(pile: TestPile, voucher: Authorization, capMinor: number, atS: number): { seq: number; signed: Uint8Array } {
  const seq = ++pile.seq;
  pile.contracts.set(seq, { limit: voucher.limit, capMinor });
  const signed = signMessage(encodeContract({
    pileId: pile.pileId, seq, userKid: voucher.userKid, voucherId: voucher.voucherId, limit: voucher.limit, tariff: pile.tariff,
    startMeterWh: pile.meterWh, capMinor, startAtS: atS,
  }), pile.key.secretKey, { kid: pile.key.kid, crypto: sodiumEd25519 });
  return { seq, signed };
}

/** A relay call that must succeed: 200, or 202 while its ledger write is queued. */
async function succeeded(reply: Promise<Reply>, what: string): Promise<Reply> {
  const r = await reply;
  if (r.status !== 200 && r.status !== 202) throw new Error(`fixture: ${what} ${r.status} ${r.text}`);
  return r;
}

/**
 * What only an operator or a user's cancel decides: a disputed contract voided by the operator
 * (POST …/resolve); a voucher cancelled and left unused, another cancelled and still used by the
 * pile — a settled contract — which the operator then refunds in part, twice; last, a disputed
 * contract whose cap is 200 above Fay's balance settled by the operator, the shortfall advanced.
 */
async function operatorDecisions(t: RelayCaller, pile: TestPile, fay: KeyPair & { kidHex: string }, voucher: (limit: ChargeLimit) => Promise<Reply>): Promise<void> {
  const asOperator = (path: string, body: Record<string, unknown>) => t.call('POST', path, { body, signer: t.operator });
  const disputedWithReceipt = async (capMinor: number, voucherCapMinor: number): Promise<string> => {
    const d = contractWithOtherCap(pile, t.authorization(await voucher({ mode: 'amount', amountMinor: voucherCapMinor })), capMinor, t.clock.nowS);
    accepted(await t.upload(d.signed, pile.receipt(d.seq, { energyWh: 1_500, durationS: 900, endAtS: t.clock.nowS + 900 }).signed));
    return pile.contractId(d.seq).slice(2);
  };
  const voided = await disputedWithReceipt(600, 400);
  await succeeded(asOperator(`/v1/operator/contracts/${voided}/resolve`, { decision: 'void', reason: 'not covered by its voucher' }), 'resolve void');

  const cancel = async (reply: Reply) => succeeded(t.call('POST', `/v1/vouchers/${bytesToHex(t.authorization(reply).voucherId)}/cancel`, { signer: fay }), 'voucher cancel');
  await cancel(await voucher({ mode: 'amount', amountMinor: 250 }));
  const cancelled = await voucher({ mode: 'amount', amountMinor: 1_000 });
  await cancel(cancelled);
  const used = pile.contract(cancelled.json.authorization, t.clock.nowS);
  accepted(await t.upload(used.signed, pile.receipt(used.seq, { energyWh: 8_000, durationS: 3_600, endAtS: t.clock.nowS + 3_600 }).signed));
  const refund = `/v1/operator/contracts/${pile.contractId(used.seq).slice(2)}/refund`;
  await succeeded(asOperator(refund, { amountMinor: 150, reason: 'slow charging', idempotencyKey: randomHex(16) }), 'refund');
  await succeeded(asOperator(refund, { amountMinor: 100, reason: 'goodwill', idempotencyKey: randomHex(16) }), 'refund');

  const { bookBalanceMinor } = (await succeeded(t.call('GET', `/v1/users/${fay.kidHex}`, { signer: fay }), 'user')).json;
  const settled = await disputedWithReceipt(bookBalanceMinor + 200, 500);
  const answer = await succeeded(asOperator(`/v1/operator/contracts/${settled}/resolve`, { decision: 'settle', reason: 'an old cap table on the pile; the session happened' }), 'resolve settle');
  if (answer.json.advanceMinor !== 200) throw new Error(`fixture: the settle advanced ${answer.json.advanceMinor}, not 200`);
}

/** Two days after the day, on the same folder: the sessions a day does not make. */
async function afterTheDay(): Promise<void> {
  const day = new Database(join(dataDir, 'relay.sqlite'), { readonly: true });
  const dayEndS = Number(one(day, 'SELECT MAX(received_at_s) AS s FROM records')['s']);
  day.close();
  const clock = new TestClock();
  clock.atMs = (dayEndS + 3600) * 1000;
  const relay = await startRelay({ dataDir, port: 0, clock, log: () => undefined });
  try {
    const t = new RelayCaller(relay.url, relay.operatorKey, relay.relayKey.publicKey, clock);
    const pile = await t.newPile({ energyMinorPerKwh: 40, timeMinorPerHour: 60, sessionFeeMinor: 50 });
    const fay = await t.newUser('Fay');
    if ((await t.topUp(fay.kidHex, 20_000)).status !== 200) throw new Error('fixture: top-up refused');
    const voucher = async (limit: ChargeLimit): Promise<Reply> => {
      const reply = await t.voucher(fay, pile, limit);
      if (reply.status !== 201) throw new Error(`fixture: voucher ${reply.status} ${reply.text}`);
      return reply;
    };
    const contract = async (limit: ChargeLimit) => pile.contract((await voucher(limit)).json.authorization, clock.nowS);

    const overdue = await contract({ mode: 'amount', amountMinor: 800 });
    accepted(await t.upload(overdue.signed));
    const disputed = contractWithOtherCap(pile, t.authorization(await voucher({ mode: 'amount', amountMinor: 300 })), 900, clock.nowS);
    accepted(await t.upload(disputed.signed, pile.receipt(disputed.seq, { energyWh: 2_000, durationS: 600, endAtS: clock.nowS + 600 }).signed));
    const neverCarried = await contract({ mode: 'amount', amountMinor: 400 });
    accepted(await t.upload(pile.receipt(neverCarried.seq, { energyWh: 1_000, durationS: 300, endAtS: clock.nowS + 300 }).signed));

    clock.advanceS(2 * 86_400 + 3600); // the overdue sweep charges both capped contracts without receipt at their caps
    for (let i = 0; i < 200 && (await relay.ledger.record(pile.contractId(overdue.seq))) !== 'charged-at-cap'; i++) await new Promise((r) => setTimeout(r, 50));
    accepted(await t.upload(pile.receipt(overdue.seq, { energyWh: 6_000, durationS: 3_600, endAtS: clock.nowS - 86_400 }).signed));

    const overclaimed = await contract({ mode: 'time', durationS: 3_600 });
    const claim = pile.receipt(overclaimed.seq, { energyWh: 5_000, durationS: 3_000, endAtS: clock.nowS + 3_000, amountMinor: 999 });
    const second = pile.receipt(overclaimed.seq, { energyWh: 10, durationS: 10, endAtS: clock.nowS + 3_010 });
    accepted(await t.upload(overclaimed.signed, claim.signed, second.signed));
    accepted(await t.upload((await contract({ mode: 'energy', energyWh: 5_000 })).signed));
    await operatorDecisions(t, pile, fay, voucher);
    for (const scope of ['provision', 'factory-reset']) {
      const issued = await t.call('POST', `/v1/piles/${bytesToHex(pile.pileId)}/service-authorizations`, { body: { challenge: randomHex(16), scope }, signer: t.operator });
      if (issued.status !== 201) throw new Error(`fixture: service authorisation ${issued.status} ${issued.text}`);
    }
    await relay.drainLedger();
  } finally {
    await relay.close();
  }
}

type Ctx = { pristine: Buffer; ledger: Ledger; anchors: AuditAnchors; untouched: RelayAudit; dayMs: number; afterMs: number };
const tampering = suite<Ctx>('relay audit: tampering with any stored figure', {} as Ctx);

tampering.before(async (ctx) => {
  const started = performance.now();
  const day = spawnSync(process.execPath, [bin, 'day', '--fast', '--data', dataDir], { encoding: 'utf8', timeout: 300_000 });
  if (day.status !== 0) throw new Error(`fixture: tapcharge day exited ${day.status}: ${day.stdout.slice(-2000)}${day.stderr}`);
  ctx.dayMs = performance.now() - started;
  await afterTheDay();
  ctx.afterMs = performance.now() - started - ctx.dayMs;
  const db = new Database(join(dataDir, 'relay.sqlite'), { readonly: true });
  ctx.pristine = db.serialize();
  db.close();
  ctx.anchors = readAnchors(dataDir);
  ctx.ledger = await openEmbeddedLedger(dataDir);
  ctx.untouched = await auditCopy(ctx);
});

tampering.after(async (ctx) => {
  await ctx.ledger?.close();
  rmSync(dir, { recursive: true, force: true });
  if (ctx.dayMs) console.log(`fixture: day ${(ctx.dayMs / 1000).toFixed(1)} s, after the day ${(ctx.afterMs / 1000).toFixed(1)} s`);
});

let copies = 0;

/** The audit of a fresh copy of the folder's database, `tamper`ed first, against the folder's ledger (or `ledger`). */
async function auditCopy(ctx: Ctx, tamper?: (db: Database.Database) => void, ledger: Ledger = ctx.ledger): Promise<RelayAudit> {
  const path = join(dir, `copy-${++copies}.sqlite`);
  writeFileSync(path, ctx.pristine);
  if (tamper) {
    const writable = new Database(path);
    try {
      tamper(writable);
    } finally {
      writable.close();
    }
  }
  const db = openSqlite(path, { readonly: true });
  try {
    return await auditRelay(db, ledger, { anchors: ctx.anchors });
  } finally {
    await db.close();
  }
}

tampering('untouched, the audit passes; the folder holds every kind of session, receipt and money move', ({ untouched }) => {
  assert.equal(untouched.disagreements, []);
  assert.ok(untouched.ok);
  const statuses = new Set(untouched.sessions.map((s) => s.status));
  assert.equal([...statuses].sort(), ['charged-at-cap', 'corrected', 'disputed', 'provisional', 'settled', 'voided']);
  assert.equal(untouched.sessions.filter((s) => s.dispute).map((s) => `${s.status} ${s.resolved?.decision ?? '-'}`).sort(), ['disputed -', 'settled settle', 'voided void'],
    'one dispute open, one settled and one voided by the operator');
  assert.ok(untouched.sessions.some((s) => s.status === 'charged-at-cap' && s.contract.message.startAtS < untouched.sessions.find((c) => c.status === 'corrected')!.contract.message.startAtS),
    'the day\'s own provisional contract was charged at its cap');
  assert.ok(untouched.sessions.some((s) => s.settlement?.mismatch), 'a receipt claiming more than the tariff');
  assert.ok(untouched.sessions.some((s) => s.conflicting.length === 1), 'a second receipt for one contract');
  assert.is(untouched.recordsVerified, untouched.rows.records);
  assert.is(untouched.rows.service_authorizations, 2);
  assert.is(untouched.relaySignedVerified, untouched.rows.vouchers + untouched.rows.pile_configs + untouched.rows.service_authorizations);
  assert.ok(untouched.rows.money_moves >= 9, 'top-ups, a transfer, an advance and its repayment');
});

tampering('untouched rows hold each state the relay writes (so each case below edits a real one)', () => {
  const db = new Database(join(dataDir, 'relay.sqlite'), { readonly: true });
  try {
    const states = db.prepare('SELECT DISTINCT state FROM receipts ORDER BY state').all().map((r) => (r as Row)['state']);
    assert.equal(states, ['applied', 'conflict', 'waiting']);
    assert.equal(db.prepare('SELECT DISTINCT kind FROM money_moves ORDER BY kind').all().map((r) => (r as Row)['kind']), ['advance', 'issue', 'refund', 'repay', 'transfer']);
    assert.equal(db.prepare('SELECT decision FROM contract_resolutions ORDER BY decision').all().map((r) => (r as Row)['decision']), ['settle', 'void']);
    assert.is(one(db, "SELECT COUNT(*) AS n FROM refunds f JOIN money_moves m ON m.ref = f.ref AND m.kind = 'refund' AND m.contract_id = f.contract_id")['n'], 2);
    assert.is(one(db, 'SELECT COUNT(*) AS n FROM vouchers WHERE cancelled_at_s IS NOT NULL AND contract_id IS NOT NULL')['n'], 1, 'a cancelled voucher the pile still used');
    assert.is(one(db, 'SELECT COUNT(*) AS n FROM contract_resolutions r JOIN contracts c ON c.contract_id = r.contract_id JOIN vouchers v ON v.voucher_id = c.voucher_id WHERE v.cancelled_at_s = r.at_s')['n'], 2,
      'the vouchers of both resolved contracts, cancelled by the resolution');
    assert.is(one(db, "SELECT m.amount_minor FROM money_moves m JOIN contract_resolutions r ON r.contract_id = m.contract_id WHERE m.kind = 'advance'")['amount_minor'], 200,
      'the settle resolution advanced the shortfall');
    assert.ok(one(db, "SELECT COUNT(*) AS n FROM contracts WHERE late = 1 AND status = 'corrected'")['n'] === 1);
    assert.ok(one(db, "SELECT COUNT(*) AS n FROM contracts WHERE problem LIKE 'amount-mismatch:%'")['n'] === 1);
  } finally {
    db.close();
  }
});

/** One tampering: what it does to a copy, and the key of the row the audit's first line must name with what it says. */
type Case = { table: string; change: string; tamper: (db: Database.Database) => { key: string; says: RegExp } };

const settledContract = "SELECT contract_id, pile_id, seq, voucher_id, receipt_seq FROM contracts WHERE status = 'settled' AND problem IS NULL ORDER BY contract_id";
const topUp = "SELECT ref, to_kid FROM money_moves WHERE kind = 'issue' ORDER BY ref";
const resolution = (decision: 'settle' | 'void') => `SELECT contract_id FROM contract_resolutions WHERE decision = '${decision}'`;
const disputedContract = "SELECT contract_id FROM contracts WHERE status = 'disputed'";
/** The larger of the two refunds (150 of a contract that charged more). */
const refundMove = "SELECT ref, to_kid, contract_id, outbox_id FROM money_moves WHERE kind = 'refund' ORDER BY amount_minor DESC";
const ledgerTx = '\\(tx 0x[0-9a-f]{64}\\)';
const serviceAuthorization = "SELECT pile_id, challenge, scope FROM service_authorizations WHERE scope = 'provision'";
const heldRun = 'SELECT pile_id, from_seq, to_seq FROM held_ranges ORDER BY pile_id, from_seq';
const authorizationKey = (r: Row): string => `${r['pile_id']}#${r['challenge']}#${r['scope']}`;

const cases: Case[] = [
  { table: 'operators', change: 'a public key replaced', tamper: (db) => {
    const kid = String(one(db, 'SELECT kid FROM operators')['kid']);
    db.prepare('UPDATE operators SET public_key = ? WHERE kid = ?').run(bytesToHex(generateKeyPair().publicKey), kid);
    return { key: kid, says: /^public_key stored [0-9a-f]{64}, derived [0-9a-f]{64} from DATA\/operator-key\.json$/ };
  } },
  { table: 'operators', change: 'the row deleted', tamper: (db) => {
    const kid = String(one(db, 'SELECT kid FROM operators')['kid']);
    db.prepare('DELETE FROM operators').run();
    return { key: kid, says: /^no row, yet DATA\/operator-key\.json holds this operator's key$/ };
  } },
  { table: 'operators', change: 'a second operator inserted', tamper: (db) => {
    const key = generateKeyPair();
    db.prepare('INSERT INTO operators (kid, public_key, label, created_at_s) VALUES (?, ?, ?, 0)').run(bytesToHex(key.kid), bytesToHex(key.publicKey), 'intruder');
    return { key: bytesToHex(key.kid), says: /^no source: the relay registers only the operator key of its data folder/ };
  } },
  { table: 'piles', change: 'config_version set back', tamper: (db) => {
    const pileId = String(one(db, 'SELECT pile_id FROM piles WHERE config_version = 2')['pile_id']);
    db.prepare('UPDATE piles SET config_version = 1 WHERE pile_id = ?').run(pileId);
    return { key: pileId, says: /^config_version stored 1, derived 2 from the relay-signed PileUpdate/ };
  } },
  { table: 'piles', change: 'a row deleted', tamper: (db) => {
    const pileId = String(one(db, 'SELECT pile_id FROM piles ORDER BY pile_id')['pile_id']);
    db.prepare('DELETE FROM piles WHERE pile_id = ?').run(pileId);
    return { key: pileId, says: /^no row, yet pile_configs [0-9a-f]{16}#1 \(relay-signed\) names it$/ };
  } },
  { table: 'piles', change: 'a pile inserted', tamper: (db) => {
    const pileId = randomHex(8);
    db.prepare("INSERT INTO piles (pile_id, public_key, operator, config_version, created_at_s) VALUES (?, ?, 'x', 1, 0)").run(pileId, bytesToHex(generateKeyPair().publicKey));
    return { key: pileId, says: /^no source: no relay-signed PileUpdate names this pile$/ };
  } },
  { table: 'pile_configs', change: 'a price lowered', tamper: (db) => {
    const pileId = String(one(db, 'SELECT pile_id FROM pile_configs WHERE config_version = 2')['pile_id']);
    db.prepare('UPDATE pile_configs SET energy_minor_per_kwh = 1 WHERE pile_id = ? AND config_version = 2').run(pileId);
    return { key: `${pileId}#2`, says: /^energy_minor_per_kwh stored 1, derived \d+ from the relay-signed PileUpdate$/ };
  } },
  { table: 'pile_configs', change: 'an older config deleted', tamper: (db) => {
    const pileId = String(one(db, 'SELECT pile_id FROM pile_configs WHERE config_version = 2')['pile_id']);
    db.prepare('DELETE FROM pile_configs WHERE pile_id = ? AND config_version = 1').run(pileId);
    return { key: `${pileId}#1`, says: /^no row, yet pile_configs [0-9a-f]{16}#2 \(relay-signed\) follows it/ };
  } },
  { table: 'pile_configs', change: 'a config inserted as version 3 (a copy of version 2)', tamper: (db) => {
    const pileId = String(one(db, 'SELECT pile_id FROM pile_configs WHERE config_version = 2')['pile_id']);
    copyRow(db, 'pile_configs', 'pile_id = ? AND config_version = 2', [pileId], { config_version: 3 });
    return { key: `${pileId}#3`, says: /^config_version stored 3, derived 2 from the relay-signed PileUpdate$/ };
  } },
  { table: 'service_authorizations', change: 'a provisioning authorisation turned into one to set the clock', tamper: (db) => {
    const r = one(db, serviceAuthorization);
    db.prepare("UPDATE service_authorizations SET scope = 'set-clock' WHERE pile_id = ? AND challenge = ? AND scope = 'provision'").run(r['pile_id'], r['challenge']);
    return { key: authorizationKey({ ...r, scope: 'set-clock' }), says: /^scope stored set-clock, derived provision from the relay-signed ServiceAuthorization$/ };
  } },
  { table: 'service_authorizations', change: 'one bit of a signature flipped', tamper: (db) => {
    const r = one(db, "SELECT pile_id, challenge, scope, signed FROM service_authorizations WHERE scope = 'provision'");
    const altered = Buffer.from(r['signed'] as Buffer);
    altered[altered.length - 1]! ^= 0x01;
    db.prepare('UPDATE service_authorizations SET signed = ? WHERE pile_id = ? AND challenge = ? AND scope = ?').run(altered, r['pile_id'], r['challenge'], r['scope']);
    return { key: authorizationKey(r), says: /^signed does not verify with the relay's key \(/ };
  } },
  { table: 'service_authorizations', change: 'the asking operator replaced', tamper: (db) => {
    const r = one(db, serviceAuthorization);
    db.prepare('UPDATE service_authorizations SET operator_kid = ? WHERE pile_id = ? AND challenge = ? AND scope = ?').run(randomHex(8), r['pile_id'], r['challenge'], r['scope']);
    return { key: authorizationKey(r), says: /^operator_kid stored [0-9a-f]{16}: no operator key the audit trusts has this kid/ };
  } },
  { table: 'service_authorizations', change: 'an authorisation inserted for another challenge (a copy)', tamper: (db) => {
    const r = one(db, serviceAuthorization);
    const challenge = randomHex(16);
    copyRow(db, 'service_authorizations', 'pile_id = ? AND challenge = ? AND scope = ?', [r['pile_id'], r['challenge'], r['scope']], { challenge });
    return { key: authorizationKey({ ...r, challenge }), says: new RegExp(`^challenge stored ${challenge}, derived ${r['challenge']} from the relay-signed ServiceAuthorization$`) };
  } },
  { table: 'records', change: 'a stored SHA-256 changed', tamper: (db) => {
    const r = one(db, "SELECT pile_id, seq FROM records WHERE kind = 'receipt' ORDER BY pile_id, seq");
    db.prepare('UPDATE records SET sha256 = ? WHERE pile_id = ? AND seq = ?').run('0'.repeat(64), r['pile_id'], r['seq']);
    return { key: `${r['pile_id']}#${r['seq']}`, says: /^sha256 stored 0{64}, derived [0-9a-f]{64} from the signed bytes$/ };
  } },
  { table: 'records', change: 'one bit of a signature flipped', tamper: (db) => {
    const r = one(db, "SELECT pile_id, seq, signed FROM records WHERE kind = 'contract' ORDER BY pile_id, seq");
    const altered = Buffer.from(r['signed'] as Buffer);
    altered[altered.length - 1]! ^= 0x01;
    db.prepare('UPDATE records SET signed = ? WHERE pile_id = ? AND seq = ?').run(altered, r['pile_id'], r['seq']);
    return { key: `${r['pile_id']}#${r['seq']}`, says: /^sha256 stored [0-9a-f]{64}, derived [0-9a-f]{64} from the signed bytes$/ };
  } },
  { table: 'records', change: 'a contract record deleted', tamper: (db) => {
    const c = one(db, settledContract);
    db.prepare('DELETE FROM records WHERE pile_id = ? AND seq = ?').run(c['pile_id'], c['seq']);
    return { key: `${c['pile_id']}#${c['seq']}`, says: /^no row, yet the ledger's (Opened|one-step Settled) event for contract [0-9a-f]{32} \(tx 0x[0-9a-f]{64}\) names it$/ };
  } },
  { table: 'records', change: 'a record inserted under another sequence (a copy)', tamper: (db) => {
    const c = one(db, settledContract);
    copyRow(db, 'records', 'pile_id = ? AND seq = ?', [c['pile_id'], c['seq']], { seq: 99 });
    return { key: `${c['pile_id']}#99`, says: new RegExp(`^seq stored 99, derived ${c['seq']} from the pile-signed record$`) };
  } },
  { table: 'held_ranges', change: 'a run stretched over a sequence no record holds', tamper: (db) => {
    const r = one(db, heldRun);
    db.prepare('UPDATE held_ranges SET to_seq = to_seq + 1 WHERE pile_id = ? AND from_seq = ?').run(r['pile_id'], r['from_seq']);
    return { key: `${r['pile_id']}#${r['from_seq']}`, says: new RegExp(`^to_seq stored ${Number(r['to_seq']) + 1}, derived ${r['to_seq']} from the records rows$`) };
  } },
  { table: 'held_ranges', change: 'a run deleted', tamper: (db) => {
    const r = one(db, heldRun);
    db.prepare('DELETE FROM held_ranges WHERE pile_id = ? AND from_seq = ?').run(r['pile_id'], r['from_seq']);
    return { key: `${r['pile_id']}#${r['from_seq']}`, says: new RegExp(`^no row, yet records ${r['pile_id']}#${r['from_seq']}\\.\\.${r['to_seq']} are held$`) };
  } },
  { table: 'held_ranges', change: 'a run inserted above the held ones', tamper: (db) => {
    const r = one(db, heldRun);
    db.prepare('INSERT INTO held_ranges (pile_id, from_seq, to_seq) VALUES (?, 1000, 1001)').run(r['pile_id']);
    return { key: `${r['pile_id']}#1000`, says: /^no source: no records rows start a run of sequences here$/ };
  } },
  { table: 'vouchers', change: 'a cap raised', tamper: (db) => {
    const v = String(one(db, settledContract)['voucher_id']);
    db.prepare('UPDATE vouchers SET cap_minor = cap_minor + 1 WHERE voucher_id = ?').run(v);
    return { key: v, says: /^cap_minor stored (\d+), derived \d+ from the relay-signed Authorization$/ };
  } },
  { table: 'vouchers', change: 'a used voucher made unused again (its cap reserved once more)', tamper: (db) => {
    const c = one(db, settledContract);
    db.prepare('UPDATE vouchers SET contract_id = NULL WHERE voucher_id = ?').run(c['voucher_id']);
    return { key: String(c['voucher_id']), says: new RegExp(`^contract_id stored NULL, derived ${c['contract_id']} from the pile-signed contract`) };
  } },
  { table: 'vouchers', change: 'a used voucher deleted', tamper: (db) => {
    const v = String(one(db, settledContract)['voucher_id']);
    db.prepare('DELETE FROM vouchers WHERE voucher_id = ?').run(v);
    return { key: v, says: /^no row, yet contract [0-9a-f]{32} \(pile-signed\) was made under it and the ledger opened it/ };
  } },
  { table: 'vouchers', change: 'a voucher inserted (another voucher\'s signed bytes under a new id)', tamper: (db) => {
    const v = String(one(db, settledContract)['voucher_id']);
    const id = randomHex(8);
    copyRow(db, 'vouchers', 'voucher_id = ?', [v], { voucher_id: id, contract_id: null });
    return { key: id, says: new RegExp(`^voucher_id stored ${id}, derived ${v} from the relay-signed Authorization$`) };
  } },
  { table: 'vouchers', change: 'a cancelled voucher the pile still used made unused', tamper: (db) => {
    const v = one(db, 'SELECT voucher_id, contract_id FROM vouchers WHERE cancelled_at_s IS NOT NULL AND contract_id IS NOT NULL');
    db.prepare('UPDATE vouchers SET contract_id = NULL WHERE voucher_id = ?').run(v['voucher_id']);
    return { key: String(v['voucher_id']), says: new RegExp(`^contract_id stored NULL, derived ${v['contract_id']} from the pile-signed contract`) };
  } },
  { table: 'contract_resolutions', change: 'a void turned into a settle', tamper: (db) => {
    const id = String(one(db, resolution('void'))['contract_id']);
    db.prepare("UPDATE contract_resolutions SET decision = 'settle' WHERE contract_id = ?").run(id);
    return { key: id, says: /^decision stored settle, derived void from the ledger, which has no Opened or one-step Settled event for it/ };
  } },
  { table: 'contract_resolutions', change: 'a settle turned into a void (the ledger charged it)', tamper: (db) => {
    const id = String(one(db, resolution('settle'))['contract_id']);
    db.prepare("UPDATE contract_resolutions SET decision = 'void' WHERE contract_id = ?").run(id);
    // the operator's settle queues the open and the settle together: the ledger settles it in one step
    return { key: id, says: new RegExp(`^decision stored void, derived settle from the ledger's one-step Settled event of the disputed contract ${ledgerTx}`) };
  } },
  { table: 'contract_resolutions', change: 'the deciding operator replaced', tamper: (db) => {
    const id = String(one(db, resolution('void'))['contract_id']);
    db.prepare('UPDATE contract_resolutions SET operator_kid = ? WHERE contract_id = ?').run(randomHex(8), id);
    return { key: id, says: /^operator_kid stored [0-9a-f]{16}: no operator key the audit trusts has this kid/ };
  } },
  { table: 'contract_resolutions', change: 'its contract\'s voucher un-cancelled (its cap reserved once more)', tamper: (db) => {
    const c = one(db, `SELECT contract_id, voucher_id FROM contracts WHERE contract_id = (${resolution('void')})`);
    db.prepare('UPDATE vouchers SET cancelled_at_s = NULL WHERE voucher_id = ?').run(c['voucher_id']);
    return { key: String(c['contract_id']), says: new RegExp(`^voucher ${c['voucher_id']}, which contract ${c['contract_id']} names, is not cancelled \\(cancelled_at_s NULL\\), yet a resolution cancels it`) };
  } },
  { table: 'contract_resolutions', change: 'a settle deleted', tamper: (db) => {
    const id = String(one(db, resolution('settle'))['contract_id']);
    db.prepare('DELETE FROM contract_resolutions WHERE contract_id = ?').run(id);
    return { key: id, says: new RegExp(`^no row, yet the ledger's one-step Settled event ${ledgerTx} of contract [0-9a-f]{16}#\\d+, disputed \\(the contract differs from voucher [0-9a-f]{16} in cap\\), calls for it`) };
  } },
  { table: 'contract_resolutions', change: 'a resolution inserted for a contract that is not disputed', tamper: (db) => {
    const id = String(one(db, settledContract)['contract_id']);
    copyRow(db, 'contract_resolutions', 'contract_id = ?', [one(db, resolution('void'))['contract_id']], { contract_id: id });
    return { key: id, says: /^no source: contract [0-9a-f]{16}#\d+ is not disputed/ };
  } },
  { table: 'contract_resolutions', change: 'a void inserted for the open dispute (its voucher still reserving)', tamper: (db) => {
    const id = String(one(db, disputedContract)['contract_id']);
    copyRow(db, 'contract_resolutions', 'contract_id = ?', [one(db, resolution('void'))['contract_id']], { contract_id: id });
    return { key: id, says: new RegExp(`^voucher [0-9a-f]{16}, which contract ${id} names, is not cancelled`) };
  } },
  { table: 'contracts', change: 'a voided contract put back among the open disputes', tamper: (db) => {
    const id = String(one(db, resolution('void'))['contract_id']);
    db.prepare("UPDATE contracts SET status = 'disputed' WHERE contract_id = ?").run(id);
    return { key: id, says: new RegExp(`^status stored disputed, derived voided from contract_resolutions ${id} \\(a void: the operator's word`) };
  } },
  { table: 'contracts', change: 'a voided contract charged (settled at its receipt\'s amount)', tamper: (db) => {
    const id = String(one(db, resolution('void'))['contract_id']);
    db.prepare("UPDATE contracts SET status = 'settled', amount_minor = receipt_amount_minor WHERE contract_id = ?").run(id);
    return { key: id, says: /^status stored settled, derived voided from contract_resolutions/ };
  } },
  { table: 'contracts', change: 'a resolved contract\'s advance dropped', tamper: (db) => {
    const id = String(one(db, resolution('settle'))['contract_id']);
    db.prepare('UPDATE contracts SET advance_minor = 0 WHERE contract_id = ?').run(id);
    return { key: id, says: new RegExp(`^advance_minor stored 0, derived 200 from the ledger's Issued event ${ledgerTx}$`) };
  } },
  { table: 'contracts', change: 'a settled amount raised by 100 (served as amountMinor)', tamper: (db) => {
    const c = String(one(db, settledContract)['contract_id']);
    db.prepare('UPDATE contracts SET amount_minor = amount_minor + 100 WHERE contract_id = ?').run(c);
    return { key: c, says: /^amount_minor stored (\d+), derived \d+ from receipt [0-9a-f]{16}#\d+$/ };
  } },
  { table: 'contracts', change: 'a contract charged at its cap shown provisional', tamper: (db) => {
    const c = String(one(db, "SELECT contract_id FROM contracts WHERE status = 'charged-at-cap'")['contract_id']);
    db.prepare("UPDATE contracts SET status = 'provisional' WHERE contract_id = ?").run(c);
    return { key: c, says: /^status stored provisional, derived charged-at-cap from no receipt held and the ledger's ChargedAtCap$/ };
  } },
  { table: 'contracts', change: 'a disputed contract made provisional', tamper: (db) => {
    const c = String(one(db, "SELECT contract_id FROM contracts WHERE status = 'disputed'")['contract_id']);
    db.prepare("UPDATE contracts SET status = 'provisional' WHERE contract_id = ?").run(c);
    return { key: c, says: /^status stored provisional, derived disputed from the contract differs from voucher [0-9a-f]{16} in cap; unresolved: no void in contract_resolutions, no Opened event on the ledger$/ };
  } },
  { table: 'contracts', change: 'a row deleted', tamper: (db) => {
    const c = one(db, settledContract);
    db.prepare('DELETE FROM contracts WHERE contract_id = ?').run(c['contract_id']);
    return { key: String(c['contract_id']), says: new RegExp(`^no row, yet records ${c['pile_id']}#${c['seq']} \\(pile-signed contract\\) needs it$`) };
  } },
  { table: 'contracts', change: 'a contract inserted (a copy under another id)', tamper: (db) => {
    const id = randomHex(16);
    copyRow(db, 'contracts', 'contract_id = ?', [one(db, settledContract)['contract_id']], { contract_id: id });
    return { key: id, says: /^no source: no pile-signed contract with this id/ };
  } },
  { table: 'receipts', change: 'an amount changed', tamper: (db) => {
    const c = one(db, settledContract);
    db.prepare('UPDATE receipts SET amount_minor = amount_minor + 1 WHERE pile_id = ? AND seq = ?').run(c['pile_id'], c['receipt_seq']);
    return { key: `${c['pile_id']}#${c['receipt_seq']}`, says: /^amount_minor stored \d+, derived \d+ from the pile-signed receipt/ };
  } },
  { table: 'receipts', change: 'a waiting receipt marked applied', tamper: (db) => {
    const r = one(db, "SELECT pile_id, seq FROM receipts WHERE state = 'waiting'");
    db.prepare("UPDATE receipts SET state = 'applied' WHERE pile_id = ? AND seq = ?").run(r['pile_id'], r['seq']);
    return { key: `${r['pile_id']}#${r['seq']}`, says: /^state stored applied, derived waiting from contract [0-9a-f]{16}#\d+ not held$/ };
  } },
  { table: 'receipts', change: 'a row deleted', tamper: (db) => {
    const c = one(db, settledContract);
    db.prepare('DELETE FROM receipts WHERE pile_id = ? AND seq = ?').run(c['pile_id'], c['receipt_seq']);
    return { key: `${c['pile_id']}#${c['receipt_seq']}`, says: /^no row, yet records [0-9a-f]{16}#\d+ \(pile-signed receipt\) needs it$/ };
  } },
  { table: 'receipts', change: 'a receipt inserted (a copy under another sequence)', tamper: (db) => {
    const c = one(db, settledContract);
    copyRow(db, 'receipts', 'pile_id = ? AND seq = ?', [c['pile_id'], c['receipt_seq']], { seq: 999 });
    return { key: `${c['pile_id']}#999`, says: /^no source: no pile-signed receipt with this pile and sequence is held/ };
  } },
  { table: 'ledger_outbox', change: 'a settlement amount changed', tamper: (db) => {
    const id = Number(one(db, "SELECT id FROM ledger_outbox WHERE kind = 'settle' ORDER BY id")['id']);
    db.prepare('UPDATE ledger_outbox SET amount_minor = amount_minor + 1 WHERE id = ?').run(id);
    return { key: `#${id}`, says: /^amount_minor stored \d+, derived \d+ from receipt [0-9a-f]{16}#\d+ and the tariff of contract/ };
  } },
  { table: 'ledger_outbox', change: 'a settlement row deleted', tamper: (db) => {
    const row = one(db, "SELECT id, contract_id FROM ledger_outbox WHERE kind = 'settle' ORDER BY id");
    db.prepare('DELETE FROM ledger_outbox WHERE id = ?').run(row['id']);
    return { key: `(settle ${row['contract_id']})`, says: /^no row, yet receipt [0-9a-f]{16}#\d+ and the tariff of contract [0-9a-f]{16}#\d+ calls for it$/ };
  } },
  { table: 'ledger_outbox', change: 'a pending top-up inserted', tamper: (db) => {
    const user = one(db, 'SELECT address FROM users ORDER BY kid');
    const info = db.prepare("INSERT INTO ledger_outbox (kind, ref, user_address, amount_minor, state, created_at_ms) VALUES ('issue', ?, ?, 5000, 'pending', 0)")
      .run(`0x${randomHex(32)}`, user['address']);
    return { key: `#${info.lastInsertRowid}`, says: /^no source: a pending issue: a top-up, repayment, transfer or refund has no source but the ledger/ };
  } },
  { table: 'money_moves', change: 'a top-up amount changed', tamper: (db) => {
    const ref = String(one(db, topUp)['ref']);
    db.prepare('UPDATE money_moves SET amount_minor = amount_minor + 1 WHERE ref = ?').run(ref);
    return { key: ref, says: /^amount_minor stored \d+, derived \d+ from the ledger's Issued event/ };
  } },
  { table: 'money_moves', change: 'a top-up row deleted', tamper: (db) => {
    const ref = String(one(db, topUp)['ref']);
    db.prepare('DELETE FROM money_moves WHERE ref = ?').run(ref);
    return { key: ref, says: /^no row, yet the ledger's Issued event \(tx 0x[0-9a-f]{64}\) records it$/ };
  } },
  { table: 'money_moves', change: 'a top-up inserted', tamper: (db) => {
    const ref = `0x${randomHex(32)}`;
    db.prepare("INSERT INTO money_moves (ref, kind, from_kid, to_kid, amount_minor, at_s, contract_id, outbox_id) VALUES (?, 'issue', NULL, ?, 5000, 0, NULL, 1)")
      .run(ref, one(db, topUp)['to_kid']);
    return { key: ref, says: /^no source: the ledger has no issue it records/ };
  } },
  { table: 'money_moves', change: 'a refund raised', tamper: (db) => {
    const ref = String(one(db, refundMove)['ref']);
    db.prepare('UPDATE money_moves SET amount_minor = amount_minor + 10 WHERE ref = ?').run(ref);
    return { key: ref, says: new RegExp(`^amount_minor stored 160, derived 150 from the ledger's Transfer event from the revenue account ${ledgerTx}$`) };
  } },
  { table: 'money_moves', change: 'a refund row deleted', tamper: (db) => {
    const ref = String(one(db, refundMove)['ref']);
    db.prepare('DELETE FROM money_moves WHERE ref = ?').run(ref);
    return { key: ref, says: new RegExp(`^no row, yet the ledger's Transfer event from the revenue account ${ledgerTx} records it$`) };
  } },
  { table: 'money_moves', change: 'a refund inserted (naming a real refund\'s outbox row)', tamper: (db) => {
    const ref = `0x${randomHex(32)}`;
    copyRow(db, 'money_moves', 'ref = ?', [one(db, refundMove)['ref']], { ref, amount_minor: 40 });
    return { key: ref, says: /^no source: the ledger has no refund it records/ };
  } },
  { table: 'money_moves', change: 'a refund moved to another user\'s contract', tamper: (db) => {
    const ref = String(one(db, refundMove)['ref']);
    const other = String(one(db, settledContract)['contract_id']);
    db.prepare('UPDATE money_moves SET contract_id = ? WHERE ref = ?').run(other, ref);
    return { key: ref, says: new RegExp(`^contract_id stored ${other}: contract [0-9a-f]{16}#\\d+ is user [0-9a-f]{16}'s, yet the ledger's Transfer event from the revenue account ${ledgerTx} paid 0x[0-9a-fA-F]{40}$`) };
  } },
  { table: 'money_moves', change: 'a refund moved to the voided contract', tamper: (db) => {
    const ref = String(one(db, refundMove)['ref']);
    const voided = String(one(db, resolution('void'))['contract_id']);
    db.prepare('UPDATE money_moves SET contract_id = ? WHERE ref = ?').run(voided, ref);
    return { key: ref, says: new RegExp(`^contract_id stored ${voided}: contract [0-9a-f]{16}#\\d+ is voided: only a settled or corrected contract is refunded$`) };
  } },
  { table: 'money_moves', change: 'a refund moved to a contract of the same user that charged less', tamper: (db) => {
    const ref = String(one(db, refundMove)['ref']);
    const settled = String(one(db, resolution('settle'))['contract_id']);
    db.prepare('UPDATE money_moves SET contract_id = ? WHERE ref = ?').run(settled, ref);
    return { key: ref, says: new RegExp(`^refunds of contract ${settled} reach 150 with this one, above the \\d+ it charged`) };
  } },
  { table: 'refunds', change: 'the refunded contract changed', tamper: (db) => {
    const ref = String(one(db, refundMove)['ref']);
    db.prepare('UPDATE refunds SET contract_id = ? WHERE ref = ?').run(one(db, resolution('settle'))['contract_id'], ref);
    return { key: ref, says: new RegExp(`^contract_id stored [0-9a-f]{32}, derived [0-9a-f]{32} from money_moves ${ref}, the refund's money move$`) };
  } },
  { table: 'refunds', change: 'the refunding operator replaced', tamper: (db) => {
    const ref = String(one(db, refundMove)['ref']);
    db.prepare('UPDATE refunds SET operator_kid = ? WHERE ref = ?').run(randomHex(8), ref);
    return { key: ref, says: /^operator_kid stored [0-9a-f]{16}: no operator key the audit trusts has this kid/ };
  } },
  { table: 'refunds', change: 'a row deleted', tamper: (db) => {
    const ref = String(one(db, refundMove)['ref']);
    db.prepare('DELETE FROM refunds WHERE ref = ?').run(ref);
    return { key: ref, says: new RegExp(`^no row, yet the ledger's Transfer event from the revenue account ${ledgerTx} is refund ${ref}$`) };
  } },
  { table: 'refunds', change: 'a refund inserted', tamper: (db) => {
    const ref = `0x${randomHex(32)}`;
    copyRow(db, 'refunds', 'ref = ?', [one(db, refundMove)['ref']], { ref });
    return { key: ref, says: /^no source: no refund with this ref/ };
  } },
  { table: 'users', change: 'a book balance raised (what vouchers and transfers are decided on)', tamper: (db) => {
    const kid = String(one(db, 'SELECT kid FROM users ORDER BY kid')['kid']);
    db.prepare('UPDATE users SET book_balance_minor = book_balance_minor + 5 WHERE kid = ?').run(kid);
    return { key: kid, says: /^book_balance_minor stored -?\d+, derived -?\d+ from the ledger writes/ };
  } },
  { table: 'users', change: 'the refunds left out of a book', tamper: (db) => {
    const kid = String(one(db, refundMove)['to_kid']);
    const balance = Number(one(db, 'SELECT book_balance_minor FROM users WHERE kid = ?', kid)['book_balance_minor']);
    db.prepare('UPDATE users SET book_balance_minor = ? WHERE kid = ?').run(balance - 250, kid);
    return { key: kid, says: new RegExp(`^book_balance_minor stored ${balance - 250}, derived ${balance} from the ledger writes`) };
  } },
  { table: 'users', change: 'a repaid advance turned back into debt (served as creditUsedMinor)', tamper: (db) => {
    const kid = String(one(db, "SELECT m.to_kid FROM money_moves m JOIN users u ON u.kid = m.to_kid WHERE m.kind = 'advance' AND u.debt_minor = 0")['to_kid']);
    db.prepare('UPDATE users SET debt_minor = 100 WHERE kid = ?').run(kid);
    return { key: kid, says: /^debt_minor stored 100, derived 0 from the ledger writes/ };
  } },
  { table: 'users', change: 'a public key replaced (an account taken over)', tamper: (db) => {
    const kid = String(one(db, 'SELECT kid FROM users ORDER BY kid')['kid']);
    db.prepare('UPDATE users SET public_key = ? WHERE kid = ?').run(bytesToHex(generateKeyPair().publicKey), kid);
    return { key: kid, says: new RegExp(`^kid stored ${kid}, derived [0-9a-f]{16} from public_key`) };
  } },
  { table: 'users', change: 'the credit record given a settled session more', tamper: (db) => {
    const r = one(db, "SELECT kid, settled_sessions FROM users WHERE settled_sessions > 0 ORDER BY kid");
    db.prepare('UPDATE users SET settled_sessions = settled_sessions + 1 WHERE kid = ?').run(r['kid']);
    return { key: String(r['kid']), says: new RegExp(`^settled_sessions stored ${Number(r['settled_sessions']) + 1}, derived ${r['settled_sessions']} from the user's sessions \\(signed records, ledger events\\)$`) };
  } },
  { table: 'users', change: 'a late receipt taken off the credit record', tamper: (db) => {
    const r = one(db, "SELECT kid, late_receipts FROM users WHERE late_receipts > 0 ORDER BY kid");
    db.prepare('UPDATE users SET late_receipts = late_receipts - 1 WHERE kid = ?').run(r['kid']);
    return { key: String(r['kid']), says: new RegExp(`^late_receipts stored ${Number(r['late_receipts']) - 1}, derived ${r['late_receipts']} from the user's sessions \\(signed records, ledger events\\)$`) };
  } },
  { table: 'users', change: 'a user with vouchers deleted', tamper: (db) => {
    const kid = String(one(db, 'SELECT user_kid FROM vouchers ORDER BY voucher_id')['user_kid']);
    db.prepare('DELETE FROM users WHERE kid = ?').run(kid);
    return { key: kid, says: /^no row, yet voucher [0-9a-f]{16} \(relay-signed\) names it$/ };
  } },
  { table: 'users', change: 'a funded user inserted', tamper: (db) => {
    const key = generateKeyPair();
    const kid = bytesToHex(key.kid);
    db.prepare("INSERT INTO users (kid, public_key, display_name, address, created_at_s, book_balance_minor) VALUES (?, ?, 'Mallory', ?, 0, 5000)")
      .run(kid, bytesToHex(key.publicKey), userAddressOf(key.kid));
    return { key: kid, says: /^book_balance_minor stored 5000, derived 0 from nothing/ };
  } },
];

for (const c of cases) {
  tampering(`${c.table}: ${c.change} → FAIL naming the row`, async (ctx) => {
    let expected: { key: string; says: RegExp } | undefined;
    const audit = await auditCopy(ctx, (db) => void (expected = c.tamper(db)));
    assert.not.ok(audit.ok);
    const first = audit.disagreements[0]!;
    const prefix = `${c.table} ${expected!.key}: `;
    assert.ok(first.startsWith(prefix), `first line "${first}" names ${prefix}`);
    assert.match(first.slice(prefix.length), expected!.says);
  });
}

/** The folder's ledger with its event history edited on the way to the auditor. */
function withHistory(ledger: Ledger, edit: (events: LedgerEvent[]) => LedgerEvent[]): Ledger {
  return new Proxy(ledger, {
    get(target, key) {
      if (key === 'history') return async () => edit(await target.history());
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

tampering('ledger: a settlement amount that is not what the receipt and tariff give → FAIL naming the event', async (ctx) => {
  let edited = '';
  const audit = await auditCopy(ctx, undefined, withHistory(ctx.ledger, (events) => {
    const i = events.findIndex((e) => e.kind === 'settled');
    const e = events[i] as Extract<LedgerEvent, { kind: 'settled' }>;
    edited = e.contractId;
    return events.map((x, j) => (j === i ? { ...e, amountMinor: e.amountMinor + 1n } : x));
  }));
  assert.not.ok(audit.ok);
  assert.match(audit.disagreements[0]!, new RegExp(`^ledger settled ${edited}: amount \\d+ on the ledger \\(tx 0x[0-9a-f]{64}\\), derived \\d+ from receipt`));
});

tampering('ledger: a settlement the ledger does not have → FAIL naming the outbox row that says it is done', async (ctx) => {
  let dropped = '';
  const audit = await auditCopy(ctx, undefined, withHistory(ctx.ledger, (events) => {
    dropped = (events.find((e) => e.kind === 'settled') as { contractId: string }).contractId;
    return events.filter((e) => !(e.kind === 'settled' && e.contractId === dropped));
  }));
  assert.not.ok(audit.ok);
  assert.match(audit.disagreements[0]!, /^ledger_outbox #\d+: state stored done, derived pending from the ledger, which has no event for it$/);
  assert.ok(audit.disagreements.some((d) => d.startsWith('ledger audit: ')), 'and the ledger\'s own audit: the chain\'s balances are not the events\'');
});

type BatchEvent = Extract<LedgerEvent, { kind: 'batch' }>;
const batchLine = (b: BatchEvent) => `ledger audit: batch in block ${b.blockNumber} \\(tx ${b.txHash}\\): records digest 0x[0-9a-f]{64} on chain, the records give 0x[0-9a-f]{64}`;

tampering('ledger: a batch whose records digest the stored signed records do not give → FAIL naming the batch', async (ctx) => {
  let edited: BatchEvent | undefined;
  const digest = `0x${randomHex(32)}` as const;
  const audit = await auditCopy(ctx, undefined, withHistory(ctx.ledger, (events) => {
    const at = events.findIndex((e) => e.kind === 'batch');
    edited = { ...(events[at] as BatchEvent), recordsDigest: digest };
    return events.map((e, i) => (i === at ? edited! : e));
  }));
  assert.not.ok(audit.ok);
  assert.equal(audit.disagreements.length, 1);
  assert.match(audit.disagreements[0]!, new RegExp(`^${batchLine(edited!)}$`));
});

tampering('ledger: a batch\'s entries in another order than the records digest says → FAIL naming the batch', async (ctx) => {
  let edited: BatchEvent | undefined;
  const audit = await auditCopy(ctx, undefined, withHistory(ctx.ledger, (events) => {
    const at = events.findIndex((e, i) => e.kind === 'batch' && e.entries >= 2 && (events[i + 1] as { contractId: string }).contractId !== (events[i + 2] as { contractId: string }).contractId);
    assert.ok(at >= 0, 'fixture: a batch of two entries of two contracts');
    edited = events[at] as BatchEvent;
    const [first, second] = [events[at + 1]!, events[at + 2]!] as Extract<LedgerEvent, { entry: number }>[];
    return events.map((e, i) => (i === at + 1 ? { ...second!, entry: 0 } : i === at + 2 ? { ...first!, entry: 1 } : e));
  }));
  assert.not.ok(audit.ok);
  assert.equal(audit.disagreements.length, 1);
  assert.match(audit.disagreements[0]!, new RegExp(`^${batchLine(edited!)}$`));
});

tampering('ledger: a history index whose stored transaction carries another batch than its log commits to → FAIL, the history unreadable', async (ctx) => {
  const copy = join(dir, 'ledger-copy');
  cpSync(join(dataDir, 'ledger'), join(copy, 'ledger'), { recursive: true, filter: (from) => !from.endsWith('/lock') }); // the folder's ledger stays open
  const index = new Database(join(copy, 'ledger', 'history.sqlite'));
  let swapped: string[];
  try {
    const [a, b] = index.prepare('SELECT tx_hash, input FROM batch_transactions ORDER BY tx_hash LIMIT 2').all() as { tx_hash: Uint8Array; input: Uint8Array }[];
    assert.ok(a && b, 'fixture: two batches in the index');
    const setInput = index.prepare('UPDATE batch_transactions SET input = ? WHERE tx_hash = ?');
    setInput.run(b.input, a.tx_hash);
    setInput.run(a.input, b.tx_hash);
    swapped = [bytesToHex(a.tx_hash), bytesToHex(b.tx_hash)];
  } finally {
    index.close();
  }
  const ledger = await openEmbeddedLedger(copy);
  try {
    const audit = await auditCopy(ctx, undefined, ledger);
    assert.not.ok(audit.ok);
    assert.equal(audit.disagreements.length, 1, audit.disagreements.join('\n'));
    assert.match(audit.disagreements[0]!, new RegExp(`^ledger: Batch log \\d+ in block \\d+ \\(tx 0x(${swapped.join('|')})\\): the transaction's batch hashes to 0x[0-9a-f]{64}, the event commits to 0x[0-9a-f]{64}$`));
    assert.not.ok(audit.ledger.ok);
    assert.is(audit.settledVerified, 0);
  } finally {
    await ledger.close();
  }
});

tampering('ledger: a refund the ledger does not have → FAIL naming the outbox row that says it is done', async (ctx) => {
  const db = new Database(join(dataDir, 'relay.sqlite'), { readonly: true });
  const outboxId = Number(one(db, refundMove)['outbox_id']);
  db.close();
  const audit = await auditCopy(ctx, undefined, withHistory(ctx.ledger, (events) => {
    const refunds = events.filter((e) => e.kind === 'transfer' && e.from === ctx.ledger.revenueAccount);
    assert.is(refunds.length, 2, 'the two refunds are Transfers from the revenue account');
    return events.filter((e) => e !== refunds[0]);
  }));
  assert.not.ok(audit.ok);
  assert.match(audit.disagreements[0]!, new RegExp(`^ledger_outbox #${outboxId}: no source: the ledger has no transfer in transaction 0x[0-9a-f]{64} matching it$`));
});

tampering.run();
