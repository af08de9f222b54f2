// A person playing drivers from the command line, every part a separate process through its
// public entry point: `tapcharge relay start`, `tapcharge pile serve` (provisioned at that relay
// with the operator key), `tapcharge phone …` for two drivers, `tapcharge pile plug/advance`.
// Covers tap 1 + voucher + tap 2, another driver carrying a receipt (R7), a user stop while the
// relay is down (kept, then uploaded by `phone sync` after the relay restarts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort } from '../support/free-port.ts';
import { type PileProcess, startPileProcess } from '../support/pile-serve-process.ts';
import { cliBin as bin, type RelayProcess, killRelayProcess, startRelayProcess, stopRelayProcess } from '../support/relay-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'tapcharge-phone-play-'));
const relayData = join(dir, 'relay');

type World = { relayPort: number; relay: RelayProcess | undefined; pile: PileProcess | undefined };
const play = suite<World>('phone CLI against relay and pile processes', { relayPort: 0, relay: undefined, pile: undefined });

function cli(...args: string[]): string {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir });
  assert.is(r.status, 0, `tapcharge ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const kidOf = (wallet: string): string => /user ([0-9a-f]{16})/.exec(cli('phone', 'show', '--wallet', wallet))![1]!;

play.before(async (world) => {
  world.relayPort = await freePort();
  world.relay = await startRelayProcess(relayData, { port: world.relayPort });
  const { url, operatorKeyFile } = world.relay;
  world.pile = await startPileProcess([
    '--data', join(dir, 'pile'), '--relay', url, '--operator-key', operatorKeyFile,
    '--label', 'Street 1', '--energy-price', '30', '--session-fee', '10', '--max-power-w', '7400',
  ]);
  for (const [wallet, name] of [['ada.json', 'Ada'], ['bob.json', 'Bob']] as const) {
    cli('phone', 'keygen', '--wallet', wallet, '--name', name, '--relay', url);
    assert.match(cli('phone', 'register', '--wallet', wallet), /^registered [0-9a-f]{16} at http:\/\/127\.0\.0\.1:\d+: ledger account 0x[0-9a-fA-F]{40}\n$/);
  }
  cli('relay', 'issue', '--user', kidOf('ada.json'), '--amount', '10000', '--data', relayData, '--url', url);
});

play.after(async (world) => {
  await world.pile?.stop();
  if (world.relay) await stopRelayProcess(world.relay);
  rmSync(dir, { recursive: true, force: true });
});

play('tap 1 + voucher + tap 2; another driver\'s tap carries the receipt; the first driver sees it settled', async ({ pile }) => {
  const at = `127.0.0.1:${pile!.port}`;
  cli('pile', 'plug', '--pile', at);
  const tap = cli('phone', 'tap', '--wallet', 'ada.json', '--pile', at, '--mode', 'energy', '--energy-wh', '500');
  assert.match(tap, new RegExp(`^pile ${pile!.pileId} "Street 1" (available|preparing)\\n  tariff v1: 30/kWh \\+ 0/h \\+ session fee 10 \\(minor units\\), config v1\\n  modes: amount, time, energy, full\\n`));
  assert.match(tap, /\nvoucher [0-9a-f]{16}: cap \d+ \(minor units\), valid until /);
  assert.match(tap, new RegExp(`\\ncontract ${pile!.pileId}#1: energy 0.500 kWh, cap \\d+, started `));
  assert.match(tap, /\ncontract [^\n]*\ntap: 2 APDUs, [^\n]*\n  no relay request while held to the pile\nfield released\nuploaded: 1 accepted, 0 duplicate, 0 rejected\n/, 'tap 2, the field released, then the upload');
  assert.match(tap, /\n  1 relay round trip while held to the pile \(\d+ ms\)\nfield released\n/, 'tap 1 asked the relay once');
  assert.match(cli('phone', 'balance', '--wallet', 'ada.json'), new RegExp(`${pile!.pileId}0{15}1 energy cap \\d+: provisional`));

  // 500 Wh at 7.4 kW take about 4 minutes; the pile's clock then runs 5 minutes ahead of the
  // relay's, well inside the 10 minutes a voucher lives
  assert.match(cli('pile', 'advance', '--pile', at, '--seconds', '300'), /finishing/);
  const bob = cli('phone', 'collect', '--wallet', 'bob.json', '--pile', at);
  // the contract too: the relay's Ack for it went back to Ada's wallet, for her next tap here
  assert.match(bob, /^tap: \d APDUs, \d+ bytes on air; 2 record\(s\) taken from the pile\n  no relay request while held to the pile\nthe pile still holds 2 unacknowledged record\(s\)\nfield released\nuploaded: 1 accepted, 1 duplicate, 0 rejected\n/);
  assert.match(cli('phone', 'collect', '--wallet', 'bob.json', '--pile', at), /, ack delivered\n[^]*\nthe pile still holds 0 unacknowledged record\(s\)\n/, "Bob's next tap hands the pile the Ack his upload brought");
  assert.match(cli('phone', 'sync', '--wallet', 'ada.json'), /your running contract was closed at the relay/);
  const balance = cli('phone', 'balance', '--wallet', 'ada.json');
  assert.match(balance, /energy cap \d+: settled, amount \d+, \d+ Wh, normal/);
  assert.match(balance, /escrow 0,/);
  assert.not.match(cli('phone', 'show', '--wallet', 'ada.json'), /running contract/);
});

play('user stop while the relay is down: the receipt stays in the wallet; phone sync uploads it after a restart', async (world) => {
  const at = `127.0.0.1:${world.pile!.port}`;
  cli('pile', 'unplug', '--pile', at);
  cli('pile', 'advance', '--pile', at, '--seconds', '2'); // the pile sees the empty socket (state A) before the next car
  cli('pile', 'plug', '--pile', at);
  cli('phone', 'tap', '--wallet', 'ada.json', '--pile', at, '--mode', 'time', '--duration-s', '3600');
  cli('pile', 'advance', '--pile', at, '--seconds', '120');
  await killRelayProcess(world.relay!);
  const stop = cli('phone', 'stop', '--wallet', 'ada.json', '--pile', at);
  assert.match(stop, /^receipt seq 4 for contract 3: user, \d+ Wh, 1\d\d s, amount \d+\n/);
  assert.match(stop, /relay offline \(relay http:\/\/127\.0\.0\.1:\d+ unreachable .*\): records kept for `tapcharge phone sync`/);
  assert.match(cli('phone', 'show', '--wallet', 'ada.json'), /carrying 1 record\(s\): receipt [0-9a-f]{16}#4/);
  const wallet = JSON.parse(readFileSync(join(dir, 'ada.json'), 'utf8')) as { records: string[] };
  assert.is(wallet.records.length, 1);

  world.relay = await startRelayProcess(relayData, { port: world.relayPort });
  assert.match(cli('phone', 'sync', '--wallet', 'ada.json'), /^uploaded: 1 accepted, 0 duplicate, 0 rejected\n/);
  assert.match(cli('phone', 'balance', '--wallet', 'ada.json'), /time cap \d+: settled, amount \d+, \d+ Wh, user/);
  // the ack for it waits in the wallet and goes to the pile with the next tap
  assert.match(cli('phone', 'show', '--wallet', 'ada.json'), /acks to deliver to pile\(s\) /);
  assert.match(cli('phone', 'collect', '--wallet', 'ada.json', '--pile', at), /ack delivered/);
  assert.match(cli('pile', 'status', '--pile', at), /contactor open/);
});

play.run();
