// The RPC adapter's history from the node's own log index (anvil on 127.0.0.1): history(account)
// — topic filters for indexed address arguments, event filters plus a check here for the others —
// equals the full history filtered by account.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deployRpcLedger } from '../../tools/ledger/rpc.ts';
import { startAnvil } from '../support/anvil.ts';
import { crashOps, crashUsers, runOp } from './crash-ops.ts';
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
  } finally {
    await ledger.close();
  }
});

test.after(() => anvil.stop());
test.run();
