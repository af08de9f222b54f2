// The TCP bridge against a real `tapcharge pile serve` child process (simulated board + real
// firmware): taps over TCP, and every bad byte stream answered with ERROR and the connection
// closed while the pile keeps serving.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { INS, SW } from '../../contracts-offline/apdu.ts';
import { bytesToBase64url, bytesToHex, hexToBytes, utf8Decode } from '../../contracts-offline/bytes.ts';
import { generateKeyPair } from '../../contracts-offline/keys.ts';
import { encodePileUpdate } from '../../contracts-offline/messages/pile-update.ts';
import { signMessage } from '../../contracts-offline/signed.ts';
import { writeKeyFile } from '../../tools/key-file.ts';
import { PileReader } from '../../tools/phone/pile-reader.ts';
import { PileRefusedError } from '../../tools/phone/errors.ts';
import { FrameReader, FrameType, encodeFrame } from '../../tools/phone/tcp-frames.ts';
import { TcpTap, sendPileControl } from '../../tools/phone/tcp-transport.ts';
import { PileLinkError } from '../../tools/phone/errors.ts';
import { type PileProcess, startPileProcess } from '../support/pile-serve-process.ts';

const bin = new URL('../../tools/cli/bin.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tapcharge-bridge-'));
const bridge = suite<{ pile: PileProcess }>('tcp bridge', { pile: undefined as unknown as PileProcess });

// A provisioning file as the relay answers POST /v1/piles (here signed by a key of this test,
// which plays the relay's part only for provisioning; the firmware checks the signature).
function provisioningFile(dataDir: string): string {
  const relay = generateKeyPair();
  const pileKey = generateKeyPair();
  writeKeyFile(join(dataDir, 'pile-key.json'), pileKey, false);
  const update = signMessage(encodePileUpdate({ pileId: pileKey.kid, configVersion: 1, tariff: { version: 1, energyMinorPerKwh: 30, timeMinorPerHour: 0, sessionFeeMinor: 0 }, label: 'Bridge test', maxPowerW: 7400, issuedAtS: 1_700_000_000 }), relay.secretKey);
  const path = join(dir, 'provisioning.json');
  writeFileSync(path, JSON.stringify({ pileId: bytesToHex(pileKey.kid), relayPublicKey: bytesToHex(relay.publicKey), pilePublicKey: bytesToHex(pileKey.publicKey), configVersion: 1, pileUpdate: bytesToBase64url(update), firstBillingSeq: 1 }));
  return path;
}

/** Sends raw bytes, answers every frame received until the pile closes the connection. */
function rawExchange(port: number, bytes: Uint8Array): Promise<{ frames: { type: number; payload: Uint8Array }[]; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const reader = new FrameReader();
    const frames: { type: number; payload: Uint8Array }[] = [];
    const timer = setTimeout(() => { socket.destroy(); resolve({ frames, closed: false }); }, 3000);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (d: Buffer) => {
      const got = reader.push(new Uint8Array(d));
      if (got.ok) frames.push(...got.value);
    });
    socket.on('close', () => { clearTimeout(timer); resolve({ frames, closed: true }); });
    socket.on('error', () => {});
  });
}

const errorText = (frame: { payload: Uint8Array } | undefined): string => {
  const text = frame ? utf8Decode(frame.payload) : undefined;
  return text?.ok ? text.value : '';
};

async function selectOverTcp(port: number): Promise<string> {
  const tap = await TcpTap.open({ host: '127.0.0.1', port });
  try {
    return bytesToHex((await new PileReader(tap).select()).pileId);
  } finally {
    await tap.end();
  }
}

bridge.before(async (context) => {
  const dataDir = join(dir, 'pile');
  spawnSync('mkdir', ['-p', dataDir]);
  context.pile = await startPileProcess(['--data', dataDir, '--provisioning', provisioningFile(dataDir)]);
});

bridge.after(async (context) => {
  assert.is(await context.pile.stop(), 0);
  assert.match(context.pile.output(), /stopped; journal kept in/);
  rmSync(dir, { recursive: true, force: true });
});

bridge('a tap over TCP: SELECT answers this pile\'s PileHello; the pile shows its idle screen', async ({ pile }) => {
  assert.is(await selectOverTcp(pile.port), pile.pileId);
  assert.match(pile.output(), /Bridge test/);
});

bridge('commands the pile refuses come back as status words over the bridge', async ({ pile }) => {
  const tap = await TcpTap.open({ host: '127.0.0.1', port: pile.port });
  try {
    const reader = new PileReader(tap);
    const raw = await tap.transceive(Uint8Array.from([0x80, INS.outbox, 0, 0, 4, 0, 0, 0, 0]));
    assert.is((raw[raw.length - 2]! << 8) | raw[raw.length - 1]!, SW.notAllowed); // not selected in this tap
    await reader.select();
    try {
      await reader.update(new Uint8Array([0xd2, 0x84]));
      assert.unreachable('garbage UPDATE accepted');
    } catch (error) {
      assert.instance(error, PileRefusedError);
      assert.is((error as PileRefusedError).sw, SW.wrongData);
    }
  } finally {
    await tap.end();
  }
});

const badStreams: [string, Uint8Array, RegExp][] = [
  ['an oversized frame', hexToBytes('04ffff'), /payload of 65535 bytes exceeds 1024/],
  ['an unknown frame type', hexToBytes('550000'), /unknown frame type 0x55/],
  ['an HTTP request', new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'), /unknown frame type 0x47/],
  ['an APDU with the field off', encodeFrame(FrameType.apdu, hexToBytes('00a4040008f05441504348473100')), /APDU: the field is off/],
  ['an answer frame sent by a phone', encodeFrame(FrameType.fieldOnOk), /frame type 0x81 is an answer/],
  ['FIELD_ON twice', Uint8Array.from([...encodeFrame(FrameType.fieldOn), ...encodeFrame(FrameType.fieldOn)]), /the field is already on/],
  ['a CONTROL that is not JSON', encodeFrame(FrameType.control, hexToBytes('7b7b7b')), /CONTROL: payload expected a JSON object/],
  ['a CONTROL with an unknown op', encodeFrame(FrameType.control, new TextEncoder().encode('{"op":"explode"}')), /unknown op "explode"/],
  ['a plug with a bad battery', encodeFrame(FrameType.control, new TextEncoder().encode('{"op":"plug","batteryWh":-5}')), /"batteryWh" expected an integer 1..1000000, got -5/],
];

for (const [name, bytes, reason] of badStreams) {
  bridge(`${name}: ERROR with a clear reason, connection closed, the pile keeps serving`, async ({ pile }) => {
    const { frames, closed } = await rawExchange(pile.port, bytes);
    assert.ok(closed, 'connection closed');
    const error = frames.find((f) => f.type === FrameType.error);
    assert.ok(error, `an ERROR frame (got ${frames.map((f) => f.type).join(',')})`);
    assert.match(errorText(error), reason);
    assert.is(await selectOverTcp(pile.port), pile.pileId);
  });
}

bridge('a second phone while the field is held is refused; a dropped connection is a field loss', async ({ pile }) => {
  const first = await TcpTap.open({ host: '127.0.0.1', port: pile.port });
  await new PileReader(first).select();
  try {
    await TcpTap.open({ host: '127.0.0.1', port: pile.port });
    assert.unreachable('second tap opened');
  } catch (error) {
    assert.instance(error, PileLinkError);
    assert.match((error as Error).message, /another phone is in the field/);
  }
  // the first phone "moves away" without FIELD_OFF: only the TCP connection drops
  const half = await rawExchange(pile.port, encodeFrame(FrameType.fieldOn)); // still busy
  assert.match(errorText(half.frames[0]), /another phone is in the field/);
  await first.end();
  assert.is(await selectOverTcp(pile.port), pile.pileId);
  const dropped = connect({ host: '127.0.0.1', port: pile.port });
  await new Promise<void>((resolve) => dropped.on('connect', () => { dropped.write(encodeFrame(FrameType.fieldOn)); setTimeout(() => { dropped.destroy(); resolve(); }, 200); }));
  await new Promise((r) => setTimeout(r, 100));
  assert.is(await selectOverTcp(pile.port), pile.pileId);
});

bridge('control: plug, status, vehicle, unplug; the CLI prints one-line errors', async ({ pile }) => {
  const address = { host: '127.0.0.1', port: pile.port };
  const plugged = (await sendPileControl(address, { op: 'plug', batteryWh: 40_000 })) as { plugged: boolean; state: string };
  assert.ok(plugged.plugged);
  const again = spawnSync(process.execPath, [bin, 'pile', 'plug', '--pile', `127.0.0.1:${pile.port}`], { encoding: 'utf8' });
  assert.is(again.status, 1);
  assert.is(again.stderr, 'tapcharge: pile refused: CONTROL: a vehicle is already plugged in\n');
  const status = spawnSync(process.execPath, [bin, 'pile', 'status', '--pile', `:${pile.port}`], { encoding: 'utf8' });
  assert.is(status.status, 0, status.stderr);
  assert.match(status.stdout, new RegExp(`^${pile.pileId} (available|preparing), EV plugged \\(8000 Wh\\)`));
  assert.ok(((await sendPileControl(address, { op: 'vehicle', wantsCharge: false })) as { plugged: boolean }).plugged);
  assert.not.ok(((await sendPileControl(address, { op: 'unplug' })) as { plugged: boolean }).plugged);
  const badPort = spawnSync(process.execPath, [bin, 'pile', 'unplug', '--pile', 'localhost:99999'], { encoding: 'utf8' });
  assert.is(badPort.status, 2);
  assert.match(badPort.stderr, /^tapcharge: --pile: pile address expected HOST:PORT, got "localhost:99999"\n$/);
});

bridge('a restarted pile finds its journal in DATA/flash.bin; a blank data folder without provisioning is refused', async (context) => {
  const pileId = context.pile.pileId;
  assert.is(await context.pile.stop(), 0);
  context.pile = await startPileProcess(['--data', join(dir, 'pile')]);
  assert.is(context.pile.pileId, pileId);
  assert.is(await selectOverTcp(context.pile.port), pileId);
  const blank = spawnSync(process.execPath, [bin, 'pile', 'serve', '--data', join(dir, 'blank'), '--port', '0'], { encoding: 'utf8' });
  assert.is(blank.status, 1);
  assert.match(blank.stderr, /^tapcharge: the pile in .*blank is not provisioned: pass --relay URL --operator-key FILE, or --provisioning FILE\n$/);
});

bridge.run();
