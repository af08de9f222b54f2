// The RPC adapter's history from the node's own log index (anvil on 127.0.0.1): history(account)
// — topic filters for indexed address arguments, event filters plus a check here for the others —
// equals the full history filtered by account, each Batch log's transaction fetched once. A batch applied through another contract (its
// transaction calls that contract, not the ledger) has no batch a reader can take from the
// transaction's input: history fails naming the transaction, the audit fails with that problem.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPublicClient, createWalletClient, custom, encodeFunctionData, http, type Address, type Hex, type PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { loadLedgerArtifact } from '../../tools/ledger/artifact.ts';
import { auditLedger } from '../../tools/ledger/audit.ts';
import { encodeBatch } from '../../tools/ledger/batch-encoding.ts';
import { LedgerError } from '../../tools/ledger/errors.ts';
import { nodeHistoryLogs } from '../../tools/ledger/history-accounts.ts';
import { contractIdOf } from '../../tools/ledger/ids.ts';
import { deployRpcLedger } from '../../tools/ledger/rpc.ts';
import { startAnvil } from '../support/anvil.ts';
import { crashOps, crashUsers, runOp } from './crash-ops.ts';
import { openEntry } from './entries.ts';
import { historyNaming } from './snapshot-fixtures.ts';

const anvil = await startAnvil();

test('history(account) on anvil equals the full history filtered by account', async () => {
  const ledger = await deployRpcLedger({ url: anvil.url, privateKey: anvil.keys[0]! });
  try {
    for (const op of crashOps(40)) await runOp(ledger, op);
    const all = await ledger.history();
    assert.ok(all.some((e) => e.kind === 'opened') && all.some((e) => e.kind === 'transfer') && all.some((e) => e.kind === 'issued'));
    for (const account of [...crashUsers, ledger.revenueAccount, ledger.operator, '0x00000000000000000000000000000000000000aa' as const]) {
      assert.equal(await ledger.history({ account }), historyNaming(all, account), `history of ${account}`);
    }
    const batchTxs = new Set(all.filter((e) => e.kind === 'batch').map((e) => e.txHash));
    for (const account of [undefined, crashUsers[0]!]) {
      const fetched: string[] = [];
      const node = createPublicClient({ transport: http(anvil.url) });
      const counting = createPublicClient({
        transport: custom({
          request: ({ method, params }) => {
            if (method === 'eth_getTransactionByHash') fetched.push(params[0]);
            return node.request({ method, params });
          },
        }),
      });
      await nodeHistoryLogs(counting as PublicClient, loadLedgerArtifact().abi, ledger.address, account);
      assert.is(fetched.length, new Set(fetched).size, 'each transaction fetched once in a call');
      assert.ok(fetched.every((hash) => batchTxs.has(hash as Hex)), 'only Batch logs\' transactions are fetched');
      if (!account) assert.is(fetched.length, batchTxs.size);
    }
  } finally {
    await ledger.close();
  }
});

/**
 * Creation code of a contract that calls `target` with its own calldata (reverting with the
 * target's revert data): calldatacopy(0, 0, calldatasize); call(gas, target, 0, 0, calldatasize, 0, 0).
 */
function forwarderCreationCode(target: Address): Hex {
  const runtime = `36600060003760006000366000600073${target.slice(2).toLowerCase()}5af1603357` + '3d600060003e3d6000fd' + '5b00';
  const length = (runtime.length / 2).toString(16).padStart(2, '0');
  return `0x60${length}600c60003960${length}6000f3${runtime}`;
}

test('a batch applied through another contract: history and the audit fail, naming the transaction', async () => {
  const ledger = await deployRpcLedger({ url: anvil.url, privateKey: anvil.keys[0]! });
  try {
    const client = createPublicClient({ transport: http(anvil.url) });
    const wallet = createWalletClient({ account: privateKeyToAccount(anvil.keys[1]!), transport: http(anvil.url) });
    const deployed = await client.waitForTransactionReceipt({ hash: await wallet.sendTransaction({ data: forwarderCreationCode(ledger.address), chain: null }) });
    const forwarder = deployed.contractAddress!;
    await ledger.setOperator(forwarder, true);
    const batch = encodeBatch([openEntry(contractIdOf(new Uint8Array(8).fill(0xad), 1n), crashUsers[0]!, 500n)]);
    const data = encodeFunctionData({ abi: loadLedgerArtifact().abi, functionName: 'applyBatch', args: [batch] });
    const forwarded = await client.waitForTransactionReceipt({ hash: await wallet.sendTransaction({ to: forwarder, data, chain: null }) });
    assert.is(forwarded.status, 'success');
    assert.is(forwarded.logs.length, 1, 'the ledger emitted its Batch log');
    const problem = `Batch log 0 in block ${forwarded.blockNumber} (tx ${forwarded.transactionHash}): the transaction calls ${forwarder.toLowerCase()}, not the ledger ${ledger.address}: not a direct applyBatch call`;
    for (const read of [ledger.history(), ledger.history({ account: crashUsers[0]! })]) {
      const error = await read.then(() => undefined, (e: unknown) => e);
      assert.instance(error, LedgerError);
      assert.is((error as LedgerError).code, 'bad-history');
      assert.is((error as LedgerError).message, problem);
    }
    const report = await auditLedger(ledger);
    assert.is(report.ok, false);
    assert.equal(report.problems, [problem]);
  } finally {
    await ledger.close();
  }
});

test.after(() => anvil.stop());
test.run();
