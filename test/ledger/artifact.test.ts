// The committed artefact is what the bundled solc-js produces from the current sources.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileLedger, type LedgerArtifact } from '../../tools/ledger/artifact.ts';

test('artifacts/TapchargeLedger.json = a fresh offline compile of sol/*.sol', () => {
  const committed = JSON.parse(readFileSync(new URL('../../tools/ledger/artifacts/TapchargeLedger.json', import.meta.url), 'utf8')) as LedgerArtifact;
  const fresh = compileLedger();
  assert.is(committed.sourcesSha256, fresh.sourcesSha256, 'sources changed: run node --import tsx tools/ledger/build.ts');
  assert.is(committed.bytecode, fresh.bytecode);
  assert.equal(committed.abi, fresh.abi);
  assert.match(fresh.solcVersion, /^0\.8\.\d+\+commit\.[0-9a-f]+/);
  const names = fresh.abi.filter((x) => x.type === 'function').map((x) => (x as { name: string }).name);
  for (const required of ['issue', 'redeem', 'operatorTransfer', 'transfer', 'applyBatch', 'setPaused', 'balanceOf', 'escrowOf', 'stateOf']) {
    assert.ok(names.includes(required), `ABI has ${required}`);
  }
  for (const gone of ['open', 'settle', 'chargeCap', 'correct', 'openBatch', 'settleBatch']) assert.not.ok(names.includes(gone), `ABI has no ${gone}: applyBatch is the only contract write`);
});

test.run();
