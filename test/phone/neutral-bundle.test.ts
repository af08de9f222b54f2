// The phone SDK as a real app embeds it (tools/phone/sdk.ts): esbuild bundles it for platform
// "neutral" with nothing external; the bundle names no Node, DOM or React Native-missing global,
// and a whole session runs through the bundled code with an injected `transceive` over the
// simulated field, against the real firmware and relay (SimSystem). Every APDU it sends is ≤ 261
// bytes (design §6: Android's default IsoDep limit).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openSigned } from '../../contracts-offline/signed.ts';
import { SimSystem, type SimPile } from '../../tools/system-day/sim-system.ts';
import { PileLinkError } from '../../tools/phone/errors.ts';
import { type NfcManagerIsoDep, withPileTap } from '../../tools/phone/react-native-adapter.example.ts';

type Sdk = typeof import('../../tools/phone/sdk.ts');

const entry = new URL('../../tools/phone/sdk.ts', import.meta.url).pathname;
const bundleOptions: BuildOptions = { entryPoints: [entry], bundle: true, platform: 'neutral', format: 'esm', write: false, metafile: true, logLevel: 'silent' };

// Free references to these globals would break the SDK outside Node (or outside a browser, or
// in React Native's Hermes). esbuild's `define` replaces only free references, so a method or
// local named `process` does not count.
const forbiddenGlobals = [
  'process', 'Buffer', 'require', 'global', '__dirname', '__filename', 'setImmediate', // Node
  'window', 'document', 'navigator', 'localStorage', 'XMLHttpRequest', // DOM
  'structuredClone', 'AbortSignal.timeout', // missing from React Native
];
const marker = (name: string): string => `FORBIDDEN_GLOBAL_${name.replace('.', '_')}`;

const bundle = suite<{ dir: string; sdk: Sdk; text: string; rig: SimSystem }>('phone SDK neutral bundle', {
  dir: '', sdk: undefined as unknown as Sdk, text: '', rig: new SimSystem(),
});

bundle.before(async (context) => {
  context.dir = mkdtempSync(join(tmpdir(), 'tapcharge-sdk-bundle-'));
  const built = await build(bundleOptions);
  context.text = built.outputFiles![0]!.text;
  const path = join(context.dir, 'tapcharge-phone-sdk.mjs');
  writeFileSync(path, context.text);
  context.sdk = (await import(pathToFileURL(path).href)) as Sdk;
  await context.rig.start();
});

bundle.after(async ({ dir, rig }) => {
  await rig.close();
  rmSync(dir, { recursive: true, force: true });
});

bundle('esbuild bundles the SDK for platform "neutral" with nothing left to import', async () => {
  const built = await build(bundleOptions);
  assert.equal(built.errors, []);
  const inputs = Object.keys(built.metafile!.inputs);
  assert.ok(inputs.some((path) => path.endsWith('tools/phone/phone.ts')), 'the bundle holds the Phone');
  assert.equal(inputs.filter((path) => path.startsWith('node:')), [], 'no node: module');
  const outputs = Object.values(built.metafile!.outputs);
  assert.is(outputs.length, 1);
  assert.equal(outputs[0]!.imports, [], 'every import bundled: no external module, node: or other');
  const excluded = ['tools/phone/tcp-transport.ts', 'tools/phone/pcsc-transport.ts', 'tools/phone/wallet-file.ts', 'tools/sodium-ed25519.ts', 'hal/sim/'];
  assert.equal(inputs.filter((path) => excluded.some((edge) => path.includes(edge))), [], 'the Node adapters stay outside');
});

bundle('the bundle names no Node or DOM global (nor structuredClone, AbortSignal.timeout)', async ({ text }) => {
  const define = Object.fromEntries(forbiddenGlobals.map((name) => [name, marker(name)]));
  const checked = (await build({ ...bundleOptions, define })).outputFiles![0]!.text;
  const found = forbiddenGlobals.filter((name) => checked.includes(marker(name)));
  assert.equal(found, [], `free references to ${found.join(', ')}`);
  assert.not.match(text, /["']node:/);
  assert.not.match(text, /__require/);
});

// One tap over the simulated field, the SDK's phone injecting nothing but `transceive`.
async function tapWith<T>(pile: SimPile, sent: number[], flow: (transport: { transceive(apdu: Uint8Array): Promise<Uint8Array> }) => Promise<T>): Promise<T> {
  const tap = pile.sim.nfc.tap();
  try {
    return await flow({
      async transceive(apdu: Uint8Array): Promise<Uint8Array> {
        sent.push(apdu.length);
        return tap.transceive(apdu);
      },
    });
  } finally {
    tap.end();
  }
}

bundle('a whole session through the bundle: tap 1, voucher, START, charge, STOP, collect, a verified receipt', async ({ sdk, rig }) => {
  const pile = await rig.addPile('Bay bundle');
  const saved: unknown[] = [];
  const random = (length: number): Uint8Array => crypto.getRandomValues(new Uint8Array(length)); // what an app injects (react-native-get-random-values…)
  const phone = sdk.Phone.create({ displayName: 'Ada', relayUrl: rig.relay.url, nowMs: () => rig.clock.nowMs(), random, save: (state) => saved.push(state) });
  await phone.register();
  await rig.operatorClient.issue(rig.relay.operatorKey, phone.keyPair.kid, 5_000);
  await rig.relay.drainLedger();
  const sent: number[] = [];

  try {
    await tapWith(pile, sent, (t) => phone.tapStart(t));
    assert.unreachable('tap 2 without a voucher');
  } catch (error) {
    assert.instance(error, sdk.PhoneError, 'the bundle\'s own error classes');
    assert.is((error as InstanceType<Sdk['PhoneError']>).code, 'no-voucher');
  }
  const hello = await tapWith(pile, sent, (t) => phone.tapHello(t));
  assert.is(hello.screen.label, 'Bay bundle');
  assert.ok(hello.screen.verified);
  rig.plug(pile);
  await phone.requestVoucher({ mode: 'energy', energyWh: 2000 });
  const started = await tapWith(pile, sent, (t) => phone.tapStart(t));
  assert.is(started.contract.seq, 1);
  await phone.sync(); // after each tap, the field released: the app uploads
  rig.advance(3 * 60_000);
  assert.is(pile.handle.services!.state(), 'charging');
  const stopped = await tapWith(pile, sent, (t) => phone.tapStop(t));
  assert.is(stopped.receipt.message.contractSeq, 1);
  assert.is(stopped.receipt.message.endReason, 'user');
  assert.ok(stopped.receipt.message.energyWh > 0);
  await phone.sync();
  const collected = await tapWith(pile, sent, (t) => phone.tapCollect(t));
  assert.is(collected.pileStillHolds, 0, 'every record acknowledged');

  const receipt = openSigned(stopped.receipt.bytes, { publicKey: pile.key.publicKey, expectType: 'Receipt' });
  assert.ok(receipt.ok, 'the receipt verifies with the pile key');
  await rig.relay.drainLedger();
  const { contracts } = await phone.account();
  const contract = contracts.find((c) => c.pileId === pile.pileIdHex && c.seq === 1);
  assert.is(contract?.status, 'settled');
  assert.is(contract?.amountMinor, stopped.receipt.message.amountMinor);
  assert.is(phone.activeContract, null);
  assert.ok(saved.length > 5, 'the injected save saw every change');

  // design §6: every command APDU of the session fits a short APDU (Android's default limit)
  const largest = Math.max(...sent);
  console.log(`  session through the bundle: ${sent.length} command APDUs, largest ${largest} bytes`);
  // tap 1: SELECT, HELLO; tap 2: SELECT, START; stop: SELECT, STOP, ACK (the contract's); collect: SELECT, ACK (the receipt's)
  assert.is(sent.length, 9);
  assert.ok(largest <= sdk.COMMAND_APDU_MAX_BYTES, `largest APDU ${largest} bytes`);
});

// react-native-nfc-manager's NfcManager as the adapter sees it, over the simulated field.
function standInNfcManager(pile: SimPile): NfcManagerIsoDep & { calls: string[] } {
  const calls: string[] = [];
  let tap: ReturnType<SimPile['sim']['nfc']['tap']> | undefined;
  return {
    calls,
    async requestTechnology(tech) {
      calls.push(`requestTechnology ${tech}`);
      tap = pile.sim.nfc.tap();
    },
    async cancelTechnologyRequest() {
      calls.push('cancelTechnologyRequest');
      tap?.end();
    },
    isoDepHandler: {
      async transceive(bytes: number[]): Promise<number[]> {
        if (!Array.isArray(bytes) || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) throw new Error('transceive only takes a byte array');
        return Array.from(tap!.transceive(Uint8Array.from(bytes)));
      },
    },
  };
}

bundle('the React Native adapter example: number[] in and out, the tag released after the flow; a lost tag is a PileLinkError', async ({ sdk, rig }) => {
  const pile = await rig.addPile('Bay RN');
  const phone = sdk.Phone.create({ displayName: 'Bo', relayUrl: rig.relay.url, nowMs: () => rig.clock.nowMs() });
  await phone.register();
  const nfc = standInNfcManager(pile);
  const hello = await withPileTap(nfc, (link) => phone.tapHello(link));
  assert.is(hello.screen.label, 'Bay RN');
  assert.equal(nfc.calls, ['requestTechnology IsoDep', 'cancelTechnologyRequest']);
  const lost = standInNfcManager(pile);
  const failing = { ...lost, isoDepHandler: { transceive: async (): Promise<number[]> => { throw new Error('Tag was lost.'); } } };
  try {
    await withPileTap(failing, (link) => phone.tapCollect(link));
    assert.unreachable('a tap without a tag went through');
  } catch (error) {
    assert.instance(error, PileLinkError);
    assert.is((error as Error).message, 'NFC: Tag was lost.');
  }
  assert.equal(lost.calls, ['requestTechnology IsoDep', 'cancelTechnologyRequest'], 'released after the failure too');
});

bundle.run();
