// A Batch log's batch comes from its transaction's input (tools/ledger/batch-log.ts): a direct
// applyBatch call of the contract that emitted the log, whose batch hashes to the log's batchHash.
// Anything else is a LedgerError 'bad-history' naming the log and its transaction.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeFunctionData, keccak256, type Address, type Hex } from 'viem';
import { loadLedgerArtifact } from '../../tools/ledger/artifact.ts';
import { encodeBatch } from '../../tools/ledger/batch-encoding.ts';
import { batchOfLog, type LogTransaction } from '../../tools/ledger/batch-log.ts';
import { LedgerError } from '../../tools/ledger/errors.ts';
import { contractIdOf, userAddressOf } from '../../tools/ledger/ids.ts';
import { openEntry } from './entries.ts';

const { abi } = loadLedgerArtifact();
const ledger: Address = '0x00000000000000000000000000000000000000c1';
const txHash: Hex = `0x${'ab'.repeat(32)}`;
const log = { address: ledger, blockNumber: 7n, logIndex: 3, transactionHash: txHash };
const pile = new Uint8Array(8).fill(0xad);
const user = userAddressOf(new Uint8Array(8).fill(3));
const batch = encodeBatch([openEntry(contractIdOf(pile, 1n), user, 500n)]);
const otherBatch = encodeBatch([openEntry(contractIdOf(pile, 2n), user, 500n)]);
const applyBatchInput = (b: Hex): Hex => encodeFunctionData({ abi, functionName: 'applyBatch', args: [b] });
const direct: LogTransaction = { to: ledger, input: applyBatchInput(batch) };

function refused(tx: LogTransaction | undefined, why: RegExp): void {
  try {
    batchOfLog(abi, log, keccak256(batch), tx);
  } catch (error) {
    assert.instance(error, LedgerError);
    assert.is((error as LedgerError).code, 'bad-history');
    const message = (error as Error).message;
    assert.ok(message.startsWith(`Batch log 3 in block 7 (tx ${txHash}): `), message);
    assert.match(message, why);
    return;
  }
  assert.unreachable('the Batch log was read');
}

test('a direct applyBatch call whose batch hashes to the event gives that batch', () => {
  assert.is(batchOfLog(abi, log, keccak256(batch), direct), batch);
  assert.is(batchOfLog(abi, log, keccak256(batch), { ...direct, to: '0x00000000000000000000000000000000000000C1' }), batch, 'addresses compare case-blind');
});

test('a transaction carrying another batch than the event commits to is refused', () => {
  refused({ to: ledger, input: applyBatchInput(otherBatch) }, new RegExp(`the transaction's batch hashes to ${keccak256(otherBatch)}, the event commits to ${keccak256(batch)}$`));
});

test('a call of another account (the ledger reached through a contract) is not a direct applyBatch call', () => {
  refused({ to: '0x00000000000000000000000000000000000000f0', input: direct.input }, /the transaction calls 0x0{38}f0, not the ledger 0x0{38}c1: not a direct applyBatch call$/);
  refused({ to: null, input: direct.input }, /calls no account \(a deployment\)/);
});

test('another function, or an applyBatch input that does not decode, is refused', () => {
  const issue = encodeFunctionData({ abi, functionName: 'issue', args: [user, 1n, `0x${'01'.repeat(32)}`] });
  refused({ to: ledger, input: issue }, new RegExp(`the transaction input \\(selector ${issue.slice(0, 10)}\\) is not an applyBatch call$`));
  refused({ to: ledger, input: '0x' }, /the transaction input \(selector 0x\) is not an applyBatch call$/);
  refused({ to: ledger, input: direct.input.slice(0, 80) as Hex }, /the transaction input does not decode as applyBatch\(bytes\)$/);
});

test('a Batch log without its transaction is refused', () => {
  refused(undefined, /its transaction is not available$/);
});

test.run();
