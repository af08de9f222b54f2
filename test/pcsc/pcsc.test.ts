// The pile's card application through real PC/SC: `tapcharge pile serve --vpcd` attached to a
// private pcscd running vsmartcard's vpcd reader driver, opensc-tool selecting our AID, the phone
// SDK's PcscTap (npm `pcsclite`) running a whole session, and `tapcharge phone tap --pcsc`.
// vpcd's framing and the card's field semantics are checked in-process against a stand-in vpcd
// on 127.0.0.1 (exactly one field off per field on; every bad frame logged, field off, connection
// reset, the card application untouched), and against a served pile process.
//
// Needs pcscd, vpcd, opensc-tool, libpcsclite-dev (for the optional npm package pcsclite) and
// unshare: .ci/run installs them; without them this file fails and says what to install.
// pcscd 1.9.9 ignores PCSCLITE_CSOCK_NAME (only the client library reads it), so the private
// pcscd runs in its own mount namespace with a temp folder over /run/pcscd: no clash with a
// system pcscd, and clients reach it through PCSCLITE_CSOCK_NAME. vpcd listens on 0.0.0.0 (its
// server mode has no bind address) on two free ports, one per slot: so the whole file runs in a
// network namespace of its own whose only interface is loopback, and nothing it opens can be
// reached from outside this machine's 127.0.0.1.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SW, selectCommand } from '../../contracts-offline/apdu.ts';
import { bytesToBase64url, bytesToHex, hexToBytes, utf8Encode } from '../../contracts-offline/bytes.ts';
import { generateKeyPair } from '../../contracts-offline/keys.ts';
import { decodePileHello } from '../../contracts-offline/messages/pile-hello.ts';
import { encodePileUpdate } from '../../contracts-offline/messages/pile-update.ts';
import { openSigned, signMessage } from '../../contracts-offline/signed.ts';
import type { NfcCardHandler } from '../../hal/types.ts';
import { NfcFieldSim } from '../../hal/sim/nfc-field.ts';
import { Phone } from '../../tools/phone/phone.ts';
import { type PcscBinding, PcscTap } from '../../tools/phone/pcsc-transport.ts';
import { PileLinkError } from '../../tools/phone/errors.ts';
import { writeWalletFile } from '../../tools/phone/wallet-file.ts';
import type { IsoDepTransport } from '../../tools/phone/pile-reader.ts';
import { RelayClient } from '../../tools/phone/relay-client.ts';
import { TcpTap, sendPileControl } from '../../tools/phone/tcp-transport.ts';
import { PileReader } from '../../tools/phone/pile-reader.ts';
import { contactlessAtr } from '../../tools/pile-sim/contactless-atr.ts';
import { PILE_ATR, attachCardToVpcd } from '../../tools/pile-sim/vpcd-card.ts';
import { type RunningRelay, startRelay } from '../../tools/relay/start-relay.ts';
import { writeKeyFile } from '../../tools/key-file.ts';

const NETNS_MARK = 'TAPCHARGE_PCSC_NETNS';
if (process.env[NETNS_MARK] !== '1') {
  const inside = spawnSync('unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', process.execPath, ...process.execArgv, process.argv[1]!], {
    stdio: 'inherit', env: { ...process.env, [NETNS_MARK]: '1' }, timeout: 10 * 60_000,
  });
  if (inside.error) throw new Error(`test/pcsc needs unshare --net and ip (util-linux, iproute2; run as root): ${inside.error.message}`);
  process.exit(inside.status ?? 1);
}

const bin = new URL('../../tools/cli/bin.js', import.meta.url).pathname;
const PCSCD = '/usr/sbin/pcscd';
const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
const READER = 'Virtual PCD 00 00';
const dir = mkdtempSync(join(tmpdir(), 'tapcharge-pcsc-'));

/** Resolves when `check` holds, polling every 50 ms; fails after `timeoutMs`. */
async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const frame = (payload: Uint8Array): Uint8Array => Uint8Array.from([payload.length >> 8, payload.length & 0xff, ...payload]);
const control = (code: number): Uint8Array => frame(Uint8Array.of(code));
const POWER_OFF = 0, POWER_ON = 1, RESET = 2, GET_ATR = 4;

// ---------------------------------------------------------------------------------------------
// A stand-in for vpcd on 127.0.0.1: accepts the card's connections, sends what a test says,
// reads the card's answers. (The real vpcd is used by the "through pcscd" suite.)

class VpcdPeer {
  readonly socket: Socket;
  #buffer = new Uint8Array(0);
  #closed = false;
  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      const joined = new Uint8Array(this.#buffer.length + chunk.length);
      joined.set(this.#buffer);
      joined.set(chunk, this.#buffer.length);
      this.#buffer = joined;
    });
    socket.on('close', () => (this.#closed = true));
    socket.on('error', () => {});
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Sends one message and answers the card's one-message answer. */
  async request(payload: Uint8Array): Promise<Uint8Array> {
    this.send(frame(payload));
    await waitFor('the card\'s answer', () => this.#buffer.length >= 2 && this.#buffer.length >= 2 + ((this.#buffer[0]! << 8) | this.#buffer[1]!), 3000);
    const length = (this.#buffer[0]! << 8) | this.#buffer[1]!;
    const answer = this.#buffer.slice(2, 2 + length);
    this.#buffer = this.#buffer.slice(2 + length);
    return answer;
  }
}

class FakeVpcd {
  readonly peers: VpcdPeer[] = [];
  readonly #server: Server;
  private constructor(server: Server) {
    this.#server = server;
    server.on('connection', (socket) => this.peers.push(new VpcdPeer(socket)));
  }

  static start(port = 0): Promise<FakeVpcd> {
    const server = createServer();
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve(new FakeVpcd(server)));
    });
  }

  get port(): number {
    return (this.#server.address() as { port: number }).port;
  }

  /** The card's `n`-th connection (0-based), once it has come. */
  async connection(n: number): Promise<VpcdPeer> {
    await waitFor(`the card's connection #${n}`, () => this.peers.length > n, 6000);
    return this.peers[n]!;
  }

  close(): Promise<void> {
    for (const peer of this.peers) peer.socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** An NfcFieldSim whose card handler records what it is told. */
function recordingField(): { field: NfcFieldSim; events: string[] } {
  const events: string[] = [];
  const handler: NfcCardHandler = {
    onFieldOn: () => events.push('on'),
    onFieldOff: () => events.push('off'),
    onApdu: (command) => {
      events.push(`apdu ${bytesToHex(command)}`);
      return Uint8Array.of(0x90, 0x00);
    },
  };
  const field = new NfcFieldSim();
  field.setHandler(handler);
  return { field, events };
}

const SELECT_HEX = bytesToHex(selectCommand()); // 00a4040008f05441504348473100

// ---------------------------------------------------------------------------------------------

const atr = suite('contactless ATR (PC/SC Part 3, ISO 14443-4 type A)');

atr('published ATRs: no historical bytes, DESFire EV1, JCOP31; more than 15 bytes refused', () => {
  const vectors: [string, string][] = [
    ['', '3b80800101'],
    ['80', '3b8180018080'],
    [bytesToHex(utf8Encode('JCOP31V232')), '3b8a80014a434f503331563233327a'],
  ];
  for (const [historical, expected] of vectors) assert.is(bytesToHex(contactlessAtr(hexToBytes(historical))), expected, historical);
  assert.throws(() => contactlessAtr(new Uint8Array(16)), /"historicalBytes" expected at most 15 bytes, got 16/);
  assert.is(bytesToHex(PILE_ATR), '3b80800101');
});

atr.run();

// ---------------------------------------------------------------------------------------------

const card = suite('vpcd card against a stand-in vpcd (in process)');

card('get ATR, power on/off, reset, connection lost: one field off per field on, APDUs only between', async () => {
  const vpcd = await FakeVpcd.start();
  const { field, events } = recordingField();
  const log: string[] = [];
  const attached = attachCardToVpcd({ field, host: '127.0.0.1', port: vpcd.port, onLog: (line) => log.push(line) });
  try {
    const first = await vpcd.connection(0);
    assert.is(bytesToHex(await first.request(Uint8Array.of(GET_ATR))), '3b80800101');
    assert.equal(events, [], 'get ATR is not a field on');
    first.send(control(POWER_ON));
    first.send(control(POWER_ON)); // already on: nothing
    assert.is(bytesToHex(await first.request(hexToBytes(SELECT_HEX))), '9000');
    first.send(control(POWER_OFF));
    first.send(control(POWER_OFF)); // already off: nothing
    await first.request(Uint8Array.of(GET_ATR));
    first.send(control(POWER_ON));
    first.send(control(RESET)); // the reader cycles the field: off, then on again
    assert.is(bytesToHex(await first.request(hexToBytes('80ca0000'))), '9000');
    assert.equal(events, ['on', `apdu ${SELECT_HEX}`, 'off', 'on', 'off', 'on', 'apdu 80ca0000']);
    first.socket.destroy(); // vpcd (pcscd) goes away mid-tap
    await waitFor('field off', () => events.length === 8);
    assert.is(events[7], 'off');
    const second = await vpcd.connection(1); // the card comes back
    assert.ok(attached.connected);
    assert.is(bytesToHex(await second.request(Uint8Array.of(GET_ATR))), '3b80800101');
    assert.equal(events.slice(8), []);
    assert.ok(log.some((line) => /vpcd 127\.0\.0\.1:\d+: connection closed; field off/.test(line)), log.join('\n'));
  } finally {
    await attached.close();
    await vpcd.close();
  }
  assert.is(events.filter((e) => e === 'on').length, events.filter((e) => e === 'off').length);
});

// [what, the bytes after power on (or instead of it), the log line, power on first]
const badStreams: [string, Uint8Array, RegExp, boolean][] = [
  ['an empty frame', hexToBytes('0000'), /empty payload/, true],
  ['a 2-byte payload', hexToBytes('00020102'), /a command APDU has at least 4 bytes, got 2/, true],
  ['a 262-byte frame (refused from its header)', hexToBytes('0106'), /payload of 262 bytes exceeds the 261-byte command APDU limit/, true],
  ['a 65535-byte frame (refused from its header)', hexToBytes('ffff00a4'), /payload of 65535 bytes exceeds/, true],
  ['an unknown control code', hexToBytes('000103'), /unknown control code 0x03/, true],
  ['a truncated frame left waiting', hexToBytes('000a00a40400'), /truncated frame: 6 bytes and no more within 300 ms/, true],
  ['an APDU with the power off', frame(hexToBytes(SELECT_HEX)), /APDU while the card is powered off/, false],
];

card('bad frames from vpcd: logged, field off, connection reset, nothing reaches the card; the card reconnects', async () => {
  const vpcd = await FakeVpcd.start();
  const { field, events } = recordingField();
  const log: string[] = [];
  const attached = attachCardToVpcd({ field, host: '127.0.0.1', port: vpcd.port, frameTimeoutMs: 300, onLog: (line) => log.push(line) });
  try {
    for (const [index, [what, bytes, reason, powerOn]] of badStreams.entries()) {
      const peer = await vpcd.connection(index);
      events.length = 0;
      log.length = 0;
      if (powerOn) {
        peer.send(control(POWER_ON));
        await peer.request(Uint8Array.of(GET_ATR)); // the power on is through before the bad bytes come
      }
      peer.send(bytes);
      await waitFor(`${what}: the card resets the connection`, () => peer.closed, 3000);
      assert.ok(log.some((line) => reason.test(line) && /; field off, connection reset$/.test(line)), `${what}: ${log.join(' | ')}`);
      assert.equal(events, powerOn ? ['on', 'off'] : [], what);
    }
    const good = await vpcd.connection(badStreams.length);
    good.send(control(POWER_ON));
    assert.is(bytesToHex(await good.request(hexToBytes(SELECT_HEX))), '9000', 'a good exchange after all that');
  } finally {
    await attached.close();
    await vpcd.close();
  }
});

card('a frame trickling in byte by byte is cut when it is not complete within the frame timeout of its first byte', async () => {
  const vpcd = await FakeVpcd.start();
  const { field } = recordingField();
  const log: string[] = [];
  const attached = attachCardToVpcd({ field, host: '127.0.0.1', port: vpcd.port, frameTimeoutMs: 300, onLog: (line) => log.push(line) });
  try {
    const peer = await vpcd.connection(0);
    const started = Date.now();
    for (const byte of hexToBytes('000a00a4040008f0')) {
      if (peer.closed) break;
      peer.send(Uint8Array.of(byte));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await waitFor('the connection reset', () => peer.closed, 3000);
    assert.ok(Date.now() - started < 800, `cut after ${Date.now() - started} ms, not held open by each new byte`);
    assert.ok(log.some((line) => /truncated frame: \d bytes and no more within 300 ms; field off, connection reset/.test(line)), log.join('\n'));
  } finally {
    await attached.close();
    await vpcd.close();
  }
});

card('a power on while a phone holds the field drops the connection: to PC/SC the card went away', async () => {
  const vpcd = await FakeVpcd.start();
  const { field, events } = recordingField();
  const log: string[] = [];
  const attached = attachCardToVpcd({ field, host: '127.0.0.1', port: vpcd.port, onLog: (line) => log.push(line) });
  const phone = field.tap();
  try {
    const peer = await vpcd.connection(0);
    peer.send(control(POWER_ON));
    await waitFor('the connection reset', () => peer.closed, 3000);
    assert.ok(log.some((line) => /power on: another reader \(a phone on the TCP bridge\) holds the pile's field; field off, connection reset/.test(line)), log.join('\n'));
    assert.ok(phone.active, 'the phone keeps its tap');
    phone.end();
    const next = await vpcd.connection(1);
    next.send(control(POWER_ON));
    assert.is(bytesToHex(await next.request(hexToBytes(SELECT_HEX))), '9000');
    assert.equal(events, ['on', 'off', 'on', `apdu ${SELECT_HEX}`], 'the phone\'s tap, then the PC/SC one');
  } finally {
    await attached.close();
    await vpcd.close();
  }
});

card('vpcd not up yet: one log line, retries with back-off, connects once it listens; close stops retrying', async () => {
  const probe = await FakeVpcd.start();
  const port = probe.port;
  await probe.close(); // now nothing listens there
  const { field } = recordingField();
  const log: string[] = [];
  const attached = attachCardToVpcd({ field, host: '127.0.0.1', port, onLog: (line) => log.push(line) });
  let vpcd: FakeVpcd | undefined;
  try {
    await new Promise((resolve) => setTimeout(resolve, 700)); // attempts at 0, 100, 300, 700 ms
    assert.equal(log, [`vpcd 127.0.0.1:${port}: not reachable (ECONNREFUSED); retrying up to every 5 s`]);
    vpcd = await FakeVpcd.start(port);
    await vpcd.connection(0); // the next attempt, at most 800 ms later
    await waitFor('connected', () => attached.connected);
  } finally {
    await attached.close();
    await vpcd?.close();
  }
  assert.not.ok(attached.connected);
});

card.run();

// ---------------------------------------------------------------------------------------------
// The real thing: pcscd + vpcd, the relay, `tapcharge pile serve --vpcd`.

function requireTools(): void {
  const missing: string[] = [];
  const runs = (command: string, args: string[]): boolean => spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 }).status === 0;
  if (!runs(PCSCD, ['--version'])) missing.push(`${PCSCD} (apt-get install pcscd)`);
  if (!existsSync(VPCD_DRIVER)) missing.push(`vpcd driver ${VPCD_DRIVER} (apt-get install vsmartcard-vpcd)`);
  if (!runs('opensc-tool', ['--info'])) missing.push('opensc-tool (apt-get install opensc)');
  if (!runs('unshare', ['--mount', '--propagation', 'private', 'true'])) missing.push('unshare --mount (util-linux, run as root)');
  if (missing.length > 0) throw new Error(`test/pcsc needs: ${missing.join('; ')} — .ci/run installs them`);
}

async function loadBinding(): Promise<PcscBinding> {
  const name = 'pcsclite';
  try {
    return ((await import(name)) as { default: PcscBinding }).default;
  } catch (error) {
    throw new Error(`test/pcsc needs the optional npm package pcsclite, built against libpcsclite-dev (apt-get install libpcsclite-dev, then npm install): ${(error as Error).message.split('\n')[0]}`);
  }
}

/** A port P with P and P+1 free (vpcd opens one per slot, on 0.0.0.0: a listener on either address clashes). */
async function freePortPair(): Promise<number> {
  const bind = (port: number): Promise<Server | undefined> => new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
  const close = (server: Server | undefined): Promise<void> => new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  for (let attempt = 0; attempt < 20; attempt++) {
    const first = await bind(0);
    const port = (first!.address() as { port: number }).port;
    const second = port < 65535 ? await bind(port + 1) : undefined;
    await close(first);
    await close(second);
    if (second) return port;
  }
  throw new Error('no two consecutive free ports for vpcd');
}

/** SIGTERM, SIGKILL after 5 s; a child left running when this process exits is killed too. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function track(child: ChildProcess): Promise<void> {
  running.add(child);
  return new Promise((resolve) => child.on('exit', () => {
    running.delete(child);
    resolve();
  }));
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(killer);
}

type Pcscd = { socketPath: string; output(): string; stop(): Promise<void> };

/** pcscd in the foreground, in its own mount namespace (its /run/pcscd a temp folder), vpcd on `port`. */
async function startPcscd(port: number): Promise<Pcscd> {
  const base = join(dir, 'pcscd');
  const conf = join(base, 'reader.conf.d');
  const run = join(base, 'run');
  mkdirSync(conf, { recursive: true });
  mkdirSync(run, { recursive: true });
  writeFileSync(join(conf, 'vpcd'), `FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:${port}\nLIBPATH ${VPCD_DRIVER}\nCHANNELID ${port}\n`);
  const script = 'mkdir -p /run/pcscd && mount --bind "$1" /run/pcscd && exec "$3" --foreground --config "$2" --info --apdu';
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', run, conf, PCSCD], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  const exited = track(child);
  const socketPath = join(run, 'pcscd.comm');
  const stop = (): Promise<void> => stopChild(child, exited);
  try {
    await waitFor(`pcscd ready:\n${output}`, () => /daemon ready/.test(output) && existsSync(socketPath) || child.exitCode !== null, 10_000);
    if (child.exitCode !== null) throw new Error(`pcscd exited ${child.exitCode}:\n${output}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { socketPath, output: () => output, stop };
}

type PileProcess = { port: number; pileId: string; output(): string; stop(): Promise<void> };

/** `tapcharge pile serve` as a child process on a free port; `args` add the rest. */
async function startPileProcess(args: string[]): Promise<PileProcess> {
  const child: ChildProcess = spawn(process.execPath, [bin, 'pile', 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  const exited = track(child);
  const stop = (): Promise<void> => stopChild(child, exited);
  try {
    await waitFor('pile serve listening', () => /listening on 127\.0\.0\.1:\d+/.test(output) || child.exitCode !== null, 30_000);
    if (child.exitCode !== null) throw new Error(`pile serve exited ${child.exitCode}:\n${output}`);
  } catch (error) {
    await stop();
    throw error;
  }
  const m = /pile ([0-9a-f]{16}) listening on 127\.0\.0\.1:(\d+)/.exec(output)!;
  return { port: Number(m[2]), pileId: m[1]!, output: () => output, stop };
}

/** `tapcharge ARGS` in a child process, not blocking this one (the relay runs here). */
function cli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => child.on('close', (status) => {
    clearTimeout(killer);
    resolve({ status, stdout, stderr });
  }));
}

async function cliOk(env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  const r = await cli(env, ...args);
  assert.is(r.status, 0, `tapcharge ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** pcscd polls vpcd's slot: wait until it reports the card present in reader 0. */
async function waitForCardInReader(env: NodeJS.ProcessEnv): Promise<void> {
  let listed = '';
  await waitFor('pcscd to see the card', () => {
    listed = spawnSync('opensc-tool', ['-l'], { encoding: 'utf8', env, timeout: 5000 }).stdout ?? '';
    return /^0\s+Yes\s+Virtual PCD 00 00$/m.test(listed);
  }, 10_000).catch((error: Error) => {
    throw new Error(`${error.message}; opensc-tool -l:\n${listed}`);
  });
}

/** The bytes of opensc-tool's "Received (SW1=…, SW2=…):" hex dump, and its status word. */
function openscReceived(output: string): { data: Uint8Array; sw: number } {
  const head = /Received \(SW1=0x([0-9a-fA-F]{2}), SW2=0x([0-9a-fA-F]{2})\)/.exec(output);
  if (!head) throw new Error(`no "Received" in opensc-tool's output:\n${output}`);
  const dump = output.slice(head.index + head[0].length).split('\n').slice(1);
  const hex = dump.map((line) => /^((?:[0-9A-F]{2} ){1,16})/.exec(line)?.[1]?.replace(/ /g, '') ?? '').join('');
  return { data: hexToBytes(hex.toLowerCase()), sw: parseInt(head[1]! + head[2]!, 16) };
}

type World = { binding: PcscBinding; env: NodeJS.ProcessEnv; relay: RunningRelay; pcscd: Pcscd; pile: PileProcess };
const world = {} as World;
const real = suite<World>('through pcscd: opensc-tool, the phone SDK and the phone CLI tap the served pile', world);

// uvu swallows an error thrown by a `before` hook (its tests then just do not pass): print it.
real.before(async (w) => {
  try {
    await setUp(w);
  } catch (error) {
    console.error(`\n  through pcscd: setup failed: ${(error as Error).message}\n`);
    throw error;
  }
});

async function setUp(w: World): Promise<void> {
  requireTools();
  w.binding = await loadBinding();
  const port = await freePortPair();
  w.pcscd = await startPcscd(port);
  // libpcsclite reads it when a context is established: this process (the SDK) and its children
  process.env.PCSCLITE_CSOCK_NAME = w.pcscd.socketPath;
  w.env = { ...process.env, PCSCLITE_CSOCK_NAME: w.pcscd.socketPath };
  w.relay = await startRelay({ dataDir: join(dir, 'relay'), port: 0, log: () => {} });
  w.pile = await startPileProcess([
    '--data', join(dir, 'pile'), '--relay', w.relay.url, '--operator-key', join(dir, 'relay', 'operator-key.json'),
    '--label', 'PC/SC bay', '--vpcd', `127.0.0.1:${port}`,
  ]);
  await waitFor('the card in vpcd\'s reader', () => /vpcd 127\.0\.0\.1:\d+: connected/.test(w.pile.output()), 10_000);
  await waitForCardInReader(w.env);
}

real.after(async (w) => {
  try {
    await w.pile?.stop();
  } finally {
    try {
      await w.pcscd?.stop();
    } finally {
      await w.relay?.close();
    }
  }
});

real('opensc-tool -r 0 -s SELECT: the PileHello of the served pile, 90 00', ({ env, pile }) => {
  const apdu = SELECT_HEX.match(/../g)!.join(':');
  const r = spawnSync('opensc-tool', ['-r', '0', '-s', apdu], { encoding: 'utf8', env, timeout: 30_000 });
  console.log(`\n  $ opensc-tool -r 0 -s ${apdu}\n${`${r.stdout}${r.stderr}`.replace(/^/gm, '  | ')}`);
  assert.is(r.status, 0, r.stderr);
  const { data, sw } = openscReceived(r.stdout);
  assert.is(sw, SW.ok);
  const hello = decodePileHello(data);
  assert.ok(hello.ok, hello.ok ? '' : hello.reason);
  assert.is(bytesToHex(hello.value.pileId), pile.pileId);
  assert.is(hello.value.state, 'available');
  const atrLine = spawnSync('opensc-tool', ['-r', '0', '-a'], { encoding: 'utf8', env, timeout: 30_000 });
  assert.is(atrLine.stdout.trim(), '3b:80:80:01:01');
});

real('the phone SDK over PcscTap: tap 1, voucher, START, charge, STOP, collect; a verified receipt, settled', async ({ binding, relay, pile }) => {
  const phone = Phone.create({ displayName: 'Ada', relayUrl: relay.url });
  await phone.register();
  await new RelayClient({ baseUrl: relay.url }).issue(relay.operatorKey, phone.keyPair.kid, 10_000);
  await relay.drainLedger();
  const sent: number[] = [];
  const pcscTap = async <T>(flow: (transport: IsoDepTransport) => Promise<T>): Promise<T> => {
    const tap = new PcscTap(binding, { readerName: READER });
    try {
      return await flow({ transceive: (apdu) => (sent.push(apdu.length), tap.transceive(apdu)) });
    } finally {
      await tap.end();
    }
  };
  const at = { host: '127.0.0.1', port: pile.port };

  const hello = await pcscTap((t) => phone.tapHello(t));
  assert.is(hello.screen.pileId, pile.pileId);
  assert.is(hello.screen.label, 'PC/SC bay');
  assert.ok(hello.screen.verified);
  await sendPileControl(at, { op: 'plug' });
  await sendPileControl(at, { op: 'advance', ms: 2000 }); // the pile sees the vehicle
  await phone.requestVoucher({ mode: 'energy', energyWh: 5000 });
  const started = await pcscTap((t) => phone.tapStart(t));
  assert.is(started.contract.seq, 1);
  await phone.sync(); // after each tap, the card released: the app uploads
  await sendPileControl(at, { op: 'advance', ms: 120_000 });
  const stopped = await pcscTap((t) => phone.tapStop(t));
  const r = stopped.receipt.message;
  assert.is(r.contractSeq, 1);
  assert.is(r.endReason, 'user');
  assert.ok(r.energyWh > 0, `${r.energyWh} Wh`);
  await phone.sync();
  const collected = await pcscTap((t) => phone.tapCollect(t));
  assert.is(collected.pileStillHolds, 0, 'the Ack of the sync after the stop');

  const registered = await new RelayClient({ baseUrl: relay.url }).pile(hexToBytes(pile.pileId));
  assert.ok(openSigned(stopped.receipt.bytes, { publicKey: hexToBytes(registered.publicKey), expectType: 'Receipt' }).ok, 'the receipt verifies with the key the relay registered');
  await relay.drainLedger();
  const { contracts } = await phone.account();
  const contract = contracts.find((c) => c.pileId === pile.pileId && c.seq === 1);
  assert.is(contract?.status, 'settled');
  assert.is(contract?.amountMinor, r.amountMinor);
  const largest = Math.max(...sent);
  console.log(`  session through PC/SC: ${sent.length} command APDUs, largest ${largest} bytes; receipt ${r.energyWh} Wh, amount ${r.amountMinor}`);
  assert.ok(largest <= 261);
});

real('tapcharge phone tap --pcsc: tap 1 from the command line, through pcscd; a missing reader is a clear error', async ({ binding, env, relay, pile }) => {
  const bob = Phone.create({ displayName: 'Bob', relayUrl: relay.url });
  await bob.register();
  writeWalletFile(join(dir, 'bob.json'), bob.state, { create: true });
  const out = await cliOk(env, 'phone', 'tap', '--wallet', 'bob.json', '--pcsc', READER);
  assert.match(out, new RegExp(`^pile ${pile.pileId} "PC/SC bay" (available|preparing|finishing)\\n`));
  const tap = new PcscTap(binding, { readerName: 'No Such Reader', timeoutMs: 1000 });
  try {
    await tap.transceive(selectCommand());
    assert.unreachable('a reader that is not there answered');
  } catch (error) {
    assert.instance(error, PileLinkError);
    assert.is((error as Error).message, 'PC/SC: no card in reader "No Such Reader" within 1000 ms (readers: "Virtual PCD 00 00", "Virtual PCD 00 01")');
  } finally {
    await tap.end();
  }
});

real.run();

// ---------------------------------------------------------------------------------------------

const served = suite('bad vpcd frames against a served pile process');

// A provisioning answer as the relay gives it, signed by a key of this test (the pile checks it).
function provisioningFile(dataDir: string): string {
  const relay = generateKeyPair();
  const pileKey = generateKeyPair();
  mkdirSync(dataDir, { recursive: true });
  writeKeyFile(join(dataDir, 'pile-key.json'), pileKey, false);
  const tariff = { version: 1, energyMinorPerKwh: 30, timeMinorPerHour: 0, sessionFeeMinor: 0 };
  const update = signMessage(encodePileUpdate({ pileId: pileKey.kid, configVersion: 1, tariff, label: 'vpcd frames', maxPowerW: 7400, issuedAtS: 1_700_000_000 }), relay.secretKey);
  const path = join(dir, 'provisioning.json');
  writeFileSync(path, JSON.stringify({ pileId: bytesToHex(pileKey.kid), relayPublicKey: bytesToHex(relay.publicKey), pilePublicKey: bytesToHex(pileKey.publicKey), configVersion: 1, pileUpdate: bytesToBase64url(update), firstBillingSeq: 1 }));
  return path;
}

served('each bad frame: a clear log line, field off, the connection reset; the pile serves on, its journal untouched', async () => {
  const vpcd = await FakeVpcd.start();
  let pile: PileProcess | undefined;
  try {
    const dataDir = join(dir, 'served');
    pile = await startPileProcess(['--data', dataDir, '--provisioning', provisioningFile(dataDir), '--vpcd', `127.0.0.1:${vpcd.port}`]);
    const journal = readFileSync(join(dataDir, 'flash.bin'));
    const cases = badStreams.filter(([what]) => !/left waiting/.test(what));
    for (const [index, [what, bytes, reason, powerOn]] of cases.entries()) {
      const peer = await vpcd.connection(index);
      if (powerOn) peer.send(control(POWER_ON));
      peer.send(bytes);
      await waitFor(`${what}: the card resets the connection`, () => peer.closed, 3000);
      await waitFor(`${what}: logged`, () => reason.test(pile!.output()), 3000);
    }
    assert.is((pile.output().match(/; field off, connection reset/g) ?? []).length, cases.length);
    const good = await vpcd.connection(cases.length);
    assert.is(bytesToHex(await good.request(Uint8Array.of(GET_ATR))), '3b80800101');
    good.send(control(POWER_ON));
    const answer = await good.request(hexToBytes(SELECT_HEX));
    const hello = decodePileHello(answer.slice(0, -2));
    assert.ok(hello.ok && bytesToHex(hello.value.pileId) === pile.pileId, 'the card answers its PileHello');
    good.send(control(POWER_OFF));
    const tcp = await TcpTap.open({ host: '127.0.0.1', port: pile.port });
    try {
      assert.is(bytesToHex((await new PileReader(tcp).select()).pileId), pile.pileId, 'the TCP bridge serves on');
    } finally {
      await tcp.end();
    }
    assert.ok(readFileSync(join(dataDir, 'flash.bin')).equals(journal), 'the journal did not change');
  } finally {
    await pile?.stop();
    await vpcd.close();
  }
});

served.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

served.run();
