// The RPC adapter against anvil when delivery misbehaves: a lost request is re-sent (same signed
// bytes), a lost response or a double delivery is not applied twice. Every write is reported only
// after its receipt.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeFunctionData, type Hex } from 'viem';
import { loadLedgerArtifact } from '../../tools/ledger/artifact.ts';
import { LedgerClient } from '../../tools/ledger/client.ts';
import { refOf, userAddressOf } from '../../tools/ledger/ids.ts';
import { deployRpcLedger, rpcParts } from '../../tools/ledger/rpc.ts';
import { startAnvil } from '../support/anvil.ts';

const anvil = await startAnvil();
const key = anvil.keys[0]!;
const address = (await deployRpcLedger({ url: anvil.url, privateKey: key })).address;
const user = userAddressOf(new Uint8Array(8).fill(9));

async function ledgerWith(deliver: (send: (raw: Hex) => Promise<void>, raw: Hex, attempt: number) => Promise<void>) {
  const parts = rpcParts({ url: anvil.url, privateKey: key });
  const sends: Hex[] = [];
  let attempt = 0;
  const send = async (raw: Hex) => { sends.push(raw); await parts.deliver(raw); };
  const ledger = await LedgerClient.attach({ ...parts, deliver: (raw) => deliver(send, raw, ++attempt), sender: { pollMs: 20, receiptTimeoutMs: 300, attempts: 3 } }, address);
  return { ledger, sends };
}

test('a request lost on the way is re-sent with the same signed bytes and applied once', async () => {
  const { ledger, sends } = await ledgerWith(async (send, raw, attempt) => {
    if (attempt === 1) throw new Error('connection reset');
    await send(raw);
  });
  const before = await ledger.balanceOf(user);
  const r = await ledger.issue(user, 100n, refOf('lost-request'));
  assert.is(r.status, 'applied');
  assert.is(sends.length, 1);
  assert.is(await ledger.balanceOf(user), before + 100n);
});

test('a response lost after the send: the receipt is found, nothing is sent again', async () => {
  const { ledger, sends } = await ledgerWith(async (send, raw) => {
    await send(raw);
    throw new Error('socket hang up');
  });
  const before = await ledger.balanceOf(user);
  await ledger.issue(user, 100n, refOf('lost-response'));
  assert.is(sends.length, 1);
  assert.is(await ledger.balanceOf(user), before + 100n);
});

test('the same transaction delivered twice is applied once', async () => {
  const { ledger, sends } = await ledgerWith(async (send, raw) => {
    await send(raw);
    await send(raw).catch(() => undefined); // the node refuses the copy (known / nonce too low)
  });
  const before = await ledger.balanceOf(user);
  await ledger.issue(user, 100n, refOf('double'));
  assert.is(sends.length, 2);
  assert.is(sends[0], sends[1]);
  assert.is(await ledger.balanceOf(user), before + 100n);
});

test('a node that never mines: the write fails after its attempts instead of reporting done', async () => {
  const { ledger, sends } = await ledgerWith(async () => { throw new Error('503 service unavailable'); });
  await ledger.issue(user, 100n, refOf('never')).then(
    () => assert.unreachable('reported done'),
    (e: Error) => assert.match(e.message, /^transaction 0x[0-9a-f]{64} not mined after 3 attempts: 503 service unavailable$/),
  );
  assert.is(sends.length, 0);
  const ok = await ledgerWith(async (send, raw) => send(raw));
  assert.is((await ok.ledger.issue(user, 1n, refOf('after-outage'))).status, 'applied', 'the nonce was not burned by the failed write');
});

test('two senders of one operator key taking turns (relay instances handing the outbox lease over) each send with the chain\'s next nonce', async () => {
  const first = await ledgerWith(async (send, raw) => send(raw));
  const second = await ledgerWith(async (send, raw) => send(raw));
  const before = await first.ledger.balanceOf(user);
  assert.is((await first.ledger.issue(user, 1n, refOf('turn-1'))).status, 'applied');
  assert.is((await second.ledger.issue(user, 2n, refOf('turn-2'))).status, 'applied');
  // Back to the first: a nonce it kept from its last send would be taken, and the write not mined.
  assert.is((await first.ledger.issue(user, 4n, refOf('turn-3'))).status, 'applied');
  assert.is(first.sends.length, 2, 'each of its writes delivered once');
  assert.is(await first.ledger.balanceOf(user), before + 7n);
});

test('an outsider transaction sent without estimation is mined, reverts on chain and changes nothing', async () => {
  const outsider = rpcParts({ url: anvil.url, privateKey: anvil.keys[1]! });
  const { ledger } = await ledgerWith(async (send, raw) => send(raw));
  const before = await ledger.balanceOf(user);
  const data = encodeFunctionData({ abi: loadLedgerArtifact().abi, functionName: 'issue', args: [user, 1_000n, refOf('forged')] });
  const raw = await outsider.account.signTransaction({
    type: 'eip1559', chainId: await outsider.client.getChainId(), nonce: await outsider.client.getTransactionCount({ address: outsider.account.address }),
    gas: 200_000n, maxFeePerGas: 100_000_000_000n, maxPriorityFeePerGas: 1n, to: address, data,
  });
  const hash = (await outsider.client.request({ method: 'eth_sendRawTransaction', params: [raw] })) as Hex;
  const receipt = await outsider.client.waitForTransactionReceipt({ hash });
  assert.is(receipt.status, 'reverted');
  assert.is(await ledger.balanceOf(user), before);
});

test.after(() => anvil.stop());
test.run();
