// The audit can fail: a real embedded ledger whose event history is altered on the way to the
// auditor (dropped, duplicated or edited events) is reported with precise problems.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { auditLedger } from '../../tools/ledger/audit.ts';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import { contractIdOf, refOf, userAddressOf } from '../../tools/ledger/ids.ts';
import type { Ledger, LedgerEvent } from '../../tools/ledger/ledger.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-ledger-audit-'));
const user = userAddressOf(new Uint8Array(8).fill(3));
const other = userAddressOf(new Uint8Array(8).fill(4));
const pile = new Uint8Array(8).fill(0xad);
const ledger = await openEmbeddedLedger(dir, { deploy: true });
await ledger.issue(user, 9_000n, refOf('t'));
await ledger.issue(other, 1_000n, refOf('t2'));
const open = { contractId: contractIdOf(pile, 1n), user, capMinor: 3_000n, capped: false, contractHash: refOf('c') };
await ledger.open(open);
await ledger.settle({ ...open, amountMinor: 1_000n, receiptHash: refOf('r') });
await ledger.open({ ...open, contractId: contractIdOf(pile, 3n) });

function withHistory(edit: (events: LedgerEvent[]) => LedgerEvent[]): Ledger {
  return new Proxy(ledger, {
    get(target, key) {
      if (key === 'history') return async () => edit(await target.history());
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

test('the untouched history passes', async () => {
  const report = await auditLedger(ledger);
  assert.equal(report.problems, []);
  assert.is(report.ok, true);
  assert.equal([report.issuedMinor, report.balancesMinor, report.escrowMinor, report.contracts], [10_000n, 7_000n, 3_000n, 2]);
});

test('a dropped settlement shows as chain/event disagreement', async () => {
  const report = await auditLedger(withHistory((es) => es.filter((e) => e.kind !== 'settled')));
  assert.is(report.ok, false);
  assert.ok(report.problems.some((p) => /chain escrow 3000, events say 6000/.test(p)), report.problems.join('\n'));
  assert.ok(report.problems.some((p) => /chain total escrow 3000, events say 6000/.test(p)));
});

test('a replayed open is reported as opened twice', async () => {
  const report = await auditLedger(withHistory((es) => [...es, es.find((e) => e.kind === 'opened')!]));
  assert.ok(report.problems.some((p) => p === `contract ${open.contractId} opened twice`), report.problems.join('\n'));
});

test('a settlement above its cap, or for another user, is reported', async () => {
  const above = await auditLedger(withHistory((es) => es.map((e) => (e.kind === 'settled' ? { ...e, amountMinor: 3_001n } : e))));
  assert.ok(above.problems.some((p) => p.includes(`settled ${open.contractId}: amount 3001 above cap 3000`)), above.problems.join('\n'));
  const moved = await auditLedger(withHistory((es) => es.map((e) => (e.kind === 'settled' ? { ...e, user: other } : e))));
  assert.ok(moved.problems.some((p) => p === `settled ${open.contractId}: user/cap differ from its open`), moved.problems.join('\n'));
});

test.after(async () => {
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
});
test.run();
