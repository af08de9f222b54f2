// TapchargeLedger unit tests on the embedded adapter (EDR in-process, journal in a temp folder).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyToAccount } from 'viem/accounts';
import { LedgerClient } from '../../tools/ledger/client.ts';
import { openEmbeddedLedger } from '../../tools/ledger/embedded.ts';
import { contractCases } from './contract-cases.ts';

contractCases('ledger contract (embedded EDR)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapcharge-ledger-'));
  const ledger = await openEmbeddedLedger(dir, { deploy: true });
  const outsiderKey = `0x${'5a'.repeat(32)}` as const;
  const outsider = await LedgerClient.attach({ ...ledger.chain.parts, account: privateKeyToAccount(outsiderKey) }, ledger.address);
  return {
    ledger,
    outsider,
    done: async () => {
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
