// The operators' dashboard on the relay side (tools/relay/routes/dashboard-*.ts, operator-session*.ts,
// auth.ts): the browser's login (POST /v1/operator/tokens → a relay-signed session token), the
// token standing for the operator's signature on reads and nowhere else — forged, tampered, expired,
// another relay's, a removed operator's: 401 with its code; on a POST: 403, nothing moved — the
// JSON sessions of a period (the CSV's rows) and the unsettled ones, the live audit (PASS, then FAIL
// naming the row once a stored amount is changed), and the static page with its security headers.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import { generateKeyPair } from '../../contracts-offline/keys.ts';
import { sodiumEd25519 } from '../../tools/sodium-ed25519.ts';
import { signRequest } from '../../tools/relay-api/request-signing.ts';
import { issueSessionToken } from '../../tools/relay/auth.ts';
import { defaultPolicy } from '../../tools/relay/policy.ts';
import { startRelay } from '../../tools/relay/start-relay.ts';
import { type Reply, type TestRelay, startTestRelay } from '../support/relay-harness.ts';

type Ctx = { t: TestRelay };
const s = suite<Ctx>('operator session tokens and the dashboard routes', {} as Ctx);

s.before(async (ctx) => {
  ctx.t = await startTestRelay();
});
s.after(async ({ t }) => {
  await t.close();
});

const login = async (t: TestRelay): Promise<{ token: string; expiresAtS: number }> => {
  const r = await t.call('POST', '/v1/operator/tokens', { signer: t.operator });
  assert.is(r.status, 201, r.text);
  return r.json;
};
const withToken = (t: TestRelay, method: 'GET' | 'POST', path: string, token: string, body?: Record<string, unknown>): Promise<Reply> =>
  t.raw(method, path, { headers: { authorization: `Bearer ${token}`, ...(body && { 'content-type': 'application/json' }) }, ...(body && { body: JSON.stringify(body) }) });
const refused = (r: Reply, status: number, code: string) => assert.equal([r.status, r.json?.error], [status, code], r.text);
const iso = (atS: number) => new Date(atS * 1000).toISOString().replace('.000Z', 'Z');

s('POST /v1/operator/tokens: a token for the signing operator, valid for the policy length, reading as the operator signature does', async ({ t }) => {
  const operatorKid = bytesToHex(t.operator.kid);
  const { token, expiresAtS } = await login(t);
  assert.is(expiresAtS, t.clock.nowS + defaultPolicy.operatorSessionS);
  assert.match(token, new RegExp(`^v1\\.${operatorKid}\\.${expiresAtS}\\.[A-Za-z0-9_-]{86}$`));
  assert.is(token, issueSessionToken(t.relay.relayKey, sodiumEd25519, operatorKid, expiresAtS), "the relay key's signature over kid and expiry");

  const user = await t.newUser('Ada');
  assert.is((await t.topUp(user.kidHex, 2_000)).status, 200);
  const reads = ['/v1/operator/piles', '/v1/operator/users', `/v1/users/${user.kidHex}`, `/v1/users/${user.kidHex}/contracts`, `/v1/users/${user.kidHex}/credit`];
  for (const path of reads) {
    const byToken = await withToken(t, 'GET', path, token);
    const signed = await t.call('GET', path, { signer: t.operator });
    assert.is(byToken.status, 200, `${path}: ${byToken.text}`);
    assert.equal(byToken.json, signed.json, `${path}: the same answer as an operator-signed read`);
  }
  const csv = await withToken(t, 'GET', `/v1/operator/sessions.csv?from=${iso(t.clock.nowS - 60)}&to=${iso(t.clock.nowS + 60)}`, token);
  assert.is(csv.status, 200, csv.text);
  assert.match(csv.text, /^contractId,pileId,userKid,/);

  const byUser = await t.call('POST', '/v1/operator/tokens', { signer: user });
  refused(byUser, 403, 'not-operator');
  refused(await t.call('POST', '/v1/operator/tokens'), 401, 'unknown-signer');
  const userToken = issueSessionToken(t.relay.relayKey, sodiumEd25519, user.kidHex, t.clock.nowS + 60);
  refused(await withToken(t, 'GET', '/v1/operator/piles', userToken), 401, 'bad-token'); // even relay-signed: not an operator's
});

s('forged, tampered, malformed and other relays\' tokens: 401 bad-token; a relay sharing the relay key and operator accepts them', async ({ t }) => {
  const { token, expiresAtS } = await login(t);
  const operatorKid = bytesToHex(t.operator.kid);
  const otherKey = generateKeyPair({ crypto: sodiumEd25519 });
  const [, kid, expires, signature] = token.split('.') as [string, string, string, string];
  const forged = issueSessionToken(otherKey, sodiumEd25519, operatorKid, expiresAtS);
  const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
  const cases: [string, string][] = [
    [forged, 'signed by another key'],
    [`v1.${kid}.${expires}.${flipped}`, 'one signature character changed'],
    [`v1.${kid}.${Number(expires) + 1}.${signature}`, 'expiry moved'],
    [`v1.${'0'.repeat(16)}.${expires}.${signature}`, 'another kid'],
    [`v1.${kid}.0${expires}.${signature}`, 'expiry with a leading zero'],
    [`v2.${kid}.${expires}.${signature}`, 'unknown version'],
    [token.slice(0, -1), 'cut short'],
    ['x', 'garbage'],
  ];
  for (const [bad, why] of cases) {
    const r = await withToken(t, 'GET', '/v1/operator/piles', bad);
    refused(r, 401, 'bad-token');
    assert.ok(r.json.message.length > 0, why);
  }
  refused(await t.raw('GET', '/v1/operator/piles', { headers: { authorization: `Basic ${token}` } }), 401, 'bad-token');
  refused(await t.raw('GET', '/v1/operator/piles', { headers: { authorization: 'Bearer' } }), 401, 'bad-token');

  const otherDir = mkdtempSync(join(tmpdir(), 'tapcharge-relay-other-'));
  const twinDir = mkdtempSync(join(tmpdir(), 'tapcharge-relay-twin-'));
  copyFileSync(join(t.dir, 'relay-key.json'), join(twinDir, 'relay-key.json'));
  copyFileSync(join(t.dir, 'operator-key.json'), join(twinDir, 'operator-key.json'));
  const other = await startRelay({ dataDir: otherDir, port: 0, clock: t.clock, log: () => undefined });
  const twin = await startRelay({ dataDir: twinDir, port: 0, clock: t.clock, log: () => undefined });
  try {
    const otherToken = issueSessionToken(other.relayKey, sodiumEd25519, operatorKid, expiresAtS);
    const r = await withToken(t, 'GET', '/v1/operator/piles', otherToken);
    refused(r, 401, 'bad-token');
    assert.match(r.json.message, /not issued by this relay/);
    const atTwin = await fetch(`${twin.url}/v1/operator/piles`, { headers: { authorization: `Bearer ${token}` } });
    assert.is(atTwin.status, 200, 'stateless: another instance with the same relay key and operator accepts the token');
  } finally {
    await other.close();
    await twin.close();
    rmSync(otherDir, { recursive: true, force: true });
    rmSync(twinDir, { recursive: true, force: true });
  }
});

s('expired on the relay clock: 401 expired-token; a token beyond the session length, or of a removed operator: 401 bad-token', async ({ t }) => {
  const { token } = await login(t);
  const operatorKid = bytesToHex(t.operator.kid);
  assert.is((await withToken(t, 'GET', '/v1/operator/users', token)).status, 200);
  t.clock.advanceS(defaultPolicy.operatorSessionS);
  const expired = await withToken(t, 'GET', '/v1/operator/users', token);
  refused(expired, 401, 'expired-token');
  assert.match(expired.json.message, /expired at \d+ .*log in again/);
  const fresh = await login(t);
  assert.is((await withToken(t, 'GET', '/v1/operator/users', fresh.token)).status, 200, 'a new login reads again');
  const tooLong = issueSessionToken(t.relay.relayKey, sodiumEd25519, operatorKid, t.clock.nowS + defaultPolicy.operatorSessionS + 1);
  refused(await withToken(t, 'GET', '/v1/operator/users', tooLong), 401, 'bad-token');

  // a second operator, logged in, then removed from the operators table
  const second = generateKeyPair({ crypto: sodiumEd25519 });
  const secondKid = bytesToHex(second.kid);
  const db = new Database(join(t.dir, 'relay.sqlite'));
  try {
    db.prepare('INSERT INTO operators (kid, public_key, label, created_at_s) VALUES (?, ?, ?, ?)').run(secondKid, bytesToHex(second.publicKey), 'second', t.clock.nowS);
    const r = await t.call('POST', '/v1/operator/tokens', { signer: second });
    assert.is(r.status, 201, r.text);
    assert.is((await withToken(t, 'GET', '/v1/operator/piles', r.json.token)).status, 200);
    db.prepare('DELETE FROM operators WHERE kid = ?').run(secondKid);
    const removed = await withToken(t, 'GET', '/v1/operator/piles', r.json.token);
    refused(removed, 401, 'bad-token');
    assert.match(removed.json.message, /not an operator/);
  } finally {
    db.close();
  }
});

s('a token never stands for a signature on a POST: 403 read-only-token and nothing moves, even beside a valid signature', async ({ t }) => {
  const { token } = await login(t);
  const user = await t.newUser('Bob');
  assert.is((await t.topUp(user.kidHex, 1_000)).status, 200);
  const topUp = { userKid: user.kidHex, amountMinor: 500, idempotencyKey: 'ab'.repeat(16), nonce: 'cd'.repeat(16), atS: t.clock.nowS };
  const r = await withToken(t, 'POST', '/v1/issue', token, topUp);
  refused(r, 403, 'read-only-token');
  assert.match(r.json.message, /POST \/v1\/issue must be signed/);
  refused(await withToken(t, 'POST', '/v1/operator/tokens', token, { nonce: 'ef'.repeat(16), atS: t.clock.nowS }), 403, 'read-only-token');
  refused(await withToken(t, 'POST', '/v1/piles/0011223344556677/config', token, { label: 'x', nonce: '01'.repeat(16), atS: t.clock.nowS }), 403, 'read-only-token');
  // a correctly signed top-up that also carries the token: refused as well (one credential per request)
  const request = signRequest({ signer: t.operator, method: 'POST', path: '/v1/issue', fields: { userKid: user.kidHex, amountMinor: 500, idempotencyKey: '12'.repeat(16) }, nowMs: t.clock.atMs, crypto: sodiumEd25519 });
  const both = await t.raw('POST', '/v1/issue', { body: request.body!, headers: { ...request.headers, 'content-type': 'application/json', authorization: `Bearer ${token}` } });
  refused(both, 403, 'read-only-token');
  await t.relay.drainLedger();
  const account = await t.call('GET', `/v1/users/${user.kidHex}`, { signer: user });
  assert.is(account.json.balanceMinor, 1_000, 'no top-up happened');
  assert.is((await withToken(t, 'GET', '/v1/relay', 'not even a token')).status, 200, 'open routes ignore Authorization');
});

s('GET /v1/operator/sessions: the CSV\'s rows as JSON, the unsettled sessions, 400 on a bad period; the user key is refused', async ({ t }) => {
  const { token } = await login(t);
  const user = await t.newUser('Chen');
  assert.is((await t.topUp(user.kidHex, 10_000)).status, 200);
  const pile = await t.newPile({ energyMinorPerKwh: 30, timeMinorPerHour: 60, sessionFeeMinor: 50 });
  const start = async (amountMinor: number) => {
    const v = await t.voucher(user, pile, { mode: 'amount', amountMinor });
    assert.is(v.status, 201, v.text);
    const c = pile.contract(v.json.authorization, t.clock.nowS);
    assert.is((await t.upload(c.signed)).json.results[0].status, 'accepted');
    return c;
  };
  const fromS = t.clock.nowS;
  const c1 = await start(1_000);
  await t.upload(pile.receipt(c1.seq, { energyWh: 3_000, durationS: 1_200, endAtS: t.clock.nowS + 1_200 }).signed);
  t.clock.advanceS(10);
  const c2 = await start(800);
  await t.upload(pile.receipt(c2.seq, { energyWh: 1_500, durationS: 600, endAtS: t.clock.nowS + 600 }).signed);
  const c3 = await start(700); // no receipt: provisional
  await t.relay.drainLedger();
  const query = `?from=${iso(fromS)}&to=${iso(t.clock.nowS + 1)}`;
  const r = await withToken(t, 'GET', `/v1/operator/sessions${query}`, token);
  assert.is(r.status, 200, r.text);
  assert.equal([r.json.fromS, r.json.toS], [fromS, t.clock.nowS + 1]);
  assert.equal(r.json.settled.map((x: { seq: number }) => x.seq), [c1.seq, c2.seq]);
  const csv = (await t.call('GET', `/v1/operator/sessions.csv${query}`, { signer: t.operator })).text.trim().split('\r\n').slice(1);
  assert.equal(csv.map((line) => line.split(',')[0]), r.json.settled.map((x: { contractId: string }) => x.contractId), 'the same rows as the CSV, in its order');
  const csvAmounts = csv.map((line) => Number(line.split(',')[9]));
  assert.equal(csvAmounts, r.json.settled.map((x: { amountMinor: number }) => x.amountMinor));
  const unsettled = r.json.unsettled.filter((x: { pileId: string }) => x.pileId === pile.pileIdHex);
  assert.equal(unsettled.map((x: { seq: number; status: string; capMinor: number }) => [x.seq, x.status, x.capMinor]), [[c3.seq, 'provisional', 700]]);
  const signed = await t.call('GET', `/v1/operator/sessions${query}`, { signer: t.operator });
  assert.equal(signed.json, r.json, 'signed or by token: one answer');

  const backwards = await withToken(t, 'GET', `/v1/operator/sessions?from=${iso(t.clock.nowS)}&to=${iso(fromS)}`, token);
  refused(backwards, 400, 'invalid-field');
  assert.match(backwards.json.message, /"to"/);
  refused(await withToken(t, 'GET', '/v1/operator/sessions?from=2026-02-30&to=2026-03-02', token), 400, 'invalid-field');
  refused(await withToken(t, 'GET', '/v1/operator/sessions', token), 400, 'invalid-field');
  refused(await t.call('GET', `/v1/operator/sessions${query}`, { signer: user }), 403, 'not-operator');
});

s('GET /v1/operator/audit: PASS on the live relay; FAIL naming the row once a stored amount is changed', async ({ t }) => {
  const { token } = await login(t);
  await t.relay.drainLedger();
  const pass = await withToken(t, 'GET', '/v1/operator/audit', token);
  assert.is(pass.status, 200, pass.text);
  assert.equal(pass.json, { ok: true, checkedAtS: t.clock.nowS, disagreements: 0, pendingLedgerWrites: 0 });
  const db = new Database(join(t.dir, 'relay.sqlite'));
  let row: { contract_id: string; amount_minor: number };
  try {
    row = db.prepare("SELECT contract_id, amount_minor FROM contracts WHERE status = 'settled' ORDER BY contract_id LIMIT 1").get() as typeof row;
    db.prepare('UPDATE contracts SET amount_minor = amount_minor + 1 WHERE contract_id = ?').run(row.contract_id);
  } finally {
    db.close();
  }
  const fail = await withToken(t, 'GET', '/v1/operator/audit', token);
  assert.is(fail.status, 200, fail.text);
  assert.is(fail.json.ok, false);
  assert.ok(fail.json.disagreements >= 1);
  assert.match(fail.json.first, new RegExp(`^contracts ${row.contract_id}: amount_minor stored ${row.amount_minor + 1}, derived ${row.amount_minor}`));
  refused(await t.call('GET', '/v1/operator/audit', { signer: (await t.newUser('Dana')) }), 403, 'not-operator');
  const db2 = new Database(join(t.dir, 'relay.sqlite'));
  db2.prepare('UPDATE contracts SET amount_minor = ? WHERE contract_id = ?').run(row.amount_minor, row.contract_id);
  db2.close();
  assert.is((await withToken(t, 'GET', '/v1/operator/audit', token)).json.ok, true, 'PASS again once the row is put back');
});

s('the relay serves the dashboard page and Chart.js from its own files, with a strict Content-Security-Policy', async ({ t }) => {
  const redirect = await fetch(`${t.url}/dashboard`, { redirect: 'manual' });
  assert.is(redirect.status, 301);
  assert.is(redirect.headers.get('location'), '/dashboard/');
  const page = await fetch(`${t.url}/dashboard/`);
  assert.is(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'/);
  assert.is(page.headers.get('referrer-policy'), 'no-referrer');
  assert.match(await page.text(), /<script type="module" src="dashboard\.js"><\/script>/);
  for (const file of ['dashboard.js', 'dashboard.css', 'vendor/chart.umd.min.js']) {
    const r = await fetch(`${t.url}/dashboard/${file}`);
    assert.is(r.status, 200, file);
    await r.arrayBuffer();
  }
  for (const path of ['/dashboard/vendor/chart.cjs', '/dashboard/vendor/../../package.json', '/dashboard/%2e%2e/auth.ts', '/dashboard/nothing.js']) {
    const r = await t.raw('GET', path);
    assert.is(r.status, 404, path);
  }
  const openapi = (await t.raw('GET', '/openapi.json')).json;
  assert.ok(openapi.paths['/v1/operator/audit'] && openapi.paths['/v1/operator/sessions'], 'the new routes are documented');
  assert.not.ok(Object.keys(openapi.paths).some((p) => p.startsWith('/dashboard')), 'static files stay out of the API document');
});

s.run();
