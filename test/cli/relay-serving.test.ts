// `tapcharge relay start` as operators run it: HTTPS with their certificate (--tls-cert/--tls-key),
// another listen address (--host), a request log of one JSON line per request (pino), and
// GET /v1/health for load balancers (200, or 503 naming the part that does not answer).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectRpcLedger, deployRpcLedger } from '../../tools/ledger/rpc.ts';
import { startAnvil } from '../support/anvil.ts';
import { startTestRelay } from '../support/relay-harness.ts';
import { cliBin, startRelayProcess, stopRelayProcess } from '../support/relay-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-relay-serving-'));
const certPath = join(dir, 'cert.pem');
const keyPath = join(dir, 'key.pem');
const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
  '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyPath, '-out', certPath], { encoding: 'utf8' });
if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);

/** GET over HTTPS trusting only our test certificate. */
function httpsGet(url: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    request(url, { ca: readFileSync(certPath) }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    }).on('error', reject).end();
  });
}

function cli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cliBin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
}

test('HTTPS: the relay serves with the given certificate; the CLI reaches it trusting that certificate; plain HTTP gets nothing', async () => {
  const data = join(dir, 'tls');
  const relay = await startRelayProcess(data, { args: ['--tls-cert', certPath, '--tls-key', keyPath] });
  try {
    assert.match(relay.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await httpsGet(`${relay.url}/v1/health`);
    assert.equal([health.status, health.json.status, health.json.database.ok, health.json.ledger.ok], [200, 'ok', true, true]);
    const trusted = { NODE_EXTRA_CA_CERTS: certPath };
    const pile = await cli(trusted, 'relay', 'register-pile', '--url', relay.url, '--data', data, '--pile-id', '00112233aabbccdd', '--public-key', 'ab'.repeat(32),
      '--label', 'TLS 1', '--max-power-w', '7400', '--energy-price', '30', '--time-price', '0', '--session-fee', '0');
    assert.is(pile.status, 0, pile.stderr);
    const untrusted = await cli({}, 'relay', 'issue', '--url', relay.url, '--data', data, '--user', '0011223344556677', '--amount', '1');
    assert.is(untrusted.status, 1);
    assert.match(untrusted.stderr, /unreachable/, 'a certificate nobody vouches for is refused by the client');
    const plain = await fetch(relay.url.replace('https:', 'http:') + '/v1/health').then(() => 'answered', () => 'refused');
    assert.is(plain, 'refused');
  } finally {
    await stopRelayProcess(relay);
  }
});

test('--host: listens on the address given, not elsewhere', async () => {
  const relay = await startRelayProcess(join(dir, 'host'), { args: ['--host', '127.0.0.2'] });
  try {
    assert.match(relay.url, /^http:\/\/127\.0\.0\.2:\d+$/);
    assert.is((await fetch(`${relay.url}/v1/health`)).status, 200);
    const elsewhere = await fetch(relay.url.replace('127.0.0.2', '127.0.0.1') + '/v1/health').then(() => 'answered', () => 'refused');
    assert.is(elsewhere, 'refused');
  } finally {
    await stopRelayProcess(relay);
  }
});

test('request log: one JSON line per request with method, path (no signed nonce), status, time, signer and refusal code', async () => {
  const data = join(dir, 'log');
  const relay = await startRelayProcess(data);
  try {
    await fetch(`${relay.url}/v1/health`);
    await fetch(`${relay.url}/v1/users/0011223344556677`);
    await fetch(`${relay.url}/v1/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"records":' });
  } finally {
    await stopRelayProcess(relay);
  }
  assert.match(relay.stdout(), new RegExp(`request log ${join(data, 'requests.log').replace(/[.]/g, '\\.')}`));
  const lines = readFileSync(join(data, 'requests.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line)).filter((l) => l.msg === 'request');
  const summary = lines.map((l) => [l.method, l.path, l.status, l.error]);
  assert.equal(summary, [
    ['GET', '/v1/health', 200, undefined],
    ['GET', '/v1/users/0011223344556677', 401, 'unknown-signer'],
    ['POST', '/v1/records', 400, 'invalid-json'],
  ]);
  for (const line of lines) {
    assert.type(line.ms, 'number');
    assert.type(line.time, 'number');
    assert.is(line.remote, '127.0.0.1');
    assert.is(line.msg, 'request');
  }
});

test('GET /v1/health: 503 naming the ledger when its JSON-RPC node goes away; 200 again is not needed to keep serving', async () => {
  const anvil = await startAnvil();
  const key = anvil.keys[0]!;
  const address = (await deployRpcLedger({ url: anvil.url, privateKey: key })).address;
  const ledger = await connectRpcLedger({ url: anvil.url, privateKey: key, address });
  const t = await startTestRelay({ ledger });
  try {
    const ok = await t.call('GET', '/v1/health');
    assert.equal([ok.status, ok.json.status, ok.json.outbox.pending], [200, 'ok', 0]);
    await anvil.stop();
    const down = await t.call('GET', '/v1/health');
    assert.equal([down.status, down.json.status, down.json.database.ok, down.json.ledger.ok], [503, 'unavailable', true, false]);
    assert.type(down.json.ledger.error, 'string');
    assert.is((await t.call('GET', '/v1/relay')).status, 200, 'the relay itself still answers');
  } finally {
    await t.close();
    await ledger.close();
    await anvil.stop();
  }
});

test('bad start options: one line, exit 2, nothing created', async () => {
  const data = join(dir, 'never');
  const cases: [string[], RegExp][] = [
    [['--host', 'localhost'], /--host expected an IP address/],
    [['--tls-cert', certPath], /--tls-cert and --tls-key go together/],
    [['--request-log', join(dir, 'no-such-folder', 'r.log')], /--request-log .*no folder/],
  ];
  for (const [args, message] of cases) {
    const r = await cli({}, 'relay', 'start', '--data', data, '--port', '0', ...args);
    assert.is(r.status, 2, r.stderr);
    assert.is(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, message);
  }
  writeFileSync(join(dir, 'junk.pem'), 'not a certificate');
  const junk = await cli({}, 'relay', 'start', '--data', join(dir, 'junk'), '--port', '0', '--tls-cert', join(dir, 'junk.pem'), '--tls-key', join(dir, 'junk.pem'));
  assert.is(junk.status, 1);
  assert.match(junk.stderr, /^tapcharge: relay did not start: /);
  assert.is(junk.stderr.trim().split('\n').length, 1);
  for (const refused of [data, join(dir, 'junk')]) assert.not.ok(existsSync(refused), `no data folder made by a refused start: ${refused}`);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
