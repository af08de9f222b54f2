// POST /v1/piles/{pileId}/service-authorizations (tools/relay/routes/service-authorizations.ts),
// through the HTTP API on SQLite and on PostgreSQL: an operator gets a relay-signed
// ServiceAuthorization for the pile's registered key, the console challenge and one scope (checked
// with the relay's public key, field by field); the same challenge and scope again answer the same
// bytes; the RelayClient call returns them. Refused: an unknown pile (404), a user's key (403), an
// unsigned request (401), a challenge or scope that is not one (400). Every authorisation is kept,
// listed to operators (GET /v1/operator/piles/{pileId}, newest first) and audited: the live audit
// passes, and each tampering with a stored one — a field, the signature, the operator, a row
// inserted — makes it fail naming that row, and pass again once the row is put back.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { base64urlToBytes, bytesToHex } from '../../contracts-offline/bytes.ts';
import { type KeyPair, generateKeyPair } from '../../contracts-offline/keys.ts';
import { type ServiceAuthorization, encodeServiceAuthorization } from '../../contracts-offline/messages/service-authorization.ts';
import { openSigned, signMessage } from '../../contracts-offline/signed.ts';
import type { RelayError } from '../../tools/phone/errors.ts';
import { RelayClient } from '../../tools/phone/relay-client.ts';
import type { Db } from '../../tools/relay/storage/db.ts';
import { openRelayDb } from '../../tools/relay/storage/open-db.ts';
import { startTestPostgres } from '../support/postgres.ts';
import { type Reply, type TestPile, type TestRelay, startTestRelay } from '../support/relay-harness.ts';

type Ctx = { t: TestRelay; db: Db; pile: TestPile };
type Storage = { databaseUrl?: string; stop(): Promise<void> };

const challengeHex = (): string => bytesToHex(crypto.getRandomValues(new Uint8Array(16)));

function authorizationCases(name: string, storage: () => Promise<Storage>): void {
  const s = suite<Ctx>(name, {} as Ctx);
  let store: Storage;

  s.before(async (ctx) => {
    store = await storage();
    ctx.t = await startTestRelay(store.databaseUrl ? { databaseUrl: store.databaseUrl } : {});
    // a second connection to the relay's database, for what only a tamperer does
    ctx.db = (await openRelayDb({ dataDir: ctx.t.dir, databaseUrl: store.databaseUrl, nowMs: Date.now() })).db;
    ctx.pile = await ctx.t.newPile();
  });
  s.after(async ({ t, db }) => {
    await db.close();
    await t.close();
    await store.stop();
  });

  /** Signed by the operator unless another `signer` is given; `null`: unsigned. */
  const request = (t: TestRelay, pileId: string, body: Record<string, unknown>, signer: KeyPair | null = t.operator): Promise<Reply> =>
    t.call('POST', `/v1/piles/${pileId}/service-authorizations`, { body, ...(signer && { signer }) });

  /** The authorisation of an answer, its relay signature checked. */
  const opened = (t: TestRelay, reply: Reply): ServiceAuthorization => {
    const message = openSigned(base64urlToBytes(reply.json.authorization), { publicKey: t.relayPublicKey, expectType: 'ServiceAuthorization' });
    if (!message.ok) throw new Error(`not a relay-signed ServiceAuthorization: ${message.reason}`);
    return message.value.message;
  };

  const audit = async (t: TestRelay): Promise<{ ok: boolean; first?: string }> => {
    const reply = await t.call('GET', '/v1/operator/audit', { signer: t.operator });
    assert.is(reply.status, 200, reply.text);
    return reply.json;
  };

  s('issued for each scope: relay-signed, for the registered pile key, the challenge and the scope; the same challenge and scope again: the same bytes', async ({ t, pile }) => {
    for (const scope of ['provision', 'set-clock', 'factory-reset'] as const) {
      const challenge = challengeHex();
      const reply = await request(t, pile.pileIdHex, { challenge, scope });
      assert.is(reply.status, 201, reply.text);
      assert.equal(Object.keys(reply.json), ['authorization']);
      const message = opened(t, reply);
      assert.equal(
        [bytesToHex(message.pileId), bytesToHex(message.pilePublicKey), bytesToHex(message.challenge), message.scope, message.issuedAtS],
        [pile.pileIdHex, bytesToHex(pile.key.publicKey), challenge, scope, t.clock.nowS],
      );
      t.clock.advanceS(5);
      const again = await request(t, pile.pileIdHex, { challenge: challenge.toUpperCase(), scope });
      assert.equal([again.status, again.json.authorization], [200, reply.json.authorization], 'a retry (hex in either case) answers the one issued');
    }
  });

  s('the OpenAPI document describes the route: signed, its answers and refusals', async ({ t }) => {
    const doc = (await t.call('GET', '/openapi.json')).json as { paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>> };
    const post = doc.paths['/v1/piles/{pileId}/service-authorizations']?.['post'];
    assert.ok(post, 'POST /v1/piles/{pileId}/service-authorizations is in the document');
    assert.equal(post!.security, [{ tapchargeKid: [], tapchargeSignature: [] }]);
    assert.equal(Object.keys(post!.responses).sort(), ['200', '201', '400', '401', '403', '404', '409', '413', '415']);
    assert.ok(doc.paths['/v1/piles/{pileId}/provisioning']?.['get'], 'GET /v1/piles/{pileId}/provisioning too');
  });

  s('RelayClient.serviceAuthorization returns the COSE bytes', async ({ t, pile }) => {
    const client = new RelayClient({ baseUrl: t.url, nowMs: () => t.clock.atMs });
    const challenge = crypto.getRandomValues(new Uint8Array(16));
    const bytes = await client.serviceAuthorization(t.operator, pile.pileId, { challenge, scope: 'set-clock' });
    const message = openSigned(bytes, { publicKey: t.relayPublicKey, expectType: 'ServiceAuthorization' });
    assert.ok(message.ok);
    if (message.ok) assert.equal([bytesToHex(message.value.message.challenge), message.value.message.scope], [bytesToHex(challenge), 'set-clock']);
    const user = await t.newUser('Eve');
    const refusal = await client.serviceAuthorization(user, pile.pileId, { challenge, scope: 'factory-reset' }).then(() => undefined, (error: RelayError) => error);
    assert.equal([refusal?.status, refusal?.code], [403, 'not-operator']);
  });

  s('refused: an unknown pile, a user, no signature, a challenge or scope that is not one; nothing kept', async ({ t, db, pile }) => {
    const before = (await db.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM service_authorizations'))!.n;
    const body = { challenge: challengeHex(), scope: 'provision' };
    const refused = (reply: Reply, status: number, error: string, message?: RegExp) => {
      assert.equal([reply.status, reply.json?.error], [status, error], reply.text);
      if (message) assert.match(reply.json.message, message);
    };
    refused(await request(t, '00000000000000ff', body), 404, 'unknown-pile', /pile 00000000000000ff is not registered/);
    refused(await request(t, pile.pileIdHex, body, await t.newUser('Mallory')), 403, 'not-operator');
    refused(await request(t, pile.pileIdHex, body, null), 401, 'unknown-signer');
    refused(await request(t, pile.pileIdHex, { ...body, challenge: 'aa'.repeat(15) }), 400, 'invalid-field', /"challenge" expected 16 bytes, got 15/);
    refused(await request(t, pile.pileIdHex, { ...body, challenge: 'aa'.repeat(17) }), 400, 'invalid-field', /"challenge"/);
    refused(await request(t, pile.pileIdHex, { ...body, challenge: 'zz'.repeat(16) }), 400, 'invalid-field', /"challenge" expected hex/);
    refused(await request(t, pile.pileIdHex, { scope: 'provision' }), 400, 'invalid-field', /"challenge" is required/);
    refused(await request(t, pile.pileIdHex, { ...body, scope: 're-key' }), 400, 'invalid-field', /"scope" expected one of provision\|set-clock\|factory-reset/);
    refused(await request(t, pile.pileIdHex, { ...body, pilePublicKey: 'aa'.repeat(32) }), 400, 'invalid-field', /"pilePublicKey" is not a known field/);
    refused(await request(t, 'xyz', body), 400, 'invalid-field');
    assert.is((await db.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM service_authorizations'))!.n, before);
  });

  s('listed to operators with the pile, newest first: who, when, scope, challenge, the signed bytes', async ({ t, db, pile }) => {
    const other = await t.newPile();
    const first = challengeHex();
    const second = challengeHex();
    const a = await request(t, other.pileIdHex, { challenge: first, scope: 'provision' });
    const issuedAtS = t.clock.nowS;
    t.clock.advanceS(60);
    const b = await request(t, other.pileIdHex, { challenge: second, scope: 'factory-reset' });
    const view = await t.call('GET', `/v1/operator/piles/${other.pileIdHex}`, { signer: t.operator });
    assert.is(view.status, 200, view.text);
    const operatorKid = bytesToHex(t.operator.kid);
    assert.equal(view.json.serviceAuthorizations, [
      { scope: 'factory-reset', challenge: second, issuedAtS: issuedAtS + 60, operatorKid, authorization: b.json.authorization },
      { scope: 'provision', challenge: first, issuedAtS, operatorKid, authorization: a.json.authorization },
    ]);
    const stored = await db.all('SELECT pile_id, challenge, scope, pile_public_key, issued_at_s, operator_kid FROM service_authorizations WHERE pile_id = ? ORDER BY issued_at_s', [other.pileIdHex]);
    assert.equal(stored.map((r) => ({ ...r, issued_at_s: Number(r['issued_at_s']) })), [
      { pile_id: other.pileIdHex, challenge: first, scope: 'provision', pile_public_key: bytesToHex(other.key.publicKey), issued_at_s: issuedAtS, operator_kid: operatorKid },
      { pile_id: other.pileIdHex, challenge: second, scope: 'factory-reset', pile_public_key: bytesToHex(other.key.publicKey), issued_at_s: issuedAtS + 60, operator_kid: operatorKid },
    ]);
    const quiet = await t.call('GET', `/v1/operator/piles/${pile.pileIdHex}`, { signer: t.operator });
    assert.ok(quiet.json.serviceAuthorizations.every((x: { challenge: string }) => x.challenge !== first && x.challenge !== second), 'each pile lists its own');
  });

  /** A tampering: what it does to the stored row of `key` (pile#challenge#scope), what the audit's first line then says, and how it is undone. */
  type Tampering = { change: string; tamper(db: Db, row: { pile_id: string; challenge: string; scope: string }): Promise<{ key: string; says: RegExp; undo(): Promise<unknown> }> };
  const where = 'WHERE pile_id = ? AND challenge = ? AND scope = ?';
  const tamperings: Tampering[] = [
    { change: 'the scope widened', tamper: async (db, r) => {
      await db.run(`UPDATE service_authorizations SET scope = 'factory-reset' ${where}`, [r.pile_id, r.challenge, r.scope]);
      return {
        key: `${r.pile_id}#${r.challenge}#factory-reset`, says: /^scope stored factory-reset, derived provision from the relay-signed ServiceAuthorization$/,
        undo: () => db.run(`UPDATE service_authorizations SET scope = 'provision' ${where}`, [r.pile_id, r.challenge, 'factory-reset']),
      };
    } },
    { change: 'the issue time moved', tamper: async (db, r) => {
      await db.run(`UPDATE service_authorizations SET issued_at_s = issued_at_s + 86400 ${where}`, [r.pile_id, r.challenge, r.scope]);
      return { key: `${r.pile_id}#${r.challenge}#${r.scope}`, says: /^issued_at_s stored \d+, derived \d+ from the relay-signed ServiceAuthorization$/,
        undo: () => db.run(`UPDATE service_authorizations SET issued_at_s = issued_at_s - 86400 ${where}`, [r.pile_id, r.challenge, r.scope]) };
    } },
    { change: 'one bit of the signature flipped', tamper: async (db, r) => {
      const { signed } = (await db.get<{ signed: Uint8Array }>(`SELECT signed FROM service_authorizations ${where}`, [r.pile_id, r.challenge, r.scope]))!;
      const altered = Uint8Array.from(signed);
      altered[altered.length - 1]! ^= 0x01;
      await db.run(`UPDATE service_authorizations SET signed = ? ${where}`, [altered, r.pile_id, r.challenge, r.scope]);
      return { key: `${r.pile_id}#${r.challenge}#${r.scope}`, says: /^signed does not verify with the relay's key \(/,
        undo: () => db.run(`UPDATE service_authorizations SET signed = ? ${where}`, [signed, r.pile_id, r.challenge, r.scope]) };
    } },
    { change: 'the asking operator replaced', tamper: async (db, r) => {
      const { operator_kid: kid } = (await db.get<{ operator_kid: string }>(`SELECT operator_kid FROM service_authorizations ${where}`, [r.pile_id, r.challenge, r.scope]))!;
      await db.run(`UPDATE service_authorizations SET operator_kid = ? ${where}`, ['00'.repeat(8), r.pile_id, r.challenge, r.scope]);
      return { key: `${r.pile_id}#${r.challenge}#${r.scope}`, says: /^operator_kid stored 0{16}: no operator key the audit trusts has this kid/,
        undo: () => db.run(`UPDATE service_authorizations SET operator_kid = ? ${where}`, [kid, r.pile_id, r.challenge, r.scope]) };
    } },
    { change: 'a copy inserted for another challenge', tamper: async (db, r) => {
      const challenge = challengeHex();
      await db.run(`INSERT INTO service_authorizations (pile_id, challenge, scope, pile_public_key, issued_at_s, operator_kid, signed)
        SELECT pile_id, ?, scope, pile_public_key, issued_at_s, operator_kid, signed FROM service_authorizations ${where}`, [challenge, r.pile_id, r.challenge, r.scope]);
      return { key: `${r.pile_id}#${challenge}#${r.scope}`, says: new RegExp(`^challenge stored ${challenge}, derived ${r.challenge} from the relay-signed ServiceAuthorization$`),
        undo: () => db.run(`DELETE FROM service_authorizations ${where}`, [r.pile_id, challenge, r.scope]) };
    } },
    { change: 'one signed by another key inserted', tamper: async (db, r) => {
      const forger = generateKeyPair();
      const challenge = challengeHex();
      const row = (await db.get<{ pile_public_key: string; issued_at_s: number | string; operator_kid: string }>(`SELECT pile_public_key, issued_at_s, operator_kid FROM service_authorizations ${where}`, [r.pile_id, r.challenge, r.scope]))!;
      const forged = signMessage(encodeServiceAuthorization({
        pileId: Uint8Array.from(Buffer.from(r.pile_id, 'hex')), pilePublicKey: Uint8Array.from(Buffer.from(row.pile_public_key, 'hex')),
        challenge: Uint8Array.from(Buffer.from(challenge, 'hex')), scope: 'factory-reset', issuedAtS: Number(row.issued_at_s),
      }), forger.secretKey, { kid: forger.kid });
      await db.run('INSERT INTO service_authorizations (pile_id, challenge, scope, pile_public_key, issued_at_s, operator_kid, signed) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [r.pile_id, challenge, 'factory-reset', row.pile_public_key, Number(row.issued_at_s), row.operator_kid, forged]);
      return { key: `${r.pile_id}#${challenge}#factory-reset`, says: /^signed does not verify with the relay's key \(/,
        undo: () => db.run(`DELETE FROM service_authorizations ${where}`, [r.pile_id, challenge, 'factory-reset']) };
    } },
  ];

  s('audited: the live audit passes; each tampering with a stored authorisation fails it naming the row; put back, it passes', async ({ t, db, pile }) => {
    await t.relay.drainLedger();
    const pass = await audit(t);
    assert.equal([pass.ok, pass.first], [true, undefined]);
    const challenge = challengeHex();
    assert.is((await request(t, pile.pileIdHex, { challenge, scope: 'provision' })).status, 201);
    assert.is((await audit(t)).ok, true, 'a new authorisation audits');
    for (const c of tamperings) {
      const { key, says, undo } = await c.tamper(db, { pile_id: pile.pileIdHex, challenge, scope: 'provision' });
      const fail = await audit(t);
      assert.is(fail.ok, false, c.change);
      const prefix = `service_authorizations ${key}: `;
      assert.ok(fail.first?.startsWith(prefix), `${c.change}: first line "${fail.first}" names ${prefix}`);
      assert.match(fail.first!.slice(prefix.length), says, c.change);
      await undo();
      assert.is((await audit(t)).ok, true, `${c.change}: PASS again once put back`);
    }
  });

  s.run();
}

authorizationCases('service authorisations on SQLite', async () => ({ stop: async () => undefined }));
authorizationCases('service authorisations on PostgreSQL', async () => {
  const pg = await startTestPostgres();
  return { databaseUrl: pg.url, stop: pg.stop };
});
