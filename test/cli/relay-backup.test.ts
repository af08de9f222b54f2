// Backup and restore of a relay's data folder exactly as README "For operators" says: stop the
// relay (SIGTERM), copy the folder (`cp -a`), start a relay on the copy. The copy is the same relay
// (same identity, so every pile still trusts it), holds the same money, and its audit passes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type RelayProcess, cliBin, startRelayProcess } from '../support/relay-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-relay-backup-'));

async function stopGracefully(relay: RelayProcess): Promise<void> {
  relay.process.kill('SIGTERM');
  await relay.exited;
}

async function account(relay: RelayProcess, kidHex: string): Promise<{ balanceMinor: number; pendingLedgerWrites: number }> {
  return (await relay.caller.call('GET', `/v1/users/${kidHex}`, { signer: relay.caller.operator })).json;
}

test('stop, cp -a, start on the copy: same relay key, same balances, audit PASS; the original goes on independently', async () => {
  const live = join(dir, 'data');
  const backup = join(dir, 'backup');
  let relay = await startRelayProcess(live);
  const ada = await relay.caller.newUser('Ada');
  assert.is((await relay.caller.topUp(ada.kidHex, 4_200)).status, 200);
  const identity = (await relay.caller.call('GET', '/v1/relay')).json.relayPublicKey;
  await stopGracefully(relay);

  const copied = spawnSync('cp', ['-a', live, backup], { encoding: 'utf8' });
  assert.is(copied.status, 0, copied.stderr);

  const restored = await startRelayProcess(backup);
  try {
    assert.is((await restored.caller.call('GET', '/v1/relay')).json.relayPublicKey, identity, 'the restored relay is the one every pile trusts');
    const shown = await account(restored, ada.kidHex);
    assert.equal([shown.balanceMinor, shown.pendingLedgerWrites], [4_200, 0]);
  } finally {
    await stopGracefully(restored);
  }
  const audit = spawnSync(process.execPath, [cliBin, 'relay', 'audit', '--data', backup], { encoding: 'utf8', timeout: 120_000 });
  assert.is(audit.status, 0, audit.stdout + audit.stderr);
  assert.match(audit.stdout, /PASS/);

  relay = await startRelayProcess(live);
  try {
    assert.is((await relay.caller.topUp(ada.kidHex, 800)).status, 200);
    assert.is((await account(relay, ada.kidHex)).balanceMinor, 5_000, 'the original folder is unaffected by the copy');
  } finally {
    await stopGracefully(relay);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
