// A money move whose answer is lost: the relay (a child process) is killed with SIGKILL after it
// committed the move and began to answer, before the answer reaches the client. The client retries
// with the same idempotency key (a new nonce, a new signature) once the relay is back on the same
// data folder: the money moved once. Driven through the public entry points: `tapcharge relay
// issue` (its one-line error names the key to retry with) and the phone SDK's RelayClient.transfer.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sodiumEd25519 } from '../../tools/sodium-ed25519.ts';
import { RelayUnreachableError } from '../../tools/phone/errors.ts';
import { RelayClient } from '../../tools/phone/relay-client.ts';
import { type RelayProcess, cliBin, killRelayProcess, startRelayProcess } from '../support/relay-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-lost-answer-'));

/**
 * A TCP hop in front of the relay that passes requests through and, at the first byte of an
 * answer, kills the relay and cuts the client off: the move is committed, the answer is lost.
 */
function answerKillingProxy(relay: () => RelayProcess): Promise<{ url: string; server: Server; kills: Promise<void>[] }> {
  const kills: Promise<void>[] = [];
  const server = createServer((client: Socket) => {
    const { port } = new URL(relay().url);
    const upstream = connect(Number(port), '127.0.0.1');
    client.on('data', (d) => upstream.write(d));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    upstream.once('data', () => {
      kills.push(killRelayProcess(relay()));
      client.destroy();
      upstream.destroy();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const address = server.address() as { port: number };
    resolve({ url: `http://127.0.0.1:${address.port}`, server, kills });
  }));
}

/** `tapcharge relay ARGS` run asynchronously: the proxy lives in this process and must keep serving meanwhile. */
function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cliBin, 'relay', ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
}

/** The user's ledger balance once the relay has no ledger write pending for them (read as the operator). */
async function settled(relay: RelayProcess, user: { kidHex: string }): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const shown = (await relay.caller.call('GET', `/v1/users/${user.kidHex}`, { signer: relay.caller.operator })).json;
    if (shown.pendingLedgerWrites === 0) return shown.balanceMinor;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('ledger writes still pending');
}

test('tapcharge relay issue: answer lost after commit → one line naming the key; the same command with it → applied once', async () => {
  let relay = await startRelayProcess(dir);
  const proxy = await answerKillingProxy(() => relay);
  try {
    const ada = await relay.caller.newUser('Ada');
    const lost = await cli('issue', '--url', proxy.url, '--data', dir, '--user', ada.kidHex, '--amount', '2500');
    assert.is(lost.status, 1, lost.stderr);
    assert.is(lost.stderr.trim().split('\n').length, 1, 'one line');
    const key = /--idempotency-key ([0-9a-f]{32})/.exec(lost.stderr)?.[1];
    assert.ok(key, lost.stderr);
    assert.match(lost.stderr, /may or may not have been made/);
    console.log(`  lost answer, as printed: ${lost.stderr.trim()}`);
    await Promise.all(proxy.kills);

    relay = await startRelayProcess(dir);
    const retried = await cli('issue', '--url', relay.url, '--data', dir, '--user', ada.kidHex, '--amount', '2500', '--idempotency-key', key);
    assert.is(retried.status, 0, retried.stderr);
    assert.match(retried.stdout, /issued 2500 to [0-9a-f]{16} .*nothing moved again/);
    assert.is(await settled(relay, ada), 2_500, 'the top-up was made once, not twice');

    const otherAmount = await cli('issue', '--url', relay.url, '--data', dir, '--user', ada.kidHex, '--amount', '99', '--idempotency-key', key);
    assert.is(otherAmount.status, 1);
    assert.match(otherAmount.stderr, /409 idempotency-key-reused/);
    const badKey = await cli('issue', '--url', relay.url, '--data', dir, '--user', ada.kidHex, '--amount', '1', '--idempotency-key', 'xyz');
    assert.equal([badKey.status, badKey.stderr.trim()], [2, 'tapcharge: --idempotency-key expected 32..64 lowercase hex digits, got "xyz"']);
    assert.is(await settled(relay, ada), 2_500, 'refused commands moved nothing');
  } finally {
    proxy.server.close();
    await killRelayProcess(relay);
  }
});

test('phone SDK transfer: answer lost after commit → RelayUnreachableError; the retry with the same key moves once', async () => {
  let relay = await startRelayProcess(dir);
  const proxy = await answerKillingProxy(() => relay);
  try {
    const bea = await relay.caller.newUser('Bea');
    const cal = await relay.caller.newUser('Cal');
    await relay.caller.topUp(bea.kidHex, 1_000);
    assert.is(await settled(relay, bea), 1_000);
    const viaProxy = new RelayClient({ baseUrl: proxy.url, crypto: sodiumEd25519 });
    const key = viaProxy.newIdempotencyKey();
    await viaProxy.transfer(bea, cal.kid, 400, key).then(
      () => assert.unreachable('the answer should have been lost'),
      (error: unknown) => assert.instance(error, RelayUnreachableError),
    );
    await Promise.all(proxy.kills);

    relay = await startRelayProcess(dir);
    const direct = new RelayClient({ baseUrl: relay.url, crypto: sodiumEd25519 });
    const answer = await direct.transfer(bea, cal.kid, 400, key);
    assert.equal([answer.amountMinor, answer.repeated], [400, true]);
    assert.is(await settled(relay, bea), 600, '1,000 − 400 once');
    assert.is(await settled(relay, cal), 400);
  } finally {
    proxy.server.close();
    await killRelayProcess(relay);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
