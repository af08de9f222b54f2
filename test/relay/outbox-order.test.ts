// The order the outbox worker sends ledger writes in (nextGroup): settlements of contracts open on
// the ledger first, all together; else the oldest open with every later open of users that have
// no older pending row of another kind; else the oldest row alone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Address, Hex } from 'viem';
import { type OutboxRow, nextGroup } from '../../tools/relay/ledger-outbox/worker.ts';

const A = '0x00000000000000000000000000000000000000aa' as Address;
const B = '0x00000000000000000000000000000000000000bb' as Address;
let id = 0;
function row(kind: OutboxRow['kind'], user: Address, contract?: number, to?: Address): OutboxRow {
  return { id: ++id, kind, contract_id: contract === undefined ? null : (`0x${contract.toString(16).padStart(32, '0')}` as Hex), ref: null, user_address: user, to_address: to ?? null, cap_minor: 1, amount_minor: 1, capped: 1, hash: null };
}
const ids = (rows: OutboxRow[]) => rows.map((r) => r.id);

test('settlements whose open is done go first, together, past older rows', () => {
  const rows = [row('issue', A), row('open', A, 2), row('settle', A, 1), row('settle', B, 3), row('settle', A, 2)];
  assert.equal(ids(nextGroup(rows)), [rows[2]!.id, rows[3]!.id], 'the settle of contract 2 waits for its open');
});

test('opens batch across users, but not past an older row of their own user', () => {
  const rows = [row('open', A, 1), row('open', B, 2), row('transfer', B, undefined, A), row('open', B, 3), row('open', A, 4)];
  assert.equal(ids(nextGroup(rows)), [rows[0]!.id, rows[1]!.id], 'B after its transfer, and A after the transfer that credits A, wait');
  const advance = [row('open', B, 5), row('issue', A), row('open', A, 6)];
  assert.equal(ids(nextGroup(advance)), [advance[0]!.id], "A's open waits for its advance");
});

test('any other oldest row goes alone', () => {
  const rows = [row('issue', A), row('open', B, 7)];
  assert.equal(ids(nextGroup(rows)), [rows[0]!.id]);
  const charge = [row('charge-cap', A, 8), row('correct', A, 8)];
  assert.equal(ids(nextGroup(charge)), [charge[0]!.id]);
});

test.run();
